"""The baseline: findings accepted when adopting the tool, keyed by path + rule + text hash."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

from mlhygiene import __version__
from mlhygiene._core.records import FatalError, Finding, UsageError

Key = tuple[str, str, str]


def _norm(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def key(finding: Finding) -> Key:
    return (_norm(finding.path), finding.rule_id, finding.fingerprint)


def load_baseline(path: str) -> set[Key]:
    """The accepted keys; an absent file is an empty baseline."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        raise FatalError(
            f"{path}: cannot read baseline ({exc}); regenerate it with 'mlhygiene baseline'"
        ) from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise FatalError(f"{path}: not an mlhygiene baseline (no 'findings' list)")
    keys: set[Key] = set()
    for entry in entries:
        if isinstance(entry, dict):
            keys.add(
                (
                    _norm(str(entry.get("path", ""))),
                    str(entry.get("rule_id", "")),
                    str(entry.get("fingerprint", "")),
                )
            )
    return keys


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    """Write the baseline (only hashes, never matched text); returns the number of entries."""
    entries = sorted(
        {key(f): f for f in findings}.items(),
        key=lambda item: item[0],
    )
    data = {
        "version": 1,
        "generated_by": f"mlhygiene {__version__}",
        "findings": [
            {"path": k[0], "rule_id": k[1], "category": f.category, "fingerprint": k[2]} for k, f in entries
        ],
    }
    tmp = f"{path}.tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the baseline ({exc.strerror or exc})") from None
    return len(entries)


def filter_baseline(findings: Sequence[Finding], keys: set[Key]) -> list[Finding]:
    return [f for f in findings if key(f) not in keys] if keys else list(findings)
