"""Fuzz targets shared by the hypothesis tests (CI, bounded) and the atheris script (manual).

Each target takes raw bytes or text, runs one loader/check of mlhygiene on it, and may only
return normally or raise the loader's documented error: anything else is a bug.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from mlhygiene import http_urls, pickle_files, typosquat
from mlhygiene._core.config import Config
from mlhygiene._core.records import CheckResult, Source
from mlhygiene._core.runner import Context
from mlhygiene._core.sources import SourceError, load_source


def _context(root: str, sources: list[Source]) -> Context:
    return Context(Config(root=Path(root)), argparse.Namespace(), sources)


def notebook_target(data: bytes) -> Source | None:
    """Load notebook bytes; then the shell-line scanner and typosquat's readers run over it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fuzz.ipynb")
        Path(path).write_bytes(data)
        try:
            source = load_source(path, "notebook")
        except SourceError:
            return None
        http_urls.shell_findings(source)
        typosquat.CHECK.run([source], _context(tmp, [source]))
        for unit in source.units:
            assert len(unit.text[:-1].split("\n")) == len(unit.line_map)
        return source


def pickle_target(data: bytes, name: str = "fuzz.pkl") -> CheckResult:
    """The pickle-file check over bytes (never unpickled); problems are fine, exceptions are not."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        Path(path).write_bytes(data)
        return pickle_files.check_file(path)


def requirements_target(text: str, name: str = "requirements.txt") -> CheckResult:
    kind = "pyproject" if name == "pyproject.toml" else "requirements"
    with tempfile.TemporaryDirectory() as tmp:
        source = Source(path=os.path.join(tmp, name), kind=kind, text=text)
        return typosquat.CHECK.run([source], _context(tmp, [source]))
