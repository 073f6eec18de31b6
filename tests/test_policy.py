"""Organisation policy: approved and blocked packages, approved indexes (typosquat hook, scan)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene import cli, typosquat
from tests.conftest import notebook_json

POLICY = """\
[tool.mlhygiene.policy]
packages = "security/approved-packages.txt"
blocked-packages = ["leftpad*", "some-bad-dist"]
index-urls = ["https://pypi.internal.example/simple"]
"""
APPROVED = "# reviewed 2026-11\nnumpy\npandas\nScikit_Learn   # any spelling\nPyYAML\nrequests\ntorch*\n"


def not_approved(name: str, dist: str) -> str:
    return (
        f"package-not-approved '{name}' ({dist}) is not on the approved package list"
        " (security/approved-packages.txt); ask for it to be reviewed"
    )


def blocked(name: str, dist: str) -> str:
    return f"package-blocked '{name}' ({dist}) is blocked by this organisation's policy; remove it"


@pytest.fixture
def org(in_tmp: Path) -> Path:
    (in_tmp / "pyproject.toml").write_text(POLICY)
    (in_tmp / "security").mkdir()
    (in_tmp / "security" / "approved-packages.txt").write_text(APPROVED)
    return in_tmp


def run(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, list[str]]:
    code = typosquat.main(list(files))
    return code, capsys.readouterr().out.splitlines()


def test_imports(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (org / "helpers.py").write_text("")
    (org / "train.py").write_text(
        "import os, json\n"  # the standard library never counts
        "import numpy as np\n"
        "import sklearn.ensemble\n"  # scikit-learn, approved as Scikit_Learn
        "import yaml\n"  # PyYAML
        "import torchvision\n"  # torch* glob
        "import helpers\n"  # a local module
        "from . import utils\n"
        "import xgboost\n"
        "import _private\n"
        "import leftpad\n"
    )
    assert run(capsys, "train.py") == (
        1,
        [f"train.py:8:8: {not_approved('xgboost', 'xgboost')}", f"train.py:10:8: {blocked('leftpad', 'leftpad')}"],
    )


def test_requirements_and_install_lines(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (org / "requirements.txt").write_text("numpy==1.26.4\nscikit_learn>=1.4\nlightgbm\nsome-bad-dist\n")
    (org / "nb.ipynb").write_text(notebook_json(["!pip install -q lightgbm pandas", "%pip install Some_Bad.Dist"]))
    assert run(capsys, "requirements.txt", "nb.ipynb") == (
        1,
        [
            f"nb.ipynb:cell 1:1:17: {not_approved('lightgbm', 'lightgbm')}",
            f"nb.ipynb:cell 2:1:14: {blocked('Some_Bad.Dist', 'some-bad-dist')}",
            f"requirements.txt:3:1: {not_approved('lightgbm', 'lightgbm')}",
            f"requirements.txt:4:1: {blocked('some-bad-dist', 'some-bad-dist')}",
        ],
    )


def test_indexes(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (org / "requirements.txt").write_text(
        "--index-url https://pypi.internal.example/simple/\nnumpy\n"  # trailing slash: the same index
    )
    (org / "requirements-gpu.txt").write_text("-i https://download.example-vendor.org/whl/cu121\nnumpy\n")
    assert run(capsys, "requirements.txt", "requirements-gpu.txt") == (
        1,
        [
            "requirements-gpu.txt:1:4: index-not-approved package index"
            " https://download.example-vendor.org/whl/cu121 is not one of the approved indexes"
            " (https://pypi.internal.example/simple)"
        ],
    )


def test_no_policy_no_policy_findings(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "requirements.txt").write_text("xgboost\nleftpad\n--index-url https://elsewhere.example/simple\n")
    assert run(capsys, "requirements.txt") == (0, [])


def test_a_policy_list_in_the_config(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "pyproject.toml").write_text('[tool.mlhygiene.policy]\npackages = ["numpy"]\n')
    (in_tmp / "requirements.txt").write_text("numpy\npandas\n")
    code, out = run(capsys, "requirements.txt")
    assert code == 1
    assert out == [
        "requirements.txt:2:1: package-not-approved 'pandas' (pandas) is not on the approved package list"
        " ([tool.mlhygiene.policy] packages); ask for it to be reviewed"
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[tool.mlhygiene.policy]\npackages = "missing.txt"\n',
            "[tool.mlhygiene.policy] packages: cannot read the policy file {root}/missing.txt (No such file or directory)",
        ),
        (
            '[tool.mlhygiene.policy]\npackage = ["numpy"]\n',
            "unknown key 'package' in [tool.mlhygiene.policy] (known: packages, blocked-packages, index-urls,"
            " data-hosts, hub-orgs, require-hub-revision)",
        ),
        ('[tool.mlhygiene]\npolicy = "strict"\n', "[tool.mlhygiene] policy must be table"),
    ],
)
def test_a_broken_policy_is_a_usage_error(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    (in_tmp / "pyproject.toml").write_text(body)
    (in_tmp / "requirements.txt").write_text("numpy\n")
    assert typosquat.main(["requirements.txt"]) == 2
    err = capsys.readouterr().err
    assert err == f"mlhygiene-typosquat: error: {in_tmp / 'pyproject.toml'}: {message.format(root=in_tmp)}\n"


def test_changing_the_list_is_seen_through_the_cache(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (org / "requirements.txt").write_text("xgboost\n")
    assert cli.main(["scan", "--only", "typosquat", "requirements.txt"]) == 1
    capsys.readouterr()
    with open(org / "security" / "approved-packages.txt", "a") as fh:
        fh.write("xgboost\n")
    assert cli.main(["scan", "--only", "typosquat", "requirements.txt"]) == 0
    assert capsys.readouterr().out == ""


def test_policy_is_a_category(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (org / "pyproject.toml").write_text(POLICY + '\n[tool.mlhygiene]\ndisable = ["policy"]\n')
    (org / "requirements.txt").write_text("xgboost\n")
    assert cli.main(["scan", "--only", "typosquat", "requirements.txt"]) == 0


PROVENANCE = """\
[tool.mlhygiene.policy]
hub-orgs = ["our-org", "meta-llama"]
data-hosts = ["data.internal.example", "*.s3.amazonaws.com"]
require-hub-revision = true
"""
SHA = "0123456789abcdef" * 2 + "01234567"


def hub(repo: str, org: str) -> str:
    return (
        f"hub-repo-not-approved '{repo}' comes from '{org}', not one of the approved hub organisations: its"
        " weights, code and tokenizer are whatever that account publishes; use a model from an approved"
        " organisation or mirror this one there"
    )


def unpinned(repo: str) -> str:
    return (
        f"hub-revision-unpinned '{repo}' is downloaded without revision= set to a commit hash: the"
        ' repository can change under you; pin revision="<40-hex commit>"'
    )


def host(name: str) -> str:
    return (
        f"data-host-not-approved data is downloaded from {name}, which is not an approved data host: check"
        " where it comes from and mirror it on an approved host"
    )


def test_hub_repositories_and_data_hosts(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "pyproject.toml").write_text(PROVENANCE)
    (in_tmp / "train.py").write_text(
        "import pandas as pd\nimport requests\nfrom transformers import AutoModel\n"
        f'm = AutoModel.from_pretrained("meta-llama/Llama-3.1-8B", revision="{SHA}")\n'  # approved, pinned
        'm = AutoModel.from_pretrained("someuser/llama-finetune")\n'
        'm = AutoModel.from_pretrained("./checkpoints/final")\n'  # a local path
        'df = pd.read_csv("https://data.internal.example/train.csv")\n'
        'df = pd.read_csv("https://raw.githubusercontent.com/x/y/main/train.csv")\n'
        'r = requests.get("https://bucket.s3.amazonaws.com/f.zip")\n'
        'v = settings.get("https://not-a-download.example")\n'  # dict.get, not a download
    )
    (in_tmp / "nb.ipynb").write_text(
        notebook_json(["!wget -q https://files.example-mirror.org/data.zip", 'load_dataset("imdb")'])
    )
    assert run(capsys, "train.py", "nb.ipynb") == (
        1,
        [
            f"nb.ipynb:cell 1:1:10: {host('files.example-mirror.org')}",
            f"train.py:5:31: {hub('someuser/llama-finetune', 'someuser')}",
            f"train.py:5:31: {unpinned('someuser/llama-finetune')}",
            f"train.py:8:18: {host('raw.githubusercontent.com')}",
        ],
    )


def test_no_provenance_policy_no_findings(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "train.py").write_text(
        'from transformers import AutoModel\nm = AutoModel.from_pretrained("someuser/x")\n'
        'import pandas as pd\ndf = pd.read_csv("https://raw.githubusercontent.com/x/y/z.csv")\n'
    )
    assert run(capsys, "train.py") == (0, [])
