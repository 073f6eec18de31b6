"""Semgrep's answer for our busiest syntactic rules, from Python's own ``ast``, or no answer.

Where findings are dense, nearly every unit calls ``pickle.load``, ``torch.load`` or
``np.load``: the prefilter must admit it, and Semgrep then spends most of its time parsing the
unit and matching the search rules. For the rules listed in ``HANDLERS`` this module gives the
results Semgrep would give (same rule id, range, message), from one ``ast.parse`` of the unit;
the rules it answers for a unit are taken off that unit's Semgrep run, and a unit no other rule
needs is not handed to Semgrep at all. Semgrep stays the engine of record: its rule files are
the definition (the callees come from them, :func:`prefilter.derived_calls`), the taint rules
and users' rules always run in it, and ``tests/_core/test_fastpath.py`` checks that both give
identical results on every rule test, on probes of Semgrep's corners and on bench corpora.

A handler answers only where it knows Semgrep's answer, and otherwise *declines* (raises
``Declined``), which hands that rule back to Semgrep for that unit: a unit CPython cannot parse or that
holds ``nosemgrep``; a name whose import alias and literal spelling disagree unless the alias
is the only binding and comes first (Semgrep resolves imports in order, even out of
functions, and literal spellings always); a keyword whose value Semgrep could constant-propagate
(``weights_only=flag``); an assignment alias (``load = pickle.load``); a parenthesised value a
metavariable-regex would see with its parentheses. Setting ``MLHYGIENE_NO_FASTPATH=1`` turns
this module off (everything goes to Semgrep, as before).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from mlhygiene._core.prefilter import derived_calls
from mlhygiene._core.trees import Trees

NO_FASTPATH_ENV = "MLHYGIENE_NO_FASTPATH"
_NOSEM = re.compile(r"nosem", re.I)


def enabled() -> bool:
    return not os.environ.get(NO_FASTPATH_ENV)


class Rule(NamedTuple):
    """What a handler needs of a rule file: its callees, regexes and the result's ``extra``."""

    rule_id: str
    calls: frozenset[str]
    regexes: tuple[str, ...]  # its metavariable-regex and "=~/.../" regexes, in file order
    extra: dict[str, Any]


_REGEX = re.compile(r"""^\s*(?:-\s*)?regex:\s*(.*?)\s*$|"=~/(.*?)/\"""", re.M)
_SEVERITY = re.compile(r"^\s*severity:\s*(\w+)\s*$", re.M)
_CATEGORY = re.compile(r"^\s*mlhygiene-category:\s*(\S+)\s*$", re.M)


