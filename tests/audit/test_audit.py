"""mlhygiene audit, end to end: real git repositories, a real process pool, a real SIGKILL."""

from __future__ import annotations

import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlhygiene import cli
from tests.audit.corpus import Org, corpus, summary

pytest.importorskip("matplotlib")


@pytest.fixture
def org(in_tmp: Path) -> Org:
    return Org(in_tmp)


def test_history_dedupe_and_unique_secrets(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "--out", "out", "--history", "-j", "1", "org"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(
        "mlhygiene audit: 5 files (4 unique, 0.0 MB) in 2 repositories: 8 findings, 2 unique secrets, "
        "0 could not be checked; "
    )
    data = summary(Path("out"))
    assert (data["repositories"], data["files_scanned"], data["files_unique"]) == (2, 5, 4)
    assert data["findings_by_rule"] == {
        "http-url-read-data": 1,
        "huggingface-token": 1,
        "openai-api-key": 2,
        "pickle-load": 2,
        "typosquat-import": 1,
        "xxe-pandas-read-html-lxml": 1,
    }
    assert data["findings_by_rule_occurrences"] == {
        "http-url-read-data": 2,
        "huggingface-token": 1,
        "openai-api-key": 3,
        "pickle-load": 2,
        "typosquat-import": 2,
        "xxe-pandas-read-html-lxml": 2,
    }
    assert data["findings_by_category"] == {
        "credentials": 3,
        "deserialization": 2,
        "http": 1,
        "typosquat": 1,
        "xxe": 1,
    }
    assert data["findings_only_in_history_by_category"] == {"credentials": 1, "deserialization": 1}
    assert data["unique_secrets"] == {
        "total": 2,
        "by_type": {"huggingface-token": 1, "openai-api-key": 1},
        "only_in_history": 1,
    }
    assert data["typosquats"] == {"reqeusts": 1}
    assert data["census"]["serialization (unsafe)"]["pickle"] == {"files_unique": 2, "files_scanned": 2}
    assert data["census"]["serialization (unsafe)"]["joblib"] == {"files_unique": 1, "files_scanned": 1}
    assert data["census"]["privacy"]["opacus"] == {"files_unique": 0, "files_scanned": 0}
    assert data["engine"] == {"kind": "local", "processes": 1}
    assert data["errors"] == {"files": 0, "list": []}


def test_history_finding_is_attributed_to_the_introducing_commit(org: Org) -> None:
    assert cli.main(["audit", "--out", "out", "--history", "-j", "1", "org/a"]) == 0
    rows = (Path("out") / "findings.csv").read_text().splitlines()
    assert rows[0].startswith("repository,path,commit,in_tree,cell,output,line,column,rule,")
    leaked = [r for r in rows if ",huggingface-token," in r]
    assert len(leaked) == 1
    fields = leaked[0].split(",")
    assert fields[:4] == ["org/a", "train.py", org.leak, "0"]
    # the secret is only hinted and hashed
    csv_text = (Path("out") / "findings.csv").read_text()
    assert org.hf not in csv_text and org.hf[:7] not in csv_text
    db = sqlite3.connect("out/audit.sqlite")
    assert all(org.hf not in str(row) for row in db.execute("SELECT * FROM findings"))


def test_without_history_only_the_tree(org: Org) -> None:
    assert cli.main(["audit", "--out", "out", "-j", "1", "org/a"]) == 0
    data = summary(Path("out"))
    assert (data["files_scanned"], data["findings_by_rule"]) == (1, {"pickle-load": 1})


def test_summary_equals_scan_on_the_distinct_files(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "--out", "out", "-j", "2", "--batch-files", "1", "org"]) == 0
    capsys.readouterr()
    distinct = ["org/a/train.py", "org/b/x.py", "org/b/z.py"]
    assert cli.main(["scan", "--no-cache", "--format", "json", *distinct]) == 1
    scanned = json.loads(capsys.readouterr().out)["findings"]
    data = summary(Path("out"))
    assert data["findings_by_rule"] == dict(
        sorted(collections.Counter(f["rule_id"] for f in scanned).items())
    )
    assert data["findings_by_category"] == dict(
        sorted(collections.Counter(f["category"] for f in scanned).items())
    )
    assert data["engine"] == {"kind": "local", "processes": 2}


