"""The Semgrep runner: real Semgrep for the happy path and the cache, fakes only for failures."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from mlhygiene import deserialization

# dill-load: a rule the ast fast path does not answer, so Semgrep itself must run
SCRIPT = "import dill\nmodel = dill.load(open('m.pkl', 'rb'))\n"
REAL = shutil.which("semgrep")


def fake(tmp: Path, body: str) -> str:
    path = tmp / "fake-semgrep"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture
def script(in_tmp: Path) -> Path:
    path = in_tmp / "train.py"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("echo 'not json'", "semgrep failed (exit 0): not json", id="invalid-json"),
        pytest.param(
            "echo 'Fatal: out of memory' >&2; exit 2",
            "semgrep failed (exit 2): Fatal: out of memory",
            id="crash",
        ),
        pytest.param(
            'echo \'{"results": [], "errors": [{"type": "Rule parse error", "message": "bad rule", "level": "error"}]}\'',
            "<semgrep>: error: semgrep error: bad rule",
            id="rule-error",
        ),
    ],
)
def test_semgrep_failures_exit_3(
    script: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    body: str,
    message: str,
) -> None:
    monkeypatch.setenv("MLHYGIENE_SEMGREP", fake(tmp_path, body))
    assert deserialization.main([str(script)]) == 3
    err = capsys.readouterr().err
    assert message in err


def test_semgrep_missing(
    script: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLHYGIENE_SEMGREP", "/nonexistent/semgrep")
    assert deserialization.main([str(script)]) == 3
    assert capsys.readouterr().err == (
        "mlhygiene-deserialization: error: cannot start semgrep (/nonexistent/semgrep not found); "
        "install it with 'pip install semgrep'\n"
    )


def test_semgrep_timeout(
    script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (script.parent / "pyproject.toml").write_text("[tool.mlhygiene]\nsemgrep-timeout = 1\n")
    monkeypatch.setenv("MLHYGIENE_SEMGREP", fake(tmp_path, "sleep 5"))
    assert deserialization.main([str(script)]) == 3
    assert "semgrep did not finish within 1 s" in capsys.readouterr().err


def test_broken_extra_rule_is_reported(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (script.parent / "bad.yaml").write_text("rules:\n- id: broken\n  pattern: [\n")
    (script.parent / "pyproject.toml").write_text('[tool.mlhygiene]\nextra-rules = ["bad.yaml"]\n')
    assert deserialization.main([str(script)]) == 3
    assert "semgrep" in capsys.readouterr().err


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
def test_cache_skips_semgrep_on_the_second_hook(
    script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "calls"
    monkeypatch.setenv("MLHYGIENE_SEMGREP", fake(tmp_path, f'echo call >> "{log}"\nexec "{REAL}" "$@"'))
    expected = "train.py:2:9: dill-load "
    for _ in range(2):
        assert deserialization.main([script.name]) == 1
        assert capsys.readouterr().out.startswith(expected)
    assert log.read_text().count("call") == 1
    assert deserialization.main([script.name, "--no-cache"]) == 1
    assert log.read_text().count("call") == 2


def test_unwritable_cache_still_gives_results(
    script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(blocker / "cache"))
    assert deserialization.main([script.name]) == 1
    assert capsys.readouterr().out.startswith("train.py:2:9: dill-load ")
    assert not os.path.isdir(blocker)


def test_file_named_like_an_option_is_still_checked(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "-n.py").write_text(SCRIPT)
    assert deserialization.main(["-n.py"]) == 1
    assert capsys.readouterr().out.startswith("-n.py:2:9: dill-load ")
    with pytest.raises(SystemExit) as exc:
        deserialization.main(["--no-such-option"])
    assert exc.value.code == 2


def test_plan_hands_each_unit_only_the_rules_it_can_match() -> None:
    from mlhygiene._core.semgrep import plan, rule_files

    configs = rule_files()
    texts = {
        "fetch": "import requests\nrequests.get('http://example.org/x')\n",
        "pickle": "import pickle\npickle.load(open('m.pkl', 'rb'))\n",
        "clean": "import json\nprint(json.load(open('a.json')))\n",
        "comment": "# see http://example.org for the data\nimport requests\n",
    }
    pairs = plan(configs, texts)
    given = {name: {c.stem for c in group} for group, names in pairs for name in names}
    assert "clean" not in given and "comment" not in given  # no rule can match: no Semgrep at all
    assert "http-url-fetch" in given["fetch"] and "pickle-load" in given["pickle"]
    assert sum(len(names) for _, names in pairs) == 2  # every target in exactly one process


def test_plan_bounds_the_text_each_semgrep_process_holds() -> None:
    from mlhygiene._core.semgrep import MAX_PROCESS_TEXT, plan, rule_files

    unit = "import pickle\n" + "pickle.load(open('m.pkl', 'rb'))\n" * 1000
    count = 3 * MAX_PROCESS_TEXT // len(unit)  # three processes' worth of units needing one rule set
    texts = {f"u{i}": unit for i in range(count)}
    pairs = plan(rule_files(), texts, processes=1)
    assert len(pairs) >= 3
    assert all(sum(len(texts[n]) for n in names) <= MAX_PROCESS_TEXT + len(unit) for _, names in pairs)
    assert sorted(n for _, names in pairs for n in names) == sorted(texts)


def test_plan_runs_rules_without_needs_everywhere(tmp_path: Path) -> None:
    from mlhygiene._core.semgrep import plan, rule_files

    extra = tmp_path / "mine.yaml"
    extra.write_text("rules:\n- id: mine\n  languages: [python]\n  message: m\n  severity: INFO\n  pattern: f()\n")
    pairs = plan(rule_files([str(extra)]), {"a": "x = 1\n", "b": "import torch\ntorch.load(p)\n"})
    given = {name: {c.stem for c in group} for group, names in pairs for name in names}
    assert "mine" in given["a"] and "mine" in given["b"]
    assert "torch-load-without-weights-only" in given["b"]


def test_plan_without_prefilter_gives_every_rule_to_every_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlhygiene._core.semgrep import NO_PREFILTER_ENV, plan, rule_files

    monkeypatch.setenv(NO_PREFILTER_ENV, "1")
    configs = rule_files()
    pairs = plan(configs, {"a": "x = 1\n"})
    assert pairs == [(configs, ["a"])]


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
def test_prefilter_loses_no_finding_on_the_rule_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every annotated rule test file: the same findings and problems with and without the prefilter."""
    from mlhygiene._core import semgrep
    from mlhygiene._core.sources import load_source

    rules = Path(semgrep.rules_dir())
    sources = [load_source(str(p), "script") for p in sorted(rules.rglob("*.py"))]
    with_filter = semgrep.run_semgrep(sources, use_cache=False)
    monkeypatch.setenv(semgrep.NO_PREFILTER_ENV, "1")
    without = semgrep.run_semgrep(sources, use_cache=False)
    assert sorted(with_filter.findings) == sorted(without.findings)
    assert sorted(with_filter.problems) == sorted(without.problems)
    assert len(without.findings) > 100


def test_files_no_rule_can_match_never_start_semgrep(
    in_tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "clean.py").write_text("import json\nimport torch\nstate = json.load(open('a.json'))\n")
    log = tmp_path / "calls"
    monkeypatch.setenv("MLHYGIENE_SEMGREP", fake(tmp_path, f'echo call >> "{log}"; exit 2'))
    assert deserialization.main(["clean.py", "--no-cache"]) == 0
    assert capsys.readouterr() == ("", "mlhygiene-deserialization: checked 1 file: no findings\n")
    assert not log.exists()