def _message(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        key = re.match(r"^(\s*)message:\s*(.*)$", line)
        if key is None:
            continue
        indent, first = len(key.group(1)), key.group(2)
        words = [] if first in (">-", ">", "|", "|-") else [first.strip("'\"")]
        for body in lines[i + 1 :]:
            if body.strip() and len(body) - len(body.lstrip()) <= indent:
                break
            words.append(body.strip())
        return " ".join(" ".join(words).split())
    return ""


@lru_cache(maxsize=64)
def load_rule(config: Path) -> Rule:
    text = config.read_text(encoding="utf-8")
    regexes = tuple(m.group(1) if m.group(1) is not None else m.group(2) for m in _REGEX.finditer(text))
    severity = _SEVERITY.search(text)
    category = _CATEGORY.search(text)
    extra = {
        "message": _message(text),
        "severity": severity.group(1) if severity else "WARNING",
        "metadata": {"mlhygiene-category": category.group(1)} if category else {},
    }
    return Rule(config.stem, frozenset(derived_calls(text)), regexes, extra)


class Span(NamedTuple):
    line: int
    col: int  # 1-based, in UTF-8 bytes (as Semgrep reports it)
    offset: int  # in UTF-8 bytes from the start of the unit
    end_line: int
    end_col: int
    end_offset: int


Node = Any  # an ast node with a position


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, in no particular order, without the Load/Store contexts (2.5x ``ast.walk``)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for field in node._fields:
            if field == "ctx":
                continue
            value = getattr(node, field, None)
            if type(value) is list:
                todo.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                todo.append(value)


class Unit:
    """One parsed unit: its calls, dicts, subscripts, assignments, classes and name bindings."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.lines = data.split(b"\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.calls: list[ast.Call] = []
        self.by_last: dict[str, list[ast.Call]] = {}  # calls of a dotted name, by its last part
        self.dicts: list[ast.Dict] = []
        self.subscripts: list[ast.Subscript] = []
        self.assigned: list[ast.expr] = []  # values of assignments
        self.bases: list[ast.expr] = []  # base classes
        self.imports: dict[str, set[str]] = {}
        self.import_line: dict[str, int] = {}
        self.bound: set[str] = set()  # names bound other than by an import
        self.stars: set[str] = set()
        for node in _walk(tree):
            if isinstance(node, (ast.Attribute, ast.Constant)):
                continue  # the commonest nodes first
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    self.bound.add(node.id)
            elif isinstance(node, ast.Call):
                self.calls.append(node)
                func = node.func
                if isinstance(func, (ast.Attribute, ast.Name)):
                    last = func.attr if isinstance(func, ast.Attribute) else func.id
                    self.by_last.setdefault(last, []).append(node)
            elif isinstance(node, ast.Dict):
                self.dicts.append(node)
            elif isinstance(node, ast.Subscript):
                self.subscripts.append(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                if node.value is not None:
                    self.assigned.append(node.value)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.bound.add(node.name)
            elif isinstance(node, ast.ClassDef):
                self.bound.add(node.name)
                self.bases.extend(node.bases)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    self._bind(name, alias.name if alias.asname else name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                # relative: what Semgrep makes of it is not known here ("?" matches no rule)
                module = "?" if node.level else node.module or ""
                for alias in node.names:
                    if alias.name == "*":
                        self.stars.add(module)
                    else:
                        self._bind(alias.asname or alias.name, f"{module}.{alias.name}", node.lineno)
            elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
                if node.name:
                    self.bound.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.bound.update(node.names)

    def _bind(self, name: str, target: str, line: int) -> None:
        self.imports.setdefault(name, set()).add(target)
        self.import_line[name] = min(line, self.import_line.get(name, line))

    def span(self, node: Node) -> Span:
        line, end_line = node.lineno, node.end_lineno
        col, end_col = node.col_offset, node.end_col_offset
        return Span(
            line,
            col + 1,
            self.starts[line - 1] + col,
            end_line,
            end_col + 1,
            self.starts[end_line - 1] + end_col,
        )

    def source(self, node: Node) -> str | None:
        """The node's own text, or None when it spans lines."""
        if node.lineno != node.end_lineno:
            return None
        text: bytes = self.lines[node.lineno - 1][node.col_offset : node.end_col_offset]
        return text.decode("utf-8", "replace")

    def around(self, node: Node) -> tuple[str, str]:
        """The nearest non-blank characters before and after the node on its lines ('' at an edge)."""
        before = self.lines[node.lineno - 1][: node.col_offset].rstrip()
        after = self.lines[node.end_lineno - 1][node.end_col_offset :].lstrip()
        return before[-1:].decode("latin-1"), after[:1].decode("latin-1")

    def verdict(self, expr: ast.expr, names: frozenset[str], line: int) -> bool | None:
        """Does Semgrep take the dotted ``expr`` for one of ``names``? None when not sure."""
        parts: list[str] = []
        node = expr
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return False
        root, rest = node.id, parts[::-1]
        if ".".join([root, *rest]) in names:
            return True  # Semgrep matches the spelling whatever the name is bound to
        aliases = self.imports.get(root, set())
        aliased = any(".".join([t, *rest]) in names for t in aliases)
        starred = any(".".join([m, root, *rest]) in names for m in self.stars)
        if not aliased and not starred:
            return False
        if starred or len(aliases) != 1 or root in self.bound or line <= self.import_line[root]:
            return None  # star imports, rebinding, import order: Semgrep's own rules decide
        return True  # `import pickle as pkl` ... `pkl.load(f)`


class Declined(Exception):
    """A handler cannot tell Semgrep's answer for this unit."""


def _sure(value: bool | None) -> bool:
    if value is None:
        raise Declined
    return value


def _chain(expr: ast.expr) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def _calls(unit: Unit, names: Iterable[str]) -> Iterator[ast.Call]:
    """The calls Semgrep takes for a call of one of ``names`` (declined when unsure of one)."""
    names = frozenset(names)
    lasts = {name.rsplit(".", 1)[-1] for name in names}
    # An alias changes the first part of a dotted name, and all of a bare one (`from m import f as g`).
    lasts |= {
        alias
        for alias, targets in unit.imports.items()
        if any(t.rsplit(".", 1)[-1] in lasts for t in targets)
    }
    for last in sorted(lasts):
        for call in unit.by_last.get(last, ()):
            if _sure(unit.verdict(call.func, names, call.lineno)):
                yield call


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def _is_const(node: ast.expr, *values: object) -> bool | None:
    """Whether ``node`` is one of these constants; None when Semgrep might propagate one into it."""
    if isinstance(node, ast.Constant):
        return any(type(node.value) is type(v) and node.value == v for v in values)
    return None


def _argument_text(unit: Unit, node: ast.expr, opening: str) -> str:
    """An argument's text as Semgrep's metavariable-regex sees it: after ``opening`` (``=`` for a
    keyword, ``,`` for a positional argument), on one line; declined if it has parentheses."""
    text = unit.source(node)
    before, after = unit.around(node)
    if text is None or before != opening or after not in (",", ")"):
        raise Declined
    return text


def _no_alias(unit: Unit, names: frozenset[str]) -> None:
    """Decline when an assignment names one of these (``load = pickle.load``: a pattern-inside)."""
    for value in unit.assigned:
        if _chain(value) and unit.verdict(value, names, value.lineno) is not False:
            raise Declined


Handler = Callable[[Unit, Rule], list[Node]]


def _simple(unit: Unit, rule: Rule) -> list[Node]:
    """A rule that is a list of ``a.b.c(...)`` calls."""
    return list(_calls(unit, rule.calls))


def _anchored(unit: Unit, rule: Rule) -> list[Node]:
    """A rule that cannot match without a call to one of its callees: answered only when absent."""
    if any(True for _ in _calls(unit, rule.calls)):
        raise Declined
    return []


_PICKLE_MODULES = ("pickle", "cPickle", "_pickle", "pickle5", "six.moves.cPickle")


def _pickle_load(unit: Unit, rule: Rule) -> list[Node]:
    aliasable = frozenset(
        f"{m}.{f}" for m in ("pickle", "cPickle", "_pickle") for f in ("load", "loads", "Unpickler")
    )
    _no_alias(unit, rule.calls | aliasable)
    for base in unit.bases:
        last = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if _chain(base) and (
            last.endswith("Unpickler") or unit.verdict(base, aliasable, base.lineno) is not False
        ):
            raise Declined  # class X(pickle.Unpickler): ... X(f) is a pattern-inside
    found = []
    for call in _calls(unit, rule.calls):
        if not _round_trip(unit, call):
            found.append(call)
    return found


def _round_trip(unit: Unit, call: ast.Call) -> bool:
    """``pickle.loads(pickle.dumps(...))`` and the like: the rule's pattern-nots."""
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Call):
        return False
    inner = call.args[0]
    pairs = [(f"{m}.loads", [f"{m}.dumps"]) for m in _PICKLE_MODULES]
    pairs[0][1].extend(["cloudpickle.dumps", "dill.dumps"])
    for outer, inners in pairs:
        a = unit.verdict(call.func, frozenset([outer]), call.lineno)
        b = unit.verdict(inner.func, frozenset(inners), inner.lineno)
        if a is False or b is False:
            continue
        if a is None or b is None:
            raise Declined
        return True
    return False


