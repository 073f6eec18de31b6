from __future__ import annotations

import io
import json

from mlhygiene import __version__
from mlhygiene._core.records import Finding, Problem
from mlhygiene._core.report import as_json, as_sarif, problem_line, text_line, write_report

SCRIPT = Finding(
    "train.py",
    3,
    9,
    3,
    30,
    "pickle-load",
    "deserialization",
    "error",
    "pickle.load() runs code.",
    matched="pickle.load(f)",
)
CELL = Finding(
    "nb.ipynb",
    2,
    12,
    2,
    40,
    "numpy-load-allow-pickle",
    "deserialization",
    "error",
    "np.load unpickles.",
    cell=3,
)
OUTPUT = Finding(
    "nb.ipynb",
    1,
    5,
    1,
    45,
    "openai-api-key",
    "credentials",
    "error",
    "OpenAI key sk-p…",
    cell=4,
    output=2,
    matched="sk-proj-" + "x" * 40,
)
PROBLEMS = [
    Problem("bad.ipynb", "not valid JSON (x)"),
    Problem("old.py", "does not parse", fatal=False, cell=None),
]


def test_text_lines() -> None:
    assert text_line(SCRIPT) == "train.py:3:9: pickle-load pickle.load() runs code."
    assert text_line(CELL) == "nb.ipynb:cell 3:2:12: numpy-load-allow-pickle np.load unpickles."
    assert text_line(OUTPUT) == "nb.ipynb:cell 4:output 2:1:5: openai-api-key OpenAI key sk-p…"
    assert problem_line(PROBLEMS[0]) == "bad.ipynb: error: not valid JSON (x)"
    assert (
        problem_line(Problem("nb.ipynb", "cell does not parse", fatal=False, cell=5))
        == "nb.ipynb:cell 5: warning: cell does not parse"
    )


def test_write_report_text_streams() -> None:
    out, err = io.StringIO(), io.StringIO()
    write_report("text", [SCRIPT], PROBLEMS, out, err)
    assert out.getvalue() == "train.py:3:9: pickle-load pickle.load() runs code.\n"
    assert err.getvalue() == "bad.ipynb: error: not valid JSON (x)\nold.py: warning: does not parse\n"


def test_json_shape() -> None:
    data = json.loads(as_json([SCRIPT, OUTPUT], PROBLEMS))
    assert list(data) == ["version", "findings", "errors"]
    assert data["version"] == __version__
    first = data["findings"][0]
    assert list(first) == [
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "cell",
        "output",
        "rule_id",
        "category",
        "severity",
        "message",
        "fingerprint",
    ]
    assert first["cell"] is None and first["output"] is None
    assert data["findings"][1]["cell"] == 4 and data["findings"][1]["output"] == 2
    assert data["errors"][0] == {
        "path": "bad.ipynb",
        "cell": None,
        "level": "error",
        "message": "not valid JSON (x)",
    }
    assert "x" * 40 not in as_json([OUTPUT], [])


def test_sarif_notebook_names_the_cell_not_a_raw_line() -> None:
    log = json.loads(as_sarif([SCRIPT, CELL], PROBLEMS))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "mlhygiene"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["numpy-load-allow-pickle", "pickle-load"]
    script, cell = run["results"]
    assert script["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 9,
        "endLine": 3,
        "endColumn": 30,
    }
    assert "region" not in cell["locations"][0]["physicalLocation"]
    assert cell["message"]["text"] == "cell 3, line 2, column 12: np.load unpickles."
    assert cell["properties"] == {
        "category": "deserialization",
        "cell": 3,
        "output": None,
        "line": 2,
        "column": 12,
    }
    assert script["partialFingerprints"] == {"mlhygiene/v1": SCRIPT.fingerprint}
    assert run["invocations"][0]["executionSuccessful"] is False


def test_fingerprint_ignores_lines_but_not_text() -> None:
    moved = SCRIPT._replace(line=30, end_line=30, column=1)
    assert moved.fingerprint == SCRIPT.fingerprint
    assert SCRIPT._replace(matched="pickle.load(g)").fingerprint != SCRIPT.fingerprint
    assert SCRIPT._replace(path="other.py").fingerprint != SCRIPT.fingerprint
