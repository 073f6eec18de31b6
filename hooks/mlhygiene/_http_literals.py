"""Report an http finding where the thing to change is: the ``http://`` literal.

Semgrep's taint rules report at the sink (the call that fetches). The fix is to the literal, and
one constant used by five calls is one mistake, not five. So each sink is traced back, within
its file, to the ``http://`` literals that reach it: directly (the literal is the argument or part
of it), or through names assigned from them (``BASE = "http://…"``; ``URL = BASE + "/x"``). The
findings of one literal become one finding at the literal, naming every call that uses it. A sink
that cannot be traced this way stays where Semgrep put it. Nothing here runs the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from mlhygiene._core.records import Finding, Source, Unit
from mlhygiene._core.suppress import is_suppressed
from mlhygiene._core.trees import Analysis, Trees

_HTTP = re.compile(r"(?i)^http://")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*\((?:[^()]|\([^()]*\))*$")
_MAX_USES = 4  # calls named in one message
# A line with its ending, split as ``ast.get_source_segment`` splits (\r\n, \r, \n only).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class Literal(NamedTuple):
    cell: int | None
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


class Flows(NamedTuple):
    literals: tuple[Literal, ...]  # every http:// literal of the file
    names: dict[str, tuple[Literal, ...]]  # a name -> the literals its (last) assignment holds


def _is_http(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(_HTTP.match(node.value))
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and isinstance(first.value, str) and bool(
            _HTTP.match(first.value)
        )
    return False


def _column(lines: Sequence[str], line: int, offset: int) -> int:
    """ast's UTF-8 byte offset as a 1-based character column."""
    if not 1 <= line <= len(lines):
        return offset + 1
    return len(lines[line - 1].encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore")) + 1


class _Spot(NamedTuple):
    """An http:// literal where the unit's own text has it (before cells are mapped)."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


class _Assign(NamedTuple):
    """An assignment: its target names and, in ``ast.walk`` order, the literals and the names its
    value reads."""

    targets: tuple[str, ...]
    reads: tuple[_Spot | str, ...]


def _placed(unit: Unit, spot: _Spot) -> Literal | None:
    """The literal in the file: a notebook's is in one cell, or it is not reported."""
    if not unit.line_map:
        return Literal(None, spot.line, spot.column, spot.end_line, spot.end_column, spot.text)
    if not (1 <= spot.line <= len(unit.line_map) and 1 <= spot.end_line <= len(unit.line_map)):
        return None
    start, end = unit.line_map[spot.line - 1], unit.line_map[spot.end_line - 1]
    if start is None or end is None or start[0] != end[0]:
        return None
    return Literal(start[0], start[1], spot.column, end[1], spot.end_column, spot.text)


# Nodes the recorder acts on (http literals, assignments), and nodes with nothing below them.
_INTERESTING = frozenset({ast.Constant, ast.JoinedStr, ast.Assign, ast.AnnAssign, ast.NamedExpr})
_LEAVES = frozenset({ast.Load, ast.Store, ast.Del, ast.Name, ast.Pass, ast.Break, ast.Continue})


def _utf8(line: str) -> bytes:
    return line.encode("utf-8", "surrogatepass")


class _Recorder:
    """The http literals and assignments of one unit's tree, in visit order: what ``flows``
    replays with the names earlier cells bound. Depends on the text alone, so the run's one parse
    of a unit serves it (see mlhygiene/_core/trees.py)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self._raw_lines: list[str] | None = None
        self.events: list[_Spot | _Assign] = []

    def _text(self, node: ast.expr) -> str:
        """``ast.get_source_segment`` without splitting the whole text again for each node."""
        if self._raw_lines is None:
            self._raw_lines = _LINE.findall(self.text)
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        start, end = node.col_offset, node.end_col_offset
        if end is None or not 0 <= first <= last < len(self._raw_lines):
            return ""
        if first == last:
            return _utf8(self._raw_lines[first])[start:end].decode("utf-8", "replace")
        head = _utf8(self._raw_lines[first])[start:].decode("utf-8", "replace")
        tail = _utf8(self._raw_lines[last])[:end].decode("utf-8", "replace")
        return "".join([head, *self._raw_lines[first + 1 : last], tail])

    def _spot(self, node: ast.expr) -> _Spot:
        end_line = node.end_lineno or node.lineno
        start_col = _column(self.lines, node.lineno, node.col_offset)
        end_col = _column(self.lines, end_line, node.end_col_offset or node.col_offset)
        return _Spot(node.lineno, start_col, end_line, end_col, self._text(node))

    def _reads(self, node: ast.expr) -> tuple[_Spot | str, ...]:
        """The literals in ``node`` and the names it reads."""
        found: list[_Spot | str] = []
        for sub in ast.walk(node):
            if _is_http(sub):
                found.append(self._spot(sub))  # type: ignore[arg-type]
            elif isinstance(sub, ast.Name):
                found.append(sub.id)
        return tuple(found)

    def visit(self, node: ast.AST) -> None:
        """Every node, parents before children in field order (as ``ast.NodeVisitor`` would,
        without its per-node method lookups); iterative, so deep nesting cannot overflow."""
        stack = [node]
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind in _LEAVES:
                continue
            if kind in _INTERESTING:
                self._node(current)
            children: list[ast.AST] = []
            for field in current._fields:
                value = getattr(current, field, None)
                if isinstance(value, ast.AST):
                    children.append(value)
                elif isinstance(value, list):
                    children.extend(item for item in value if isinstance(item, ast.AST))
            children.reverse()
            stack += children

    def _node(self, node: ast.AST) -> None:
        if _is_http(node):
            self.events.append(self._spot(node))  # type: ignore[arg-type]
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            targets, value = [node.target], node.value
        names = tuple(
            target.id if isinstance(target, ast.Name) else target.attr
            for target in targets
            if isinstance(target, (ast.Name, ast.Attribute))
        )
        if value is not None and names:
            self.events.append(_Assign(names, self._reads(value)))


def _record(tree: ast.Module, text: str) -> tuple[_Spot | _Assign, ...]:
    recorder = _Recorder(text)
    recorder.visit(tree)
    return tuple(recorder.events)


# Worth recording at a unit's parse only where an http literal may be (else: when asked).
_MAY_HOLD_HTTP = re.compile("(?i)http:")
EVENTS = Analysis("http-literal-events", _record, lambda text: _MAY_HOLD_HTTP.search(text) is not None)


def flows(source: Source, trees: Trees | None = None) -> Flows:
    """The http literals of a file and the names bound to them (notebook cells share one
    namespace): each unit's recorded events replayed in order."""
    literals: list[Literal] = []
    names: dict[str, tuple[Literal, ...]] = {}
    trees = trees or Trees()
    for unit in source.units:
        for event in trees.fact(unit.text, EVENTS) or ():
            if isinstance(event, _Spot):
                literal = _placed(unit, event)
                if literal is not None:
                    literals.append(literal)
                continue
            found: list[Literal] = []
            for item in event.reads:
                if isinstance(item, str):
                    found += names.get(item, ())
                else:
                    literal = _placed(unit, item)
                    if literal is not None:
                        found.append(literal)
            reaching = tuple(dict.fromkeys(found))
            for target in event.targets:
                if reaching:
                    names[target] = reaching
                else:
                    names.pop(target, None)
    return Flows(tuple(dict.fromkeys(literals)), names)


def _inside(lit: Literal, f: Finding) -> bool:
    return (
        lit.cell == f.cell
        and (lit.line, lit.column) >= (f.line, f.column)
        and (lit.end_line, lit.end_column) <= (f.end_line, f.end_column)
    )


def _sources_of(f: Finding, source: Source, found: Flows) -> tuple[Literal, ...]:
    direct = tuple(lit for lit in found.literals if _inside(lit, f))
    if direct or f.line != f.end_line:
        return direct
    text = source.line_text(f.line, f.cell)[f.column - 1 : f.end_column - 1]
    reached: list[Literal] = []
    for name in _IDENT.findall(text):
        reached += found.names.get(name, ())
    return tuple(dict.fromkeys(reached))


def _callee(f: Finding, source: Source) -> str:
    prefix = source.line_text(f.line, f.cell)[: f.column - 1]
    match = _CALLEE.search(prefix)
    return match.group(1) if match else "a call"


def _place(f: Finding, lit: Literal) -> str:
    if f.cell is not None and f.cell != lit.cell:
        return f"cell {f.cell} line {f.line}"
    return f"line {f.line}"


def at_literals(
    findings: Sequence[Finding], sources: Sequence[Source], trees: Trees | None = None
) -> list[Finding]:
    """``findings`` (of the http taint rules) moved to the literals that reach them, one each
    (``trees``: the run's parses, shared)."""
    by_path = {s.path: s for s in sources}
    flows_of: dict[str, Flows] = {}
    grouped: dict[tuple[str, Literal], list[Finding]] = {}
    kept: list[Finding] = []
    for f in findings:
        source = by_path.get(f.path)
        if source is None or source.kind not in ("script", "notebook"):
            kept.append(f)
            continue
        if is_suppressed(f, source):
            continue  # silenced at the call: it adds nothing to the literal's finding
        if f.path not in flows_of:
            flows_of[f.path] = flows(source, trees)
        literals = _sources_of(f, source, flows_of[f.path])
        if not literals:
            kept.append(f)
            continue
        for lit in literals:
            grouped.setdefault((f.path, lit), []).append(f)
    return kept + list(_merged(grouped, by_path))


def _merged(
    grouped: dict[tuple[str, Literal], list[Finding]], by_path: dict[str, Source]
) -> Iterator[Finding]:
    for (path, lit), uses in grouped.items():
        uses = sorted(set(uses), key=lambda f: f.sort_key())
        first = uses[0]
        calls = list(dict.fromkeys(f"{_callee(f, by_path[path])} at {_place(f, lit)}" for f in uses))
        more = f" and {len(calls) - _MAX_USES} more" if len(calls) > _MAX_USES else ""
        severity = "error" if any(f.severity == "error" for f in uses) else first.severity
        yield first._replace(
            line=lit.line,
            column=lit.column,
            end_line=lit.end_line,
            end_column=lit.end_column,
            cell=lit.cell,
            severity=severity,
            message=f"{first.message} Fetched or sent by {', '.join(calls[:_MAX_USES])}{more}.",
            matched=lit.text,
            stored_fingerprint="",
        )
