"""Inline suppression: our own pragma and the comments users already write for peer tools.

On the finding's line (or its last line, or the line above its first):
- ``# mlhygiene: ignore`` / ``# mlhygiene: ignore[rule-id, category, ...]``
- ``# nosec`` / ``# nosec B301`` (bandit) for deserialization, http, xxe and credentials
- ``# nosemgrep`` / ``# nosemgrep: rule-id`` for the Semgrep-backed categories
- ``# noqa: S301`` (ruff's flake8-bandit codes) for the matching category
- ``# pragma: allowlist secret`` (detect-secrets; ``allowlist nextline secret`` on the line
  above) for credentials
Notebook cells (and so their outputs, where no comment can be written) are silenced with a
cell-metadata tag ``mlhygiene-ignore`` or ``mlhygiene-ignore:rule-id``.
"""

from __future__ import annotations

import re

from mlhygiene._core.records import Finding, Source

SEMGREP_CATEGORIES = frozenset({"deserialization", "http", "xxe"})
BANDIT_CATEGORIES = frozenset({"deserialization", "http", "xxe", "credentials"})

# bandit B### and ruff S### share numbers.
_BANDIT_CODES: dict[int, str] = {
    105: "credentials",
    106: "credentials",
    107: "credentials",
    301: "deserialization",
    302: "deserialization",
    403: "deserialization",
    506: "deserialization",
    614: "deserialization",
    615: "deserialization",
    310: "http",
    **{n: "xxe" for n in (*range(313, 321), *range(405, 412))},
}

# Rule ids users already silence for Semgrep's registry (p/python, Trail of Bits): the comment
# `# nosemgrep: python.lang.security.deserialization.pickle.avoid-pickle` silences our rules of
# the same category. Matched on the id's dotted path (a folder of the registry) or its last part.
_REGISTRY_PATHS: dict[str, str] = {
    ".deserialization.": "deserialization",
    ".insecure-transport.": "http",
    ".xxe.": "xxe",
}
_REGISTRY_NAMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "avoid-pickle", "avoid-cpickle", "avoid-dill", "avoid-shelve", "avoid-pyyaml-load",
            "avoid-unsafe-ruamel", "avoid-jsonpickle", "marshal-usage", "pickles-in-pytorch",
            "pickles-in-numpy", "pickles-in-pandas", "pickles-in-torch-distributed",
            "pickles-in-pytorch-distributed", "insecure-deserialization",
        ),
        "deserialization",
    ),
    **dict.fromkeys(
        ("request-with-http", "http-not-https-connection", "urllib-insecure-request", "insecure-urlopen",
         "insecure-request-object", "insecure-urlretrieve", "insecure-openerdirector-open"),
        "http",
    ),
    **dict.fromkeys(
        ("use-defused-xml", "use-defused-xml-parse", "use-defusedxml", "use-defused-xmlrpc"), "xxe"
    ),
}


def registry_category(rule_id: str) -> str | None:
    """The category of one of our rules that a Semgrep-registry rule id stands for, if any."""
    lowered = rule_id.lower()
    for part, category in _REGISTRY_PATHS.items():
        if part in f".{lowered}":
            return category
    return _REGISTRY_NAMES.get(lowered.rsplit(".", 1)[-1])


_OURS = re.compile(r"#\s*mlhygiene\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.I)
_NOSEC = re.compile(r"#\s*nosec\b([:\s]*(?:[BS]\d{3}[\s,]*)*)", re.I)
_NOSEMGREP = re.compile(r"#\s*nosem(?:grep)?\b(?:\s*:\s*([\w.\-, ]+))?", re.I)
_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Z]+\d+(?:[\s,]+[A-Z]+\d+)*)", re.I)
_ALLOWLIST = re.compile(r"#\s*pragma:\s*allowlist\s+secret\b", re.I)
_ALLOWLIST_NEXT = re.compile(r"#\s*pragma:\s*allowlist\s+nextline\s+secret\b", re.I)
_CODE = re.compile(r"([BS])(\d{3})", re.I)


def _names(group: str | None) -> set[str]:
    return {n.strip().lower() for n in (group or "").split(",") if n.strip()}


def line_suppresses(line: str, finding: Finding, *, above: bool = False) -> bool:
    """Whether a comment in ``line`` silences ``finding`` (``above``: line precedes it)."""
    if "#" not in line:
        return False
    rule, category = finding.rule_id.lower(), finding.category
    match = _OURS.search(line)
    if match:
        names = _names(match.group(1))
        if match.group(1) is None or not names or rule in names or category in names:
            return True
    if category == "credentials":
        if _ALLOWLIST_NEXT.search(line):
            return above
        if not above and _ALLOWLIST.search(line):
            return True
    match = _NOSEC.search(line)
    if match and category in BANDIT_CATEGORIES:
        codes = _CODE.findall(match.group(1) or "")
        if not codes or any(_BANDIT_CODES.get(int(n)) == category for _, n in codes):
            return True
    match = _NOSEMGREP.search(line)
    if match and category in SEMGREP_CATEGORIES:
        given = _names(match.group(1))
        names = {n.rsplit(".", 1)[-1] for n in given}
        if not names or rule in names or any(registry_category(n) == category for n in given):
            return True
    match = _NOQA.search(line)
    if match:
        for code in _names(match.group(1).replace(" ", ",")):
            parsed = _CODE.fullmatch(code)
            if (
                parsed
                and parsed.group(1).lower() == "s"
                and _BANDIT_CODES.get(int(parsed.group(2))) == category
            ):
                return True
    return False


def _tag_suppresses(tags: frozenset[str], finding: Finding) -> bool:
    for tag in tags:
        name, _, rule = tag.partition(":")
        if name.strip().lower() == "mlhygiene-ignore":
            rule = rule.strip().lower()
            if not rule or rule in (finding.rule_id.lower(), finding.category):
                return True
    return False


def is_suppressed(finding: Finding, source: Source) -> bool:
    cell = finding.cell
    if (
        cell is not None
        and 1 <= cell <= len(source.cells)
        and _tag_suppresses(source.cells[cell - 1].tags, finding)
    ):
        return True
    if finding.output is not None:
        return False  # output text is not code: only the cell tag and the baseline apply
    if source.kind in ("artifact",):
        return False
    lines = {finding.line, finding.end_line}
    if any(line_suppresses(source.line_text(n, cell), finding) for n in lines):
        return True
    above = source.line_text(finding.line - 1, cell) if finding.line > 1 else ""
    # A comment on the line above counts only on a line of its own.
    return above.lstrip().startswith("#") and line_suppresses(above, finding, above=True)
