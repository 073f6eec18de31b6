"""The tool in CI: loud configuration errors, terminal-safe text, GitHub annotations, SARIF
rule metadata, --output, honest summaries, the cache folder's safety, large data files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from mlhygiene import cli, credentials, deserialization
from mlhygiene._core.cache import cache_root
from mlhygiene._core.semgrep import first_error
from tests.conftest import notebook_json
from tests.secrets_factory import Factory

REPO = Path(__file__).resolve().parent.parent
PICKLE = "import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n"
PICKLE_MESSAGE = (
    "pickle load/loads/Unpickler runs any code embedded in the bytes it reads, so a tampered .pkl file"
    " (a Kaggle dataset, a downloaded model, a shared checkpoint) runs with your permissions. Keep data"
    " in parquet/CSV/JSON/npy and weights in safetensors or ONNX; only unpickle files you produced yourself."
)


def config(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text("[tool.mlhygiene]\n" + body)


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(["scan", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


# -- configuration that fails loudly --------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            'enable = ["credentails", "deserialisation"]\n',
            "enable: unknown rule or category 'credentails'; did you mean 'credentials'?",
            id="typo-in-enable",
        ),
        pytest.param(
            'disable = ["pickle-file"]\n',
            "disable: unknown rule or category 'pickle-file'; did you mean 'pickle-files'?",
            id="old-spelling",
        ),
        pytest.param(
            'disable = ["pickle-lod"]\n',
            "disable: unknown rule or category 'pickle-lod'; did you mean 'pickle-load'?",
            id="typo-in-rule-id",
        ),
        pytest.param(
            'disable = ["zzzz"]\n',
            "disable: unknown rule or category 'zzzz' (see 'mlhygiene rules')",
            id="nothing-near",
        ),
    ],
)
def test_an_unknown_name_in_enable_or_disable_is_a_usage_error(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    config(in_tmp, body)
    assert scan(capsys) == (2, [], [f"mlhygiene: error: {in_tmp / 'pyproject.toml'}: [tool.mlhygiene] {message}"])
    assert deserialization.main(["train.py"]) == 2
    assert capsys.readouterr().err == f"mlhygiene-deserialization: error: {in_tmp / 'pyproject.toml'}: [tool.mlhygiene] {message}\n"


@pytest.mark.parametrize(
    "names", [["credentials", "pickle-load"], ["pickle-files"], ["http-shell-download", "xxe"], ["custom"]]
)
def test_every_rule_id_category_and_check_name_is_accepted(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], names: list[str]
) -> None:
    (in_tmp / "train.py").write_text("x = 1\n")
    config(in_tmp, f"disable = {json.dumps(names)}\n")
    assert scan(capsys)[0] == 0


def test_an_extra_rule_id_may_be_named(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "ours.yaml").write_text(
        "rules:\n  - id: no-eval-here\n    message: eval\n    languages: [python]\n"
        "    severity: WARNING\n    pattern: eval(...)\n"
    )
    (in_tmp / "train.py").write_text("eval(input())\n")
    config(in_tmp, 'extra-rules = ["ours.yaml"]\ndisable = ["no-eval-here"]\n')
    assert scan(capsys) == (0, [], ["mlhygiene: checked 3 files: no findings"])  # + pyproject, ours.yaml


def test_only_with_a_typo_suggests_the_check(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["scan", "--only", "pickle_files"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mlhygiene scan: error: argument --only: unknown check 'pickle_files' (one of credentials,"
        " deserialization, http, xxe, typosquat, pickle-files); did you mean 'pickle-files'?"
    )


def test_a_named_baseline_that_does_not_exist_is_a_usage_error(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    assert scan(capsys, "--baseline", "nope.json") == (
        2,
        [],
        ["mlhygiene: error: --baseline: nope.json does not exist (write it with 'mlhygiene baseline')"],
    )
    config(in_tmp, 'baseline = "security/baseline.json"\n')
    code, out, err = scan(capsys)
    assert (code, out) == (2, [])
    assert err == [
        f"mlhygiene: error: {in_tmp / 'pyproject.toml'}: [tool.mlhygiene] baseline:"
        f" {in_tmp / 'security/baseline.json'} does not exist (write it with 'mlhygiene baseline')"
    ]
    assert cli.main(["baseline"]) == 0  # the baseline command writes it
    assert (in_tmp / "security/baseline.json").is_file()
    assert scan(capsys, "--no-baseline")[0] == 1


def test_verbose_says_which_config_and_baseline_apply(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text("x = 1\n")
    assert scan(capsys, "-v") == (
        0,
        [],
        [
            "mlhygiene: config: none (defaults)",
            f"mlhygiene: baseline: none ({in_tmp / '.mlhygiene-baseline.json'} does not exist)",
            "mlhygiene: checked 1 file: no findings",
        ],
    )
    config(in_tmp, "")
    (in_tmp / ".mlhygiene-baseline.json").write_text('{"findings": []}')
    assert scan(capsys, "-v")[2][:2] == [
        f"mlhygiene: config: {in_tmp / 'pyproject.toml'}",
        f"mlhygiene: baseline: {in_tmp / '.mlhygiene-baseline.json'} (0 accepted findings)",
    ]


def test_a_config_above_a_folder_outside_git_is_not_applied_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config(tmp_path, 'disable = ["pickle-load"]\n')
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "train.py").write_text(PICKLE)
    monkeypatch.chdir(tmp_path / "work")
    assert scan(capsys) == (
        0,
        [],
        [
            f"mlhygiene: note: using {tmp_path / 'pyproject.toml'}, found above this folder outside any git repository",
            "mlhygiene: checked 1 file: no findings",
        ],
    )


# -- terminal safety ------------------------------------------------------------------------
def test_control_characters_from_scanned_names_are_escaped(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "spoof\nx.py:9:9: pickle-load forged\x1b]0;owned\x07\x1b[2J\u202e.py"
    (in_tmp / name).write_text(PICKLE)
    code, out, err = scan(capsys, "--only", "deserialization")
    assert code == 1
    assert out == [
        "spoof\\nx.py:9:9: pickle-load forged\\x1b]0;owned\\x07\\x1b[2J\\u202e.py:2:9: pickle-load " + PICKLE_MESSAGE
    ]
    assert err == ["mlhygiene: checked 1 file: 1 finding in 1 file"]
    assert cli.main(["scan", "--only", "deserialization", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["path"] == name  # exact in JSON


def test_control_characters_in_problems_are_escaped(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "bad\x1b[31m.ipynb").write_text("{")
    code, out, err = scan(capsys)
    assert (code, out) == (3, [])
    assert err[0].startswith("bad\\x1b[31m.ipynb: error: not valid JSON")


# -- CI formats -----------------------------------------------------------------------------
def test_github_annotations(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    (in_tmp / "nb.ipynb").write_text(notebook_json(["import numpy as np", "x = np.load('a.npy', allow_pickle=True)"]))
    (in_tmp / "broken.ipynb").write_text("{")
    code, out, err = scan(capsys, "--only", "deserialization", "--format", "github")
    assert code == 3
    assert out[0].startswith(
        "::error file=nb.ipynb,title=numpy-load-allow-pickle::cell 2, line 1, column 5: numpy.load() with allow_pickle"
    )
    assert out[1] == (
        "::error file=train.py,line=2,col=9,endLine=2,endColumn=41,title=pickle-load::" + PICKLE_MESSAGE
    )
    assert out[2].startswith("::error file=broken.ipynb::not valid JSON (Expecting")
    assert len(out) == 3
    assert err[-1] == "mlhygiene: checked 3 files (2 notebooks): 2 findings in 2 files, 1 file could not be checked"


def test_github_annotation_properties_are_encoded(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a,b:c%.py").write_text(PICKLE)
    assert scan(capsys, "--only", "deserialization", "--format", "github")[1][0].startswith(
        "::error file=a%2Cb%3Ac%25.py,line=2,"
    )


def test_output_writes_one_document_to_the_file(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(PICKLE)
    assert scan(capsys, "--format", "sarif", "--output", "out.sarif") == (
        1,
        [],
        ["mlhygiene: checked 1 file: 1 finding in 1 file"],
    )
    log = json.loads((in_tmp / "out.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["pickle-load"]
    assert not list(in_tmp.glob("out.sarif.tmp*"))


def test_sarif_rules_carry_the_rules_own_metadata(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = Factory(5).github_classic()
    (in_tmp / "train.py").write_text(PICKLE + f'GH_TOKEN = "{token}"\n')
    assert cli.main(["scan", "--format", "sarif"]) == 1
    rules = {r["id"]: r for r in json.loads(capsys.readouterr().out)["runs"][0]["tool"]["driver"]["rules"]}
    assert sorted(rules) == ["github-token", "pickle-load"]
    github = rules["github-token"]
    assert github["shortDescription"]["text"] == github["fullDescription"]["text"]
    assert token[4:8] not in json.dumps(github)  # never a finding's (redacted) text
    assert github["helpUri"] == "https://github.com/mlhygiene/mlhygiene/blob/main/docs/rules/github-token.md"
    assert github["help"]["markdown"] == (REPO / "docs/rules/github-token.md").read_text()
    assert github["properties"] == {
        "category": "credentials",
        "tags": ["security", "credentials"],
        "security-severity": "8.0",
    }
    assert rules["pickle-load"]["defaultConfiguration"] == {"level": "error"}
    assert rules["pickle-load"]["name"] == "PickleLoad"


def test_hooks_under_pre_commit_say_how_to_get_one_json_document(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRE_COMMIT", "1")
    (in_tmp / "a.py").write_text("x = 1\n")
    assert credentials.main(["a.py", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["findings"] == []
    assert err.splitlines()[0] == (
        "mlhygiene-credentials: note: pre-commit may split the files over several processes, each printing"
        " one JSON document; for one document in CI run 'mlhygiene scan --format json --output FILE'"
    )


def test_the_github_actions_example_is_valid_and_names_real_options() -> None:
    workflow = yaml.safe_load((REPO / "docs" / "ci" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["mlhygiene"]["steps"]
    commands = [s["run"] for s in steps if "run" in s and s["run"].startswith("mlhygiene ")]
    assert len(commands) == 2
    parser = cli._parser()
    for command in commands:
        words = command.split("||")[0].split()
        parser.parse_args(words[1:])  # exits 2 on an unknown option
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] in commands[0]


# -- honest output --------------------------------------------------------------------------
def test_a_clean_run_says_what_it_checked(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.py").write_text("x = 1\n")
    (in_tmp / "nb.ipynb").write_text(notebook_json(["y = 2"]))
    (in_tmp / "README.md").write_text("not checked\n")
    assert scan(capsys) == (0, [], ["mlhygiene: checked 2 files (1 notebook): no findings"])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from mlhygiene import __version__

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"mlhygiene {__version__}\n"


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    assert "mlhygiene: scan, fix, baseline, audit, guard imports, list the rules." in out


def test_a_mistyped_option_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["scan", "--fromat", "json"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mlhygiene: error: unrecognized arguments: --fromat ('--fromat': did you mean '--format'?)"
    )
    with pytest.raises(SystemExit):
        deserialization.main(["--no-cahce", "x.py"])
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mlhygiene-deserialization: error: unrecognized arguments: --no-cahce ('--no-cahce': did you mean"
        " '--no-cache'?)"
    )


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        pytest.param(
            "[ERROR] invalid configuration file found: ours.yaml\nTraceback (most recent call last):\n"
            '  File "x.py", line 3, in <module>\n    raise SystemExit(2)\nSystemExit: 2\n',
            "[ERROR] invalid configuration file found: ours.yaml",
            id="error-then-traceback",
        ),
        pytest.param("Fatal: out of memory\n", "Fatal: out of memory", id="one-line"),
        pytest.param("something odd\nand more\n", "something odd", id="no-error-word"),
        pytest.param("", "no output", id="nothing"),
    ],
)
def test_a_semgrep_failure_shows_its_first_error_line(stderr: str, line: str) -> None:
    assert first_error(stderr) == line


# -- the cache folder -----------------------------------------------------------------------
def test_the_cache_is_created_private(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(in_tmp / "cache"))
    (in_tmp / "train.py").write_text(PICKLE)
    assert deserialization.main(["train.py"]) == 1
    assert stat.S_IMODE(os.stat(cache_root()).st_mode) == 0o700
    assert list((in_tmp / "cache").rglob("*.json"))


def test_a_cache_others_can_write_is_not_used(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = in_tmp / "shared-cache"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(shared))
    (in_tmp / "train.py").write_text(PICKLE)
    assert deserialization.main(["train.py"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"mlhygiene: warning: not using the cache {shared}: other users can write to it (mode 777;"
        " run 'chmod 700' on it)",
        "mlhygiene-deserialization: checked 1 file: 1 finding in 1 file",
    ]
    assert not any(shared.iterdir())
    assert deserialization.main(["train.py"]) == 1  # warned once per process
    assert capsys.readouterr().err.splitlines() == ["mlhygiene-deserialization: checked 1 file: 1 finding in 1 file"]


def test_a_truncated_cache_entry_is_a_miss(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(in_tmp / "cache"))
    (in_tmp / "train.py").write_text(PICKLE)
    assert deserialization.main(["train.py"]) == 1
    first = capsys.readouterr()
    entries = list((in_tmp / "cache").rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
    assert deserialization.main(["train.py"]) == 1
    assert capsys.readouterr() == first


# -- large data files -----------------------------------------------------------------------
def test_a_large_data_file_is_skipped_with_a_warning_and_a_config_secret_still_found(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config(in_tmp, "max-file-size = 4096\n")
    (in_tmp / "annotations.json").write_text(json.dumps({"images": [{"id": n, "file": f"{n}.jpg"} for n in range(400)]}))
    token = Factory(3).github_classic()
    (in_tmp / "settings.yaml").write_text(f"github_token: {token}\n")
    code, out, err = credentials_scan(capsys)
    assert code == 1
    assert [line.split(" ")[:2] for line in out] == [["settings.yaml:1:15:", "github-token"]]
    size = (in_tmp / "annotations.json").stat().st_size / 1048576
    assert err == [
        f"annotations.json: warning: not checked for credentials: a {size:.1f} MB data file (over"
        " max-file-size, 0 MB); data files this large are skipped",
        "mlhygiene: checked 3 files: 1 finding in 1 file",
    ]


def test_a_large_config_file_is_still_an_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config(in_tmp, "max-file-size = 4096\n")
    (in_tmp / ".env").write_text("X=1\n" * 2000)
    code, _, err = credentials_scan(capsys)
    assert code == 3
    assert err[0].startswith(".env: error: too large to check")


def credentials_scan(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    return scan(capsys, "--only", "credentials")
