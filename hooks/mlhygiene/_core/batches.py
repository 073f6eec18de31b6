"""Large scans in batches: bounded memory, every core busy, results in a fixed order.

A batch is a run of consecutive paths (sorted, so a folder's files stay together and the
per-batch reports concatenate into the globally sorted one). Each batch is loaded, checked
and dropped by one worker process; only the findings come back. Batches are sized by file
bytes and count, and there are at least as many as workers, in a multiple of them, so
that the workers finish together.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

BATCH_BYTES = 32 * 1024 * 1024
BATCH_FILES = 1024
MIN_FILES_PER_WORKER = 32

T = TypeVar("T")


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # reported by the loader


def split(paths: Sequence[str], sizes: Sequence[int], workers: int) -> list[list[str]]:
    """``paths`` (in order) in consecutive batches of about equal bytes."""
    if not paths:
        return []
    total = sum(sizes)
    needed = max(math.ceil(total / BATCH_BYTES), math.ceil(len(paths) / BATCH_FILES), 1)
    wanted = needed  # the memory bound; more batches only to give every worker a share
    if workers > 1:
        balanced = math.ceil(needed / workers) * workers
        wanted = max(needed, min(balanced, len(paths) // MIN_FILES_PER_WORKER))
    if wanted <= 1:
        return [list(paths)]
    share = total / wanted if total else 0.0
    out: list[list[str]] = [[]]
    filled = 0
    for path, size in zip(paths, sizes, strict=True):
        limit = share * len(out)
        if out[-1] and len(out) < wanted and (filled + size / 2 > limit or len(out[-1]) >= BATCH_FILES):
            out.append([])
        out[-1].append(path)
        filled += size
    return out


def run_ordered(
    work: Callable[[list[str]], T], batches: Sequence[list[str]], workers: int
) -> Iterator[T]:
    """``work`` over each batch, in worker processes when there are several; yields in order."""
    if workers <= 1 or len(batches) <= 1:
        for batch in batches:
            yield work(batch)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(batches))) as pool:
        futures: list[Future[T]] = [pool.submit(work, batch) for batch in batches]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
