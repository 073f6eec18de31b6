"""A content-addressed cache of per-unit Semgrep results, shared by every hook and process.

Key: SHA-256 of (unit text, rule files' contents, Semgrep engine and version, shim version).
One small JSON file per key under the user cache dir; writes go to a temporary file and are
renamed into place, so concurrent writers (two hooks of one commit) are safe. The cache is an
optimisation only: when the folder cannot be read or written, results are computed afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CACHE_ENV = "MLHYGIENE_CACHE_DIR"
MAX_ENTRIES = 50_000
MAX_BYTES = 256 * 1024 * 1024
PRUNE_CHANCE = 0.02
PARSE_ERRORS = ("Syntax error", "Lexical error", "PartialParsing", "Other syntax error")


def cache_root() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mlhygiene"


_refused: set[Path] = set()


def usable_root() -> Path | None:
    """The cache folder, created private (0700); None when it must not be used.

    A folder that other users can write to (or that another user owns) could feed this run
    forged "clean" verdicts: it is not used, and a warning says so once per process.
    """
    root = cache_root()
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = root.stat()
    except OSError:
        return root  # unwritable: every write fails quietly and results are computed afresh
    if os.name != "posix":
        return root
    reason = ""
    if st.st_uid != os.geteuid():
        reason = "it belongs to another user"
    elif st.st_mode & 0o022:
        reason = f"other users can write to it (mode {st.st_mode & 0o777:o}; run 'chmod 700' on it)"
    if not reason:
        return root
    if root not in _refused:
        _refused.add(root)
        from mlhygiene._core.report import escape

        print(escape(f"mlhygiene: warning: not using the cache {root}: {reason}"), file=sys.stderr)
    return None


def _valid_entry(data: Any) -> bool:
    """A damaged or foreign entry is a miss (recomputed), never a crash on every later run."""
    if not isinstance(data, dict):
        return False
    results, errors = data.get("results"), data.get("errors")
    if not isinstance(results, list) or not isinstance(errors, list):
        return False
    return all(isinstance(e, dict) for e in errors) and all(
        isinstance(r, dict) and isinstance(r.get("start"), dict) and isinstance(r.get("end"), dict)
        for r in results
    )


def target_name(path: str, tmp: str) -> str:
    """The temp-file name a Semgrep result path stands for.

    Every target sits directly in ``tmp``, so its base name identifies it whether Semgrep prints
    the path relative, absolute, or through a symlinked temp dir (macOS's /var -> /private/var).
    """
    return os.path.join(tmp, os.path.basename(path))


class ResultCache:
    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder
        self.salt = salt
        self.writable = True

    @classmethod
    def open(cls, configs: Sequence[Path], engine: str) -> ResultCache | None:
        root = usable_root()
        if root is None:
            return None
        digest = hashlib.sha256(engine.encode())
        for config in configs:
            try:
                digest.update(Path(config).read_bytes())
            except OSError:
                digest.update(str(config).encode())
        return cls(root / "semgrep-v1", digest.hexdigest())

    def _path(self, text: str) -> Path:
        return entry_path(self.folder, digest(self.salt, text))

    def get(self, text: str) -> dict[str, list[dict[str, Any]]] | None:
        data = read_json(self._path(text))
        return data if _valid_entry(data) else None

    def put(self, text: str, entry: Mapping[str, list[dict[str, Any]]]) -> None:
        if self.writable:
            self.writable = write_json(self._path(text), entry)

    def put_all(self, texts: Mapping[str, str], output: Mapping[str, Any], tmp: str) -> None:
        """Store Semgrep's output per target.

        Nothing is stored when an error concerns no target (a rule or the run itself), and a
        target with an error other than a parse error (a timeout, say) is not stored.
        """
        by_path: dict[str, dict[str, list[dict[str, Any]]]] = {
            name: {"results": [], "errors": []} for name in texts
        }
        broken: set[str] = set()
        for kind in ("results", "errors"):
            for item in output.get(kind, []):
                name = target_name(str(item.get("path") or ""), tmp)
                if name not in by_path:
                    if kind == "errors":
                        return
                    continue
                by_path[name][kind].append({k: v for k, v in item.items() if k != "path"})
                if kind == "errors" and not str(item.get("type", "")).startswith(PARSE_ERRORS):
                    broken.add(name)
        for name, entry in by_path.items():
            if name not in broken:
                self.put(texts[name], entry)
        if random.random() < PRUNE_CHANCE:  # noqa: S311 (not security)
            self.prune()

    def prune(self) -> None:
        prune(self.folder, MAX_ENTRIES, MAX_BYTES)


def digest(*parts: str) -> str:
    """SHA-256 of ``parts`` (NUL-separated; lone surrogates from odd file names are kept)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def entry_path(folder: Path, key: str) -> Path:
    """Where the entry of a hex ``key`` lives: 256 subfolders keep each folder small."""
    return folder / key[:2] / f"{key[2:]}.json"


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, unreadable or not JSON."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> bool:
    """Write ``data`` to ``path`` atomically (temp file, then rename); False when the folder is
    read-only or full (the caller then carries on uncached)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, ValueError):
        return False
    return True


def prune(folder: Path, max_entries: int, max_bytes: int) -> None:
    """Keep a cache folder bounded: drop the least recently written entries beyond the limits."""
    try:
        entries = []
        for path in folder.glob("*/*.json"):
            stat = path.stat()
            entries.append((stat.st_mtime, stat.st_size, path))
    except OSError:
        return
    entries.sort(key=lambda e: e[0], reverse=True)
    total = 0
    for n, (_, size, path) in enumerate(entries):
        total += size
        if n >= max_entries or total > max_bytes:
            with contextlib.suppress(OSError):
                path.unlink()
