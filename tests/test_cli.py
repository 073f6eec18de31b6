"""`mlhygiene scan` / `baseline` / `rules`: walking, exit codes, baseline round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlhygiene import cli
from tests.conftest import notebook_json

PICKLE = "import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n"


def test_walk_skips_vcs_venv_and_build_dirs(in_tmp: Path) -> None:
    for rel in [
        "src/train.py",
        "nb/a.ipynb",
        "requirements.txt",
        "README.md",
        ".git/hooks/x.py",
        "venv2/lib/x.py",
        "node_modules/p/x.py",
        "build/x.py",
        "pkg.egg-info/x.py",
        ".ipynb_checkpoints/a-checkpoint.ipynb",
    ]:
        path = in_tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    (in_tmp / "venv2" / "pyvenv.cfg").write_text("home = /usr\n")
    assert sorted(cli.walk(["."])) == ["nb/a.ipynb", "requirements.txt", "src/train.py"]


def test_scan_reports_and_exits_1(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    assert cli.main(["scan", "--only", "deserialization"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("train.py:2:9: pickle-load ")
    assert err == "mlhygiene: checked 1 file: 1 finding in 1 file\n"


def test_scan_clean_is_silent(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text("import json\n")
    assert cli.main(["scan", "--only", "deserialization"]) == 0
    assert capsys.readouterr() == ("", "mlhygiene: checked 1 file: no findings\n")


def test_unreadable_notebook_exits_3_but_others_are_scanned(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    (in_tmp / "broken.ipynb").write_text('{"cells": [')
    assert cli.main(["scan", "--only", "deserialization"]) == 3
    out, err = capsys.readouterr()
    assert out.startswith("train.py:2:9: pickle-load ")
    assert err.splitlines() == [
        "broken.ipynb: error: not valid JSON (Expecting value: line 1 column 12 (char 11))",
        "mlhygiene: checked 2 files (1 notebook): 1 finding in 1 file, 1 file could not be checked",
    ]


def test_cell_that_does_not_parse_hides_nothing(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(["import pickle", "print 'python 2 here'\nx = pickle.load(f)", "y = pickle.loads(b)"])
    )
    assert cli.main(["scan", "--only", "deserialization"]) == 1
    out, err = capsys.readouterr()
    assert [line.split(": ")[0] for line in out.splitlines()] == [
        "nb.ipynb:cell 2:2:5",
        "nb.ipynb:cell 3:1:5",
    ]
    assert err.splitlines() == [
        "nb.ipynb:cell 2: warning: does not parse as Python 3 (line 1: Missing parentheses in call to 'print'."
        " Did you mean print(...)?); checked with tolerant parsers only",
        "mlhygiene: checked 1 file (1 notebook): 2 findings in 1 file",
    ]


def test_json_format(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    assert cli.main(["scan", "--only", "deserialization", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["line"], f["column"], f["rule_id"], f["category"]) for f in data["findings"]] == [
        ("train.py", 2, 9, "pickle-load", "deserialization")
    ]
    assert data["errors"] == []


def test_baseline_round_trip_survives_line_churn(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = in_tmp / "train.py"
    script.write_text(PICKLE)
    assert cli.main(["baseline"]) == 0
    assert capsys.readouterr().err.endswith(
        "wrote 1 finding to " + str(in_tmp / ".mlhygiene-baseline.json") + "\n"
    )
    baseline = json.loads((in_tmp / ".mlhygiene-baseline.json").read_text())
    assert [(e["path"], e["rule_id"]) for e in baseline["findings"]] == [("train.py", "pickle-load")]
    assert "pickle.load" not in (in_tmp / ".mlhygiene-baseline.json").read_text()
    script.write_text("# moved down\n\n" + PICKLE)
    assert cli.main(["scan", "--only", "deserialization"]) == 0
    script.write_text(PICKLE + "other = pickle.loads(blob)\n")
    assert cli.main(["scan", "--only", "deserialization"]) == 1
    assert capsys.readouterr().out.startswith("train.py:3:9: pickle-load ")
    assert cli.main(["scan", "--only", "deserialization", "--no-baseline"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_disable_in_config(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    (in_tmp / "pyproject.toml").write_text('[tool.mlhygiene]\ndisable = ["pickle-load"]\n')
    assert cli.main(["scan", "--only", "deserialization"]) == 0


def test_bad_config_exits_2(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "pyproject.toml").write_text("[tool.mlhygiene]\nnope = 1\n")
    assert cli.main(["scan"]) == 2
    assert capsys.readouterr().err.startswith("mlhygiene: error: ")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["scan", "--format", "xml"])
    assert exc.value.code == 2


def test_rules_lists_bundled_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["anthropic-api-key", "credentials", "error", "Finds", "Anthropic", "(Claude)", "API", "keys."]
    pickle_load = next(line for line in out if line.startswith("pickle-load "))
    assert pickle_load.split()[:3] == ["pickle-load", "deserialization", "error"]
    assert any(line.startswith("pickle-dangerous-global ") for line in out)