def test_report_html_has_the_chart_and_the_numbers(org: Org) -> None:
    assert cli.main(["audit", "--out", "out", "--history", "-j", "1", "org"]) == 0
    page = (Path("out") / "report.html").read_text()
    assert page.count("<svg") == 3 and "http://" not in page.split("<svg", 1)[0]
    figure = page.split("<figure id='figure-1'>", 1)[1].split("</figure>", 1)[0]
    assert "Figure 1. Findings by category" in figure and "findings (log scale)" in figure
    assert "<td>credentials</td><td>3</td><td>4</td><td>1</td>" in page
    assert "<td>openai-api-key</td><td>2</td><td>3</td>" in page
    assert "<td>reqeusts</td><td>1</td>" in page
    assert "2 unique secret values; 1 of them only in history" in page
    assert org.openai not in page and org.hf not in page
    assert "<script" not in page and "src=" not in page


def test_suppressed_findings_are_counted_apart(in_tmp: Path) -> None:
    (in_tmp / "s.py").write_text("import pickle\nx = pickle.load(f)  # mlhygiene: ignore[pickle-load]\n")
    assert cli.main(["audit", "--out", "out", "--ignore-suppressions", "-j", "1", "s.py"]) == 0
    data = summary(Path("out"))
    assert (data["findings_by_rule"], data["suppressed_by_rule"]) == ({}, {"pickle-load": 1})


def test_policy_violations_by_rule_and_repository(in_tmp: Path) -> None:
    (in_tmp / "policy.toml").write_text('[tool.mlhygiene.policy]\npackages = ["numpy"]\n')
    repo = in_tmp / "lab"
    (repo / ".git").mkdir(parents=True)
    (repo / "requirements.txt").write_text("--extra-index-url https://pypi.internal.example/simple\nnumpy\nxgboost\n")
    assert cli.main(["audit", "--out", "out", "--config", "policy.toml", "-j", "1", "lab"]) == 0
    data = summary(Path("out"))
    assert data["policy"] == {
        "by_rule": {"extra-index-url": 1, "package-not-approved": 1},
        "by_repository": [
            {"repository": "lab", "rule": "extra-index-url", "findings": 1},
            {"repository": "lab", "rule": "package-not-approved", "findings": 1},
        ],
    }
    assert "<h2>Organisation policy</h2>" in (Path("out") / "report.html").read_text()


def test_file_that_cannot_be_checked_exits_3(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "ok.py").write_text("import os\n")
    (in_tmp / "bad\x1b[2J.ipynb").write_text("{not json")
    assert cli.main(["audit", "--out", "out", "-j", "1", "."]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "bad\\x1b[2J.ipynb: error: not valid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    )
    assert "1 could not be checked" in err[1]
    assert summary(Path("out"))["errors"]["files"] == 1
    assert "bad\x1b" not in (Path("out") / "report.html").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--out", "o", "missing"], "mlhygiene: error: missing: no such file or folder"),
        (
            ["--out", "o", "--scheduler", "127.0.0.1:8786", "."],
            "mlhygiene: error: --scheduler 127.0.0.1:8786: give a Dask scheduler address, tcp://HOST:PORT",
        ),
    ],
)
def test_usage_errors_exit_2(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(["audit", *argv]) == 2
    assert capsys.readouterr().err.splitlines() == [message]


def test_rerun_checks_nothing_twice(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "--out", "out", "--history", "-j", "1", "org"]) == 0
    first = summary(Path("out"))
    db = sqlite3.connect("out/audit.sqlite")
    rows = db.execute("SELECT COUNT(*) FROM findings").fetchone()
    db.close()
    assert cli.main(["audit", "--out", "out", "--history", "-j", "1", "org"]) == 0
    assert summary(Path("out")) == first
    db = sqlite3.connect("out/audit.sqlite")
    assert db.execute("SELECT COUNT(*) FROM findings").fetchone() == rows


