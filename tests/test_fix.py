"""`mlhygiene fix` and the hooks' `--fix`: real files in a temporary folder, exact output lines,
exit codes, and the bytes written (or not)."""

from __future__ import annotations

import copy
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlhygiene import cli, deserialization
from mlhygiene._fix import plan as fix_plan
from tests.pickle_artifacts import Payload
from tests.secrets_factory import Factory

pytestmark = pytest.mark.skipif(shutil.which("semgrep") is None, reason="semgrep not installed")

TORCH_NOTE = (
    "added weights_only=True (full-module checkpoints then need torch.load(..., weights_only=False) "
    "from a trusted file, or a state_dict)"
)
SCRIPT = 'import torch\nimport yaml\n\nm = torch.load("m.pt")\nc = yaml.load(open("c.yaml"), Loader=yaml.FullLoader)\n'
FIXED = 'import torch\nimport yaml\n\nm = torch.load("m.pt", weights_only=True)\nc = yaml.safe_load(open("c.yaml"))\n'
PNG = "iVBORw0KGgo="


def key() -> str:
    return Factory(7).make("openai_project")


def leaky_notebook(secret: str) -> Any:
    """A notebook whose second cell printed a key next to a plot, and loads a checkpoint."""
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# Training"),
        v4.new_code_cell(
            "import os, torch\nprint(os.environ)\nplot()\nm = torch.load('m.pt')",
            execution_count=3,
            outputs=[
                v4.new_output("stream", name="stdout", text=f"environ({{'OPENAI_API_KEY': '{secret}'}})\n"),
                v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            ],
        ),
    ]
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{n}"
    return nb


def fixed_notebook(nb: Any) -> Any:
    expected = copy.deepcopy(nb)
    cell = expected.cells[1]
    cell.outputs = cell.outputs[1:]
    cell.source = cell.source.replace("torch.load('m.pt')", "torch.load('m.pt', weights_only=True)")
    return expected


