"""Text edits on Python code (a script, or one notebook cell's source), located with ``ast``.

Every function takes a :class:`Code` and a finding's position and returns the edits that fix
it, or None when the code there is not in a shape this module rewrites with confidence.
Offsets are in the code's own text, so its line endings and everything untouched stay as they
were; inserted lines use the text's own newline.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from mlhygiene._core.notebook import mask_cell, parse, split_lines

_NEWLINE = re.compile(r"\r\n|\r|\n")
_IGNORE = re.compile(r"#\s*mlhygiene\s*:\s*ignore\[([^\]]*)\]", re.I)
_TARGET = re.compile(r"did you mean '([^']+)'")
_FOUND = re.compile(r"^'([^']+)'")
YAML_FUNCS = {
    "load": "safe_load",
    "load_all": "safe_load_all",
    "unsafe_load": "safe_load",
    "unsafe_load_all": "safe_load_all",
    "full_load": "safe_load",
    "full_load_all": "safe_load_all",
}
_YAML_UNSAFE_LOADERS = frozenset(
    {"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"}
)


class Edit(NamedTuple):
    """Replace ``text[start:end]`` by ``new``."""

    start: int
    end: int
    new: str


class Code:
    """Python text with its lines, line offsets and (when it parses) its syntax tree.

    ``notebook``: the text is a cell's source, whose IPython lines are masked before parsing
    (same lines and columns, see ``_core.notebook``)."""

    def __init__(self, text: str, notebook: bool = False) -> None:
        self.text = text
        self.lines = split_lines(text)
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        first = _NEWLINE.search(text)
        self.newline = first.group() if first else "\n"
        self.python = mask_cell(self.lines).lines if notebook else list(self.lines)
        self.tree = parse("\n".join(self.python))[0]

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and 0-based character column."""
        return self.starts[line - 1] + column

    def line_end(self, line: int) -> int:
        """The offset just past the last character of a line (before its newline)."""
        return self.starts[line - 1] + len(self.lines[line - 1])

    def _char(self, line: int, byte_col: int) -> int:
        return len(self.python[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))

    def start(self, node: ast.expr | ast.stmt | ast.keyword) -> int:
        return self.offset(node.lineno, self._char(node.lineno, node.col_offset))

    def end(self, node: ast.expr | ast.stmt | ast.keyword) -> int:
        line, col = node.end_lineno or node.lineno, node.end_col_offset or 0
        return self.offset(line, self._char(line, col))

    def segment(self, node: ast.expr | ast.stmt | ast.keyword) -> str:
        return self.text[self.start(node) : self.end(node)]

    def indent(self, line: int) -> str:
        text = self.lines[line - 1]
        return text[: len(text) - len(text.lstrip())]


