"""The pipeline every hook and ``scan`` run: look up, load, check, suppress, filter.

No argument handling here, and no printing but --debug tracebacks (see ``mlhygiene.command`` and
``_core.report``)."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from mlhygiene._core.baseline import filter_baseline, load_baseline
from mlhygiene._core.cache import usable_root
from mlhygiene._core.config import Config, Setting
from mlhygiene._core.records import CheckResult, FatalError, Finding, Problem, Source
from mlhygiene._core.report import escape
from mlhygiene._core.sources import SkippedData, SourceError, classify, load_source, parse_problems
from mlhygiene._core.suppress import is_suppressed
from mlhygiene._core.trees import Analysis, Trees
from mlhygiene._core.verdicts import Dependency, Probe, RunCache

if TYPE_CHECKING:
    from mlhygiene._core.semgrep import SemgrepRun

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
PYTHON_KINDS = frozenset({"script", "notebook"})


class Context:
    """What a check may use: config, options, the run's shared Semgrep run, the run's parsed
    ``trees`` (one parse per unit for the ``analyses`` its checks declared), and ``depends``."""

    def __init__(
        self,
        config: Config,
        options: argparse.Namespace,
        sources: Sequence[Source],
        analyses: Iterable[Analysis[Any]] = (),
    ) -> None:
        self.config = config
        self.options = options
        self.sources = sources
        self.trees = Trees(analyses)
        self._semgrep: SemgrepRun | None = None
        self.check = ""  # the name of the check running now
        self.dependencies: dict[tuple[str, str], list[Dependency]] = {}

    def depends(self, path: str, key: str, digest: str) -> None:
        """The running check's verdict on ``path`` read something outside the file: ``key``,
        which had ``digest``. A cached verdict is reused only while the check's ``probe`` still
        gives that digest for that key."""
        self.dependencies.setdefault((self.check, path), []).append(Dependency(key, digest))

    def start_semgrep(self) -> None:
        """Start every Semgrep rule over every Python source of this run, once, in the background."""
        if self._semgrep is None:
            from mlhygiene._core.semgrep import SemgrepRun

            python = [s for s in self.sources if s.kind in PYTHON_KINDS]
            self._semgrep = SemgrepRun(
                python,
                extra_rules=self.config.extra_rules,
                timeout=self.config.semgrep_timeout,
                use_cache=not getattr(self.options, "no_cache", False),
                processes=getattr(self.options, "semgrep_processes", None),
                trees=self.trees,
            )

    def semgrep(self) -> CheckResult:
        """The shared Semgrep result (started on first use if nobody started it earlier)."""
        self.start_semgrep()
        assert self._semgrep is not None
        return self._semgrep.result()

    def close(self) -> None:
        if self._semgrep is not None:
            self._semgrep.close()


class Check(NamedTuple):
    """A hook's check: the source kinds it reads and a function over them."""

    name: str
    kinds: frozenset[str]
    run: Callable[[Sequence[Source], Context], CheckResult]
    uses_semgrep: bool = False
    needs_python: bool = True  # reads Python units / wants parse warnings
    # For checks that call ``ctx.depends``: given the run's config, the function that gives a
    # dependency key's digest now (see mlhygiene/_core/verdicts.py).
    probe: Callable[[Config], Probe] | None = None
    category: str = ""  # the category of its findings (= its name, except for custom rules)
    # The rule ids the check emits itself; a Semgrep check also reports the bundled rules of
    # its category (rules/<category>/*.yaml). See mlhygiene/checks.py.
    rule_ids: tuple[str, ...] = ()
    # (rule id, category) for the rule ids whose category is not the check's own.
    rule_categories: tuple[tuple[str, str], ...] = ()
    # The [tool.mlhygiene] keys only this check reads (their values are in the verdict cache key).
    settings: tuple[Setting, ...] = ()
    # What it reads from syntax trees (``ctx.trees.fact``): computed at a unit's one parse.
    analyses: tuple[Analysis[Any], ...] = ()


