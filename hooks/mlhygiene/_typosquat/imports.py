"""Imported top-level names in Python source: ``ast`` first, a line reader for Python 2.

Also the literal ``sys.path`` additions a file makes, so local modules they bring in are found.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from mlhygiene._core.notebook import parse
from mlhygiene._core.trees import Analysis

_ALIAS = r"[\w.]+(?:\s+as\s+\w+)?"
_TOLERANT_IMPORT = re.compile(
    rf"^\s*(?:import\s+({_ALIAS}(?:\s*,\s*{_ALIAS})*)|from\s+(\w[\w.]*)\s+import\b)"
)
_CALL_MARKERS = ("__import__", "import_module", "sys.path", "addsitedir")


def parse_python(text: str) -> ast.Module | None:
    """The AST of ``text``, or None when it is not Python 3 (never warns on stderr).

    Shares the core's parse, so the "does not parse" warning does not parse the text again.
    """
    return parse(text)[0]


def _is_import_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "import_module"
        and isinstance(func.value, ast.Name)
        and func.value.id == "importlib"
    )


def _is_path_call(func: ast.expr) -> bool:
    """``sys.path.append``/``insert``/``extend`` or ``site.addsitedir``."""
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    if func.attr == "addsitedir":
        return isinstance(owner, ast.Name) and owner.id == "site"
    return (
        func.attr in ("append", "insert", "extend")
        and isinstance(owner, ast.Attribute)
        and owner.attr == "path"
        and isinstance(owner.value, ast.Name)
        and owner.value.id == "sys"
    )


def _from_column(lines: Sequence[str], node: ast.ImportFrom) -> int:
    """0-based column of the module name in ``from module import x``."""
    line = lines[node.lineno - 1] if 0 < node.lineno <= len(lines) else ""
    match = re.compile(r"from\s+").match(line, node.col_offset)
    return match.end() if match else node.col_offset


def _literal_path(node: ast.expr) -> str | None:
    """The string literals of a path expression joined with ``/`` (``join(d, '..', 'lib')`` -> ``../lib``)."""
    parts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return "/".join(parts) if parts else None


def _import_call_name(node: ast.Call) -> ast.Constant | None:
    """The literal module of ``__import__("x")`` / ``importlib.import_module("x")`` (not relative)."""
    if not node.args or not _is_import_call(node.func):
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value[:1].isidentifier():
        return first
    return None


# The fields that hold statements (and except handlers, match cases): nothing else does.
_BLOCKS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement, however nested, without walking into expressions (much faster)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for field in node._fields:  # in field order, as ast.iter_child_nodes gives them
            if field in _BLOCKS:
                value = getattr(node, field, None)
                if isinstance(value, list):
                    todo.extend(value)


def imports_in_tree(tree: ast.Module, text: str) -> tuple[list[tuple[str, int, int]], list[str]]:
    """Top-level imported names as (name, line, 0-based column), and literal sys.path additions."""
    lines = text.split("\n")
    found: list[tuple[str, int, int]] = []
    paths: list[str] = []
    calls = any(marker in text for marker in _CALL_MARKERS)
    for node in ast.walk(tree) if calls else _statements(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name.split(".")[0], a.lineno, a.col_offset) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append((node.module.split(".")[0], node.lineno, _from_column(lines, node)))
        elif isinstance(node, ast.Call):
            if _is_path_call(node.func) and node.args:
                path = _literal_path(node.args[-1])
                if path is not None:
                    paths.append(path)
            literal = _import_call_name(node)
            if literal is not None:
                found.append((str(literal.value).split(".")[0], literal.lineno, literal.col_offset + 1))
    return [f for f in found if f[0] != "__future__"], paths


def imports_tolerant(text: str) -> list[tuple[str, int, int]]:
    """Imports read line by line, for code that is not Python 3 (``print "x"``)."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = _TOLERANT_IMPORT.match(line)
        if match is None:
            continue
        if match.group(2):
            found.append((match.group(2).split(".")[0], number, match.start(2)))
            continue
        offset = match.start(1)
        for part in match.group(1).split(","):
            name = part.split()[0] if part.split() else ""
            column = line.find(name, offset)
            offset = column + len(name)
            found.append((name.split(".")[0], number, column))
    return [f for f in found if f[0] and f[0] != "__future__"]


# The imports of a unit, read from the tree the run parses once (see mlhygiene/_core/trees.py).
IMPORTS = Analysis("typosquat-imports", imports_in_tree)
