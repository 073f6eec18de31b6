"""The notebook shim: a notebook's code cells as one virtual Python source with an exact line map.

IPython syntax that is not Python (``%magic``, ``%%cell magic``, ``!shell``, ``x = !cmd``,
``obj?``) is replaced by ``pass`` at the same indentation, one placeholder per line, so the
rest parses and every line maps back to (cell, line). Shell commands and ``%pip`` lines are
kept aside for the hooks that read them. A cell that still does not parse goes into a unit of
its own, so it cannot hide the findings of the other cells.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from mlhygiene._core.records import Cell, OutputText, ShellLine, Source, Unit

SHIM_VERSION = "1"

# Cell magics whose body is Python and should be scanned as such.
PYTHON_CELL_MAGICS = frozenset(
    {
        "time",
        "timeit",
        "capture",
        "prun",
        "debug",
        "memit",
        "mprun",
        "px",
        "python",
        "python3",
        "pypy",
        "local",
        "spark",
        "pyspark",
        "tensorflow",
    }
)
# Cell magics whose body is a shell script.
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "!", "system", "sx", "script", "zsh"})
# Line magics that run a shell command (kept aside as shell lines).
SHELL_LINE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv", "sx", "system", "sc"})
# Line magics whose argument is a Python statement: the prefix is swapped for ``if 1:``.
PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "memit", "mprun", "debug", "px"})
_MAGIC_VALUE_OPTIONS = frozenset("nrpslTDf")

_MAGIC_NAME = re.compile(r"%{1,2}([\w!.-]*)")
_ASSIGN_SHELL = re.compile(r"[\w.\[\]\"', ()*]+?\s*=\s*(?=[!%])")
_HELP = re.compile(r"^(\?{1,2}[\w.\[\]()]+|[\w.\[\]()'\"]+\?{1,2})\s*(#.*)?$")
_AUTOCALL = re.compile(r"^[/,;][A-Za-z_]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookError(Exception):
    """The file is not a readable notebook; the message says why."""


class MaskedCell(NamedTuple):
    lines: list[str]
    shells: list[tuple[int, int, str]]  # (line index, 0-based column, command)


def _join(source: Any) -> str:
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    if isinstance(source, str):
        return source
    return ""


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (``\\r\\n``, ``\\r`` and ``\\n`` all end a line)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if text else []


class _Scanner:
    """Tracks string / bracket / continuation state line by line (enough to find logical starts)."""

    def __init__(self) -> None:
        self.quote: str | None = None
        self.depth = 0
        self.continued = False

    @property
    def at_logical_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            ch = line[i]
            if self.quote is not None:
                if ch == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if ch == "#":
                break
            if ch in "\"'":
                triple = ch * 3
                self.quote = triple if line.startswith(triple, i) else ch
                i += len(self.quote)
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        self.continued = line.endswith("\\") and (self.quote is None or len(self.quote) == 1)
        if self.quote is not None and len(self.quote) == 1 and not self.continued:
            self.quote = None  # an unterminated one-line string: Python's error, not ours


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _strip_magic_options(args: str) -> str:
    """``-n 10 -r 3 f(x)`` -> ``f(x)`` for %timeit-style magics."""
    rest = args.lstrip()
    while rest.startswith("-"):
        opt, _, after = rest.partition(" ")
        rest = after.lstrip()
        if len(opt) == 2 and opt[1] in _MAGIC_VALUE_OPTIONS and rest:
            _, _, rest = rest.partition(" ")
            rest = rest.lstrip()
    return rest


def _python_magic_line(line: str, name: str) -> str | None:
    """``%time x = f()`` -> ``if 1: x = f()`` keeping the code's columns, or None."""
    indent = _indent(line)
    body = line[len(indent) :]
    after_name = body[1 + len(name) :]
    code = _strip_magic_options(after_name)
    if not code:
        return None
    prefix_len = len(body) - len(code)
    if prefix_len < 6:
        return None
    return indent + "if 1:".ljust(prefix_len) + code


