"""Rule documentation: every rule id has a page in ruff's shape, every page a rule, and the
README names every rule id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlhygiene import checks
from mlhygiene._core.runner import Check

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "rules"
# In this order; "## Known problems" may sit between "Use instead" and "References".
HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References")
CATEGORY_LINE = re.compile(r"Category: (?P<category>[a-z-]+) · Severity: (?P<severity>ERROR|WARNING|INFO)")


def semgrep_rules() -> dict[str, tuple[str, str | None]]:
    """Rule id -> (category, severity) of every Semgrep rule in rules/, read from the YAML."""
    found: dict[str, tuple[str, str | None]] = {}
    for path in sorted((REPO / "rules").rglob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            found[rule["id"]] = (rule["metadata"]["mlhygiene-category"], rule["severity"])
    return found


def python_rules() -> dict[str, tuple[str, str | None]]:
    """Rule id -> (category, None) of every id a check declares it emits (the registry)."""
    registered: list[Check] = list(checks.CHECKS.values())
    return {
        rule_id: (dict(check.rule_categories).get(rule_id, check.category), None)
        for check in registered
        for rule_id in check.rule_ids
    }


SEMGREP = semgrep_rules()
PYTHON = python_rules()
ALL = {**SEMGREP, **PYTHON}
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_rule_ids_are_unique() -> None:
    python_ids = [rule_id for check in checks.CHECKS.values() for rule_id in check.rule_ids]
    assert len(python_ids) == len(set(python_ids))
    assert not set(python_ids) & set(SEMGREP)


def test_the_registry_knows_every_rule_with_its_page() -> None:
    docs = {doc.id: doc for doc in checks.bundled_rules()}
    assert set(docs) == set(ALL)
    for rule_id, (category, severity) in ALL.items():
        assert docs[rule_id].category == category
        assert docs[rule_id].uri.endswith(f"/docs/rules/{rule_id}.md")
        if severity is not None:
            assert docs[rule_id].severity == severity.lower()


@pytest.mark.parametrize("rule_id", sorted(ALL))
def test_rule_has_a_page(rule_id: str) -> None:
    page = DOCS / f"{rule_id}.md"
    assert page.is_file(), f"missing docs/rules/{rule_id}.md"
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"# {rule_id}"
    match = CATEGORY_LINE.fullmatch(next((line for line in lines[1:] if line.strip()), ""))
    assert match, f"{page.name}: second line must be 'Category: … · Severity: …'"
    category, severity = ALL[rule_id]
    assert match["category"] == category
    if severity is not None:
        assert match["severity"] == severity
    positions = [lines.index(heading) if heading in lines else -1 for heading in HEADINGS]
    missing = [heading for heading, at in zip(HEADINGS, positions) if at == -1]
    assert not missing, f"{page.name}: missing {missing}"
    assert positions == sorted(positions), f"{page.name}: headings out of order"


def test_every_page_documents_a_rule() -> None:
    orphans = sorted(page.name for page in DOCS.glob("*.md") if page.stem not in ALL)
    assert not orphans


@pytest.mark.parametrize("rule_id", sorted(ALL))
def test_readme_names_every_rule(rule_id: str) -> None:
    assert re.search(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-])", README), f"README.md never names {rule_id}"