def _audit(out: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlhygiene", "audit", "--out", out, "-j", "2", "--batch-files", "3", "corpus"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_run_then_resume_equals_an_uninterrupted_run(in_tmp: Path) -> None:
    corpus(in_tmp, 24)
    whole = _audit("whole")
    assert whole.wait(timeout=300) == 0, whole.stderr.read()  # type: ignore[union-attr]
    killed = _audit("killed")
    store = in_tmp / "killed" / "audit.sqlite"
    deadline = time.monotonic() + 240
    done = 0
    while time.monotonic() < deadline and killed.poll() is None:
        if store.exists():
            try:
                db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
                done = db.execute("SELECT COUNT(*) FROM contents WHERE status = 'done'").fetchone()[0]
                db.close()
            except sqlite3.OperationalError:  # the schema is being created
                done = 0
            if done >= 3:
                break
        time.sleep(0.05)
    assert killed.poll() is None, "the audit finished before it could be killed: make the corpus bigger"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert 3 <= done < 24
    assert not (in_tmp / "killed" / "summary.json").exists()
    resumed = _audit("killed")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()  # type: ignore[union-attr]
    assert summary(in_tmp / "killed") == summary(in_tmp / "whole")
    assert (in_tmp / "killed" / "findings.csv").read_text().count("\n") == (
        in_tmp / "whole" / "findings.csv"
    ).read_text().count("\n")


def test_progress_without_a_terminal_is_a_line_now_and_then(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlhygiene.audit import pipeline

    monkeypatch.setattr(pipeline, "QUIET_PROGRESS_SECONDS", 0.0)  # else one line every 30 s
    for name in ("a.py", "b.py"):
        (in_tmp / name).write_text(f"import {name[0]}x\n")
    assert cli.main(["audit", "--out", "out", "-j", "1", "--batch-files", "1", "."]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" MB, ")[0] for line in err[:4]] == [
        "mlhygiene audit: 1 file found so far",
        "mlhygiene audit: 2 files found so far",
        "mlhygiene audit: 1/2 files, 0.0/0.0",
        "mlhygiene audit: 2/2 files, 0.0/0.0",
    ]
    assert err[4].startswith("mlhygiene audit: 2 files (2 unique, 0.0 MB) in 1 repository: 0 findings")


def test_notebook_findings_keep_their_cell(in_tmp: Path, write_notebook) -> None:
    write_notebook("nb.ipynb", ["import os", "import pickle\nm = pickle.load(f)"])
    assert cli.main(["audit", "--out", "out", "-j", "1", "nb.ipynb"]) == 0
    rows = (Path("out") / "findings.csv").read_text().splitlines()
    assert rows[1].startswith(".,nb.ipynb,,1,2,,2,5,pickle-load,deserialization,error,")
    data = summary(Path("out"))
    assert [m["module"] for m in data["imports"]["top"]] == ["os", "pickle"]


def test_a_store_of_other_tool_versions_is_refused(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.py").write_text("import os\n")
    assert cli.main(["audit", "--out", "out", "-j", "1", "."]) == 0
    db = sqlite3.connect("out/audit.sqlite")
    db.execute("UPDATE meta SET value = 'mlhygiene 0.0.1' WHERE key = 'tools'")
    db.commit()
    db.close()
    capsys.readouterr()
    assert cli.main(["audit", "--out", "out", "-j", "1", "."]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "mlhygiene: error: out/audit.sqlite: results store written by other tool versions "
        "(mlhygiene 0.0.1); results must not mix: use a new --out folder"
    ]


def test_the_hooks_do_not_import_the_audit_extras() -> None:
    code = "import sys, mlhygiene.cli, mlhygiene.credentials; print(sorted(m for m in ('matplotlib', 'rich', 'distributed') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_a_malicious_pickle_only_in_history_is_found_and_never_loaded(in_tmp: Path) -> None:
    import pickle

    from tests.audit.corpus import commit, git
    from tests.pickle_artifacts import Payload

    canary = in_tmp / "canary"
    repo = in_tmp / "models"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "model.pkl").write_bytes(pickle.dumps(Payload(str(canary))))
    introduced = commit(repo, "a model")
    (repo / "model.pkl").unlink()
    (repo / "train.py").write_text("import torch\n")
    commit(repo, "no pickles")
    assert cli.main(["audit", "--out", "out", "--history", "-j", "1", "models"]) == 0
    data = summary(Path("out"))
    assert data["findings_only_in_history_by_category"] == {"pickle-files": 1}
    assert data["findings_by_category"] == {"pickle-files": 1}
    row = [r for r in (Path("out") / "findings.csv").read_text().splitlines() if ",pickle-files," in r]
    assert row[0].startswith(f"models,model.pkl,{introduced},0,")
    assert not canary.exists()


def test_the_results_folder_inside_the_tree_is_not_audited(in_tmp: Path) -> None:
    (in_tmp / "a.py").write_text("import os\n")
    assert cli.main(["audit", "--out", "out", "-j", "1", "."]) == 0
    first = summary(Path("out"))
    assert cli.main(["audit", "--out", "out", "-j", "1", "."]) == 0  # out/summary.json exists now
    assert summary(Path("out")) == first
    assert first["files_scanned"] == 1