def mask_cell(lines: Sequence[str]) -> MaskedCell:
    """Replace IPython-only lines by same-indent placeholders; collect shell commands."""
    out = list(lines)
    shells: list[tuple[int, int, str]] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    start = 0
    if first is not None and lines[first].lstrip().startswith("%%"):
        stripped = lines[first].strip()
        match = _MAGIC_NAME.match(stripped)
        name = match.group(1) if match else ""
        args = stripped[match.end() :].strip() if match else ""
        out[first] = _indent(lines[first]) + "pass"
        start = first + 1
        python_body = name in PYTHON_CELL_MAGICS or (
            name in {"writefile", "file"} and args.split()[-1:] != [] and args.split()[-1].endswith(".py")
        )
        if not python_body:
            shell_body = name in SHELL_CELL_MAGICS and (
                name != "script" or args.split()[:1] in (["bash"], ["sh"], ["zsh"])
            )
            for i in range(start, len(lines)):
                if shell_body and lines[i].strip() and not lines[i].lstrip().startswith("#"):
                    shells.append((i, len(_indent(lines[i])), lines[i].strip()))
                out[i] = _indent(lines[i]) + "pass" if lines[i].strip() else lines[i]
            return MaskedCell(out, _join_continuations(shells, lines))

    scanner = _Scanner()
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if scanner.at_logical_start and stripped:
            kind, command, col = _classify(line)
            if kind is not None:
                indent = _indent(line)
                j = i
                parts = [command]
                while lines[j].rstrip().endswith("\\") and j + 1 < len(lines):
                    j += 1
                    parts.append(lines[j].strip())
                python_line = _python_magic_line(line, command) if kind == "python-magic" else None
                if python_line is not None:
                    out[i] = python_line
                    scanner.feed(python_line)
                    i += 1
                    continue
                for k in range(i, j + 1):
                    out[k] = indent + "pass"
                if kind == "shell" and command:
                    joined = " ".join(p[:-1].rstrip() if p.endswith("\\") else p for p in parts)
                    shells.append((i, col, joined.strip()))
                i = j + 1
                continue
        scanner.feed(line)
        i += 1
    return MaskedCell(out, shells)


def _join_continuations(
    shells: list[tuple[int, int, str]], lines: Sequence[str]
) -> list[tuple[int, int, str]]:
    """Join ``\\``-continued lines of a %%bash body into one command (at its first line)."""
    joined: list[tuple[int, int, str]] = []
    pending: tuple[int, int, str] | None = None
    for idx, col, text in shells:
        if pending is not None:
            pending = (pending[0], pending[1], pending[2][:-1].rstrip() + " " + text)
        else:
            pending = (idx, col, text)
        if not text.endswith("\\"):
            joined.append(pending)
            pending = None
    if pending is not None:
        joined.append(pending)
    return joined


def _classify(line: str) -> tuple[str | None, str, int]:
    """What an IPython-only line is: (kind, command-or-magic-name, 0-based column of command)."""
    indent = len(_indent(line))
    body = line[indent:]
    if body.startswith("!"):
        command = body.lstrip("!")
        return "shell", command.strip(), indent + (len(body) - len(command))
    if body.startswith("%"):
        match = _MAGIC_NAME.match(body)
        name = match.group(1) if match else ""
        if body.startswith("%%"):
            return "magic", name, indent
        if name in SHELL_LINE_MAGICS:
            args = body[match.end() :] if match else ""
            command = args.strip() if name in {"sx", "system", "sc"} else f"{name} {args.strip()}"
            return (
                "shell",
                command,
                indent + (1 if name not in {"sx", "system", "sc"} else len(body) - len(args.lstrip())),
            )
        if name in PYTHON_LINE_MAGICS:
            return "python-magic", name, indent
        return "magic", name, indent
    assign = _ASSIGN_SHELL.match(body)
    if assign is not None:
        rest = body[assign.end() :]
        kind, command, col = _classify(rest)
        if kind == "python-magic":
            kind = "magic"
        if kind is not None:
            return kind, command, indent + assign.end() + col
    if _HELP.match(body) or _AUTOCALL.match(body):
        return "magic", "", indent
    return None, "", 0


# Parse outcomes by text digest, so a file parsed by one check is not parsed again to learn
# whether it is Python 3. Bounded: cleared when full.
_PARSE_OUTCOMES: dict[bytes, tuple[int, str] | None] = {}
_PARSE_OUTCOMES_MAX = 8192


