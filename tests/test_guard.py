"""The import guard, in real subprocesses: what the policy refuses cannot be imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlhygiene import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def org(in_tmp: Path) -> Path:
    (in_tmp / "pyproject.toml").write_text(
        '[tool.mlhygiene.policy]\npackages = ["numpy", "pytest"]\nblocked-packages = ["hypothesis"]\n'
    )
    (in_tmp / "helpers.py").write_text("VALUE = 42\n")
    return in_tmp


def python(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(REPO / "hooks"), **(env or {})}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120)


def test_a_script_runs_until_it_imports_what_the_policy_refuses(org: Path) -> None:
    (org / "train.py").write_text(
        "import json, sys\nimport numpy\nimport helpers\nprint('imported', helpers.VALUE, sys.argv[1:])\nimport yaml\n"
    )
    proc = python("-m", "mlhygiene.guard", "train.py", "--epochs", "3", cwd=org)
    assert proc.returncode == 1
    assert proc.stdout == "imported 42 ['--epochs', '3']\n"
    assert proc.stderr.splitlines()[-1] == (
        "ImportError: mlhygiene guard: import of 'yaml' refused: PyYAML is not on the approved package list"
        f" ([tool.mlhygiene.policy] packages, {org / 'pyproject.toml'})"
    )


def test_a_blocked_distribution_is_refused(org: Path) -> None:
    (org / "t.py").write_text("import hypothesis\n")
    proc = python("-m", "mlhygiene.guard", "t.py", cwd=org)
    assert proc.stderr.splitlines()[-1] == (
        f"ImportError: mlhygiene guard: import of 'hypothesis' refused: hypothesis is blocked by {org / 'pyproject.toml'}"
    )


def test_the_sitecustomize_snippet_guards_every_interpreter(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["guard"]) == 0
    snippet = capsys.readouterr().out
    assert f"mlhygiene.guard.install({str(org / 'pyproject.toml')!r})" in snippet
    site = org / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(snippet)
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(REPO / "hooks")])}
    assert python("-c", "import numpy, helpers", cwd=org, env=env).returncode == 0
    refused = python("-c", "import yaml", cwd=org, env=env)
    assert refused.returncode == 1
    assert "mlhygiene guard: import of 'yaml' refused" in refused.stderr


def test_no_policy_file_is_a_usage_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["guard"]) == 2
    assert capsys.readouterr().err == (
        "mlhygiene: error: no pyproject.toml with [tool.mlhygiene.policy] found; pass --config\n"
    )
