"""The registry: every check, every rule id each one reports, and what config may name.

A check module declares its ``CHECK`` (``category`` and the ``rule_ids`` it emits itself);
the Semgrep-backed checks report the bundled rules of their category. From these alone come
``mlhygiene rules``, the SARIF rule metadata, and the validation of ``enable``/``disable``/
``--only``, so adding a rule means adding the rule, its test and its docs page — nothing here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from mlhygiene import credentials, deserialization, http_urls, pickle_files, typosquat, xxe
from mlhygiene._core.config import Config
from mlhygiene._core.config import load_config as _load
from mlhygiene._core.records import CATEGORIES, UsageError
from mlhygiene._core.registry import RuleDoc, closest, rule_doc, semgrep_rule_docs
from mlhygiene._core.runner import Check

CHECKS: dict[str, Check] = {
    check.name: check
    for check in (
        credentials.CHECK,
        deserialization.CHECK,
        http_urls.CHECK,
        xxe.CHECK,
        typosquat.CHECK,
        pickle_files.CHECK,
    )
}
CUSTOM = "custom"  # the category of an extra rule that declares none


@lru_cache(maxsize=1)
def bundled_rules() -> tuple[RuleDoc, ...]:
    """Every bundled rule: the Semgrep rules, then the ids the Python-side checks emit."""
    from mlhygiene._core.semgrep import rules_dir

    docs = semgrep_rule_docs(sorted(rules_dir().rglob("*.yaml")))
    for check in CHECKS.values():
        own = dict(check.rule_categories)
        docs += [rule_doc(rule_id, own.get(rule_id, check.category)) for rule_id in check.rule_ids]
    return tuple(docs)


def load_config(path: str | None = None) -> Config:
    """The config, with every check's own keys known."""
    return _load(path, [s for check in CHECKS.values() for s in check.settings])


def catalogue(config: Config | None = None) -> dict[str, RuleDoc]:
    """Rule id -> what is known of it, the config's ``extra-rules`` included."""
    docs = {doc.id: doc for doc in bundled_rules()}
    if config is not None and config.extra_rules:
        docs.update({doc.id: doc for doc in semgrep_rule_docs(Path(p) for p in config.extra_rules)})
    return docs


def names(config: Config | None = None) -> set[str]:
    """Everything ``enable``, ``disable`` and ``--only``-style options may name."""
    return {*catalogue(config), *CATEGORIES, CUSTOM, *CHECKS}


def validate(config: Config) -> None:
    """A typo in ``enable``/``disable`` must never switch checks off silently: exit 2."""
    if not config.enable and not config.disable:
        return
    valid = names(config)
    for key, values in (("enable", config.enable), ("disable", config.disable)):
        for value in values:
            if value not in valid:
                near = closest(value, valid)
                hint = f"; did you mean '{near}'?" if near else " (see 'mlhygiene rules')"
                where = f"{config.file}: " if config.file else ""
                raise UsageError(f"{where}[tool.mlhygiene] {key}: unknown rule or category '{value}'{hint}")
