"""Organisation policy for packages and package indexes: ``[tool.mlhygiene.policy]``.

```toml
[tool.mlhygiene.policy]
packages = "security/approved-packages.txt"   # or a list; one distribution name or glob a line
blocked-packages = ["some-bad-dist"]
index-urls = ["https://pypi.internal.example/simple"]
```

Off until configured: without ``packages`` every distribution is approved, without
``index-urls`` every index. A policy file that is missing or unreadable is a usage error, never
an empty policy. Names compare as PyPI normalises them (``Scikit_Learn`` = ``scikit-learn``).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, NamedTuple

from mlhygiene._core.records import UsageError
from mlhygiene._typosquat import names as known

KEYS = ("packages", "blocked-packages", "index-urls", "data-hosts", "hub-orgs", "require-hub-revision")


class Policy(NamedTuple):
    approved: tuple[str, ...] | None  # normalised names or globs; None: no allow-list
    blocked: tuple[str, ...]
    indexes: tuple[str, ...] | None  # normalised index URLs; None: any index
    source: str  # where the allow-list came from, for messages
    files: tuple[str, ...] = ()  # policy files read (their contents key the verdict cache)
    hosts: tuple[str, ...] | None = None  # download hosts (globs, lower case); None: any host
    orgs: tuple[str, ...] | None = None  # model-hub organisations (globs); None: any
    require_revision: bool = False  # hub downloads must pin revision= to a commit hash

    @property
    def judges_provenance(self) -> bool:
        return self.hosts is not None or self.orgs is not None or self.require_revision

    def host_approved(self, host: str) -> bool:
        return self.hosts is None or any(fnmatch.fnmatchcase(host.lower(), p) for p in self.hosts)

    def org_approved(self, repo: str) -> bool:
        org = repo.split("/", 1)[0].lower()
        return self.orgs is None or any(fnmatch.fnmatchcase(org, p) for p in self.orgs)

    def is_blocked(self, distribution: str) -> bool:
        return _matches(distribution, self.blocked)

    def is_approved(self, distribution: str) -> bool:
        return self.approved is None or _matches(distribution, self.approved)

    def index_approved(self, url: str) -> bool:
        return self.indexes is None or normalise_url(url) in self.indexes


NO_POLICY = Policy(None, (), None, "")


def _matches(distribution: str, patterns: tuple[str, ...]) -> bool:
    norm = known.normalise(distribution)
    return any(fnmatch.fnmatchcase(norm, p) for p in patterns)


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _names(value: Any, root: Path, where: str) -> tuple[tuple[str, ...], str]:
    """Names from a list, or from a file (one a line, ``#`` comments) named relative to ``root``."""
    if isinstance(value, str):
        path = root / value
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise UsageError(f"{where}: cannot read the policy file {path} ({reason})") from None
        items = [line.split("#", 1)[0].strip() for line in lines]
        return tuple(known.normalise(i) for i in items if i), value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(known.normalise(v) for v in value), where.split(": ", 1)[-1]
    raise UsageError(f"{where}: must be a file name or a list of strings")


def load(table: Any, root: Path, file: str) -> Policy:
    """The policy of a config's ``[tool.mlhygiene.policy]`` table (as a sorted tuple of pairs)."""
    data = dict(table or ())
    if not data:
        return NO_POLICY
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise UsageError(
            f"{file}: unknown key '{unknown[0]}' in [tool.mlhygiene.policy] (known: {', '.join(KEYS)})"
        )
    approved, source = (None, "")
    files: tuple[str, ...] = ()
    where = f"{file}: [tool.mlhygiene.policy]"
    if "packages" in data:
        approved, source = _names(data["packages"], root, f"{where} packages")
        if isinstance(data["packages"], str):
            files = (str(root / data["packages"]),)
    blocked, _ = _names(data.get("blocked-packages", ()), root, f"{where} blocked-packages")
    indexes = None
    if "index-urls" in data:
        urls = data["index-urls"]
        if not isinstance(urls, (list, tuple)) or not all(isinstance(u, str) for u in urls):
            raise UsageError(f"{file}: [tool.mlhygiene.policy] index-urls must be a list of strings")
        indexes = tuple(normalise_url(u) for u in urls)
    hosts = _strings(data, "data-hosts", where) if "data-hosts" in data else None
    orgs = _strings(data, "hub-orgs", where) if "hub-orgs" in data else None
    require = data.get("require-hub-revision", False)
    if not isinstance(require, bool):
        raise UsageError(f"{where} require-hub-revision must be true or false")
    return Policy(
        approved, blocked, indexes, source or "[tool.mlhygiene.policy] packages", files, hosts, orgs, require
    )


def _strings(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} {key} must be a list of strings")
    return tuple(v.strip().lower() for v in value)


def distribution_of_import(name: str) -> str | None:
    """The PyPI distribution an import name comes from (None: the standard library)."""
    data = known.names()
    lower = name.lower()
    if lower in data.stdlib:
        return None
    project = data.imports.get(lower)
    if project == "-":
        return None  # provided by the platform, not by PyPI
    return project or known.normalise(name)