def _torch_load(unit: Unit, rule: Rule) -> list[Node]:
    loads = rule.calls - {"functools.partial"}
    _no_alias(unit, loads)
    found: list[ast.Call] = list(_calls(unit, loads))
    for call in _calls(unit, ["functools.partial"]):
        first = call.args[0] if call.args else None
        if (
            isinstance(first, ast.expr)
            and not isinstance(first, ast.Starred)
            and _sure(unit.verdict(first, loads, call.lineno))
        ):
            found.append(call)
    result = []
    for call in found:
        if any(kw.arg is None for kw in call.keywords):
            raise Declined  # **kwargs: the rule's pattern-not-insides look for where they come from
        kw = _keyword(call, "weights_only")
        if kw is None:
            result.append(call)
        elif not _sure(_is_const(kw.value, True, False)):
            raise Declined  # weights_only=None and such: rare, Semgrep decides
    return result


def _numpy(unit: Unit, rule: Rule) -> list[Node]:
    regex = re.compile(rule.regexes[0])
    groups = (
        (frozenset({"numpy.load", "np.load"}), 2),
        (frozenset({"numpy.lib.npyio.load"}), None),
        (frozenset({"numpy.lib.format.read_array"}), 1),
    )
    found = []
    for call in _calls(unit, [name for names, _ in groups for name in names]):
        values: list[str] = []
        for names, position in groups:
            if not _sure(unit.verdict(call.func, names, call.lineno)):
                continue
            kw = _keyword(call, "allow_pickle")
            if kw is not None:
                values.append(_argument_text(unit, kw.value, "="))
            if position is not None and len(call.args) > position:
                if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
                    raise Declined
                values.append(_argument_text(unit, call.args[position], ","))
        if len(values) > 1:
            raise Declined
        if values and regex.search(values[0]):
            found.append(call)
    return found


