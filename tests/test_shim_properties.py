"""Property tests of the notebook shim and its line map (hypothesis).

Generated notebooks mix marker statements (``x_17 = pickle.load(f_17)``, unique per notebook)
with magics, shell lines, cell magics, indented blocks, blank lines, strings and odd unicode.
The shim must never raise, every unit line must be its cell's line or a same-indent
placeholder, and every marker must map back to the exact cell, line and column it is on.
"""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlhygiene._core.notebook import build_notebook
from mlhygiene._core.records import Source
from mlhygiene._core.semgrep import run_semgrep

MARKER = re.compile(r"x_(\d+) = pickle\.load\(f_\d+\)")
NON_PYTHON_CELL_MAGICS = ("%%bash", "%%sh", "%%writefile data.txt", "%%html", "%%!")


class Counter:
    """Hands out unique marker numbers within one generated notebook."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def marker(n: int) -> str:
    return f"x_{n} = pickle.load(f_{n})"


@st.composite
def simple_line(draw: st.DrawFn, counter: Counter) -> list[str]:
    kind = draw(
        st.sampled_from(
            [
                "marker",
                "marker",
                "marker",
                "time-marker",
                "timeit-marker",
                "magic",
                "shell",
                "pip",
                "assign-shell",
                "help",
                "blank",
                "comment",
                "string",
                "unicode",
                "continued-shell",
                "plain",
                "semicolon",
                "tab-comment",
                "unicode-marker",
            ]
        )
    )
    n = counter.next()
    return {
        "marker": [marker(n)],
        "time-marker": [f"%time {marker(n)}"],
        "timeit-marker": [f"%timeit -n 3 -r 2 {marker(n)}"],
        "magic": [
            draw(
                st.sampled_from(
                    [
                        "%matplotlib inline",
                        "%load_ext autoreload",
                        "%autoreload 2",
                        "%cd /tmp",
                        "%env A=1",
                        "%who",
                    ]
                )
            )
        ],
        "shell": [draw(st.sampled_from(["!ls -la", "!wget http://example.com/x.zip", "!!nvidia-smi"]))],
        "pip": [
            draw(st.sampled_from(["%pip install -q torch", "!pip install numpy==1.26", "%conda install x"]))
        ],
        "assign-shell": [f"files_{n} = !ls data/"],
        "help": [draw(st.sampled_from(["pickle.load?", "??pickle", "np.array??"]))],
        "blank": [draw(st.sampled_from(["", "   ", "\t"]))],
        "comment": [f"# {marker(n)} in a comment"],
        "string": [f's_{n} = """', f"inside string {n}: %magic !shell", '"""'],
        "unicode": [
            draw(
                st.sampled_from(
                    [
                        f"s_{n} = 'ünïcödé 日本語 🙂'",
                        f"s_{n} = 'a\u2028b'",
                        f"s_{n} = 'a\x0cb'",
                        f"名前_{n} = 1",
                        f"s_{n} = 'é' # ∑",
                    ]
                )
            )
        ],
        "continued-shell": ["!wget http://example.com/a.zip \\", "    -O a.zip"],
        "plain": [f"y_{n} = [i for i in range({n})]"],
        "semicolon": [f"a_{n} = 1; {marker(n)}"],
        "tab-comment": [f"{marker(n)}\t# trailing"],
        "unicode-marker": [f"s_{n} = 'données 日本 🙂 a\u2028b'; {marker(n)}"],
    }[kind]


@st.composite
def item(draw: st.DrawFn, counter: Counter) -> list[str]:
    if draw(st.integers(0, 4)) == 0:
        header = draw(
            st.sampled_from(
                ["for i in range(2):", "if True:", "def fn():", "with ctx() as c:", "try:", "class K:"]
            )
        )
        body = [line for _ in range(draw(st.integers(1, 3))) for line in draw(simple_line(counter))]
        indent = draw(st.sampled_from(["    ", "  ", "\t"]))
        block = [header, *[indent + line if line.strip() else line for line in body]]
        if header == "try:":
            block += ["except Exception:", indent + "pass"]
        return block
    return draw(simple_line(counter))


@st.composite
def cell(draw: st.DrawFn, counter: Counter) -> dict[str, Any]:
    kind = draw(st.sampled_from(["code"] * 6 + ["markdown", "raw"]))
    lines = [line for _ in range(draw(st.integers(0, 6))) for line in draw(item(counter))]
    header = draw(st.sampled_from([None] * 5 + ["%%time", "%%capture", *NON_PYTHON_CELL_MAGICS]))
    if header is not None:
        lines.insert(0, header)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    source: Any = text if draw(st.booleans()) else text.splitlines(keepends=True)
    result: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        result.update(outputs=[], execution_count=None)
    return result


@st.composite
def notebooks(draw: st.DrawFn) -> dict[str, Any]:
    counter = Counter()
    cells = [draw(cell(counter)) for _ in range(draw(st.integers(0, 6)))]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def unit_lines(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def is_placeholder(unit: str, original: str, previous: str) -> bool:
    indent = indent_of(original)
    if unit == indent + "pass":
        return True
    if previous.rstrip().endswith("\\") and unit.strip() == "pass":
        return True  # a continuation line takes its statement's indentation
    # ``%time code`` -> ``if 1:`` padded to the code's column, the code itself unchanged
    if unit.startswith(indent + "if 1:") and original.lstrip().startswith("%") and len(unit) == len(original):
        code_start = len(unit) - len(unit[len(indent) + 5 :].lstrip())
        return unit[code_start:] == original[code_start:]
    return False


def expected_markers(source: Source) -> dict[int, tuple[int, int, int]]:
    """Markers the shim must keep as Python: n -> (cell, line, 1-based column)."""
    expected = {}
    for c in source.cells:
        if c.cell_type != "code":
            continue
        first = next((line.strip() for line in c.lines if line.strip()), "")
        if first.startswith(NON_PYTHON_CELL_MAGICS):
            continue
        for number, line in enumerate(c.lines, start=1):
            previous = c.lines[number - 2] if number > 1 else ""
            if previous.rstrip().endswith("\\") or line.lstrip().startswith("#"):
                continue
            for match in MARKER.finditer(line):
                expected[int(match.group(1))] = (c.index, number, match.start() + 1)
    return expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notebooks())
def test_shim_never_raises_and_maps_every_line_back(nb: dict[str, Any]) -> None:
    source = build_notebook("nb.ipynb", nb)
    code_lines = {
        (c.index, n) for c in source.cells if c.cell_type == "code" for n in range(1, len(c.lines) + 1)
    }
    mapped: list[tuple[int, int]] = []
    found: dict[int, tuple[int, int, int]] = {}
    for unit in source.units:
        lines = unit_lines(unit.text)
        assert len(lines) == len(unit.line_map)
        for text, where in zip(lines, unit.line_map):
            if where is None:
                continue
            cell_index, line = where
            lines_of_cell = source.cells[cell_index - 1].lines
            original = lines_of_cell[line - 1]
            previous = lines_of_cell[line - 2] if line > 1 else ""
            assert text == original or is_placeholder(text, original, previous), (text, original)
            mapped.append(where)
            for match in MARKER.finditer("" if text.lstrip().startswith("#") else text):
                found[int(match.group(1))] = (cell_index, line, match.start() + 1)
    assert sorted(mapped) == sorted(code_lines)  # every code line exactly once
    assert found == expected_markers(source)


REAL = shutil.which("semgrep")


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notebooks())
def test_semgrep_findings_land_on_the_marker(nb: dict[str, Any]) -> None:
    source = build_notebook("nb.ipynb", nb)
    result = run_semgrep([source], use_cache=False)
    good = {where[0] for where in source.units[0].line_map if where} if source.units else set()
    good -= {cell_index for cell_index, _, _ in source.parse_errors}
    hits = {(f.cell, f.line, f.column) for f in result.findings if f.rule_id == "pickle-load"}
    for f in result.findings:
        assert f.cell is not None
        line = source.cells[f.cell - 1].lines[f.line - 1]
        if f.rule_id == "pickle-load":
            assert line[f.column - 1 :].startswith("pickle.load("), (line, f)
    for cell_index, line_number, column in expected_markers(source).values():
        if cell_index in good:
            line = source.cells[cell_index - 1].lines[line_number - 1]
            call = line.index("pickle.load(", column - 1) + 1
            assert (cell_index, line_number, call) in hits, (line, hits)
