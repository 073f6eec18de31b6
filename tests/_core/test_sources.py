from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene._core.sources import SourceError, classify, load_source, parse_problems


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("train.py", "script"),
        ("nb.ipynb", "notebook"),
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("dev-requirements.in", "requirements"),
        ("constraints.txt", "requirements"),
        ("requirements/base.txt", "requirements"),
        ("pyproject.toml", "pyproject"),
        ("environment.yml", "environment"),
        ("model.pkl", "artifact"),
        ("weights.pt", "artifact"),
        ("data.pkl.gz", "artifact"),
        (".env", "config"),
        (".env.local", "config"),
        ("kaggle.json", "config"),
        ("params.yaml", "config"),
        ("setup.cfg", "config"),
        ("notes.md", None),
        ("image.png", None),
    ],
)
def test_classify(name: str, kind: str | None) -> None:
    assert classify(name) == kind


def test_python_shebang_without_suffix(tmp_path: Path) -> None:
    script = tmp_path / "run"
    script.write_text("#!/usr/bin/env python3\nimport os\n")
    assert classify(str(script)) == "script"


def test_script_decoding_bom_crlf_and_cookie(tmp_path: Path) -> None:
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\r\ny = 2\r\n")
    assert load_source(str(bom), "script").text == "x = 1\ny = 2\n"
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    assert "café" in load_source(str(latin), "script").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"x = 1\x00\x01", "binary content (NUL byte at offset 5), not Python source", id="binary"
        ),
        pytest.param(
            b"x = '\xff'\n",
            "cannot decode as utf-8 ('utf-8' codec can't decode byte 0xff in position 5: invalid start byte)",
            id="bad-utf8",
        ),
        pytest.param(
            b"# coding: klingon\n", "bad encoding declaration (unknown encoding: klingon)", id="bad-cookie"
        ),
    ],
)
def test_script_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(data)
    with pytest.raises(SourceError) as exc:
        load_source(str(path), "script")
    assert str(exc.value) == message


def test_missing_and_too_large(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^file not found \(deleted or a broken symlink\?\)$"):
        load_source(str(tmp_path / "gone.py"), "script")
    big = tmp_path / "big.py"
    big.write_bytes(b"#" * 3 * 1048576)
    with pytest.raises(SourceError) as exc:
        load_source(str(big), "script", max_bytes=2 * 1048576)
    assert str(exc.value) == "too large to check (3.0 MB > 2 MB limit; raise max-file-size or exclude it)"


def test_bytes_read_already_are_not_read_again(tmp_path: Path) -> None:
    """The runner reads a file once (to hash it for the verdict cache) and hands the bytes on."""
    path = tmp_path / "train.py"
    path.write_bytes(b"x = 1\n")
    assert load_source(str(path), "script", data=b"\xef\xbb\xbfy = 2\r\n").text == "y = 2\n"
    nb = tmp_path / "nb.ipynb"
    nb.write_text("not read")
    data = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "z"}]}'
    assert load_source(str(nb), "notebook", data=data).cells[0].lines == ("z",)
    with pytest.raises(SourceError, match="binary content"):
        load_source(str(path), "config", data=b"a\0b")


def test_parse_problems_python2(tmp_path: Path) -> None:
    path = tmp_path / "old.py"
    path.write_text("import os\nprint 'hello'\n")
    assert parse_problems(load_source(str(path), "script"))[0][:2] == (None, 2)


def test_parse_problems_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "deep.py"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    problems = parse_problems(load_source(str(path), "script"))
    assert len(problems) == 1
