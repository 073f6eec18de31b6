"""A per-file cache of verdicts, so that a warm run reads and hashes each file and loads none.

Key: SHA-256 of (the run signature, the path as given, the source kind, the file's bytes). The
run signature covers what decides a check's answer besides the file: the code and data of the
installed ``mlhygiene`` package and the bundled rules, Python and the libraries the checks use, the
config keys and options that change findings. An entry holds, per check, the findings and
warnings left after inline suppression (config filters, the baseline and ``strict-parse`` are
applied afresh on every run), so the hooks (one check each) and ``mlhygiene scan`` share it.
Each check's verdict carries a stamp (the Semgrep engine and extra rules, for the Semgrep
checks) and the dependencies it read outside the file (typosquat: the modules beside it), which
are probed again before the verdict is reused. Files with an error are never stored.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import stat
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from mlhygiene import __version__
from mlhygiene._core.cache import PRUNE_CHANCE, cache_root, digest, entry_path, prune, read_json, write_json
from mlhygiene._core.config import Config
from mlhygiene._core.records import CheckResult, FatalError, Finding, Problem, Source

FOLDER = "verdicts-v1"
MAX_ENTRIES = 50_000
MAX_BYTES = 128 * 1024 * 1024
# Options that choose files or checks, or change how results are run, shown or filtered: never
# a check's verdict on a file. Every other option is part of the run signature.
OUTPUT_OPTIONS = frozenset(
    {"command", "paths", "filenames", "only", "format", "config", "baseline", "no_baseline", "no_cache"}
    | {"debug", "jobs"}
)
# Libraries whose version can change a verdict (Semgrep's is in the Semgrep checks' stamp).
LIBRARIES = ("detect_secrets", "nbformat", "packaging", "tomli")

Probe = Callable[[str], str]  # a dependency key -> its digest now ("" when unknown)


class Dependency(NamedTuple):
    """Something outside the file that a verdict read, and what it was then."""

    key: str
    digest: str


class Verdict(NamedTuple):
    """One check's result on one file: after inline suppression, before config and baseline."""

    stamp: str
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]  # warnings only: a file with an error is not stored
    dependencies: tuple[Dependency, ...] = ()


class Entry(NamedTuple):
    verdicts: dict[str, Verdict]
    parse: tuple[Problem, ...] | None  # parse warnings; None when no Python check has run


class FileRead(NamedTuple):
    data: bytes
    size: int
    mtime_ns: int


class CheckInfo(Protocol):
    """What the cache needs to know of a check (``runner.Check``)."""

    @property
    def name(self) -> str: ...
    @property
    def kinds(self) -> frozenset[str]: ...
    @property
    def uses_semgrep(self) -> bool: ...
    @property
    def probe(self) -> Callable[[Config], Probe] | None: ...


