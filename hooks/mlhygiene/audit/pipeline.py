"""The audit run: walk into the store, check what is pending, write the report."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlhygiene._core.batches import available_cores
from mlhygiene._core.config import Config
from mlhygiene._core.report import escape
from mlhygiene._core.runner import EXIT_CLEAN, EXIT_ERROR
from mlhygiene._core.sources import classify
from mlhygiene.audit import engine, report
from mlhygiene.audit.store import Pending, Store
from mlhygiene.audit.walk import Occurrence, hash_file, history_blobs, read_blobs, repositories, tree_files

CHUNK = 2000
QUIET_PROGRESS_SECONDS = 30.0


def tools(config: Config) -> str:
    """What decides a verdict besides the content: results of other versions must not mix."""
    settings = (
        config.enable,
        config.disable,
        config.settings,  # the checks' own keys (allow-packages, pickle-allow, policy, ...)
        config.extra_rules,
        config.max_file_size,
    )
    return f"{engine.versions()}; config {settings!r}"


def _label(folder: str) -> str:
    rel = os.path.relpath(folder)
    return folder if rel.startswith("..") else rel


def collect(store: Store, paths: list[str], history: bool, out: str) -> dict[str, str]:
    """Every file (and with ``history`` every blob) into the store; repository label -> folder.

    The results folder ``out`` is never read (a rerun would count the last run's report)."""
    roots: dict[str, str] = {"": os.getcwd()}
    chunk: list[Occurrence] = []
    walking = Progress(0, 0)
    for repo, inside, path in tree_files(paths, skip=[out]):
        walking.found(1)
        roots.setdefault(repo, os.path.abspath(repo) if repo else os.getcwd())
        kind = classify(path) or "config"
        try:
            sha, size = hash_file(path)
        except OSError as exc:
            store.add_unreadable(repo, inside, f"cannot read ({exc.strerror or exc})")
            continue
        chunk.append(Occurrence(repo, inside, "", "", True, sha, size, kind))
        if len(chunk) >= CHUNK:
            store.add_occurrences(chunk)
            chunk = []
    store.add_occurrences(chunk)
    if history:
        for folder in repositories(paths):
            label = _label(folder)
            roots.setdefault(label, folder)
            store.add_occurrences(_blobs(store, folder, label))
    return roots


def _blobs(store: Store, folder: str, label: str) -> Iterator[Occurrence]:
    todo: list[tuple[str, str, str]] = []
    for oid, commit, path in history_blobs(folder):
        known = store.known(label, oid)
        if known is None:
            todo.append((oid, commit, path))
            continue
        size, kind = store.db.execute("SELECT size, kind FROM contents WHERE sha256 = ?", (known,)).fetchone()
        yield Occurrence(label, path, commit, oid, False, known, size, kind)
    where = {oid: (commit, path) for oid, commit, path in todo}
    for oid, data in read_blobs(folder, [oid for oid, _, _ in todo]):
        commit, path = where[oid]
        kind = classify(os.path.join("/nonexistent-mlhygiene-audit", path)) or "config"
        yield Occurrence(label, path, commit, oid, False, hashlib.sha256(data).hexdigest(), len(data), kind)


class Progress:
    """On a terminal a progress bar on stderr (rich); otherwise a line every 30 s.

    While the tree is walked (``files`` 0) the quiet form only says how many files were found.
    """

    def __init__(self, files: int, size: int) -> None:
        self.files, self.size = files, size
        self.done_files = self.done_bytes = 0
        self.start = self.last = time.monotonic()
        self.bar: Any = None
        if sys.stderr.isatty() and files:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.progress import (
                Progress as Bar,
            )

            self.bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self._description(), total=size or 1)

    def _description(self) -> str:
        return f"audit {self.done_files:,}/{self.files:,} files"

    def found(self, files: int) -> None:
        self.done_files += files
        now = time.monotonic()
        if now - self.last >= QUIET_PROGRESS_SECONDS:
            self.last = now
            found = _count(self.done_files, "file")
            print(f"mlhygiene audit: {found} found so far", file=sys.stderr, flush=True)

    def advance(self, files: int, size: int) -> None:
        self.done_files += files
        self.done_bytes += size
        now = time.monotonic()
        if self.bar is not None:
            self.bar.update(self.task, advance=size, description=self._description())
        elif now - self.last >= QUIET_PROGRESS_SECONDS:
            self.last = now
            rate = self.done_bytes / 1048576 / max(now - self.start, 1e-9)
            print(
                f"mlhygiene audit: {self.done_files:,}/{self.files:,} files, "
                f"{self.done_bytes / 1048576:,.1f}/{self.size / 1048576:,.1f} MB, {rate:,.2f} MB/s",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def audit(options: argparse.Namespace) -> int:
    from mlhygiene.checks import load_config, validate  # the registry: every check's config keys

    config = load_config(options.config) if options.config else Config(root=Path.cwd())
    validate(config)
    os.makedirs(options.out, exist_ok=True)
    cluster = None
    if options.scheduler:
        from mlhygiene.audit.cluster import Cluster

        cluster = Cluster(options.scheduler)  # refuses workers of other versions before any work
    store = Store(os.path.join(options.out, "audit.sqlite"), tools(config))
    try:
        started = time.monotonic()
        roots = collect(store, list(options.paths), options.history, options.out)
        files, size = store.pending_totals()
        progress = Progress(files, size)
        settings = engine.Settings(config, store.salt, options.debug)
        sizes: dict[str, int] = {}  # of the batches in flight only

        def tracked(batches: Iterator[list[Pending]]) -> Iterator[list[Pending]]:
            for batch in batches:
                sizes.update((p.sha256, p.size) for p in batch)
                yield batch

        try:
            workers = (options.jobs or available_cores()) if cluster is None else cluster.workers
            work = tracked(engine.batches(store.pending(roots), files, size, workers, options.batch_files))
            if cluster is None:
                described: dict[str, Any] = {"kind": "local", "processes": workers}
                stream = engine.local(work, settings, workers)
            else:
                described = cluster.engine()
                stream = cluster.run(work, settings)
            for results in stream:
                store.write(results)
                progress.advance(len(results), sum(sizes.pop(r.sha256, 0) for r in results))
        finally:
            progress.close()
        data = report.summary(store.db, described, options.ignore_suppressions)
        report.write_json(data, os.path.join(options.out, "summary.json"))
        report.findings_csv(store.db, os.path.join(options.out, "findings.csv"))
        report.report_html(data, os.path.join(options.out, "report.html"))
    finally:
        store.close()
        if cluster is not None:
            cluster.close()
    for error in data["errors"]["list"]:
        print(escape(f"{error['path']}: error: {error['message']}"), file=sys.stderr)
    print(escape(_summary_line(data, time.monotonic() - started, options.out)), file=sys.stderr)
    return EXIT_ERROR if data["errors"]["files"] else EXIT_CLEAN


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _summary_line(data: dict[str, Any], elapsed: float, out: str) -> str:
    secrets = data["unique_secrets"]["total"]
    repositories = _count(data["repositories"], "repository", "repositories")
    return (
        f"mlhygiene audit: {_count(data['files_scanned'], 'file')} ({data['files_unique']:,} unique, "
        f"{data['bytes'] / 1048576:,.1f} MB) in {repositories}: "
        f"{_count(data['findings'], 'finding')}, {_count(secrets, 'unique secret')}, "
        f"{data['errors']['files']:,} could not be checked; {elapsed:.1f} s; "
        f"report: {os.path.join(out, 'report.html')}"
    )
