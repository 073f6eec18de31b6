"""The engine seam: :func:`check_batch` turns a batch of contents into results, anywhere.

A batch is a list of :class:`~mlhygiene.audit.store.Pending` (a sha256 and where to read it:
a file, or a blob of a repository read with ``git cat-file --batch``). The worker runs the
same checks as ``scan`` (the pipeline of ``mlhygiene._core.runner``, without the verdict
cache, the baseline or a config's exclusions), adds the import census, and sends back
findings and imports only; it never writes the store. :func:`local` runs batches over a
process pool; another engine (Dask) needs only to run :func:`check_batch` on its workers.
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import NamedTuple

from mlhygiene import __version__
from mlhygiene._core.batches import BATCH_BYTES, BATCH_FILES, MIN_FILES_PER_WORKER
from mlhygiene._core.config import Config
from mlhygiene._core.records import FatalError, Finding, Problem, Source
from mlhygiene._core.runner import PYTHON_KINDS, Context, analyses_of, load_files, parse_warnings, run_each
from mlhygiene._core.sources import read_bytes
from mlhygiene._core.suppress import is_suppressed
from mlhygiene._core.trees import Trees
from mlhygiene.audit.census import modules
from mlhygiene.audit.store import ContentResult, Pending, StoredFinding, salted
from mlhygiene.audit.walk import read_blobs

_UNSAFE_PART = re.compile(r"^\.*$")


class Settings(NamedTuple):
    """What every worker needs besides the batch (picklable, sent with each batch)."""

    config: Config
    salt: str
    debug: bool = False
    tools: str = ""  # the versions a remote worker must run (see ``versions``); "" to trust it


class WorkerFailed(FatalError):
    """A worker process died or a batch crashed (exit 3; a rerun resumes)."""


class VersionMismatch(Exception):
    """A worker runs other tool versions than the audit: its results must not mix."""


def versions() -> str:
    """The tool versions that decide a verdict besides the content and the config."""
    from importlib.metadata import PackageNotFoundError, version

    found = [f"mlhygiene {__version__}"]
    for name in ("semgrep", "detect-secrets"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} ?")
    return "; ".join(found)


def batches(
    pending: Iterable[Pending], files: int, size: int, workers: int, most: int = 0
) -> Iterator[list[Pending]]:
    """Batches by bytes and count as ``scan`` makes them (``_core.batches.split``), made as the
    contents stream in: ``files`` and ``size`` are their totals; at most ``most`` per batch."""
    needed = max(math.ceil(size / BATCH_BYTES), math.ceil(files / BATCH_FILES), 1)
    wanted = needed
    if workers > 1:
        wanted = max(needed, min(math.ceil(needed / workers) * workers, files // MIN_FILES_PER_WORKER))
    share = size / wanted if wanted > 1 else float("inf")
    limit = min(most or BATCH_FILES, BATCH_FILES)
    batch: list[Pending] = []
    made = filled = 0
    for item in pending:
        if batch and (filled + item.size / 2 > share * (made + 1) or len(batch) >= limit):
            yield batch
            made += 1
            batch = []
        batch.append(item)
        filled += item.size
    if batch:
        yield batch


def _stored(finding: Finding, salt: str, suppressed: bool) -> StoredFinding:
    secret_hash = prefix = None
    if finding.category == "credentials" and finding.matched:
        from mlhygiene._secrets.rules import hint

        secret_hash = salted(salt, finding.matched)
        try:
            prefix = hint(finding.rule_id, finding.matched)
        except KeyError:  # a custom rule: no known public prefix, so no hint
            prefix = ""
    return StoredFinding(
        finding.rule_id,
        finding.category,
        finding.severity,
        finding.cell,
        finding.output,
        finding.line,
        finding.column,
        finding.end_line,
        finding.end_column,
        finding.message,
        finding._replace(path="").fingerprint,  # the same for every copy of the content
        secret_hash,
        prefix,
        finding.matched if finding.category == "typosquat" else None,
        suppressed,
    )


def _safe_relative(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return os.path.join(*[("_" if _UNSAFE_PART.match(p) else p) for p in parts] or ["_"])


def _materialise(
    items: Sequence[Pending], folder: str
) -> tuple[dict[str, str], dict[str, bytes], list[tuple[str, str]]]:
    """Where each content is read from: checked path -> sha256, the bytes already read, problems."""
    where: dict[str, str] = {}
    data: dict[str, bytes] = {}
    problems: list[tuple[str, str]] = []
    blobs: dict[str, list[tuple[int, Pending]]] = {}
    for number, item in enumerate(items):
        if item.blob:
            blobs.setdefault(item.repo, []).append((number, item))
        else:
            where[os.path.join(item.repo, item.path)] = item.sha256
    for repo, wanted in blobs.items():
        try:
            contents = dict(read_blobs(repo, [item.blob for _, item in wanted]))
        except OSError as exc:
            problems += [(item.sha256, f"could not be read from git ({exc})") for _, item in wanted]
            continue
        for number, item in wanted:
            path = os.path.join(folder, str(number), _safe_relative(item.path))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(contents[item.blob])
            where[path] = item.sha256
            data[path] = contents[item.blob]
    return where, data, problems


def check_batch(items: Sequence[Pending], settings: Settings) -> list[ContentResult]:
    """Every check and the import census over one batch; one result per content."""
    from mlhygiene.checks import CHECKS

    if settings.tools and settings.tools != versions():
        raise VersionMismatch(f"a worker runs {versions()}, the audit {settings.tools}: refused")
    config = settings.config
    options = argparse.Namespace(
        no_cache=True, no_baseline=True, debug=settings.debug, semgrep_processes=1, strict=False
    )
    kinds = {item.sha256: item.kind for item in items}
    with tempfile.TemporaryDirectory(prefix="mlhygiene-audit-") as folder:
        where, data, read_problems = _materialise(items, folder)
        files = [(path, kinds[sha]) for path, sha in where.items()]
        for path, kind in files:  # scripts and text are read once here, by the loader's rules
            if kind != "artifact" and path not in data:
                try:
                    data[path] = read_bytes(path, config.max_file_size)
                except Exception:  # noqa: S112  # the loader reads it again and says why
                    continue
        sources, problems = load_files(files, config, settings.debug, True, data.get)
        ctx = Context(config, options, sources, analyses_of(CHECKS.values()))
        try:
            if any(s.kind in PYTHON_KINDS for s in sources):
                ctx.start_semgrep()
            results, crashes = run_each(list(CHECKS.values()), sources, ctx, options)
        finally:
            ctx.close()
        by_path = {s.path: s for s in sources}
        findings: dict[str, list[StoredFinding]] = {sha: [] for sha in kinds}
        for result in results.values():
            problems += result.problems
            for finding in sorted(set(result.findings), key=lambda f: (*f.sort_key(), f.fingerprint)):
                sha = where.get(finding.path)
                if sha is None or not config.rule_enabled(finding.rule_id, finding.category):
                    continue
                source = by_path.get(finding.path)
                suppressed = source is not None and is_suppressed(finding, source)
                findings[sha].append(_stored(finding, settings.salt, suppressed))
        problems += crashes + parse_warnings(s for s in sources if s.kind in PYTHON_KINDS)
        return _results(kinds, where, sources, findings, problems, read_problems, ctx.trees)


def _results(
    kinds: dict[str, str],
    where: dict[str, str],
    sources: Sequence[Source],
    findings: dict[str, list[StoredFinding]],
    problems: Sequence[Problem],
    read_problems: Sequence[tuple[str, str]],
    trees: Trees,
) -> list[ContentResult]:
    imports: dict[str, set[str]] = {sha: set() for sha in kinds}
    for source in sources:
        imports[where[source.path]] |= modules(source, trees)
    issues: dict[str, list[tuple[str, bool]]] = {sha: [] for sha in kinds}
    for sha, message in read_problems:
        issues[sha].append((message, True))
    for problem in problems:
        cell = f"cell {problem.cell}: " if problem.cell is not None else ""
        owner = where.get(problem.path)
        targets = [owner] if owner is not None else list(kinds)  # a run-wide problem hits every content
        label = "" if owner is not None else f"{problem.path}: "
        for target in targets:
            issues[target].append((f"{label}{cell}{problem.message}", problem.fatal))
    return [
        ContentResult(
            sha,
            findings[sha],
            sorted(imports[sha]),
            sorted(dict.fromkeys(issues[sha])),
        )
        for sha in sorted(kinds)
    ]


def _watch_parent(audit: int) -> None:
    """A worker whose audit process died (SIGKILL) exits instead of lingering.

    The worker's parent is the audit, or the forkserver that dies with it: when the parent
    changes, or the audit is gone, the worker leaves.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            try:
                os.kill(audit, 0)
            except ProcessLookupError:
                break
            except OSError:  # not ours to signal: still alive
                pass
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def local(work: Iterable[list[Pending]], settings: Settings, processes: int) -> Iterator[list[ContentResult]]:
    """Each batch's results as soon as they are done, from ``processes`` worker processes; the
    batches are taken from ``work`` only as workers free up (bounded memory)."""
    todo = iter(work)
    first = list(itertools.islice(todo, 2))
    todo = itertools.chain(first, todo)
    if processes <= 1 or len(first) <= 1:
        for batch in todo:
            yield check_batch(batch, settings)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    running: set[Future[list[ContentResult]]] = set()
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context(method),
        initializer=_watch_parent,
        initargs=(os.getpid(),),
    ) as pool:
        try:
            for batch in itertools.islice(todo, 2 * processes):  # a few batches in flight
                running.add(pool.submit(check_batch, batch, settings))
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        results = future.result()
                    except Exception as exc:  # a worker killed (out of memory) or a bug
                        raise WorkerFailed(
                            f"an audit worker failed ({type(exc).__name__}: {exc}); the results store is "
                            "consistent: rerun the same command to resume"
                        ) from None
                    yield results
                    for batch in itertools.islice(todo, 1):
                        running.add(pool.submit(check_batch, batch, settings))
        finally:
            for future in running:
                future.cancel()
