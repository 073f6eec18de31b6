"""The Dask engine: :func:`~mlhygiene.audit.engine.check_batch` on an existing ``dask.distributed``
cluster (``--scheduler tcp://HOST:PORT``).

Workers read the files themselves (the paths must be readable by every worker: a shared
filesystem), run the checks and send back findings and imports only; the audit process stays
the one writer of the store. A worker that dies mid-batch has its batches rerun elsewhere by
the scheduler (the store is written per whole batch, so nothing counts twice). A worker whose
mlhygiene, Semgrep or detect-secrets version differs from this process's is refused before
any work, and again by each batch (a worker may join later).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from mlhygiene._core.records import FatalError
from mlhygiene.audit.engine import Settings, VersionMismatch, check_batch, versions
from mlhygiene.audit.store import ContentResult, Pending

QUEUED_PER_WORKER = 4  # batches submitted ahead per worker: enough to rebalance, bounded memory
TIMEOUT_ENV = "MLHYGIENE_DASK_TIMEOUT"  # seconds to reach the scheduler and see a worker


def _timeout() -> float:
    """Seconds to wait for the scheduler and a first worker ($MLHYGIENE_DASK_TIMEOUT, default 30)."""
    value = os.environ.get(TIMEOUT_ENV, "30")
    return float(value) if value.replace(".", "", 1).isdigit() else 30.0


class ClusterError(FatalError):
    """The scheduler could not be reached or was lost (exit 3; a rerun resumes)."""


def _lost(address: str, exc: BaseException) -> ClusterError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ClusterError(
        f"the Dask scheduler {address} is unreachable or was lost ({reason}); the results store is "
        "consistent: rerun the same command to resume"
    )


def _quiet() -> None:
    """The client's own log prints tracebacks when the scheduler goes: we say it in one line."""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


class Cluster:
    """A connection to a running Dask scheduler, with its workers checked."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            from mlhygiene._core.records import UsageError

            raise UsageError('--scheduler needs dask.distributed: pip install "mlhygiene[audit]"') from None
        self.address = address
        _quiet()
        try:
            self.client: Any = Client(address, timeout=_timeout(), set_as_default=False)
            self.client.wait_for_workers(1, timeout=_timeout())
            found = self.client.run(versions)
        except Exception as exc:
            raise _lost(address, exc) from None
        mine = versions()
        wrong = sorted((w, v) for w, v in found.items() if v != mine)
        if wrong:
            worker, theirs = wrong[0]
            self.client.close()
            raise ClusterError(
                f"Dask worker {worker} runs {theirs}, this audit {mine}: refused (results must not "
                f"mix); {len(wrong)} of {len(found)} workers differ"
            )
        self.workers = len(found)

    def engine(self) -> dict[str, Any]:
        return {"kind": "dask", "scheduler": self.address, "workers": self.workers}

    def run(self, work: Iterable[list[Pending]], settings: Settings) -> Iterator[list[ContentResult]]:
        """Each batch's results as they arrive (in any order); a few batches per worker queued."""
        from distributed import as_completed

        settings = settings._replace(tools=versions())
        todo = iter(work)
        try:
            arrived = as_completed(with_results=True, loop=self.client.loop)

            def submit(count: int) -> None:
                for batch in itertools.islice(todo, count):
                    arrived.add(self.client.submit(check_batch, batch, settings, pure=False))

            submit(QUEUED_PER_WORKER * self.workers)
            for _, result in arrived:
                if isinstance(result, BaseException):  # cancelled: the scheduler went away
                    raise result
                yield result
                submit(1)
        except VersionMismatch as exc:
            raise ClusterError(str(exc)) from None
        except FatalError:
            raise
        except Exception as exc:
            raise _lost(self.address, exc) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a lost connection: nothing left to do
            self.client.close(timeout=5)
