from __future__ import annotations

import json

import pytest

from mlhygiene._core.notebook import (
    NotebookError,
    build_notebook,
    load_notebook_json,
    mask_cell,
)
from mlhygiene._core.records import ShellLine
from tests.conftest import notebook_json


def masked(*lines: str) -> list[str]:
    return mask_cell(list(lines)).lines


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(["%matplotlib inline", "x = 1"], ["pass", "x = 1"], id="line-magic"),
        pytest.param(["!pip install numpy", "import numpy"], ["pass", "import numpy"], id="shell"),
        pytest.param(["!!ls"], ["pass"], id="double-bang"),
        pytest.param(["files = !ls -la", "print(files)"], ["pass", "print(files)"], id="assign-shell"),
        pytest.param(["out = %sx ls"], ["pass"], id="assign-magic"),
        pytest.param(["np.load?"], ["pass"], id="help-suffix"),
        pytest.param(["??np.load"], ["pass"], id="help-prefix"),
        pytest.param(["df.head??  # look"], ["pass"], id="help-with-comment"),
        pytest.param(["/print 1"], ["pass"], id="autocall"),
        pytest.param(
            ["for f in x:", "    !rm {f}", "    n += 1"],
            ["for f in x:", "    pass", "    n += 1"],
            id="indented",
        ),
        pytest.param(
            ["!pip install a \\", "    b \\", "    c", "x = 1"],
            ["pass", "pass", "pass", "x = 1"],
            id="continuation",
        ),
        pytest.param(["%%time", "x = np.load(f)"], ["pass", "x = np.load(f)"], id="python-cell-magic"),
        pytest.param(
            ["%%capture out", "!pip install x", "y = 2"], ["pass", "pass", "y = 2"], id="capture-body-masked"
        ),
        pytest.param(["%%html", "<b>x</b>", "", "<i>"], ["pass", "pass", "", "pass"], id="html-cell"),
        pytest.param(["%%writefile train.py", "import pickle"], ["pass", "import pickle"], id="writefile-py"),
        pytest.param(["%%writefile notes.txt", "import pickle"], ["pass", "pass"], id="writefile-txt"),
        pytest.param(["%time y = f(x)"], ["if 1: y = f(x)"], id="time-line-magic-keeps-code"),
        pytest.param(
            ["%timeit -n 10 -r 3 f(x)"],
            ["if 1:".ljust(len("%timeit -n 10 -r 3 ")) + "f(x)"],
            id="timeit-options",
        ),
        pytest.param(
            ['s = """', "!not shell", "%not magic", '"""'],
            ['s = """', "!not shell", "%not magic", '"""'],
            id="inside-string",
        ),
        pytest.param(["x = f(", "    !a,", ")"], ["x = f(", "    !a,", ")"], id="inside-brackets"),
        pytest.param(["x = 5 % 3", "y = a != b"], ["x = 5 % 3", "y = a != b"], id="operators-untouched"),
        pytest.param(
            ["# !pip install x", "'%d' % 3"], ["# !pip install x", "'%d' % 3"], id="comment-and-format"
        ),
    ],
)
def test_mask_cell(lines: list[str], expected: list[str]) -> None:
    assert masked(*lines) == expected


def test_mask_keeps_line_count_and_indent() -> None:
    lines = ["if a:", "    %time f()", "    !ls", "else:", "    x = 1"]
    out = masked(*lines)
    assert len(out) == len(lines)
    assert [len(x) - len(x.lstrip()) for x in out] == [len(x) - len(x.lstrip()) for x in lines]


@pytest.mark.parametrize(
    ("lines", "shells"),
    [
        pytest.param(["!pip install -q reqeusts"], [(0, 1, "pip install -q reqeusts")], id="bang"),
        pytest.param(["%pip install tensorfloww"], [(0, 1, "pip install tensorfloww")], id="percent-pip"),
        pytest.param(["  !wget http://x/y"], [(0, 3, "wget http://x/y")], id="indented"),
        pytest.param(["files = !ls data"], [(0, 9, "ls data")], id="assigned"),
        pytest.param(["!pip install a \\", "  b"], [(0, 1, "pip install a b")], id="joined"),
        pytest.param(
            ["%%bash", "wget http://x \\", "  -O y", "echo hi"],
            [(1, 0, "wget http://x -O y"), (3, 0, "echo hi")],
            id="bash-cell",
        ),
        pytest.param(["%%script bash", "curl http://x"], [(1, 0, "curl http://x")], id="script-bash"),
        pytest.param(["%%script perl", "print 1"], [], id="script-perl"),
        pytest.param(["%matplotlib inline"], [], id="not-shell"),
    ],
)
def test_shell_lines(lines: list[str], shells: list[tuple[int, int, str]]) -> None:
    assert mask_cell(lines).shells == shells


