"""Rule documentation: every rule id has a page in ruff's shape, every page a rule, and the
README names every rule id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlhygiene import http_urls, pickle_files, typosquat
from mlhygiene._secrets import rules as secrets

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "rules"
# In this order; "## Known problems" may sit between "Use instead" and "References".
HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References")
CATEGORY_LINE = re.compile(r"Category: (?P<category>[a-z-]+) · Severity: (?P<severity>ERROR|WARNING|INFO)")


def semgrep_rules() -> dict[str, tuple[str, str | None]]:
    """Rule id -> (category, severity) of every Semgrep rule in rules/."""
    found: dict[str, tuple[str, str | None]] = {}
    for path in sorted((REPO / "rules").rglob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            found[rule["id"]] = (rule["metadata"]["mlhygiene-category"], rule["severity"])
    return found


def python_rules() -> dict[str, tuple[str, str | None]]:
    """Rule id -> (category, severity or None where it varies) of every id the Python-side
    hooks emit."""
    found: dict[str, tuple[str, str | None]] = {
        rule_id: (secrets.CATEGORY, secrets.SEVERITY.upper()) for rule_id in secrets.RULES
    }
    found.update({rule_id: (typosquat.CATEGORY, None) for rule_id in typosquat.RULE_IDS})
    found.update({rule_id: (pickle_files.CATEGORY, None) for rule_id in pickle_files.RULE_IDS})
    found.update({rule_id: ("http", None) for rule_id in http_urls.RULE_IDS})
    return found


SEMGREP = semgrep_rules()
PYTHON = python_rules()
ALL = {**SEMGREP, **PYTHON}
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_rule_ids_are_unique() -> None:
    python_ids = [*secrets.RULES, *typosquat.RULE_IDS, *pickle_files.RULE_IDS, *http_urls.RULE_IDS]
    assert len(python_ids) == len(set(python_ids))
    assert not set(python_ids) & set(SEMGREP)


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
