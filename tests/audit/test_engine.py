"""The audit's batches and the store's paged pending list, without running any check."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlhygiene._core.batches import BATCH_FILES, split
from mlhygiene.audit.engine import batches
from mlhygiene.audit.store import Pending, Store
from mlhygiene.audit.walk import Occurrence


def _items(sizes: list[int]) -> list[Pending]:
    return [Pending(f"{n:064x}", size, "script", "/repo", f"f{n}.py", "") for n, size in enumerate(sizes)]


@pytest.mark.parametrize(
    ("sizes", "workers", "most", "lengths"),
    [
        pytest.param([10] * 5, 1, 0, [5], id="small-one-batch"),
        pytest.param([10] * 5, 1, 2, [2, 2, 1], id="at-most"),
        pytest.param([10] * 64, 2, 0, [32, 32], id="a-share-per-worker"),
        pytest.param([1] * (BATCH_FILES + 1), 1, 0, [513, 512], id="file-count-bound"),
        pytest.param([], 2, 0, [], id="nothing"),
        pytest.param([5, 900, 3, 3, 40, 7] * 20, 2, 0, [60, 60], id="uneven-sizes"),
    ],
)
def test_batches(sizes: list[int], workers: int, most: int, lengths: list[int]) -> None:
    items = _items(sizes)
    made = list(batches(iter(items), len(items), sum(sizes), workers, most))
    assert [len(b) for b in made] == lengths
    assert [p for b in made for p in b] == items
    if not most:  # the same batches as scan's
        assert [[p.sha256 for p in b] for b in made] == split([p.sha256 for p in items], sizes, workers)


def test_pending_is_paged_and_prefers_a_current_file(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "audit.sqlite"), "tools")
    found = [Occurrence("r", f"f{n}.py", "", "", True, f"{n:064x}", n, "script") for n in range(5)] + [
        Occurrence("r", "old.py", "c0ffee", "b10b", False, f"{0:064x}", 0, "script")
    ]
    store.add_occurrences(found)
    pending = list(store.pending({"r": "/abs/r"}, page=2))
    assert [(p.sha256[-1], p.repo, p.path, p.blob) for p in pending] == [
        (str(n), "/abs/r", f"f{n}.py", "") for n in range(5)
    ]
    assert store.pending_totals() == (5, 10)
    store.close()


def test_census_reads_import_lines_and_literal_import_calls() -> None:
    from mlhygiene._core.records import Source, Unit
    from mlhygiene.audit.census import modules

    text = (
        "import numpy as np, os.path\nfrom sklearn.model_selection import train_test_split\n"
        "from . import local\nimport cPickle\nfrom google.protobuf import message\n"
        "    import torch  # indented\n"
    )
    assert modules(Source("a.py", "script", text, (Unit(text, ()),))) == {
        "numpy",
        "os",
        "sklearn",
        "pickle",
        "google",
        "protobuf",
        "torch",
    }
    dynamic = 'import importlib\nmod = importlib.import_module("opacus")\nx = __import__("shap.plots")\n'
    assert modules(Source("b.py", "script", dynamic, (Unit(dynamic, ()),))) == {"importlib", "opacus", "shap"}
    assert modules(Source("c.txt", "config", "import os\n")) == set()


def _die(items: object, settings: object) -> list[object]:
    """A batch whose worker is killed (pickled by reference into the worker process)."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
    return []


def test_a_worker_that_dies_is_a_fatal_error_exit_3(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed under the pool (as the OOM killer does): the audit stops cleanly."""
    from mlhygiene._core.config import Config
    from mlhygiene.audit import engine

    monkeypatch.setattr(engine, "check_batch", _die)
    work = [_items([1]), _items([2])]
    settings = engine.Settings(Config(root=in_tmp), "salt")
    with pytest.raises(engine.WorkerFailed, match=r"^an audit worker failed \(BrokenProcessPool: "):
        list(engine.local(work, settings, 2))
