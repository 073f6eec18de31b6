"""The per-file verdict cache: a warm run gives the cold run's output without loading a file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlhygiene import cli, credentials, deserialization, http_urls, pickle_files, typosquat, xxe
from mlhygiene._core import runner, verdicts
from mlhygiene._core.records import Finding, Problem
from mlhygiene._core.verdicts import Dependency, Entry, Verdict, VerdictCache
from tests.conftest import notebook_json
from tests.secrets_factory import Factory

needs_semgrep = pytest.mark.skipif(shutil.which("semgrep") is None, reason="semgrep not installed")

TOKEN = Factory(21).make("huggingface")  # built at run time: no secret-shaped literal in the repo
TRAIN = (
    f"import pickle\nimport mathplotlib\nlogin(token=\"{TOKEN}\")\nmodel = pickle.load(open('m.pkl', 'rb'))\n"
)
NOTEBOOK = notebook_json(
    [
        "import numpy as np\nx = np.load('a.npy', allow_pickle=True)",
        "!pip install reqeusts\n!wget http://example.com/data.csv",
        "print 'python 2'",
    ]
)
TYPO = "is not a known package; did you mean '{}'? (a typosquatted name can install malware)"
OUT = [
    "evil.pkl:1:1: pickle-dangerous-global the pickle imports os.system (offset 0), which runs commands or"
    " code as soon as the file is unpickled. Do not load it; ship weights as safetensors or ONNX, load"
    " PyTorch files with torch.load(..., weights_only=True), or keep artifacts out of git.",
    "nb.ipynb:cell 1:2:5: numpy-load-allow-pickle numpy.load() with allow_pickle enabled unpickles object"
    " arrays, so a tampered .npy/.npz file runs any code it likes when loaded. Save plain numeric arrays"
    " (no dtype=object) and load them with the default allow_pickle=False; keep dicts and ragged data in"
    " JSON or parquet.",
    f"nb.ipynb:cell 2:1:14: typosquat-install 'reqeusts' {TYPO.format('requests')}",
    "nb.ipynb:cell 2:2:7: http-shell-download 'wget' fetches over plain http:// from example.com: anyone on"
    " the network path can swap the data, model or code it downloads. Use https:// and check the file's"
    " SHA-256.",
    f"requirements.txt:2:1: typosquat-requirement 'reqeusts' {TYPO.format('requests')}",
    f"src/train.py:2:8: typosquat-import 'mathplotlib' {TYPO.format('matplotlib')}",
    f"src/train.py:3:14: huggingface-token Hugging Face access token ({TOKEN[:6]}…): load it from an"
    " environment variable or a secrets manager, and revoke the token",
    "src/train.py:4:9: pickle-load pickle load/loads/Unpickler runs any code embedded in the bytes it reads,"
    " so a tampered .pkl file (a Kaggle dataset, a downloaded model, a shared checkpoint) runs with your"
    " permissions. Keep data in parquet/CSV/JSON/npy and weights in safetensors or ONNX; only unpickle"
    " files you produced yourself.",
]
ERR = [
    "broken.ipynb: error: not valid JSON (Expecting value: line 1 column 12 (char 11))",
    "nb.ipynb:cell 3: warning: does not parse as Python 3 (line 1: Missing parentheses in call to 'print'."
    " Did you mean print(...)?); checked with tolerant parsers only",
    "mlhygiene: checked 5 files (2 notebooks): 8 findings in 4 files, 1 file could not be checked",
]
FILES = ["broken.ipynb", "evil.pkl", "nb.ipynb", "requirements.txt", "src/train.py"]


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own (outside the scanned tree); returns the verdicts folder."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(folder))
    return folder / verdicts.FOLDER


@pytest.fixture
def tree(in_tmp: Path, cache: Path) -> Path:
    (in_tmp / "src").mkdir()
    (in_tmp / "src" / "train.py").write_text(TRAIN)
    (in_tmp / "nb.ipynb").write_text(NOTEBOOK)
    (in_tmp / "requirements.txt").write_text("numpy\nreqeusts\n")
    (in_tmp / "evil.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    (in_tmp / "broken.ipynb").write_text('{"cells": [')
    return in_tmp


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths loaded, in order (a cached file is never loaded)."""
    loaded: list[str] = []
    real = runner.load_source

    def counting(path: str, *args: Any, **kwargs: Any) -> Any:
        loaded.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "load_source", counting)
    return loaded


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(["scan", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.json"))


@needs_semgrep
def test_warm_run_prints_what_the_cold_run_printed(
    tree: Path, cache: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert scan(capsys) == (3, OUT, ERR)
    assert sorted(loads) == FILES
    assert len(entries(cache)) == 4  # broken.ipynb could not be checked: never stored
    loads.clear()
    assert scan(capsys) == (3, OUT, ERR)
    assert loads == ["broken.ipynb"]
    assert scan(capsys, "--no-cache") == (3, OUT, ERR)


@needs_semgrep
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_warm_run_is_byte_identical_in_every_format(
    tree: Path, loads: list[str], capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    uncached = cli.main(["scan", "--format", fmt, "--no-cache"]), capsys.readouterr()
    cold = cli.main(["scan", "--format", fmt]), capsys.readouterr()
    loads.clear()
    warm = cli.main(["scan", "--format", fmt]), capsys.readouterr()
    assert loads == ["broken.ipynb"]
    assert uncached == cold == warm
    if fmt == "json":
        fingerprints = [f["fingerprint"] for f in json.loads(warm[1].out)["findings"]]
        assert len(fingerprints) == 8 and all(len(f) == 24 for f in fingerprints)


@needs_semgrep
def test_no_secret_is_stored(tree: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scan(capsys)
    assert entries(cache)
    for entry in entries(cache):
        assert TOKEN not in entry.read_text()


@needs_semgrep
def test_warm_run_imports_no_checker(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """detect-secrets, nbformat and the typosquat data are for files that must be checked."""
    (tree / "broken.ipynb").unlink()
    assert scan(capsys)[0] == 1
    probe = (
        "import sys\n"
        "from mlhygiene import cli\nfrom mlhygiene._typosquat import names as _typosquat_names\n"
        "code = cli.main(['scan'])\n"
        "loaded = [m for m in ('detect_secrets', 'nbformat', 'mlhygiene._secrets.engine') if m in sys.modules]\n"
        "print(code, loaded, _typosquat_names.names.cache_info().currsize, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == OUT
    assert proc.stderr.splitlines()[-1] == "1 [] 0"


@needs_semgrep
def test_edited_file_is_checked_again_alone(
    tree: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    scan(capsys)
    loads.clear()
    (tree / "src" / "train.py").write_text(TRAIN.replace("import mathplotlib\n", "import matplotlib\n"))
    _, out, _ = scan(capsys)
    assert loads == ["broken.ipynb", "src/train.py"]
    assert [line.split(": ")[0] for line in out if line.startswith("src/")] == [
        "src/train.py:3:14",
        "src/train.py:4:9",
    ]


@needs_semgrep
def test_config_change_checks_everything_again(
    tree: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    scan(capsys)
    (tree / "pyproject.toml").write_text('[tool.mlhygiene]\nallow-packages = ["mathplotlib"]\n')
    loads.clear()
    _, out, _ = scan(capsys)
    assert sorted(loads) == [*FILES[:3], "pyproject.toml", *FILES[3:]]
    assert out == [line for line in OUT if "mathplotlib" not in line]
    (tree / "pyproject.toml").write_text("[tool.mlhygiene]\n")  # the first run's config again
    loads.clear()
    assert scan(capsys)[1] == OUT
    assert loads == ["broken.ipynb", "pyproject.toml"]


def test_filters_apply_to_cached_verdicts(
    tree: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``disable``, the baseline and ``strict-parse`` are not part of a verdict."""
    args = ("--only", "typosquat", "--only", "pickle-files")
    mine = [line for line in OUT if "typosquat" in line or "pickle-dangerous" in line]
    assert scan(capsys, *args)[1] == mine
    (tree / "pyproject.toml").write_text('[tool.mlhygiene]\ndisable = ["typosquat"]\nstrict-parse = true\n')
    loads.clear()
    code, out, err = scan(capsys, *args)
    assert loads == ["broken.ipynb", "pyproject.toml"]  # (a new file)
    assert (code, out) == (3, mine[:1])
    assert err[1].startswith("nb.ipynb:cell 3: error: does not parse as Python 3")


def test_no_cache_neither_reads_nor_writes(
    tree: Path, cache: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--only", "typosquat", "--no-cache")
    first = scan(capsys, *args)
    assert not cache.exists()
    scan(capsys, "--only", "typosquat")
    loads.clear()
    assert scan(capsys, *args) == first
    assert sorted(loads) == ["broken.ipynb", "nb.ipynb", "requirements.txt", "src/train.py"]


def test_damaged_entries_are_misses(
    tree: Path, cache: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--only", "typosquat", "--only", "credentials")
    first = scan(capsys, *args)
    stored = entries(cache)
    assert len(stored) == 3
    valid = json.loads(stored[0].read_text())
    for damaged in (
        "",
        "{",
        "[]",
        "null",
        '{"path": "elsewhere.py", "checks": {}, "parse": []}',
        json.dumps({**valid, "checks": {"typosquat": {"stamp": "", "findings": [[1, 2]]}}}),
        json.dumps(
            {**valid, "checks": {"typosquat": {**valid["checks"]["typosquat"], "problems": [[5, 1]]}}}
        ),
        json.dumps({**valid, "parse": "none"}),
    ):
        for entry in stored:
            entry.write_text(damaged)
        loads.clear()
        assert scan(capsys, *args) == first, damaged
        assert sorted(loads) == ["broken.ipynb", "nb.ipynb", "requirements.txt", "src/train.py"]
    loads.clear()
    assert scan(capsys, *args) == first  # rewritten whole
    assert loads == ["broken.ipynb"]


def test_fatal_problems_are_reported_on_every_run(
    in_tmp: Path, cache: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "broken.ipynb").write_text('{"cells": [')
    (in_tmp / "cut.pkl").write_bytes(b"cos\nsystem\n(S")  # a finding, then the stream breaks off
    (in_tmp / "bad").mkdir()
    (in_tmp / "bad" / "pyproject.toml").write_text("[project\n")
    out = [
        "cut.pkl:1:1: pickle-dangerous-global the pickle imports os.system (offset 0), which runs commands or"
        " code as soon as the file is unpickled. Do not load it; ship weights as safetensors or ONNX, load"
        " PyTorch files with torch.load(..., weights_only=True), or keep artifacts out of git."
    ]
    err = [
        "bad/pyproject.toml: error: not valid TOML (Expected ']' at the end of a table declaration (at line 1,"
        " column 9)); dependencies not checked",
        "broken.ipynb: error: not valid JSON (Expecting value: line 1 column 12 (char 11))",
        "cut.pkl: error: could not be checked: malformed pickle (truncated line at offset 13)",
        "mlhygiene: checked 3 files (1 notebook): 1 finding in 1 file, 3 files could not be checked",
    ]
    for _ in range(2):
        loads.clear()
        assert scan(capsys, "--only", "typosquat", "--only", "pickle-files") == (3, out, err)
        assert sorted(loads) == ["bad/pyproject.toml", "broken.ipynb", "cut.pkl"]
    assert entries(cache) == []


def test_a_file_over_max_file_size_is_never_stored(
    in_tmp: Path, cache: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Artifacts are not size-limited by the loader: one that is too large to hash is checked every time."""
    (in_tmp / "pyproject.toml").write_text("[tool.mlhygiene]\nmax-file-size = 20\n")
    (in_tmp / "evil.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")  # 24 bytes
    (in_tmp / "ok.pkl").write_bytes(b"\x80\x04K\x01.")
    for loaded in (["evil.pkl", "ok.pkl"], ["evil.pkl"]):
        loads.clear()
        assert pickle_files.main(["evil.pkl", "ok.pkl"]) == 1
        assert capsys.readouterr().out.startswith("evil.pkl:1:1: pickle-dangerous-global ")
        assert loads == loaded
    assert [json.loads(p.read_text())["path"] for p in entries(cache)] == ["ok.pkl"]


def test_a_crashed_check_stores_nothing(
    tree: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(pickle_files, "check_file", crash)
    code, _, err = scan(capsys, "--only", "typosquat", "--only", "pickle-files")
    assert code == 3
    assert (
        "<internal>: error: pickle-files crashed (RuntimeError: boom); rerun with --debug and report it"
        in err
    )
    assert entries(cache) == []


@needs_semgrep
def test_hooks_and_scan_share_entries(
    tree: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "broken.ipynb").unlink()
    hooks = [credentials, deserialization, http_urls, xxe, typosquat, pickle_files]
    files = FILES[1:]

    def each_hook(*extra: str) -> list[tuple[int, str, str]]:
        found = []
        for hook in hooks:
            code = hook.main([*files, *extra])
            found.append((code, *capsys.readouterr()))
        return found

    uncached = each_hook("--no-cache")
    scan(capsys)  # every check of every file, stored
    loads.clear()
    assert each_hook() == uncached
    assert loads == []
    # and the other way round: the six hooks' entries serve a scan
    shutil.rmtree(verdicts.cache_root() / verdicts.FOLDER)
    assert each_hook() == uncached
    loads.clear()
    assert scan(capsys) == (1, OUT, [*ERR[1:2], "mlhygiene: checked 4 files (1 notebook): 8 findings in 4 files"])
    assert loads == []


def test_options_that_change_findings_are_in_the_key(
    in_tmp: Path, cache: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "odd.pkl").write_bytes(b"codd\nFun\n)R.")  # imports odd.Fun: not on the allow-list
    for allow, loaded in ((False, ["odd.pkl"]), (True, ["odd.pkl"]), (False, []), (True, [])):
        loads.clear()
        assert pickle_files.main(["odd.pkl", *["--allow-global", "odd.Fun"] * allow]) == (not allow)
        assert len(capsys.readouterr().out.splitlines()) == (not allow)
        assert loads == loaded
    assert cli.main(["scan", "--only", "pickle-files"]) == 1  # the hook's run without options: same key
    assert loads == []
    (in_tmp / "pyproject.toml").write_text('[tool.mlhygiene]\npickle-allow = ["odd.*"]\n')
    assert pickle_files.main(["odd.pkl"]) == 0  # the config key is in the key too
    assert loads == ["odd.pkl"]
    capsys.readouterr()


def test_code_change_invalidates(
    tree: Path, loads: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scan(capsys, "--only", "typosquat")
    monkeypatch.setattr(verdicts, "package_digest", lambda: "edited")
    loads.clear()
    scan(capsys, "--only", "typosquat")
    assert sorted(loads) == ["broken.ipynb", "nb.ipynb", "requirements.txt", "src/train.py"]


@needs_semgrep
def test_extra_rule_edit_invalidates_the_semgrep_checks(
    in_tmp: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rule = "rules:\n- id: mine\n  languages: [python]\n  message: m\n  severity: ERROR\n"
    rule += "  metadata: {{mlhygiene-category: deserialization}}\n  pattern: {}()\n"
    (in_tmp / "mine.yaml").write_text(rule.format("foo"))
    (in_tmp / "pyproject.toml").write_text('[tool.mlhygiene]\nextra-rules = ["mine.yaml"]\n')
    (in_tmp / "a.py").write_text("foo()\nbar()\n")
    for called, line in (("foo", 1), ("bar", 2), ("bar", 2)):
        (in_tmp / "mine.yaml").write_text(rule.format(called))
        loads.clear()
        assert deserialization.main(["a.py"]) == 1
        assert capsys.readouterr().out == f"a.py:{line}:1: mine m\n"
    assert loads == []  # the last run: nothing changed


# --- the cache itself -------------------------------------------------------------------------


def finding(**fields: Any) -> Finding:
    base: dict[str, Any] = dict(
        path="a.py",
        line=1,
        column=2,
        end_line=1,
        end_column=5,
        rule_id="r",
        category="typosquat",
        severity="error",
        message="m",
        matched="text",
    )
    return Finding(**{**base, **fields})


def test_entry_round_trip_keeps_the_fingerprint_not_the_text(tmp_path: Path) -> None:
    store = VerdictCache(tmp_path, "signature")
    key = store.key("a.py", "script", b"data")
    found = (finding(), finding(cell=3, output=1, line=4))
    warning = Problem("a.py", "partly parsed", fatal=False, cell=2)
    store.put(
        key, "a.py", Entry({"typosquat": Verdict("", found, (warning,), (Dependency("k", "d"),))}, None)
    )
    got = store.get(key, "a.py")
    assert got is not None and got.parse is None
    verdict = got.verdicts["typosquat"]
    assert [f.fingerprint for f in verdict.findings] == [f.fingerprint for f in found]
    assert [f._replace(matched="", stored_fingerprint="") for f in verdict.findings] == [
        f._replace(matched="") for f in found
    ]
    assert verdict.problems == (warning,) and verdict.dependencies == (Dependency("k", "d"),)
    assert "text" not in next(tmp_path.rglob("*.json")).read_text()
    assert store.get(key, "b.py") is None  # an entry names its file


def test_put_merges_the_checks_of_several_runs(tmp_path: Path) -> None:
    store = VerdictCache(tmp_path, "signature")
    key = store.key("a.py", "script", b"data")
    store.put(key, "a.py", Entry({"credentials": Verdict("", (), ())}, None))
    store.put(key, "a.py", Entry({"typosquat": Verdict("", (finding(),), ())}, ()))
    store.put(key, "a.py", Entry({"credentials": Verdict("", (finding(category="credentials"),), ())}, None))
    got = store.get(key, "a.py")
    assert got is not None and got.parse == ()
    assert sorted(got.verdicts) == ["credentials", "typosquat"]
    assert got.verdicts["credentials"].findings[0].category == "credentials"


def test_key_covers_signature_path_kind_and_bytes(tmp_path: Path) -> None:
    one, other = VerdictCache(tmp_path, "one"), VerdictCache(tmp_path, "other")
    keys = {
        one.key("a.py", "script", b"x"),
        other.key("a.py", "script", b"x"),
        one.key("./a.py", "script", b"x"),
        one.key("a.py", "config", b"x"),
        one.key("a.py", "script", b"y"),
    }
    assert len(keys) == 5


def test_read_only_cache_carries_on(
    tree: Path,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    loads: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = cache.parent / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(blocker / "cache"))
    args = ("--only", "typosquat")
    first = scan(capsys, *args)
    loads.clear()
    assert scan(capsys, *args) == first
    assert len(loads) == 4


def test_prune_keeps_the_newest_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = VerdictCache(tmp_path, "signature")
    for n in range(5):
        key = store.key(f"{n}.py", "script", b"")
        store.put(key, f"{n}.py", Entry({}, None))
        path = next(p for p in tmp_path.rglob("*.json") if f'"{n}.py"' in p.read_text())
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    monkeypatch.setattr(verdicts, "MAX_ENTRIES", 2)
    store.prune()
    assert sorted(json.loads(p.read_text())["path"] for p in tmp_path.rglob("*.json")) == ["3.py", "4.py"]


def test_signature_ignores_output_options_and_defaults() -> None:
    import argparse

    from mlhygiene._core.config import Config

    config = Config(root=Path("/r"))

    def sign(**options: Any) -> str:
        return verdicts.run_signature(config, argparse.Namespace(**options))

    plain = sign()
    assert sign(format="json", no_baseline=True, debug=True, jobs=4, filenames=["a"]) == plain
    assert sign(strict=False, allow_global=None) == plain
    assert sign(strict=True) != plain
    assert sign(allow_global=["x.y"]) != plain
    assert verdicts.run_signature(config._replace(settings=(("allow-packages", ("x",)),)), argparse.Namespace()) != plain
    assert verdicts.run_signature(config._replace(disable=("x",)), argparse.Namespace()) == plain
