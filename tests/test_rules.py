"""The rule set's own hygiene: schema, ids, test files, docs pages, and engine parity."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from mlhygiene._core.semgrep import build_command, semgrep_env

REPO = Path(__file__).resolve().parent.parent
RULES = sorted((REPO / "rules").rglob("*.yaml"))
CATEGORIES = {"deserialization", "http", "xxe"}
KEY_ORDER = ["id", "message", "languages", "severity", "metadata"]
METADATA = {"mlhygiene-category", "category", "cwe", "confidence", "likelihood", "impact", "references"}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    assert list(data) == ["rules"] and len(data["rules"]) == 1, f"{path}: one rule per file"
    return data["rules"][0]


def test_there_are_rules_in_every_category() -> None:
    assert {p.parent.name for p in RULES} == CATEGORIES


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.stem)
def test_rule_schema(path: Path) -> None:
    rule = load(path)
    assert rule["id"] == path.stem
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule["id"])
    assert list(rule)[:5] == KEY_ORDER
    assert rule["languages"] == ["python"]
    assert rule["severity"] in {"ERROR", "WARNING", "INFO"}
    assert "\n" not in rule["message"].strip()
    meta = rule["metadata"]
    assert set(meta) >= METADATA, METADATA - set(meta)
    assert meta["mlhygiene-category"] == path.parent.name
    assert meta["references"] and all(r.startswith("https://") for r in meta["references"])
    assert (path.with_suffix(".py")).is_file(), "annotated test file beside the rule"
    test_text = path.with_suffix(".py").read_text()
    assert f"# ruleid: {rule['id']}" in test_text and f"# ok: {rule['id']}" in test_text
    doc = REPO / "docs" / "rules" / f"{rule['id']}.md"
    assert doc.is_file()
    text = doc.read_text()
    for heading in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ):
        assert heading in text, f"{doc.name}: {heading}"


def test_ids_are_unique() -> None:
    ids = [load(p)["id"] for p in RULES]
    assert len(ids) == len(set(ids))


def _run(engine: str, targets: list[str]) -> set[tuple[str, str, int, int, int, int]]:
    os.environ["MLHYGIENE_SEMGREP_ENGINE"] = engine
    try:
        cmd = build_command(RULES, targets, 120)
    finally:
        del os.environ["MLHYGIENE_SEMGREP_ENGINE"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=semgrep_env(), timeout=600, check=False)
    out = json.loads(proc.stdout)
    return {
        (
            r["check_id"].rsplit(".", 1)[-1],
            Path(r["path"]).name,
            r["start"]["line"],
            r["start"]["col"],
            r["end"]["line"],
            r["end"]["col"],
        )
        for r in out["results"]
    }


def test_ocaml_and_python_cli_agree_on_the_rule_tests() -> None:
    """We run `semgrep --experimental` for speed; it must find exactly what `semgrep scan` finds."""
    targets = [str(p.with_suffix(".py")) for p in RULES]
    assert _run("osemgrep", targets) == _run("pysemgrep", targets)
