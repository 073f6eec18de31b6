"""End to end: real pre-commit installs this repo (try-repo) and runs the hooks with real Semgrep."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import notebook_json

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is required")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(workdir: Path, home: Path, hook: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--all-files", "--color", "never"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


NOTEBOOK = [
    ("markdown", "# Train a model\n"),
    "!pip install numpy\nimport numpy as np",
    "%%time\nfeatures = np.load('features.npy', allow_pickle=True)",
]
SAFE_NOTEBOOK = [
    ("markdown", "# Train a model\n"),
    "!pip install numpy\nimport numpy as np",
    "%%time\nfeatures = np.load('features.npy')",
]
SCRIPT = "import pickle\n\nmodel = pickle.load(open('model.pkl', 'rb'))\n"
SAFE_SCRIPT = "import json\n\nmodel = json.load(open('model.json'))\n"


def make_repo(path: Path, notebook: list, script: str) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    (path / "nb.ipynb").write_text(notebook_json(notebook))
    (path / "train.py").write_text(script)
    git(path, "add", ".")
    return path


def test_every_hook_is_declared() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == [
        "mlhygiene-credentials",
        "mlhygiene-deserialization",
        "mlhygiene-http",
        "mlhygiene-xxe",
        "mlhygiene-typosquat",
        "mlhygiene-pickle-files",
    ]
    for hook in hooks:
        assert hook["entry"] == hook["id"]
        assert list(hook)[:5] == ["id", "name", "description", "entry", "language"]


def test_try_repo_deserialization(tmp_path: Path, precommit_home: Path) -> None:
    unsafe = make_repo(tmp_path / "unsafe", NOTEBOOK, SCRIPT)
    proc = try_repo(unsafe, precommit_home, "mlhygiene-deserialization")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("nb.ipynb:cell 3:2:12: numpy-load-allow-pickle ") for line in lines), (
        proc.stdout
    )
    assert any(line.startswith("train.py:3:9: pickle-load ") for line in lines), proc.stdout

    safe = make_repo(tmp_path / "safe", SAFE_NOTEBOOK, SAFE_SCRIPT)
    proc = try_repo(safe, precommit_home, "mlhygiene-deserialization")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "mlhygiene deserialization" in proc.stdout and "Passed" in proc.stdout


def test_dogfood_config_mirrors_the_manifest() -> None:
    """The repo's own .pre-commit-config.yaml runs every hook with the manifest's file filters."""
    manifest = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    assert local["repo"] == "local"
    ours = {h["id"]: h for h in local["hooks"]}
    assert list(ours) == list(manifest)
    for hook_id, hook in manifest.items():
        for key in ("entry", "types", "types_or", "exclude_types", "files", "require_serial"):
            assert ours[hook_id].get(key) == hook.get(key), (hook_id, key)
        assert ours[hook_id]["language"] == "system"


def test_readme_documents_every_hook_and_exit_code() -> None:
    readme = (REPO / "README.md").read_text()
    for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()):
        assert f"### {hook['id']}" in readme
    for code in range(4):
        assert f"| {code} |" in readme