def read_file(path: str, max_bytes: int) -> FileRead | None:
    """A regular file's bytes; None for anything else, a file over ``max_bytes`` or a read error."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        with open(path, "rb") as fh:
            data = fh.read()
    except (OSError, ValueError):
        return None
    return FileRead(data, st.st_size, st.st_mtime_ns) if len(data) == st.st_size else None


def _unchanged(path: str, read: FileRead) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (read.size, read.mtime_ns)


@lru_cache(maxsize=1)
def package_digest() -> str:
    """The contents of every file of the ``mlhygiene`` package and of the bundled rules."""
    here = Path(__file__).resolve().parent.parent
    tops = [here]
    if not (here / "rules").is_dir():  # a source checkout: see semgrep.rules_dir
        tops.append(here.parent.parent / "rules")
    sha = hashlib.sha256()
    for top in tops:
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(folder, name)
                sha.update(os.path.relpath(path, top).encode("utf-8", "surrogatepass") + b"\0")
                try:
                    with open(path, "rb") as fh:
                        sha.update(fh.read())
                except OSError:
                    sha.update(b"\1unreadable")
                sha.update(b"\0")
    return sha.hexdigest()


@lru_cache(maxsize=1)
def library_versions() -> str:
    """Where each library is and the ``*.dist-info`` folders beside it (name and version)."""
    parts = []
    listings: dict[str, list[str]] = {}
    for module in LIBRARIES:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None and spec.origin else ""
        parts.append(f"{module}={origin}")
        if origin:
            package = spec is not None and spec.submodule_search_locations is not None
            site = os.path.dirname(os.path.dirname(origin) if package else origin)
            if site not in listings:
                try:
                    listings[site] = sorted(os.listdir(site))
                except OSError:
                    listings[site] = []
            prefix = module.lower() + "-"
            parts += [n for n in listings[site] if n.lower().startswith(prefix) and n.endswith(".dist-info")]
    return "|".join(parts)


def run_signature(config: Config, options: object) -> str:
    """What every verdict of a run depends on besides the file (computed once per run)."""
    chosen = sorted(
        (name, repr(value))
        for name, value in getattr(options, "__dict__", {}).items()
        if name not in OUTPUT_OPTIONS and value not in (None, False, [], ())
    )
    return digest(
        FOLDER,
        __version__,
        package_digest(),
        sys.version,
        library_versions(),
        os.path.abspath(config.root),
        repr((config.settings, config.max_file_size, config.extra_rules)),
        repr(chosen),
    )


def semgrep_stamp(extra_rules: Sequence[str]) -> str | None:
    """The Semgrep checks' stamp: the engine and the extra rules' contents (None: cannot run)."""
    from mlhygiene._core.semgrep import engine_id  # lazy: hooks without Semgrep never import it

    try:
        parts = [engine_id()]
    except FatalError:
        return None  # Semgrep is missing: leave the error to the run itself
    for rule in extra_rules:
        try:
            parts.append(digest(Path(rule).read_text(encoding="utf-8", errors="surrogateescape")))
        except OSError:
            parts.append(f"missing {rule}")
    return digest(*parts)


# -- entries on disk ------------------------------------------------------------------------------


def _finding_row(finding: Finding) -> list[Any]:
    # the fingerprint stands in for the matched text, which may be a secret and is never stored
    return [*finding[1:9], finding.cell, finding.output, finding.fingerprint]


def _finding(path: str, row: Any) -> Finding | None:
    if not isinstance(row, list) or len(row) != 11:
        return None
    line, column, end_line, end_column, rule_id, category, severity, message, cell, output, fingerprint = row
    if not all(type(v) is int for v in (line, column, end_line, end_column)):
        return None
    if not all(isinstance(v, str) for v in (rule_id, category, severity, message, fingerprint)):
        return None
    if not all(v is None or type(v) is int for v in (cell, output)) or not fingerprint:
        return None
    return Finding(
        path,
        line,
        column,
        end_line,
        end_column,
        rule_id,
        category,
        severity,
        message,
        cell,
        output,
        stored_fingerprint=fingerprint,
    )


def _problem(path: str, row: Any) -> Problem | None:
    if not isinstance(row, list) or len(row) != 2 or not isinstance(row[0], str):
        return None
    if row[1] is not None and type(row[1]) is not int:
        return None
    return Problem(path, row[0], fatal=False, cell=row[1])


def _rows(items: Any, path: str, make: Callable[[str, Any], Any]) -> tuple[Any, ...] | None:
    if not isinstance(items, list):
        return None
    made = tuple(make(path, item) for item in items)
    return None if None in made else made


def _dependency(_: str, row: Any) -> Dependency | None:
    if isinstance(row, list) and len(row) == 2 and all(isinstance(v, str) for v in row):
        return Dependency(row[0], row[1])
    return None


def _verdict(path: str, data: Any) -> Verdict | None:
    if not isinstance(data, dict) or not isinstance(data.get("stamp"), str):
        return None
    findings = _rows(data.get("findings"), path, _finding)
    problems = _rows(data.get("problems"), path, _problem)
    dependencies = _rows(data.get("dependencies"), path, _dependency)
    if findings is None or problems is None or dependencies is None:
        return None
    return Verdict(data["stamp"], findings, problems, dependencies)


def parse_entry(path: str, data: Any) -> Entry | None:
    """The entry in ``data``; None for anything damaged or foreign (a miss, never a crash)."""
    if not isinstance(data, dict) or data.get("path") != path or not isinstance(data.get("checks"), dict):
        return None
    verdicts: dict[str, Verdict] = {}
    for name, value in data["checks"].items():
        verdict = _verdict(path, value)
        if verdict is None:
            return None
        verdicts[name] = verdict
    parse = None if data.get("parse") is None else _rows(data["parse"], path, _problem)
    if parse is None and data.get("parse") is not None:
        return None
    return Entry(verdicts, parse)


def entry_json(path: str, entry: Entry) -> dict[str, Any]:
    return {
        "path": path,
        "checks": {
            name: {
                "stamp": v.stamp,
                "findings": [_finding_row(f) for f in v.findings],
                "problems": [[p.message, p.cell] for p in v.problems],
                "dependencies": [list(d) for d in v.dependencies],
            }
            for name, v in entry.verdicts.items()
        },
        "parse": None if entry.parse is None else [[p.message, p.cell] for p in entry.parse],
    }


class VerdictCache:
    """The entries on disk: one JSON file per key; a folder that cannot be written is skipped."""

    def __init__(self, folder: Path, signature: str) -> None:
        self.folder = folder
        self.signature = signature
        self.writable = True

    def key(self, path: str, kind: str, data: bytes) -> str:
        # the bytes are hashed on their own: no copy of a large file is made
        return digest(self.signature, path, kind, hashlib.sha256(data).hexdigest())

    def get(self, key: str, path: str) -> Entry | None:
        return parse_entry(path, read_json(entry_path(self.folder, key)))

    def put(self, key: str, path: str, entry: Entry) -> None:
        """Merge ``entry`` into what is stored (another hook may have stored other checks)."""
        if not self.writable:
            return
        old = self.get(key, path)
        if old is not None:
            parse = old.parse if entry.parse is None else entry.parse
            entry = Entry({**old.verdicts, **entry.verdicts}, parse)
        self.writable = write_json(entry_path(self.folder, key), entry_json(path, entry))

    def prune(self) -> None:
        prune(self.folder, MAX_ENTRIES, MAX_BYTES)


class RunCache:
    """The verdict cache as one run uses it: look each file up, then store what was computed."""

    def __init__(self, checks: Sequence[CheckInfo], config: Config, options: object, python: bool) -> None:
        self.cache = VerdictCache(cache_root() / FOLDER, run_signature(config, options))
        self.checks = checks
        self.config = config
        self.python = python
        self.reads: dict[str, FileRead] = {}
        self.keys: dict[str, str] = {}
        self._semgrep_stamp: str | None = None
        self._semgrep_stamped = False
        self._probes: dict[str, Probe | None] = {}
        self._probed: dict[tuple[str, str], str] = {}

    def stamp(self, check: CheckInfo) -> str | None:
        if not check.uses_semgrep:
            return ""
        if not self._semgrep_stamped:
            self._semgrep_stamp = semgrep_stamp(self.config.extra_rules)
            self._semgrep_stamped = True
        return self._semgrep_stamp

    def _holds(self, check: CheckInfo, dependency: Dependency) -> bool:
        """Whether a dependency still has the digest it had (probes are asked once per run)."""
        if check.name not in self._probes:
            self._probes[check.name] = check.probe(self.config) if check.probe else None
        probe = self._probes[check.name]
        if probe is None:
            return False
        memo = (check.name, dependency.key)
        if memo not in self._probed:
            try:
                self._probed[memo] = probe(dependency.key)
            except Exception:  # a key it cannot read back: recompute
                self._probed[memo] = ""
        return self._probed[memo] == dependency.digest

    def lookup(self, path: str, kind: str) -> CheckResult | None:
        """The stored findings and warnings of every check of this run on ``path``, or None."""
        read = read_file(path, self.config.max_file_size)
        if read is None:
            return None
        self.reads[path] = read
        self.keys[path] = key = self.cache.key(path, kind, read.data)
        entry = self.cache.get(key, path)
        if entry is None or (self.python and entry.parse is None):
            return None
        findings: list[Finding] = []
        problems: list[Problem] = list(entry.parse or ()) if self.python else []
        for check in self.checks:
            if kind not in check.kinds:
                continue
            verdict = entry.verdicts.get(check.name)
            if verdict is None or verdict.stamp != self.stamp(check):
                return None
            if not all(self._holds(check, d) for d in verdict.dependencies):
                return None
            findings += verdict.findings
            problems += verdict.problems
        return CheckResult(findings, problems)

    def data(self, path: str) -> bytes | None:
        read = self.reads.get(path)
        return None if read is None else read.data

    def store(
        self,
        sources: Iterable[Source],
        results: Mapping[str, CheckResult],
        warnings: Sequence[Problem],
        dependencies: Mapping[tuple[str, str], Sequence[Dependency]],
    ) -> None:
        """One entry per freshly checked file (``results`` by check name, after suppression).

        Nothing is stored after a run-level problem (a check crashed, Semgrep failed), nor for
        a file with an error or one that changed while it was checked.
        """
        problems = [p for r in results.values() for p in r.problems]
        if any(p.path.startswith("<") for p in problems):
            return
        failed = {p.path for p in problems if p.fatal}
        mine: dict[tuple[str, str], tuple[list[Finding], list[Problem]]] = {}
        for name, result in results.items():
            for f in result.findings:
                mine.setdefault((name, f.path), ([], []))[0].append(f)
            for p in result.problems:
                mine.setdefault((name, p.path), ([], []))[1].append(p)
        parse: dict[str, list[Problem]] = {}
        for p in warnings:
            parse.setdefault(p.path, []).append(p)
        stored = False
        for source in sources:
            path, read, key = source.path, self.reads.get(source.path), self.keys.get(source.path)
            if read is None or key is None or path in failed or not _unchanged(path, read):
                continue
            verdicts: dict[str, Verdict] = {}
            for check in self.checks:
                if source.kind not in check.kinds:
                    continue
                stamp = self.stamp(check)
                if stamp is None or check.name not in results:
                    break
                findings, found = mine.get((check.name, path), ([], []))
                deps = tuple(dependencies.get((check.name, path), ()))
                verdicts[check.name] = Verdict(stamp, tuple(findings), tuple(found), deps)
            else:
                warned = tuple(parse.get(path, ())) if self.python else None
                self.cache.put(key, path, Entry(verdicts, warned))
                stored = True
        if stored and random.random() < PRUNE_CHANCE:  # noqa: S311 (not security)
            self.cache.prune()
