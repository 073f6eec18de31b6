from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

CellSpec = "str | tuple[str, str] | dict[str, Any]"


def notebook_json(cells: Sequence[Any], nbformat: int = 4) -> str:
    """A notebook whose cells are given as code strings, (cell_type, source) or full cell dicts."""
    out = []
    for spec in cells:
        if isinstance(spec, dict):
            cell = {"metadata": {}, **spec}
            cell.setdefault("outputs", []) if cell.get("cell_type", "code") == "code" else None
        else:
            kind, source = ("code", spec) if isinstance(spec, str) else spec
            cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
            if kind == "code":
                cell.update(outputs=[], execution_count=None)
        out.append(cell)
    return json.dumps(
        {
            "nbformat": nbformat,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3"}},
            "cells": out,
        },
        indent=1,
    )


@pytest.fixture
def write_notebook(tmp_path: Path):
    def write(name: str, cells: Sequence[Any]) -> Path:
        path = tmp_path / name
        path.write_text(notebook_json(cells), encoding="utf-8")
        return path

    return write


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder with a .git marker, so no outer pyproject.toml config applies."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the user's result cache."""
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "mlhygiene-cache"))


class NetworkBlocked(OSError):
    """Raised by any attempt of the code under test to open a network connection."""


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scanning is offline: an in-process attempt to connect anywhere fails the call loudly.

    Local (AF_UNIX) sockets stay usable; subprocesses (Semgrep) are covered by
    tests/test_invariants.py, which runs the hooks in a network namespace without a network.
    """
    import socket

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(address: object) -> NetworkBlocked:
        return NetworkBlocked(f"network access attempted during a test: {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect(self, address)
        raise refuse(address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect_ex(self, address)
        raise refuse(address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise refuse(address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> list[Any]:
        raise refuse(host)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


_LOCATION_AND_RULE = re.compile(r"^.*?:\d+:\d+: \S+")


def locations(out: str) -> list[str]:
    """``path[:cell N][:output K]:line:col: rule-id`` of each finding line (message dropped)."""
    found = []
    for line in out.splitlines():
        match = _LOCATION_AND_RULE.match(line)
        assert match, line
        found.append(match.group(0))
    return found


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[str]:
    """Where a payload would write if anything unpickled the artifact; checked after the test."""
    path = tmp_path / "CANARY"
    yield str(path)
    assert not path.exists(), "a payload ran: something unpickled the artifact"

