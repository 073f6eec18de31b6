"""Large scans in batches: the split, and a batched scan reports exactly what one process does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlhygiene import cli
from mlhygiene._core import batches
from mlhygiene._core.batches import run_ordered, split
from tests.conftest import notebook_json


def test_small_scans_are_one_batch() -> None:
    paths = [f"f{i:03}.py" for i in range(60)]
    assert split(paths, [100] * 60, 2) == [paths]
    assert split([], [], 2) == []


def test_batches_are_consecutive_balanced_and_a_multiple_of_the_workers() -> None:
    paths = [f"f{i:04}.py" for i in range(1000)]
    sizes = [10_000 if i % 10 else 500_000 for i in range(1000)]
    parts = split(paths, sizes, 2)
    assert [p for part in parts for p in part] == paths
    assert len(parts) % 2 == 0 and len(parts) >= 2
    weights = [sum(sizes[paths.index(p)] for p in part) for part in parts]
    assert max(weights) < 1.5 * min(weights)
    assert all(len(part) <= batches.BATCH_FILES for part in parts)


def test_batches_bound_the_bytes_held_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "BATCH_BYTES", 1_000_000)
    paths = [f"f{i:04}.py" for i in range(400)]
    parts = split(paths, [100_000] * 400, 1)
    assert len(parts) == 40
    assert {len(part) for part in parts} == {10}


def _square(batch: list[str]) -> list[int]:
    return [int(x) ** 2 for x in batch]


def test_run_ordered_keeps_the_order_with_and_without_workers() -> None:
    parts = [[str(i), str(i + 1)] for i in range(0, 20, 2)]
    expected = [[i * i, (i + 1) ** 2] for i in range(0, 20, 2)]
    assert list(run_ordered(_square, parts, 1)) == expected
    assert list(run_ordered(_square, parts, 3)) == expected


PICKLE = "import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n"


@pytest.fixture
def many_files(in_tmp: Path) -> Path:
    """80 files in folders: scripts, notebooks, a broken notebook, requirements files."""
    for i in range(80):
        folder = in_tmp / f"p{i % 7}"
        folder.mkdir(exist_ok=True)
        if i % 4 == 0:
            (folder / f"nb{i}.ipynb").write_text(notebook_json([PICKLE, "%pip install requets\n"]))
        elif i % 4 == 1:
            (folder / f"req{i}.txt").write_text("numpy\npandsa==1.0\n")
        elif i == 42:
            (folder / f"broken{i}.ipynb").write_text('{"cells": [')
        else:
            (folder / f"s{i}.py").write_text(PICKLE if i % 3 else "import json\n")
    return in_tmp


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_batched_scan_reports_what_one_process_reports(
    many_files: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    single = cli.main(["scan", "--no-cache", "-j", "1", "--format", fmt])
    one = capsys.readouterr()
    assert len(split(sorted(cli.walk(["."])), [1] * 80, 2)) == 2
    batched = cli.main(["scan", "--no-cache", "-j", "2", "--format", fmt])
    two = capsys.readouterr()
    assert single == batched == 3
    assert one == two
    if fmt == "json":
        assert len(json.loads(one.out)["findings"]) > 60
    else:
        assert one.err.splitlines()[-1] == "mlhygiene: checked 80 files (21 notebooks): 66 findings in 46 files, 1 file could not be checked"


def test_jobs_must_be_a_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["scan", "-j", "-1"])
    assert exc.value.code == 2
    assert "must be 0 (one per core) or more" in capsys.readouterr().err
