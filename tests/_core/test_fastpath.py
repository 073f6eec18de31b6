"""The ast fast path gives Semgrep's own results, or declines: checked against real Semgrep."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlhygiene._core import fastpath, semgrep
from mlhygiene._core.sources import load_source
from mlhygiene.cli import main

REPO = Path(__file__).resolve().parents[2]
REAL = shutil.which("semgrep")
HANDLED = [c for c in semgrep.rule_files() if c.stem in fastpath.HANDLERS]

# Semgrep's corners, probed before the handlers were written: positives and near misses.
PROBES = {
    "const_prop": (
        "import torch\nwo = True\ntorch.load('a', weights_only=wo)\n"
        "def f():\n    flag = False\n    torch.load('b', weights_only=flag)\n"
        "    x = torch.load('c', weights_only=True if 1 else False)\n"
        "import numpy as np\nap = True\nnp.load('d', allow_pickle=ap)\n"
    ),
    "scopes": (
        "def g():\n    import pickle as pk\n    pk.load(open('e'))\npk.load(open('f'))\n"
        "from torch import load as tl\ntl('g')\ntorch = None\ntorch.load('h')\n"
        "def h(torch):\n    torch.load('i')\n"
    ),
    "star": "from pickle import *\nload(open('a'))\nloads(b)\n",
    "order": "load(open('a'))\nfrom pickle import load\nload(2)\n",
    "two_aliases": "import numpy as np\nimport pickle as np\nnp.load(1)\nnp.load('x', allow_pickle=True)\n",
    "shadowed": "def f():\n    from pickle import load\nload(1)\nx = 1\ndef g(load):\n    load(2)\n",
    "shapes": (
        "import pickle\n(pickle.load)(1)\npickle.load(1)(2)\nfoo(pickle.load)\n"
        "pickle . load (open('d'))\npickle.load(\n    open('e'))\npickle.load(pickle.load(open('b')))\n"
        "obj.pickle.load(12)\npickle.load.__call__(11)\nlambda: pickle.loads(7)\nx = f'{pickle.loads(8)}'\n"
    ),
    "rebound": (
        "import pickle\nclass A:\n    pickle = None\n    def m(self):\n        self.pickle.load(1)\n"
        "for pickle in []:\n    pickle.load(2)\np = pickle\np.load(3)\n"
    ),
    "allow_pickle_text": "import numpy as np\n"
    + "".join(
        f"np.load('x', allow_pickle={v})\n"
        for v in [
            "True,",
            "bool(1)",
            "'yes'",
            "-1",
            "1.0",
            " True",
            "1_0",
            "0x1",
            "b'y'",
            "f'y'",
            "''",
            "T",
            "False",
            "None",
            "1",
            "0",
        ]
    )
    + "np.load('x', None, True)\nnp.load('x', **kw)\n"
    "numpy.lib.npyio.load('x', None, True)\nnumpy.lib.format.read_array(f, True)\n",
    "allow_pickle_parenthesised": "import numpy as np\nnp.load('x', allow_pickle=(True))\n",
    "allow_pickle_starred": "import numpy as np\nnp.load(*a, allow_pickle=True)\nnp.load(*a, None, True)\n",
    "round_trip": (
        "import pickle, dill, cloudpickle\nx = '\u00e9'; pickle.load(f)\npickle.loads(pickle.dumps(x))\n"
        "pickle.loads(pickle.dumps(x), fix_imports=1)\npickle.loads(dill.dumps(x))\n"
        "pickle.loads(pickle.dumps(*x))\ndill.loads(pickle.dumps(x))\nimport pickle as pk\npk.loads(pk.dumps(x))\n"
    ),
    "dynamic_import": (
        "import sys, importlib, pickle\nsys.modules['pickle']\nsys.modules['pickle'] = 1\n"
        "importlib.import_module('pickle')\nimportlib.import_module(name='pickle')\ngetattr(pickle, 'load')\n"
        "getattr(pickle, 'lo' 'ad')\n__import__('dill').loads(x)\nsys.modules.get('marshal')\n"
        "importlib.import_module('json')\ngetattr(pickle, 'dumps')\nsys.modules['os']\n"
    ),
    "dynamic_name": "import importlib\nn = 'pickle'\nimportlib.import_module(n)\n",
    "partial": (
        "import functools, torch\nfunctools.partial(torch.load, map_location='cpu')\n"
        "functools.partial(torch.load, weights_only=True)\nfrom functools import partial\npartial(torch.load)\n"
    ),
    "alias_assign": "import torch\nload = torch.load\nload('m.pt')\n",
    "kwargs": "import torch\nkw = {'weights_only': True}\ntorch.load('m.pt', **kw)\n",
    "trust": (
        "from transformers import AutoModel\nAutoModel.from_pretrained('x', trust_remote_code=True)\n"
        "AutoModel.from_pretrained('x', trust_remote_code=False)\nkw = {'trust_remote_code': True}\n"
        "f(a, {'trust_remote_code': True}, trust_remote_code=True)\ng({'trust_remote_code': False})\n"
    ),
    "keras": "def load_model(path):\n    return path\nload_model('m.h5')\nimport keras\nkeras.models.load_model('m.h5')\n",
    "unpickler": "import pickle\nclass U(pickle.Unpickler):\n    pass\nU(f).load()\n",
    "py2": "import pickle\nprint 'x'\npickle.load(f)\n",
    "nosem": "import pickle\npickle.load(f)  # nosemgrep\n",
}


def _key(result: dict[str, Any]) -> tuple[Any, ...]:
    s, e = result["start"], result["end"]
    rule = str(result["check_id"]).rsplit(".", 1)[-1]
    return rule, s["line"], s["col"], s["offset"], e["line"], e["col"], e["offset"]


def _semgrep(files: list[Path]) -> dict[str, set[tuple[Any, ...]]]:
    cmd = semgrep.build_command(HANDLED, [str(f) for f in files], 60)
    output = json.loads(subprocess.run(cmd, capture_output=True, text=True, env=semgrep.semgrep_env()).stdout)
    found: dict[str, set[tuple[Any, ...]]] = {str(f): set() for f in files}
    for result in output["results"]:
        found[str(Path(result["path"]))].add(_key(result))
    return found


def _fast(path: Path) -> tuple[set[tuple[Any, ...]], set[str]]:
    text = path.read_text(encoding="utf-8")
    results, answered = fastpath.results(fastpath.parse(text), HANDLED, str(path))
    return {_key(r) for r in results}, {c.stem for c in answered}


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
def test_answers_are_semgrep_s_on_every_rule_test_and_probe(tmp_path: Path) -> None:
    files = sorted((REPO / "rules").rglob("*.py")) + sorted((REPO / "examples").glob("*.py"))
    for name, text in PROBES.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
        files.append(tmp_path / f"{name}.py")
    theirs = _semgrep(files)
    answered_per_file = {}
    for path in files:
        mine, answered = _fast(path)
        assert mine == {k for k in theirs[str(path)] if k[0] in answered}, path
        answered_per_file[path.stem] = answered
    # Where it answers, and where it hands the rule back to Semgrep (the rules' own tests hold the
    # aliases, constants and subclasses it declines on purpose).
    declined = {name: {c.stem for c in HANDLED} - answered for name, answered in answered_per_file.items()}
    assert {c.stem for c in HANDLED if c.stem in declined[c.stem]} == {
        "keras-load-legacy-model",
        "pickle-dynamic-import",
        "pickle-load",
        "torch-load-without-weights-only",
        "trust-remote-code-enabled",
    }
    numpy = {"numpy-load-allow-pickle", "numpy-load-allow-pickle-dynamic"}
    assert {name: declined[name] for name in PROBES} == {
        "const_prop": {"torch-load-without-weights-only"},
        "scopes": set(),
        "star": {"pickle-load"},
        "order": {"pickle-load"},
        "two_aliases": {"pickle-load"},
        "shadowed": {"pickle-load"},
        "shapes": set(),
        "rebound": set(),
        "allow_pickle_text": set(),
        "allow_pickle_parenthesised": numpy,
        "allow_pickle_starred": numpy,
        "round_trip": set(),
        "dynamic_import": set(),
        "dynamic_name": {"pickle-dynamic-import"},
        "partial": set(),
        "alias_assign": {"torch-load-without-weights-only"},
        "kwargs": {"torch-load-without-weights-only"},
        "trust": set(),
        "keras": {"keras-load-legacy-model"},
        "unpickler": {"pickle-load"},
        "py2": {c.stem for c in HANDLED},
        "nosem": {c.stem for c in HANDLED},
    }


def test_answer_positions_are_semgrep_s_byte_columns() -> None:
    text = "import pickle as pkl\nx = '\u00e9'; pkl.load(f)\n"
    config = next(c for c in HANDLED if c.stem == "pickle-load")
    results, answered = fastpath.results(fastpath.parse(text), [config], "t.py")
    assert answered == {config}
    assert [(r["start"], r["end"]) for r in results] == [
        ({"line": 2, "col": 11, "offset": 31}, {"line": 2, "col": 22, "offset": 42})
    ]
    assert results[0]["check_id"] == "pickle-load" and results[0]["extra"]["severity"] == "ERROR"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("import torch\ntorch.load(p, weights_only=flag)\n", "torch-load-without-weights-only"),
        ("import numpy as np\nnp.load(p, allow_pickle=(True))\n", "numpy-load-allow-pickle"),
        ("import numpy as np\nnp.load(p, allow_pickle=True  # yes\n)\n", "numpy-load-allow-pickle"),
        ("f(trust_remote_code=args.trust)\n", "trust-remote-code-enabled"),
        (
            "try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle\npickle.load(f)\n",
            "joblib-load",
        ),
    ],
)
def test_declines_where_semgrep_could_answer_otherwise(text: str, rule: str) -> None:
    config = next(c for c in HANDLED if c.stem == rule)
    if rule == "joblib-load":  # two imports of one name: only rules that call through it decline
        config = next(c for c in HANDLED if c.stem == "pickle-load")
        assert fastpath.results(fastpath.parse(text), [config], "t.py")[1] == {config}
        return
    assert fastpath.results(fastpath.parse(text), [config], "t.py") == ([], set())


def test_turned_off_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fastpath.NO_FASTPATH_ENV, "1")
    assert not fastpath.enabled()
    assert "semgrep-only" in semgrep.engine_id()


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
def test_units_only_fast_rules_need_never_start_semgrep(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text("import torch, pickle\nm = torch.load('m.pt')\nd = pickle.load(open('d.pkl', 'rb'))\n")
    run = semgrep.SemgrepRun([load_source(str(path), "script")], use_cache=False)
    assert run.procs == []
    result = run.result()
    assert sorted((f.line, f.rule_id, f.column, f.matched) for f in result.findings) == [
        (2, "torch-load-without-weights-only", 5, "torch.load('m.pt')"),
        (3, "pickle-load", 5, "pickle.load(open('d.pkl', 'rb'))"),
    ]


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
def test_scan_of_a_bench_corpus_is_the_same_without_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end, notebooks included: a finding-dense corpus from bench/, with and without."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gen_corpus  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "bench"))
    gen_corpus.generate(tmp_path / "corpus", "dense", files=60, seed=7)
    (tmp_path / "corpus" / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "corpus")
    outputs = []
    for off in ("", "1"):
        monkeypatch.setenv(fastpath.NO_FASTPATH_ENV, off)
        code = main(["scan", "--no-cache", "--format", "json", "-j", "1", "."])
        outputs.append((code, json.loads(capsys.readouterr().out)))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1 and len(outputs[0][1]["findings"]) > 100