def apply(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with every edit applied; an edit overlapping an earlier one is dropped."""
    taken: list[Edit] = []
    for edit in sorted(set(edits), key=lambda e: (e.start, e.end)):
        if taken and edit.start < taken[-1].end:
            continue
        taken.append(edit)
    for edit in reversed(taken):
        text = text[: edit.start] + edit.new + text[edit.end :]
    return text


def _call_at(code: Code, line: int, column: int, names: Sequence[str]) -> ast.Call | None:
    """The call starting at (line, 1-based column) whose function is a plain name or an
    attribute named one of ``names``."""
    if code.tree is None:
        return None
    for node in ast.walk(code.tree):
        if not isinstance(node, ast.Call) or node.lineno != line:
            continue
        func = node.func
        if not (isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr in names)):
            continue
        if code.start(node) == code.offset(line, column - 1):
            return node
    return None


def torch_weights_only(code: Code, line: int, column: int) -> list[Edit] | None:
    """``torch.load(x)`` -> ``torch.load(x, weights_only=True)`` (not a call with ``**kwargs``)."""
    call = _call_at(code, line, column, ("load", "partial"))
    if call is None or any(k.arg is None or k.arg == "weights_only" for k in call.keywords):
        return None
    if len(call.args) == 1 and isinstance(call.args[0], ast.GeneratorExp) and not call.keywords:
        return None
    close = code.end(call) - 1
    if code.text[close] != ")":
        return None
    parts: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    last_end = max((code.end(p) for p in parts), default=code.end(call.func))
    # the gap between the last argument (or the opening paren) and the closing one
    gap_start = last_end if parts else code.text.index("(", code.end(call.func)) + 1
    gap = code.text[gap_start:close]
    comma = "," in gap
    if "\n" not in gap and "\r" not in gap:
        lead = ", " if parts else ""
        return [Edit(gap_start, close, f"{lead}weights_only=True")]
    # A call over several lines with the ")" on a line of its own: one more argument line.
    close_line = _line_of(code, close)
    line_start = code.starts[close_line - 1]
    if code.text[line_start:close].strip():
        return None
    first = parts[-1] if parts else None
    indent = code.indent(first.lineno) if first is not None else code.indent(close_line) + "    "
    edits = [Edit(line_start, line_start, f"{indent}weights_only=True,{code.newline}")]
    if parts and not comma:
        edits.append(Edit(last_end, last_end, ","))
    return edits


def _line_of(code: Code, offset: int) -> int:
    return bisect.bisect_right(code.starts, offset)


def _flat(text: str) -> str:
    return "".join(text.split())


def yaml_safe_load(code: Code, line: int, column: int) -> list[Edit] | None:
    """``yaml.load(f)`` / ``yaml.load(f, Loader=yaml.FullLoader)`` / ``yaml.unsafe_load(f)`` ->
    ``yaml.safe_load(f)`` (the module as the call names it; ruamel.yaml is left alone)."""
    call = _call_at(code, line, column, tuple(YAML_FUNCS))
    if call is None or not isinstance(call.func, ast.Attribute) or call.func.attr not in YAML_FUNCS:
        return None
    base = code.segment(call.func.value)
    if "ruamel" in base:
        return None
    stream: ast.expr | None = call.args[0] if call.args else None
    stream_kw = False
    loader: ast.expr | None = call.args[1] if len(call.args) > 1 else None
    if len(call.args) > 2:
        return None
    for kw in call.keywords:
        if kw.arg == "stream" and stream is None:
            stream, stream_kw = kw.value, True
        elif kw.arg == "Loader" and loader is None:
            loader = kw.value
        else:
            return None
    if stream is None:
        return None
    if loader is not None:
        if call.func.attr not in ("load", "load_all"):
            return None
        name = _flat(code.segment(loader))
        flat_base = _flat(base)
        allowed = {
            f"{flat_base}.{mod}{cls}" for mod in ("", "loader.", "cyaml.") for cls in _YAML_UNSAFE_LOADERS
        }
        if name not in allowed:
            return None
    argument = ("stream=" if stream_kw else "") + code.segment(stream)
    new = f"{base}.{YAML_FUNCS[call.func.attr]}({argument})"
    return [Edit(code.start(call), code.end(call), new)]


def https(code: Code, line: int, column: int, end_line: int, end_column: int) -> list[Edit] | None:
    """The first ``http://`` of the flagged literal -> ``https://``."""
    if not 1 <= line <= len(code.lines):
        return None
    text = code.lines[line - 1]
    stop = end_column - 1 if end_line == line else len(text)
    at = text.lower().find("http://", column - 1, stop)
    if at < 0:
        return None
    start = code.offset(line, at)
    return [Edit(start, start + len("http://"), "https://")]


def suggested(message: str) -> tuple[str, str] | None:
    """(found name, suggested name) from a typosquat finding's message."""
    found, target = _FOUND.search(message), _TARGET.search(message)
    if found is None or target is None:
        return None
    return found.group(1), target.group(1)


def rename(code: Code, line: int, column: int, end_column: int, message: str) -> list[Edit] | None:
    """A typosquatted name in a requirement or install line -> the suggested one."""
    names = suggested(message)
    if names is None or not 1 <= line <= len(code.lines):
        return None
    text = code.lines[line - 1]
    if text[column - 1 : end_column - 1] != names[0]:
        return None
    start = code.offset(line, column - 1)
    return [Edit(start, start + len(names[0]), names[1])]


def environ(code: Code, line: int, column: int) -> tuple[list[Edit], str] | None:
    """``NAME = "literal"`` holding the finding -> ``NAME = os.environ["NAME"]``: the edits and
    the name (the caller adds ``import os`` once, see :func:`import_os`)."""
    if code.tree is None:
        return None
    at = code.offset(line, column - 1)
    for node in ast.walk(code.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target: ast.expr | None = node.targets[0]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
        else:
            continue
        value = node.value
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and code.start(value) <= at < code.end(value)
        ):
            return [Edit(code.start(value), code.end(value), f'os.environ["{target.id}"]')], target.id
    return None


def import_os(code: Code) -> list[Edit]:
    """``import os`` after the module docstring and ``__future__`` imports, unless imported."""
    if code.tree is None:
        return []
    body = code.tree.body
    for node in body:
        if isinstance(node, ast.Import) and any(a.name == "os" and a.asname is None for a in node.names):
            return []
    after = 0
    for index, node in enumerate(body):
        docstring = (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        after = node.end_lineno or node.lineno
    if after == 0:
        # past a shebang, an encoding cookie and the comments that head the file
        while after < len(code.lines) and code.lines[after].startswith("#"):
            after += 1
    if after >= len(code.lines):
        end = len(code.text)
        sep = "" if code.text.endswith(("\n", "\r")) or not code.text else code.newline
        return [Edit(end, end, f"{sep}import os{code.newline}")]
    start = code.starts[after]
    return [Edit(start, start, f"import os{code.newline}")]


def commentable(code: Code) -> set[int] | None:
    """The 1-based lines a comment can be appended to (not inside a multi-line string, not
    continued with a backslash); None when the code does not tokenize."""
    text = "\n".join(code.python) + "\n"
    blocked: set[int] = set()
    # Python 3.12+ splits an f-string (3.14: a t-string) into tokens: block from start to end
    starts = {getattr(tokenize, n, -1) for n in ("FSTRING_START", "TSTRING_START")} - {-1}
    ends = {getattr(tokenize, n, -1) for n in ("FSTRING_END", "TSTRING_END")} - {-1}
    opened: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in starts:
                opened.append(tok.start[0])
            elif tok.type in ends and opened:
                blocked.update(range(opened.pop(), tok.end[0]))
            elif tok.start[0] != tok.end[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE):
                blocked.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return {
        n
        for n, line in enumerate(code.lines, start=1)
        if n not in blocked and not line.rstrip().endswith("\\")
    }


def ignore_comment(code: Code, line: int, rules: Sequence[str]) -> list[Edit]:
    """``# mlhygiene: ignore[rule, ...]`` on ``line``: merged into one already there, else
    appended after the line's own code and comment."""
    text = code.lines[line - 1]
    match = _IGNORE.search(text)
    if match:
        have = [n.strip() for n in match.group(1).split(",") if n.strip()]
        names = have + [r for r in rules if r not in have]
        start = code.offset(line, match.start(1))
        return [Edit(start, code.offset(line, match.end(1)), ", ".join(names))]
    end = code.offset(line, len(text.rstrip()))
    return [Edit(end, code.line_end(line), f"  # mlhygiene: ignore[{', '.join(rules)}]")]


def parses(text: str) -> bool:
    return parse("\n".join(split_lines(text)))[1] is None
