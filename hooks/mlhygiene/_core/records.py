"""The records every check speaks: sources in, findings and problems out."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import NamedTuple

CATEGORIES = (
    "credentials",
    "deserialization",
    "http",
    "xxe",
    "typosquat",
    "pickle-files",
    "policy",
)
SEVERITIES = ("error", "warning", "info")


class Cell(NamedTuple):
    """One notebook cell as the user sees it (1-based ``index`` among all cells)."""

    index: int  # type: ignore[assignment]  # (shadows tuple.index, which nothing here uses)
    cell_type: str
    lines: tuple[str, ...]
    tags: frozenset[str]


class Unit(NamedTuple):
    """A piece of Python handed to Semgrep / ``ast``.

    ``line_map[i]`` is the (cell, line-in-cell) that line ``i + 1`` of ``text`` came from;
    ``None`` marks lines that exist only to give context (findings there are dropped).
    For a script, ``line_map`` is empty and lines map to themselves.
    """

    text: str
    line_map: tuple[tuple[int, int] | None, ...]


class ShellLine(NamedTuple):
    """A notebook shell command (``!cmd``, ``%pip ...``, ``%%bash`` body), continuation joined."""

    cell: int
    line: int
    column: int
    command: str


class OutputText(NamedTuple):
    """The text of one notebook output (one MIME representation of it)."""

    cell: int
    output: int
    mime: str
    text: str


@lru_cache(maxsize=8)
def _lines(text: str) -> tuple[str, ...]:
    """A script's lines, split once for all the findings suppression looks at."""
    return tuple(text.splitlines())


class Source(NamedTuple):
    """A file loaded for checking.

    ``kind`` is one of ``script``, ``notebook``, ``requirements``, ``pyproject``,
    ``environment``, ``config`` (any other text file worth a credentials scan).
    """

    path: str
    kind: str
    text: str
    units: tuple[Unit, ...] = ()
    cells: tuple[Cell, ...] = ()
    shell_lines: tuple[ShellLine, ...] = ()
    outputs: tuple[OutputText, ...] = ()
    # (cell or None, line, message) for Python that does not parse (filled by the loaders)
    parse_errors: tuple[tuple[int | None, int, str], ...] = ()

    @property
    def is_notebook(self) -> bool:
        return self.kind == "notebook"

    def line_text(self, line: int, cell: int | None = None) -> str:
        """The text of a 1-based line (of a cell, for notebooks); '' when out of range."""
        if cell is None:
            lines = _lines(self.text)
        else:
            if not 1 <= cell <= len(self.cells):
                return ""
            lines = self.cells[cell - 1].lines
        return lines[line - 1] if 1 <= line <= len(lines) else ""


class Finding(NamedTuple):
    """One problem found, in source coordinates (cell/output are None for plain files)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule_id: str
    category: str
    severity: str
    message: str
    cell: int | None = None
    output: int | None = None
    # The matched text. Used for the fingerprint only and never printed: it may be a secret.
    matched: str = ""
    # Set instead of ``matched`` on a finding read back from the verdict cache, which stores
    # the fingerprint and never the matched text.
    stored_fingerprint: str = ""

    @property
    def fingerprint(self) -> str:
        """Stable across line churn: path + rule + hash of the normalised matched text."""
        if self.stored_fingerprint:
            return self.stored_fingerprint
        text = " ".join(self.matched.split())
        digest = hashlib.sha256(f"{self.path}\0{self.rule_id}\0{text}".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:24]

    def sort_key(self) -> tuple[str, int, int, int, int, str, str]:
        # the message breaks ties: several findings of one rule at one place (a binary
        # artifact reports at 1:1) must print in the same order on every run
        return (
            self.path,
            self.cell or 0,
            self.output or 0,
            self.line,
            self.column,
            self.rule_id,
            self.message,
        )


class Problem(NamedTuple):
    """A file (or the whole run) that could not be fully checked.

    ``fatal`` problems make the run exit 3; warnings are printed but do not fail it.
    """

    path: str
    message: str
    fatal: bool = True
    cell: int | None = None


class CheckResult(NamedTuple):
    findings: list[Finding]
    problems: list[Problem]


class FatalError(Exception):
    """A user-facing failure of the whole run; the message says what to do."""


class UsageError(FatalError):
    """Bad arguments or configuration: exit 2."""
