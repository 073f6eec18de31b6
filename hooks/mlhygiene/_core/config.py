"""``[tool.mlhygiene]`` in pyproject.toml.

The keys every run reads are declared here; a key only one check reads (``allow-packages``,
``pickle-allow``) is declared by that check as a :class:`Setting` and passed in by the caller, so
this module knows no check. Its value is in ``Config.settings`` and part of the verdict cache key.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mlhygiene._core.records import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_BASELINE = ".mlhygiene-baseline.json"


class Setting(NamedTuple):
    """A config key one check reads, declared by that check."""

    key: str  # as written in [tool.mlhygiene], e.g. "allow-packages"
    kind: type  # list (of strings), bool, int or str
    default: Any


class Config(NamedTuple):
    root: Path
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_rules: tuple[str, ...] = ()
    baseline: str = DEFAULT_BASELINE
    strict_parse: bool = False
    max_file_size: int = 20 * 1024 * 1024
    semgrep_timeout: int = 300
    file: str = ""  # the pyproject.toml read ("" when none)
    outside_repo: bool = False  # that file was found above the working directory, with no git repo
    # The checks' own keys that the file sets: sorted (key, value) pairs, lists as tuples.
    settings: tuple[tuple[str, Any], ...] = ()

    def setting(self, declared: Setting) -> Any:
        """The value of a check's key: the file's, else the declared default."""
        return dict(self.settings).get(declared.key, declared.default)

    def rule_enabled(self, rule_id: str, category: str) -> bool:
        if self.enable and rule_id not in self.enable and category not in self.enable:
            return False
        return rule_id not in self.disable and category not in self.disable

    def excluded(self, path: str) -> bool:
        rel = _relative(path, self.root)
        parts = rel.split("/")
        for pattern in self.exclude:
            pat = pattern.rstrip("/")
            if pattern.endswith("/"):
                if rel == pat or rel.startswith(pat + "/") or pat in parts[:-1]:
                    return True
            elif fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(parts[-1], pat):
                return True
        return False


_KEYS: dict[str, type] = {
    "enable": list,
    "disable": list,
    "exclude": list,
    "extra-rules": list,
    "baseline": str,
    "strict-parse": bool,
    "max-file-size": int,
    "semgrep-timeout": int,
}


def _relative(path: str, root: Path) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:
        rel = path
    return rel.replace(os.sep, "/")


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``, never above the git root."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def load_config(path: str | None = None, settings: Sequence[Setting] = ()) -> Config:
    """Read the config from ``path`` or the nearest pyproject.toml above the working directory;
    ``settings`` are the keys the checks declare beside the common ones."""
    cwd = Path.cwd()
    file = Path(path) if path else find_pyproject(cwd)
    if file is None:
        return Config(root=cwd)
    # Found by walking up from a folder in no git repository: applied, but said (see -v).
    outside = path is None and not any((f / ".git").exists() for f in (cwd, *cwd.parents))
    try:
        with open(file, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise UsageError(f"{file}: cannot read config ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{file}: invalid TOML ({exc})") from None
    section: Any = data.get("tool", {}).get("mlhygiene", {})
    if not isinstance(section, dict):
        raise UsageError(f"{file}: [tool.mlhygiene] must be a table")
    values: dict[str, Any] = {}
    owned = {s.key: s.kind for s in settings}
    checks: dict[str, Any] = {}
    for key, value in section.items():
        expected = _KEYS.get(key) or owned.get(key)
        if expected is None:
            known = ", ".join(sorted({*_KEYS, *owned}))
            raise UsageError(f"{file}: unknown key '{key}' in [tool.mlhygiene] (known: {known})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            kind = "table" if expected is dict else f"a {expected.__name__}"
            raise UsageError(f"{file}: [tool.mlhygiene] {key} must be {kind}")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise UsageError(f"{file}: [tool.mlhygiene] {key} must be a list of strings")
            value = tuple(value)
        elif isinstance(value, dict):  # a sub-table such as [tool.mlhygiene.policy]: hashable
            value = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in value.items()))
        if key in _KEYS:
            values[key.replace("-", "_")] = value
        else:
            checks[key] = value
    root = file.parent
    if "extra_rules" in values:
        values["extra_rules"] = tuple(str(root / p) for p in values["extra_rules"])
    return Config(
        root=root,
        **values,
        file=str(file),
        outside_repo=outside and file.parent != cwd,
        settings=tuple(sorted(checks.items())),
    )