def test_build_notebook_line_map_and_units() -> None:
    nb = json.loads(
        notebook_json(
            [
                ("markdown", "# Title\n"),
                "!pip install numpy\nimport numpy as np",
                "%%time\nx = np.load('a.npy', allow_pickle=True)",
                "print 'python 2'\nimport pickle",
                ("raw", "raw text"),
                "y = 1",
            ]
        )
    )
    source = build_notebook("nb.ipynb", nb)
    assert [c.cell_type for c in source.cells] == ["markdown", "code", "code", "code", "raw", "code"]
    main, bad = source.units
    assert main.text == "pass\nimport numpy as np\npass\nx = np.load('a.npy', allow_pickle=True)\ny = 1\n"
    assert main.line_map == ((2, 1), (2, 2), (3, 1), (3, 2), (6, 1))
    # The cell that does not parse stands alone, after the notebook's imports as context.
    assert bad.text == "import numpy as np\nprint 'python 2'\nimport pickle\n"
    assert bad.line_map == (None, (4, 1), (4, 2))
    assert source.parse_errors[0][:2] == (4, 1)
    assert source.shell_lines == (ShellLine(2, 1, 2, "pip install numpy"),)


def test_outputs_text_parts_only() -> None:
    cell = {
        "cell_type": "code",
        "source": "x",
        "execution_count": 1,
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]},
            {
                "output_type": "display_data",
                "data": {"image/png": "iVBORw0KGgo=", "text/plain": ["<Figure>"]},
                "metadata": {},
            },
            {
                "output_type": "error",
                "ename": "KeyError",
                "evalue": "'k'",
                "traceback": ["\x1b[31mTraceback\x1b[0m"],
            },
            {
                "output_type": "execute_result",
                "data": {"application/json": {"a": 1}},
                "metadata": {},
                "execution_count": 1,
            },
        ],
    }
    source = build_notebook("nb.ipynb", json.loads(notebook_json([cell])))
    assert [(o.output, o.mime, o.text) for o in source.outputs] == [
        (1, "stream", "a\nb\n"),
        (2, "text/plain", "<Figure>"),
        (3, "error", "KeyError: 'k'\nTraceback"),
        (4, "application/json", '{\n "a": 1\n}'),
    ]


def test_source_as_string_and_tags() -> None:
    cell = {
        "cell_type": "code",
        "source": "a = 1\nb = 2",
        "metadata": {"tags": ["mlhygiene-ignore"]},
        "outputs": [],
    }
    source = build_notebook("nb.ipynb", json.loads(notebook_json([cell])))
    assert source.cells[0].lines == ("a = 1", "b = 2")
    assert source.cells[0].tags == frozenset({"mlhygiene-ignore"})


def test_nbformat3_is_upgraded() -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": ["import pickle\n", "pickle.load(f)"],
                        "language": "python",
                        "outputs": [],
                    }
                ]
            }
        ],
    }
    source = build_notebook("old.ipynb", load_notebook_json(json.dumps(v3).encode()))
    assert source.cells[0].lines == ("import pickle", "pickle.load(f)")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "not valid JSON (Expecting value: line 1 column 1 (char 0))", id="empty"),
        pytest.param(
            b'{"cells": [', "not valid JSON (Expecting value: line 1 column 12 (char 11))", id="truncated"
        ),
        pytest.param(b"[1, 2]", "not a Jupyter notebook (top level is a JSON list)", id="list"),
        pytest.param(b'{"a": 1}', "not a Jupyter notebook (no 'cells')", id="no-cells"),
        pytest.param(
            b'{"cells": {}, "nbformat": 4}', "not a Jupyter notebook ('cells' is not a list)", id="cells-dict"
        ),
        pytest.param(
            b'{"cells": [], "nbformat": "4"}', "not a Jupyter notebook ('nbformat' is '4')", id="nbformat-str"
        ),
    ],
)
def test_bad_notebooks(data: bytes, message: str) -> None:
    with pytest.raises(NotebookError) as exc:
        load_notebook_json(data)
    assert str(exc.value) == message