NB_LINES = [
    f"nb.ipynb:cell 2:4:5: fixed torch-load-without-weights-only: {TORCH_NOTE}",
    "nb.ipynb:cell 2:output 1:1:29: fixed openai-api-key: cleared output 1 (rotate the credential: it was saved)",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(["fix", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_safe_fixes_on_a_script_then_nothing_left(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(SCRIPT)
    assert run(capsys, ".") == (
        0,
        [
            f"train.py:4:5: fixed torch-load-without-weights-only: {TORCH_NOTE}",
            "train.py:5:5: fixed yaml-full-load: replaced by yaml.safe_load() (plain YAML data only)",
        ],
        ["mlhygiene: fixed 2 findings in 1 file; no findings left"],
    )
    assert (in_tmp / "train.py").read_text() == FIXED
    # a second fix changes nothing
    assert run(capsys, ".") == (0, [], ["mlhygiene: fixed 0 findings in 0 files; no findings left"])
    assert (in_tmp / "train.py").read_text() == FIXED


def test_script_keeps_crlf_encoding_and_missing_final_newline(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "# -*- coding: latin-1 -*-\r\nimport torch\r\nname = 'caf\xe9'\r\nm = torch.load(name)"
    (in_tmp / "train.py").write_bytes(text.encode("latin-1"))
    code, out, _ = run(capsys, "train.py")
    assert code == 0 and out == [f"train.py:4:5: fixed torch-load-without-weights-only: {TORCH_NOTE}"]
    expected = text.replace("torch.load(name)", "torch.load(name, weights_only=True)")
    assert (in_tmp / "train.py").read_bytes() == expected.encode("latin-1")


def test_findings_without_a_fix_are_listed_and_exit_1(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "train.py").write_text("import pickle\nm = pickle.load(open('m.pkl', 'rb'))\n")
    code, out, err = run(capsys, ".")
    assert code == 1
    assert out[0].startswith("train.py:2:5: pickle-load ")
    assert err == ["mlhygiene: fixed 0 findings in 0 files; 1 finding left, --add-ignore silences the rest"]


def test_nbformat_written_notebook_stays_byte_identical_outside_the_fix(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = leaky_notebook(key())
    nbformat.write(nb, in_tmp / "nb.ipynb")
    nbformat.write(fixed_notebook(nb), in_tmp / "expected.json")
    assert run(capsys, "nb.ipynb") == (
        0,
        NB_LINES,
        ["mlhygiene: fixed 2 findings in 1 file; no findings left"],
    )
    assert (in_tmp / "nb.ipynb").read_bytes() == (in_tmp / "expected.json").read_bytes()
    saved = json.loads((in_tmp / "nb.ipynb").read_text())["cells"][1]
    assert saved["execution_count"] == 3 and saved["outputs"][0]["data"]["image/png"] == PNG
    assert run(capsys, "nb.ipynb") == (0, [], ["mlhygiene: fixed 0 findings in 0 files; no findings left"])


@pytest.mark.parametrize(
    ("dumps", "flavour"),
    [
        pytest.param({"separators": (",", ":")}, "", id="kaggle-one-line-compact"),
        pytest.param({}, "", id="one-line-default-separators"),
        pytest.param({"indent": 2, "ensure_ascii": False}, "\n", id="two-space-utf8"),
        pytest.param({"indent": 4, "sort_keys": True}, "\n", id="four-space-sorted"),
    ],
)
def test_notebook_flavours_keep_their_formatting(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], dumps: dict[str, Any], flavour: str
) -> None:
    nb = leaky_notebook(key())
    nb.cells[0].source = "# Entraînement ✓"
    # a source stored as one string stays a string (nbformat writes lists of lines)
    as_dict = json.loads(nbformat.writes(nb))
    as_dict["cells"][1]["source"] = "".join(as_dict["cells"][1]["source"])
    (in_tmp / "nb.ipynb").write_text(json.dumps(as_dict, **dumps) + flavour, encoding="utf-8")
    expected = json.loads(nbformat.writes(fixed_notebook(nb)))
    expected["cells"][1]["source"] = "".join(expected["cells"][1]["source"])
    assert run(capsys, "nb.ipynb")[:2] == (0, NB_LINES)
    assert (in_tmp / "nb.ipynb").read_text(encoding="utf-8") == json.dumps(expected, **dumps) + flavour


def test_notebook_whose_formatting_cannot_be_kept_is_not_written(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = nbformat.writes(leaky_notebook(key())).replace('"nbformat": 4', '"nbformat" :  4')
    (in_tmp / "nb.ipynb").write_text(text)
    code, out, err = run(capsys, "nb.ipynb")
    assert code == 3
    assert err[0] == "nb.ipynb: error: cannot keep this notebook's formatting; fix it by hand"
    assert (in_tmp / "nb.ipynb").read_text() == text
    assert len(out) == 2  # both findings left


def test_v3_notebook_is_reported_for_a_manual_fix(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "m = torch.load('m.pt')",
                        "language": "python",
                        "outputs": [],
                    }
                ]
            }
        ],
    }
    text = json.dumps(v3, indent=1)
    (in_tmp / "old.ipynb").write_text(text)
    code, out, err = run(capsys, "old.ipynb")
    assert code == 1
    assert out[0].startswith("old.ipynb:cell 1:1:5: torch-load-without-weights-only ")
    assert err == [
        "old.ipynb: warning: nbformat 3 notebook: not rewritten; fix it by hand (or convert it to v4)",
        "mlhygiene: fixed 0 findings in 0 files; 1 finding left, --add-ignore silences the rest",
    ]
    assert (in_tmp / "old.ipynb").read_text() == text


def test_widget_state_holding_the_secret_is_removed(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = key()
    nb = leaky_notebook(secret)
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {"aaa": {"state": {"value": f"token {secret}"}}, "bbb": {"state": {"value": "plot"}}},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    nbformat.write(nb, in_tmp / "nb.ipynb")
    code, out, _ = run(capsys, "nb.ipynb")
    assert code == 0
    assert out[-1] == "nb.ipynb: fixed widget state: removed 1 saved widget model holding the credential"
    saved = json.loads((in_tmp / "nb.ipynb").read_text())
    assert list(saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]) == ["bbb"]
    assert secret not in (in_tmp / "nb.ipynb").read_text()


def test_diff_writes_nothing_and_never_prints_the_secret(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = key()
    (in_tmp / "train.py").write_text(SCRIPT)
    nbformat.write(leaky_notebook(secret), in_tmp / "nb.ipynb")
    before = {p.name: p.read_bytes() for p in in_tmp.iterdir() if p.is_file()}
    code, out, err = run(capsys, "--diff", ".")
    assert code == 1
    assert out == [
        "--- nb.ipynb:cell 2",
        "+++ nb.ipynb:cell 2 (fixed)",
        "@@ -1,8 +1,6 @@",
        " import os, torch",
        " print(os.environ)",
        " plot()",
        "-m = torch.load('m.pt')",
        "-[output 1: stream]",
        f"-environ({{'OPENAI_API_KEY': '{secret[:6]}…'}})",
        "-[output 2: display_data]",
        "+m = torch.load('m.pt', weights_only=True)",
        "+[output 1: display_data]",
        " <Figure>",
        "--- train.py",
        "+++ train.py (fixed)",
        "@@ -1,5 +1,5 @@",
        " import torch",
        " import yaml",
        " ",
        '-m = torch.load("m.pt")',
        '-c = yaml.load(open("c.yaml"), Loader=yaml.FullLoader)',
        '+m = torch.load("m.pt", weights_only=True)',
        '+c = yaml.safe_load(open("c.yaml"))',
    ]
    assert err == ["mlhygiene: would fix 4 findings in 2 files; no findings left"]
    assert {p.name: p.read_bytes() for p in in_tmp.iterdir() if p.is_file()} == before


def test_unsafe_fixes_only_with_the_flag(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = key()
    script = (
        '"""Download."""\nfrom __future__ import annotations\n\nimport requests\n\n'
        f'API_KEY = "{secret}"\nr = requests.get("http://example.com/d.csv")\n'
    )
    (in_tmp / "get.py").write_text(script)
    (in_tmp / "requirements.txt").write_text("numpy\nrequets==2.31  # http\n")
    code, out, err = run(capsys, ".")
    assert code == 1 and len(out) == 3
    assert err == [
        "mlhygiene: fixed 0 findings in 0 files; 3 findings left, 3 fixable with --unsafe-fixes, "
        "--add-ignore silences the rest"
    ]
    assert run(capsys, "--unsafe-fixes", ".") == (
        0,
        [
            'get.py:6:12: fixed openai-api-key: read from os.environ["API_KEY"] (set it there, and rotate the '
            "leaked value)",
            "get.py:7:18: fixed http-url-fetch: http:// -> https://",
            "requirements.txt:2:1: fixed typosquat-requirement: 'requets' -> 'requests'",
        ],
        ["mlhygiene: fixed 3 findings in 2 files; no findings left"],
    )
    assert (in_tmp / "get.py").read_text() == (
        '"""Download."""\nfrom __future__ import annotations\nimport os\n\nimport requests\n\n'
        'API_KEY = os.environ["API_KEY"]\nr = requests.get("https://example.com/d.csv")\n'
    )
    assert (in_tmp / "requirements.txt").read_text() == "numpy\nrequests==2.31  # http\n"


def test_notebook_install_line_typosquat_unsafe_fix(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("!pip install -q torchh\nimport os")]
    nb.cells[0]["id"] = "c"
    nbformat.write(nb, in_tmp / "nb.ipynb")
    code, out, _ = run(capsys, "--unsafe-fixes", "nb.ipynb")
    assert (code, out) == (0, ["nb.ipynb:cell 1:1:17: fixed typosquat-install: 'torchh' -> 'torch'"])
    nb.cells[0].source = "!pip install -q torch\nimport os"
    assert (in_tmp / "nb.ipynb").read_text() == nbformat.writes(nb) + "\n"


def test_add_ignore_then_scan_reports_nothing(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = key()
    (in_tmp / "train.py").write_text(
        "import torchh  # my note\nimport pickle\nm = pickle.load(\n    open('m.pkl', 'rb'))\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"key: `{secret}`"),
        nbformat.v4.new_code_cell("import dill\ndill.load(f)"),
    ]
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"c{n}"
    nbformat.write(nb, in_tmp / "nb.ipynb")
    (in_tmp / "model.pkl").write_bytes(pickle.dumps(Payload(str(in_tmp / "never")), protocol=2))
    code, out, err = run(capsys, "--add-ignore", ".")
    assert code == 0
    assert "train.py:1:8: ignored typosquat-import: added '# mlhygiene: ignore[typosquat-import]'" in out
    assert (
        "nb.ipynb:cell 1:1:7: ignored openai-api-key: added cell tag 'mlhygiene-ignore:openai-api-key'" in out
    )
    assert any(
        line.startswith("model.pkl:") and line.endswith("added to .mlhygiene-baseline.json") for line in out
    )
    assert err == ["mlhygiene: fixed 0 findings, silenced 5 in 2 files; no findings left"]
    assert (in_tmp / "train.py").read_text().splitlines()[0] == (
        "import torchh  # my note  # mlhygiene: ignore[typosquat-import]"
    )
    assert cli.main(["scan", "--no-cache", "."]) == 0
    assert capsys.readouterr().out == ""
    assert secret not in (in_tmp / ".mlhygiene-baseline.json").read_text()


def test_a_file_changed_between_read_and_write_is_not_written(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / "train.py").write_text(SCRIPT)
    planned = fix_plan.plan_text

    def plan_then_edit(*args: Any, **kwargs: Any) -> fix_plan.Plan:
        result = planned(*args, **kwargs)
        (in_tmp / "train.py").write_text(SCRIPT + "# edited meanwhile\n")  # the user saves in the editor
        return result

    monkeypatch.setattr("mlhygiene.fix.plan_text", plan_then_edit)
    code, _, err = run(capsys, ".")
    assert code == 3
    assert err[0] == "train.py: error: changed since it was read; not written (run the fix again)"
    assert (in_tmp / "train.py").read_text() == SCRIPT + "# edited meanwhile\n"
    assert [p.name for p in in_tmp.iterdir() if p.name.startswith(".train.py")] == []  # no temporary left


def test_select_limits_the_fixes_and_rejects_unknown_names(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "train.py").write_text(SCRIPT)
    code, out, _ = run(capsys, "--select", "yaml-full-load", ".")
    assert (code, out) == (
        0,
        ["train.py:5:5: fixed yaml-full-load: replaced by yaml.safe_load() (plain YAML data only)"],
    )
    assert run(capsys, "--select", "yaml-ful-load", ".")[0] == 2
    assert cli.main(["fix", "--select", "yaml-ful-load"]) == 2
    assert capsys.readouterr().err == (
        "mlhygiene: error: --select: unknown rule or category 'yaml-ful-load'; did you mean 'yaml-full-load'?\n"
    )


def test_hook_fix_fixes_then_fails_so_the_user_restages(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "train.py").write_text(SCRIPT)
    assert deserialization.main(["train.py"]) == 1  # without --fix: nothing written
    assert (in_tmp / "train.py").read_text() == SCRIPT
    capsys.readouterr()
    assert deserialization.main(["--fix", "train.py"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == f"train.py:4:5: fixed torch-load-without-weights-only: {TORCH_NOTE}"
    assert err == "mlhygiene-deserialization: fixed 2 findings in 1 file; no findings left\n"
    assert (in_tmp / "train.py").read_text() == FIXED
    assert deserialization.main(["--fix", "train.py"]) == 0


def test_symlinked_script_is_fixed_through_the_link(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "real.py").write_text(SCRIPT)
    (in_tmp / "link.py").symlink_to("real.py")
    assert run(capsys, "link.py")[0] == 0
    assert (in_tmp / "link.py").is_symlink() and (in_tmp / "real.py").read_text() == FIXED


def test_unsafe_fix_in_a_script_that_does_not_parse_is_still_written(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'import requests\nprint "py2"\nr = requests.get("http://example.com/d.csv")\n'
    (in_tmp / "old.py").write_text(text)
    assert run(capsys, "--unsafe-fixes", "--select", "http", "old.py")[:2] == (
        0,
        ["old.py:3:18: fixed http-url-fetch: http:// -> https://"],
    )
    assert (in_tmp / "old.py").read_text() == text.replace("http://", "https://")


def test_notebook_with_a_byte_order_mark_keeps_it(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = leaky_notebook(key())
    (in_tmp / "nb.ipynb").write_bytes(b"\xef\xbb\xbf" + nbformat.writes(nb).encode())
    assert run(capsys, "nb.ipynb")[:2] == (0, NB_LINES)
    assert (in_tmp / "nb.ipynb").read_bytes() == b"\xef\xbb\xbf" + nbformat.writes(
        fixed_notebook(nb)
    ).encode()


def test_diff_with_add_ignore_writes_no_baseline(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "model.pkl").write_bytes(pickle.dumps(Payload(str(in_tmp / "never")), protocol=2))
    code, out, err = run(capsys, "--diff", "--add-ignore", ".")
    assert code == 1  # something to do
    assert out == ["model.pkl:1:1: ignored pickle-dangerous-global: would add to .mlhygiene-baseline.json"]
    assert err == ["mlhygiene: would fix 0 findings, would silence 1 in 0 files; no findings left"]
    assert not (in_tmp / ".mlhygiene-baseline.json").exists()


def test_crlf_notebook_keeps_its_line_endings(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = leaky_notebook(key())
    (in_tmp / "nb.ipynb").write_bytes(nbformat.writes(nb).replace("\n", "\r\n").encode() + b"\r\n")
    assert run(capsys, "nb.ipynb")[:2] == (0, NB_LINES)
    expected = nbformat.writes(fixed_notebook(nb)).replace("\n", "\r\n").encode() + b"\r\n"
    assert (in_tmp / "nb.ipynb").read_bytes() == expected


def test_every_leaking_output_goes_and_only_those(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = key()
    v4 = nbformat.v4
    nb = v4.new_notebook()
    cell = v4.new_code_cell(
        "login()",
        execution_count=1,
        outputs=[
            v4.new_output("stream", name="stderr", text="warming up\n"),
            v4.new_output("error", ename="AuthError", evalue=f"bad key {secret}", traceback=["Traceback"]),
            v4.new_output("display_data", data={"image/png": PNG}),
            v4.new_output("execute_result", data={"text/plain": f"'{secret}'"}, execution_count=1),
        ],
    )
    cell["id"] = "c"
    nb.cells = [cell]
    nbformat.write(nb, in_tmp / "nb.ipynb")
    code, out, _ = run(capsys, "nb.ipynb")
    assert code == 0 and [line.split(": fixed ")[1] for line in out] == [
        "openai-api-key: cleared output 2 (rotate the credential: it was saved)",
        "openai-api-key: cleared output 4 (rotate the credential: it was saved)",
    ]
    saved = json.loads((in_tmp / "nb.ipynb").read_text())["cells"][0]
    assert [o["output_type"] for o in saved["outputs"]] == ["stream", "display_data"]
    assert saved["execution_count"] == 1 and saved["source"] == ["login()"]


def test_a_fixer_bug_on_one_file_is_an_error_and_the_others_are_fixed(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / "train.py").write_text(SCRIPT)
    nbformat.write(leaky_notebook(key()), in_tmp / "nb.ipynb")

    def broken(*args: Any, **kwargs: Any) -> fix_plan.Plan:
        raise KeyError("cells")  # a bug cannot be provoked on purpose

    monkeypatch.setattr("mlhygiene.fix.plan_notebook", broken)
    code, _, err = run(capsys, ".")
    assert code == 3
    assert err[0] == "nb.ipynb: error: could not be fixed (KeyError); rerun with --debug and report it"
    assert (in_tmp / "train.py").read_text() == FIXED