def digest(text: str) -> bytes:
    """A text's key in the caches of parse outcomes and tree analyses."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def parse(text: str) -> tuple[ast.Module | None, tuple[int, str] | None]:
    """(tree, None) for Python 3, else (None, (line, message)); never prints warnings."""
    error: tuple[int, str] | None = None
    tree: ast.Module | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are not our business
            node = compile(text, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        tree = node if isinstance(node, ast.Module) else None
    except SyntaxError as exc:
        error = (exc.lineno or 1, exc.msg)
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        error = (1, type(exc).__name__ if not str(exc) else str(exc).splitlines()[0])
    if len(_PARSE_OUTCOMES) >= _PARSE_OUTCOMES_MAX:
        _PARSE_OUTCOMES.clear()
    _PARSE_OUTCOMES[digest(text)] = error
    return tree, error


def parse_error(text: str) -> tuple[int, str] | None:
    """(line, message) when ``text`` does not parse as Python 3, else None."""
    key = digest(text)
    if key in _PARSE_OUTCOMES:
        return _PARSE_OUTCOMES[key]
    return parse(text)[1]


_IMPORT_LINE = re.compile(r"^(import\s+[\w., ]+|from\s+[\w.]+\s+import\s+[\w., ]+)\s*(#.*)?$")


def load_notebook_json(data: bytes) -> dict[str, Any]:
    """Parse notebook JSON (any nbformat major) into a v4-shaped dict."""
    try:
        nb: Any = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise NotebookError("not valid JSON (nested too deeply)") from None
    if not isinstance(nb, dict):
        raise NotebookError(f"not a Jupyter notebook (top level is a JSON {type(nb).__name__})")
    major = nb.get("nbformat")
    if "cells" not in nb and "worksheets" not in nb:
        raise NotebookError("not a Jupyter notebook (no 'cells')")
    if major is not None and not isinstance(major, int):
        raise NotebookError(f"not a Jupyter notebook ('nbformat' is {major!r})")
    if (major is not None and major < 4) or "worksheets" in nb:
        nb = _upgrade(nb)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook ('cells' is not a list)")
    result: dict[str, Any] = nb
    return result


def _upgrade(nb: dict[str, Any]) -> dict[str, Any]:
    """nbformat 3 (and older) to 4, with nbformat's own converter (imported only here)."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's validator chatter is not the user's problem
            node = nbformat.from_dict(nb)  # type: ignore[no-untyped-call]
            upgraded = nbformat.convert(node, 4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # nbformat raises many types on odd input
        raise NotebookError(f"cannot upgrade nbformat {nb.get('nbformat')} notebook ({exc})") from None
    result: Any = json.loads(json.dumps(upgraded))
    if not isinstance(result, dict):
        raise NotebookError("cannot upgrade notebook (conversion gave no notebook)")
    return result


def _outputs(index: int, cell: dict[str, Any]) -> Iterator[OutputText]:
    outputs = cell.get("outputs")
    if not isinstance(outputs, list):
        return
    for k, output in enumerate(outputs, start=1):
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            yield OutputText(index, k, "stream", _join(output.get("text")))
        elif kind == "error":
            parts = [f"{output.get('ename', '')}: {output.get('evalue', '')}"]
            traceback = output.get("traceback")
            if isinstance(traceback, list):
                parts.extend(_ANSI.sub("", str(t)) for t in traceback)
            yield OutputText(index, k, "error", "\n".join(parts))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            for mime, value in data.items():
                if mime.startswith("text/") or mime in ("application/json", "application/javascript"):
                    text = value if isinstance(value, (str, list)) else json.dumps(value, indent=1)
                    yield OutputText(index, k, mime, _join(text) if isinstance(text, list) else text)


def build_notebook(path: str, nb: dict[str, Any], python: bool = True) -> Source:
    """The Source for a parsed notebook dict (``python=False``: cells and outputs only, no units)."""
    cells: list[Cell] = []
    outputs: list[OutputText] = []
    shell_lines: list[ShellLine] = []
    good: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, list[str]]] = []
    parse_errors: list[tuple[int | None, int, str]] = []
    import_lines: list[str] = []
    for index, raw in enumerate(nb.get("cells") or [], start=1):
        if not isinstance(raw, dict):
            cells.append(Cell(index, "raw", (), frozenset()))
            continue
        cell_type = str(raw.get("cell_type", "code"))
        lines = split_lines(_join(raw.get("source", raw.get("input", ""))))
        metadata = raw.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        tag_set = frozenset(str(t) for t in tags) if isinstance(tags, list) else frozenset()
        cells.append(Cell(index, cell_type, tuple(lines), tag_set))
        if cell_type != "code":
            continue
        outputs.extend(_outputs(index, raw))
        if not python:
            continue
        masked = mask_cell(lines)
        shell_lines.extend(ShellLine(index, i + 1, col + 1, command) for i, col, command in masked.shells)
        problem = parse_error("\n".join(masked.lines))
        if problem is None:
            good.append((index, masked.lines))
            import_lines.extend(line for line in masked.lines if _IMPORT_LINE.match(line))
        else:
            bad.append((index, masked.lines))
            parse_errors.append((index, problem[0], problem[1]))
    # (a unit of only empty cells would be "\n" with an empty line map, which means "a script")
    units = [_unit(good, [])] if any(lines for _, lines in good) else []
    units.extend(_unit([cell], import_lines) for cell in bad)
    return Source(
        path=path,
        kind="notebook",
        text="",
        units=tuple(units),
        cells=tuple(cells),
        shell_lines=tuple(shell_lines),
        outputs=tuple(outputs),
        parse_errors=tuple(parse_errors),
    )


def _unit(cells: Iterable[tuple[int, list[str]]], context: list[str]) -> Unit:
    text_lines: list[str] = list(context)
    line_map: list[tuple[int, int] | None] = [None] * len(context)
    for index, lines in cells:
        for n, line in enumerate(lines, start=1):
            text_lines.append(line)
            line_map.append((index, n))
    return Unit("\n".join(text_lines) + "\n", tuple(line_map))


def read_notebook(path: str, data: bytes, python: bool = True) -> Source:
    return build_notebook(path, load_notebook_json(data), python)