def _dynamic_import(unit: Unit, rule: Rule) -> list[Node]:
    modules = re.compile(rule.regexes[0])
    names = re.compile(rule.regexes[-1])

    def text_matches(node: ast.expr, regex: re.Pattern[str]) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str) and regex.search(node.value) is not None
        raise Declined  # a name Semgrep may know the string value of

    found: list[Node] = []
    for call in _calls(unit, ["importlib.import_module", "__import__", "sys.modules.get"]):
        if call.args and not isinstance(call.args[0], ast.Starred) and text_matches(call.args[0], modules):
            found.append(call)
    for sub in unit.subscripts:
        if _sure(unit.verdict(sub.value, frozenset(["sys.modules"]), sub.lineno)) and text_matches(
            sub.slice, modules
        ):
            found.append(sub)
    holders = frozenset(["pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve"])
    for call in _calls(unit, ["getattr"]):
        args = call.args[:2]
        if (
            len(args) == 2
            and not any(isinstance(a, ast.Starred) for a in args)
            and _sure(unit.verdict(args[0], holders, call.lineno))
            and text_matches(args[1], names)
        ):
            found.append(call)
    return found


def _trust_remote_code(unit: Unit, rule: Rule) -> list[Node]:
    found: list[Node] = []
    for call in unit.calls:
        kw = _keyword(call, "trust_remote_code")
        if kw is not None and _sure(_is_const(kw.value, True)):
            found.append(call)
    spans = [unit.span(c) for c in found]
    for node in unit.dicts:
        hit = False
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                continue
            if not isinstance(key, ast.Constant):
                raise Declined  # a key Semgrep may know the value of
            if key.value == "trust_remote_code" and isinstance(key.value, str):
                hit = hit or _sure(_is_const(value, True))
        if hit:
            s = unit.span(node)
            if not any(c.offset <= s.offset and s.end_offset <= c.end_offset for c in spans):
                found.append(node)
    return found


HANDLERS: dict[str, Handler] = {
    "pickle-load": _pickle_load,
    "torch-load-without-weights-only": _torch_load,
    "numpy-load-allow-pickle": _numpy,
    "numpy-load-allow-pickle-dynamic": _numpy,
    "pickle-dynamic-import": _dynamic_import,
    "trust-remote-code-enabled": _trust_remote_code,
    "keras-load-legacy-model": _anchored,
    "joblib-load": _simple,
    "pandas-read-pickle": _simple,
    "torch-distributed-object-collective": _simple,
}


def parse(text: str, trees: Trees | None = None) -> Unit | None:
    """The unit, or None when this module cannot stand in for Semgrep on it at all.

    Parsed through the run's ``trees``, so the other readers of this text's tree need no parse.
    """
    if "\r" in text or "\f" in text or _NOSEM.search(text):
        return None
    tree = (trees or Trees()).parse(text)
    return None if tree is None else Unit(text, tree)


def results(unit: Unit | None, configs: Iterable[Path], path: str) -> tuple[list[dict[str, Any]], set[Path]]:
    """Semgrep-shaped results of the rules in ``configs`` it can answer, and the configs answered."""
    out: list[dict[str, Any]] = []
    answered: set[Path] = set()
    if unit is None:
        return out, answered
    for config in sorted(configs):
        handler = HANDLERS.get(config.stem)
        if handler is None:
            continue
        rule = load_rule(config)
        try:
            nodes = handler(unit, rule)
        except Declined:
            continue
        answered.add(config)
        seen = set()
        for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)):
            s = unit.span(node)
            if s in seen:
                continue
            seen.add(s)
            out.append(
                {
                    "check_id": rule.rule_id,
                    "path": path,
                    "start": {"line": s.line, "col": s.col, "offset": s.offset},
                    "end": {"line": s.end_line, "col": s.end_col, "offset": s.end_offset},
                    "extra": rule.extra,
                }
            )
    return out, answered
