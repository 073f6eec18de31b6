"""Module names importable from the folders around a file: a local module is never a typo."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

_MODULE_SUFFIXES = (".py", ".pyi", ".pyw", ".pyc", ".so", ".pyd")


def _digest(items: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(items).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LocalModules:
    """Module names importable from the folders around a file (folder listings cached per run).

    What a file's verdicts read here is recorded, for the verdict cache: the folders searched
    for it (which depend on where ``.git`` is, symlinks and the working directory) and the
    module names in each folder consulted. ``probe`` gives the same digests again later.
    """

    def __init__(self, config_root: Path) -> None:
        self.config_root = config_root.resolve()
        self._listings: dict[Path, frozenset[str]] = {}
        self._roots: dict[Path, Path | None] = {}
        self._digests: dict[Path, str] = {}
        self._searched: dict[str, str] = {}  # dependency key -> digest, since ``dependencies``
        self._consulted: dict[str, str] = {}

    def _listing(self, folder: Path) -> frozenset[str]:
        if folder not in self._listings:
            names: set[str] = set()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        stem = entry.name.split(".", 1)[0]
                        if stem.isidentifier() and (
                            entry.name.endswith(_MODULE_SUFFIXES) or (entry.name == stem and entry.is_dir())
                        ):
                            names.add(stem)
            except OSError:
                pass
            self._listings[folder] = frozenset(names)
        return self._listings[folder]

    def _listing_digest(self, folder: Path) -> str:
        if folder not in self._digests:
            self._digests[folder] = _digest(sorted(self._listing(folder)))
        return self._digests[folder]

    def _git_root(self, folder: Path) -> Path | None:
        if folder not in self._roots:
            if (folder / ".git").exists():
                self._roots[folder] = folder
            else:
                self._roots[folder] = None if folder.parent == folder else self._git_root(folder.parent)
        return self._roots[folder]

    def folders(self, path: str, extra: Iterable[str] = ()) -> list[Path]:
        """Beside the file, each folder up to the repository root, the root's ``src/``, and ``extra``."""
        extra = list(extra)
        here = Path(path).resolve().parent
        root = self._git_root(here)
        if root is None and here.is_relative_to(self.config_root):
            root = self.config_root
        found = [here]
        if root is not None:
            found += [p for p in here.parents if p.is_relative_to(root)]
            found.append(root / "src")
        for added in extra:
            found += [(base / added).resolve() for base in (here, root or here)]
        self._searched["folders\0" + json.dumps([path, *extra])] = _digest(map(str, found))
        return found

    def provides(self, name: str, folders: Iterable[Path]) -> bool:
        for folder in folders:
            listing = self._listing(folder)
            self._consulted["listing\0" + str(folder)] = self._listing_digest(folder)
            if name in listing:
                return True
        return False

    def dependencies(self) -> list[tuple[str, str]]:
        """(key, digest) of what the verdicts since the last call read; none if no folder was
        consulted (the folders searched then do not matter)."""
        found = [*self._searched.items(), *self._consulted.items()] if self._consulted else []
        self._searched, self._consulted = {}, {}
        return found

    def probe(self, key: str) -> str:
        """The digest a dependency key from ``dependencies`` has now ('' for a key it does not know)."""
        kind, _, arg = key.partition("\0")
        if kind == "listing":
            return self._listing_digest(Path(arg))
        if kind == "folders":
            path, *extra = json.loads(arg)
            return _digest(map(str, self.folders(path, extra)))
        if kind == "file":
            try:
                with open(arg, "rb") as fh:
                    return hashlib.sha256(fh.read()).hexdigest()[:32]
            except OSError:
                return "missing"
        return ""
