"""What is known about each rule id: category, severity, a one-line summary and its docs page.

The page ``docs/rules/<id>.md`` (shipped in the wheel as ``mlhygiene/docs/rules``) is the one
place a rule is described: its second line says ``Category: … · Severity: …``, its "What it
does" section gives the summary, and the whole page is the SARIF ``help``. Which ids exist is
declared by the checks (the Semgrep rule files' stems, the ids a Python-side check emits);
this module only reads the pages and knows no check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import NamedTuple

DOCS_URL = "https://github.com/mlhygiene/mlhygiene/blob/main/docs/rules/{id}.md"
_HEADER = re.compile(r"^Category: (?P<category>[a-z-]+) · Severity: (?P<severity>[A-Z]+)$", re.M)
_SEVERITY_LINE = re.compile(r"^severity:\s*(\w+)", re.M)
_RULE_ID_LINE = re.compile(r"^\s*-\s*id:\s*['\"]?([\w.-]+)", re.M)
_CATEGORY_LINE = re.compile(r"mlhygiene-category:\s*['\"]?([\w-]+)")


class RuleDoc(NamedTuple):
    id: str
    category: str
    severity: str  # error | warning | info
    summary: str  # one sentence: what the rule finds
    help: str  # the docs page (markdown), or "" for a rule without one
    uri: str  # where the page is published, or "" for a rule without one


def docs_dir() -> Path | None:
    """The rule pages: ``mlhygiene/docs/rules`` in a wheel, ``docs/rules`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "docs" / "rules", here.parent.parent / "docs" / "rules"):
        if candidate.is_dir():
            return candidate
    return None


@cache
def _page(rule_id: str) -> str:
    folder = docs_dir()
    if folder is None:
        return ""
    try:
        return (folder / f"{rule_id}.md").read_text(encoding="utf-8")
    except OSError:
        return ""


def summary_of(page: str) -> str:
    """The first sentence of the page's "What it does" section, markdown marks removed."""
    _, _, rest = page.partition("## What it does")
    paragraph = rest.strip().split("\n\n", 1)[0]
    text = " ".join(paragraph.split()).replace("`", "")
    sentence = re.split(r"(?<=[.:;])\s", text, maxsplit=1)[0]
    return sentence.rstrip(":;") + ("" if sentence.endswith(".") else ".")


def rule_doc(rule_id: str, category: str, severity: str = "warning") -> RuleDoc:
    """``rule_id`` as its page describes it; ``category``/``severity`` when it has no page."""
    page = _page(rule_id)
    header = _HEADER.search(page)
    if header is None:
        return RuleDoc(rule_id, category, severity, rule_id.replace("-", " "), "", "")
    return RuleDoc(
        rule_id,
        header["category"],
        header["severity"].lower(),
        summary_of(page),
        page,
        DOCS_URL.format(id=rule_id),
    )


def semgrep_rule_docs(files: Iterable[Path], category: str | None = None) -> list[RuleDoc]:
    """The rules in Semgrep rule files (bundled or the user's ``extra-rules``).

    Bundled files hold one rule each, named by the file; an extra file may hold several. Its
    rules' category is their ``mlhygiene-category`` metadata, else ``custom``.
    """
    found: list[RuleDoc] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        severity = _SEVERITY_LINE.search(text)
        word = (severity[1] if severity else "").lower()
        level = word if word in ("error", "warning") else "info"
        ids = _RULE_ID_LINE.findall(text) or [path.stem]
        declared = _CATEGORY_LINE.search(text)
        rule_category = category or (declared[1] if declared else "custom")
        found += [rule_doc(rule_id, rule_category, level) for rule_id in ids]
    return found


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The valid spelling nearest to a mistyped ``value``, if any is near."""
    import difflib

    match = difflib.get_close_matches(value, sorted(set(choices)), n=1, cutoff=0.6)
    return match[0] if match else None
