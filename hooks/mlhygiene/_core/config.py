"""``[tool.mlhygiene]`` in pyproject.toml."""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from mlhygiene._core.records import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_BASELINE = ".mlhygiene-baseline.json"


class Config(NamedTuple):
    root: Path
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    allow_packages: tuple[str, ...] = ()
    extra_rules: tuple[str, ...] = ()
    baseline: str = DEFAULT_BASELINE
    strict_parse: bool = False
    strict_pickle: bool = False  # deprecated, no effect: pickle globals are always allow-listed
    pickle_allow: tuple[str, ...] = ()  # pickle globals to accept: dotted prefixes or globs
    max_file_size: int = 20 * 1024 * 1024
    semgrep_timeout: int = 300
    file: str = ""  # the pyproject.toml read ("" when none)
    outside_repo: bool = False  # that file was found above the working directory, with no git repo

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
    "allow-packages": list,
    "extra-rules": list,
    "baseline": str,
    "strict-parse": bool,
    "strict-pickle": bool,
    "pickle-allow": list,
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


def load_config(path: str | None = None) -> Config:
    """Read the config from ``path`` or the nearest pyproject.toml above the working directory."""
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
    for key, value in section.items():
        expected = _KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_KEYS))
            raise UsageError(f"{file}: unknown key '{key}' in [tool.mlhygiene] (known: {known})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise UsageError(f"{file}: [tool.mlhygiene] {key} must be a {expected.__name__}")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise UsageError(f"{file}: [tool.mlhygiene] {key} must be a list of strings")
            value = tuple(value)
        values[key.replace("-", "_")] = value
    root = file.parent
    if "extra_rules" in values:
        values["extra_rules"] = tuple(str(root / p) for p in values["extra_rules"])
    return Config(root=root, **values, file=str(file), outside_repo=outside and file.parent != cwd)