def analyses_of(checks: Iterable[Check]) -> list[Analysis[Any]]:
    """The tree analyses ``checks`` declared (see ``mlhygiene._core.trees``)."""
    return [analysis for check in checks for analysis in check.analyses]


def semgrep_check(name: str, category: str) -> Check:
    """A check that reports one category of the shared Semgrep run."""

    def run(sources: Sequence[Source], ctx: Context) -> CheckResult:
        paths = {s.path for s in sources}
        result = ctx.semgrep()
        return CheckResult(
            [f for f in result.findings if f.category == category and f.path in paths],
            [p for p in result.problems if p.path in paths or p.path.startswith("<")],
        )

    return Check(name, PYTHON_KINDS, run, uses_semgrep=True, category=category)


def candidates(paths: Iterable[str], kinds: frozenset[str], config: Config) -> list[tuple[str, str]]:
    """(path, kind) of each file some check of this run reads, once each, minus the excluded."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path in paths:
        if path in seen or config.excluded(path):
            continue
        seen.add(path)
        kind = classify(path)
        if kind is not None and kind in kinds:
            found.append((path, kind))
    return found


def load_files(
    files: Iterable[tuple[str, str]],
    config: Config,
    debug: bool = False,
    python: bool = True,
    read: Callable[[str], bytes | None] = lambda path: None,
) -> tuple[list[Source], list[Problem]]:
    """Load each (path, kind); ``read`` gives the bytes of the files already read (else None)."""
    sources: list[Source] = []
    problems: list[Problem] = []
    for path, kind in files:
        try:
            sources.append(load_source(path, kind, config.max_file_size, python, read(path)))
        except SkippedData as exc:
            problems.append(Problem(path, str(exc), fatal=False))
        except SourceError as exc:
            problems.append(Problem(path, str(exc)))
        except (RecursionError, MemoryError) as exc:
            problems.append(Problem(path, f"could not be loaded ({type(exc).__name__})"))
        except Exception as exc:  # a loader bug on one odd file must not stop the others
            if debug:
                print(escape(traceback.format_exc()), end="", file=sys.stderr)
            problems.append(
                Problem(
                    path,
                    f"could not be loaded ({type(exc).__name__}: {exc}); rerun with --debug and report it",
                )
            )
    return sources, problems


def run_each(
    checks: Sequence[Check], sources: Sequence[Source], ctx: Context, options: argparse.Namespace
) -> tuple[dict[str, CheckResult], list[Problem]]:
    """Every check over its sources, Python-side checks first while Semgrep works: the results
    by check name, and a problem for each check that crashed."""
    results: dict[str, CheckResult] = {}
    crashes: list[Problem] = []
    for check in sorted(checks, key=lambda c: c.uses_semgrep):
        mine = [s for s in sources if s.kind in check.kinds]
        if not mine:
            continue
        ctx.check = check.name
        try:
            results[check.name] = check.run(mine, ctx)
        except FatalError:
            raise
        except Exception as exc:  # a bug must not pass as "clean"
            if getattr(options, "debug", False):
                print(escape(traceback.format_exc()), end="", file=sys.stderr)
            crashes.append(
                Problem(
                    "<internal>",
                    f"{check.name} crashed ({type(exc).__name__}: {exc}); rerun with --debug and report it",
                )
            )
        finally:
            ctx.check = ""
    return results, crashes


def _unsuppressed(result: CheckResult, by_path: dict[str, Source]) -> CheckResult:
    findings = [f for f in result.findings if f.path not in by_path or not is_suppressed(f, by_path[f.path])]
    return CheckResult(findings, result.problems)


class Outcome(NamedTuple):
    findings: list[Finding]
    problems: list[Problem]
    files: int  # how many files some check read (cached or not)
    notebooks: int  # of which notebooks


def run_checks(
    paths: Iterable[str],
    checks: Sequence[Check],
    config: Config,
    options: argparse.Namespace,
    *,
    apply_baseline: bool = True,
) -> tuple[list[Finding], list[Problem]]:
    """The findings and problems of :func:`run`."""
    outcome = run(paths, checks, config, options, apply_baseline=apply_baseline)
    return outcome.findings, outcome.problems


def run(
    paths: Iterable[str],
    checks: Sequence[Check],
    config: Config,
    options: argparse.Namespace,
    *,
    apply_baseline: bool = True,
) -> Outcome:
    """Look up, load, check, filter: the same path for every hook, ``scan`` and ``baseline``.

    A file whose verdicts are all in the cache (mlhygiene/_core/verdicts.py) is not loaded; the
    others are loaded and checked, and their verdicts stored.
    """
    kinds = frozenset().union(*(c.kinds for c in checks))
    python = any(c.needs_python for c in checks)
    debug = getattr(options, "debug", False)
    files = candidates(paths, kinds, config)
    counted = (len(files), sum(kind == "notebook" for _, kind in files))
    findings: list[Finding] = []
    problems: list[Problem] = []
    use_cache = not getattr(options, "no_cache", False) and usable_root() is not None
    cache = RunCache(checks, config, options, python) if use_cache else None
    if cache is not None:
        todo = []
        for path, kind in files:
            hit = cache.lookup(path, kind)
            if hit is None:
                todo.append((path, kind))
            else:
                findings += hit.findings
                problems += hit.problems
        files = todo
    sources, load_problems = load_files(files, config, debug, python, cache.data if cache else lambda p: None)
    problems += load_problems
    ctx = Context(config, options, sources, analyses_of(checks))
    by_path = {s.path: s for s in sources}
    try:
        if any(c.uses_semgrep for c in checks) and any(s.kind in PYTHON_KINDS for s in sources):
            ctx.start_semgrep()  # runs in the background while the Python-side checks work
        results, crashes = run_each(checks, sources, ctx, options)
    finally:
        ctx.close()
    results = {name: _unsuppressed(result, by_path) for name, result in results.items()}
    warnings = parse_warnings(s for s in sources if s.kind in PYTHON_KINDS) if python else []
    if cache is not None and not crashes:
        cache.store(sources, results, warnings, ctx.dependencies)
    for result in results.values():
        findings += result.findings
        problems += result.problems
    problems += crashes + warnings
    findings = [f for f in findings if config.rule_enabled(f.rule_id, f.category)]
    if apply_baseline and not getattr(options, "no_baseline", False):
        baseline = getattr(options, "baseline", None) or str(config.root / config.baseline)
        findings = filter_baseline(findings, load_baseline(baseline))
    if config.strict_parse:
        problems = [p._replace(fatal=True) for p in problems]
    unique_findings = sorted(set(findings), key=_finding_order)
    unique_problems = sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.cell or 0, p.message, p.fatal))
    return Outcome(unique_findings, unique_problems, *counted)


def _finding_order(f: Finding) -> tuple[object, ...]:
    # past the sort key, fields that do not depend on whether the finding came from the cache
    return (*f.sort_key(), f.end_line, f.end_column, f.category, f.severity, f.fingerprint)


def parse_warnings(sources: Iterable[Source]) -> list[Problem]:
    """One warning per script or notebook cell that is not Python 3 (checked tolerantly anyway)."""
    return [
        Problem(
            source.path,
            f"does not parse as Python 3 (line {line}: {message}); checked with tolerant parsers only",
            fatal=False,
            cell=cell,
        )
        for source in sources
        for cell, line, message in parse_problems(source)
    ]


def exit_code(findings: Sequence[Finding], problems: Sequence[Problem]) -> int:
    if any(p.fatal for p in problems):
        return EXIT_ERROR
    return EXIT_FINDINGS if findings else EXIT_CLEAN
