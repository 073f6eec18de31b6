"""One parse per unit: the run's analyses share a tree, and what a gate or the run left out is
still computed when asked for (the set decides how often a text is parsed, never a result)."""

from __future__ import annotations

import argparse
import ast
import json
from collections import Counter
from pathlib import Path

import pytest

from mlhygiene._core import notebook
from mlhygiene._core.runner import run
from mlhygiene._core.trees import Analysis, Trees
from mlhygiene.checks import CHECKS, load_config

NAMES = Analysis("names", lambda tree, text: sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}))
LINES = Analysis("lines", lambda tree, text: text.count("\n"))
GATED = Analysis("gated", lambda tree, text: len(tree.body), lambda text: "import" in text)
TEXT = "a = b\nc = a + d\n"


def test_the_wanted_analyses_share_one_parse() -> None:
    run_trees = Trees([NAMES, LINES])
    assert run_trees.fact(TEXT, NAMES) == ["a", "b", "c", "d"]
    assert run_trees.fact(TEXT, LINES) == 2
    assert run_trees.fact(TEXT, NAMES) == ["a", "b", "c", "d"]
    assert run_trees.parses == 1


def test_an_analysis_the_run_did_not_declare_is_computed_when_asked() -> None:
    run_trees = Trees([NAMES])
    assert run_trees.parse(TEXT) is not None
    assert run_trees.fact(TEXT, LINES) == 2
    assert run_trees.parses == 2
    assert run_trees.fact(TEXT, LINES) == 2
    assert run_trees.fact(TEXT, NAMES) == ["a", "b", "c", "d"]
    assert run_trees.parses == 2


def test_a_gate_only_defers_the_analysis() -> None:
    run_trees = Trees([GATED, NAMES])
    assert run_trees.fact(TEXT, NAMES) == ["a", "b", "c", "d"]  # the gate said no: not computed
    assert run_trees.fact(TEXT, GATED) == 2  # ... until asked for
    assert run_trees.parses == 2
    imports = "import os\nx = os\n"
    assert run_trees.fact(imports, NAMES) == ["os", "x"]
    assert run_trees.fact(imports, GATED) == 2
    assert run_trees.parses == 3


def test_text_that_is_not_python_3_is_parsed_once_and_has_no_facts() -> None:
    run_trees = Trees([NAMES])
    assert run_trees.fact("print 'x'\n", NAMES) is None
    assert run_trees.fact("print 'x'\n", LINES) is None
    assert run_trees.parse("print 'x'\n") is None
    assert run_trees.parses == 2  # fact asked once; parse() always parses


def test_a_scan_parses_each_unit_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check of a scan over a script and a notebook: the fast path, the typosquat import
    reader and the http literal tracer read one parse of each unit, findings as before."""
    script = (
        "import pickle\nimport pandsa\nimport pandas as pd\n"
        "URL = 'http://data.example.org/t.csv'\n"
        "df = pd.read_csv(URL)\nobj = pickle.load(open('m.pkl', 'rb'))\n"
    )
    (tmp_path / "train.py").write_text(script, encoding="utf-8")
    cells = [
        "import torch\nimport pandas as pd\nBASE = 'http://data.example.org'",
        "frame = pd.read_csv(BASE + '/x.csv')\nmodel = torch.load('m.pt')",
    ]
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": []} for c in cells],
    }
    (tmp_path / "eda.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    parsed: Counter[str] = Counter()
    real = notebook.parse

    def counted(text: str) -> tuple[ast.Module | None, tuple[int, str] | None]:
        parsed[text] += 1
        return real(text)

    monkeypatch.setattr(notebook, "parse", counted)  # the module trees parses with
    monkeypatch.chdir(tmp_path)
    options = argparse.Namespace(no_cache=True)
    outcome = run(["train.py", "eda.ipynb"], list(CHECKS.values()), load_config(), options)
    found = sorted((Path(f.path).name, f.cell, f.line, f.rule_id) for f in outcome.findings)
    assert found == [
        ("eda.ipynb", 1, 3, "http-url-read-data"),
        ("eda.ipynb", 2, 2, "torch-load-without-weights-only"),
        ("train.py", None, 2, "typosquat-import"),
        ("train.py", None, 4, "http-url-read-data"),
        ("train.py", None, 6, "pickle-load"),
    ]
    # Each text once: the script, the notebook's unit, and its two cells (the shim parses each cell
    # at load to find the cells that do not parse).
    assert parsed == Counter({script: 1, "\n".join(cells) + "\n": 1, cells[0]: 1, cells[1]: 1})
