"""The Dask engine on a real cluster: a `dask scheduler` and two `dask worker` processes on
127.0.0.1, started as a user starts them on hosts; workers and the scheduler killed for real."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from mlhygiene import cli
from mlhygiene._core.config import Config
from mlhygiene.audit import engine
from tests.audit.corpus import Org, corpus, summary

pytest.importorskip("distributed")
pytest.importorskip("matplotlib")
DASK = Path(sys.executable).parent / "dask"


class Cluster(NamedTuple):
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


def _wait_for(predicate, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def running_cluster(folder: Path, worker_envs: list[dict[str, str]]) -> Iterator[Cluster]:
    """A scheduler and one ``dask worker`` per environment, as a user starts them on hosts."""
    if not DASK.exists():
        pytest.skip("the dask command is not installed beside this Python")
    file = folder / "scheduler.json"
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        scheduler = subprocess.Popen(
            [str(DASK), "scheduler", "--port", "0", "--scheduler-file", str(file), *common],
            stdout=subprocess.DEVNULL,
            stderr=(folder / "scheduler.log").open("wb"),
        )
        procs.append(scheduler)
        _wait_for(file.exists, "the scheduler")
        logs = [folder / f"worker{n}.log" for n in range(len(worker_envs))]
        workers = [
            subprocess.Popen(
                [
                    str(DASK),
                    "worker",
                    "--scheduler-file",
                    str(file),
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    *common,
                ],
                stdout=subprocess.DEVNULL,
                stderr=log.open("wb"),
                env={**os.environ, **env},
            )
            for log, env in zip(logs, worker_envs)
        ]
        procs += workers
        _wait_for(lambda: all("Registered to" in log.read_text() for log in logs), "the workers")
        yield Cluster(json.loads(file.read_text())["address"], scheduler, workers)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("dask"), [{}, {}]) as started:
        yield started


def _audit(address: str, out: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlhygiene", "audit", "--out", out, "--scheduler", address, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _done(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT COUNT(*) FROM contents WHERE status = 'done'").fetchone()[0])
        finally:
            db.close()
    except sqlite3.OperationalError:  # the schema is being created
        return 0


def _without_engine(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "engine"}


def test_dask_run_equals_the_local_run(in_tmp: Path, cluster: Cluster) -> None:
    Org(in_tmp)
    assert cli.main(["audit", "--out", "local", "--history", "-j", "1", "org"]) == 0
    run = _audit(cluster.address, "dask", "--history", "--batch-files", "1", "org")
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    remote = summary(in_tmp / "dask")
    assert remote["engine"] == {"kind": "dask", "scheduler": cluster.address, "workers": 2}
    assert _without_engine(remote) == _without_engine(summary(in_tmp / "local"))


def test_a_worker_killed_mid_run_changes_nothing(in_tmp: Path, cluster: Cluster) -> None:
    corpus(in_tmp, 24)
    assert cli.main(["audit", "--out", "local", "-j", "1", "corpus"]) == 0
    run = _audit(cluster.address, "dask", "--batch-files", "2", "corpus")
    _wait_for(lambda: _done(in_tmp / "dask" / "audit.sqlite") >= 4 or run.poll() is not None, "4 contents")
    assert run.poll() is None, "the audit finished before a worker could be killed"
    os.kill(cluster.workers[0].pid, signal.SIGKILL)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert _without_engine(summary(in_tmp / "dask")) == _without_engine(summary(in_tmp / "local"))


def test_scheduler_lost_exits_3_and_a_rerun_resumes(in_tmp: Path, cluster: Cluster) -> None:
    corpus(in_tmp, 24)
    assert cli.main(["audit", "--out", "local", "-j", "1", "corpus"]) == 0
    run = _audit(cluster.address, "dask", "--batch-files", "2", "corpus")
    store = in_tmp / "dask" / "audit.sqlite"
    _wait_for(lambda: _done(store) >= 4 or run.poll() is not None, "4 contents")
    assert run.poll() is None, "the audit finished before the scheduler could be killed"
    os.kill(cluster.scheduler.pid, signal.SIGKILL)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 3
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"mlhygiene: error: the Dask scheduler {cluster.address} is unreachable or was lost ("
    )
    assert lines[0].endswith("); the results store is consistent: rerun the same command to resume")
    assert 4 <= _done(store) < 24
    # the rerun (here on the local engine) checks only what is left and ends with the same numbers
    assert cli.main(["audit", "--out", "dask", "-j", "1", "corpus"]) == 0
    assert _without_engine(summary(in_tmp / "dask")) == _without_engine(summary(in_tmp / "local"))


def test_unreachable_scheduler_exits_3(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.py").write_text("import os\n")
    env = {**os.environ, "MLHYGIENE_DASK_TIMEOUT": "2"}
    run = subprocess.run(
        [sys.executable, "-m", "mlhygiene", "audit", "--out", "o", "--scheduler", "tcp://127.0.0.1:9", "."],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 3
    assert run.stderr.splitlines() == [
        "mlhygiene: error: the Dask scheduler tcp://127.0.0.1:9 is unreachable or was lost (Timed out trying "
        "to connect to tcp://127.0.0.1:9 after 2 s); the results store is consistent: rerun the same "
        "command to resume"
    ]


def test_a_worker_of_other_versions_is_refused(tmp_path: Path) -> None:
    settings = engine.Settings(
        Config(root=tmp_path), "salt", tools="mlhygiene 0.0.0; semgrep 0; detect-secrets 0"
    )
    with pytest.raises(
        engine.VersionMismatch, match=r"^a worker runs mlhygiene .*, the audit mlhygiene 0\.0\.0"
    ):
        engine.check_batch([], settings)


def test_a_real_worker_of_another_semgrep_is_refused_before_any_work(
    in_tmp: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The second worker sees Semgrep 9.9.9 (a distribution record first on its path)."""
    other = tmp_path_factory.mktemp("other-semgrep")
    record = other / "semgrep-9.9.9.dist-info"
    record.mkdir()
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: semgrep\nVersion: 9.9.9\n")
    path = os.pathsep.join(filter(None, [str(other), os.environ.get("PYTHONPATH", "")]))
    (in_tmp / "a.py").write_text("import pickle\nx = pickle.load(f)\n")
    with running_cluster(tmp_path_factory.mktemp("dask"), [{}, {"PYTHONPATH": path}]) as started:
        run = _audit(started.address, "out", ".")
        _, err = run.communicate(timeout=300)
    assert run.returncode == 3
    mine = engine.versions()
    theirs = mine.replace(mine.split("; ")[1], "semgrep 9.9.9")
    [line] = err.splitlines()
    assert line.startswith("mlhygiene: error: Dask worker tcp://127.0.0.1:")
    assert line.endswith(
        f" runs {theirs}, this audit {mine}: refused (results must not mix); 1 of 2 workers differ"
    )
    assert not (in_tmp / "out" / "audit.sqlite").exists()
