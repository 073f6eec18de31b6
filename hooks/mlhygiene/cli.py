"""mlhygiene: scan, fix, baseline, audit, guard imports, list the rules."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Iterator, Sequence

from mlhygiene import __version__
from mlhygiene._core.baseline import write_baseline
from mlhygiene._core.batches import available_cores, file_size, run_ordered, split
from mlhygiene._core.config import Config
from mlhygiene._core.records import FatalError, Finding, Problem
from mlhygiene._core.registry import closest
from mlhygiene._core.report import Checked, Reporter, escape, problem_line
from mlhygiene._core.runner import EXIT_CLEAN, EXIT_ERROR, Check, Outcome, exit_code, run
from mlhygiene._core.sources import classify
from mlhygiene.audit import add_arguments as add_audit_arguments
from mlhygiene.checks import CHECKS, catalogue
from mlhygiene.command import (
    Parser,
    add_common_arguments,
    add_config_arguments,
    fatal,
    report_stream,
    setup,
    tolerant_output,
)

PROG = "mlhygiene"
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        "site-packages",
        ".cache",
        ".pixi",
        ".conda",
    }
)


def _skip_dir(path: str, name: str) -> bool:
    return (
        name in SKIP_DIRS
        or name.endswith(".egg-info")
        or os.path.isfile(os.path.join(path, name, "pyvenv.cfg"))
    )


def walk(paths: Sequence[str]) -> Iterator[str]:
    """Files under ``paths`` that some check reads, skipping VCS, virtualenv and build folders."""
    for top in paths:
        if not os.path.isdir(top):
            yield top
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not _skip_dir(folder, d))
            for name in sorted(files):
                path = os.path.join(folder, name)
                if classify(path) is not None:
                    yield os.path.normpath(path)


def _selected(names: Sequence[str] | None) -> list[Check]:
    if not names:
        return list(CHECKS.values())
    return [CHECKS[n] for n in names]


def _check_name(value: str) -> str:
    if value in CHECKS:
        return value
    near = closest(value, CHECKS)
    hint = f"; did you mean '{near}'?" if near else ""
    raise argparse.ArgumentTypeError(f"unknown check '{value}' (one of {', '.join(CHECKS)}){hint}")


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if jobs < 0:
        raise argparse.ArgumentTypeError("must be 0 (one per core) or more")
    return jobs


def _check_batch(
    names: Sequence[str] | None,
    config: Config,
    options: argparse.Namespace,
    apply_baseline: bool,
    batch: list[str],
) -> Outcome:
    """One batch of a large scan, in a worker process (its own Semgrep, not split further)."""
    options = argparse.Namespace(**{**vars(options), "semgrep_processes": 1})
    return run(batch, _selected(names), config, options, apply_baseline=apply_baseline)


def check_files(
    files: Sequence[str],
    names: Sequence[str] | None,
    config: Config,
    options: argparse.Namespace,
    *,
    apply_baseline: bool = True,
    reporter: Reporter | None = None,
) -> Outcome:
    """Every selected check over ``files``: in one process, or in batches over the cores.

    With a ``reporter``, each batch's findings are streamed to it as soon as the batch is done;
    the batches are consecutive runs of the sorted paths, so the output is in the same order.
    """
    jobs = getattr(options, "jobs", 0) or available_cores()
    ordered = sorted(files)
    batches = split(ordered, [file_size(f) for f in ordered], jobs)
    if len(batches) <= 1:
        return run(ordered, _selected(names), config, options, apply_baseline=apply_baseline)
    work = functools.partial(_check_batch, names, config, options, apply_baseline)
    findings: list[Finding] = []
    problems: list[Problem] = []
    counted = notebooks = 0
    for outcome in run_ordered(work, batches, jobs):
        if reporter is not None:
            reporter.stream(outcome.findings)
        findings += outcome.findings
        problems += outcome.problems
        counted += outcome.files
        notebooks += outcome.notebooks
    problems.sort(key=lambda p: (p.path, p.cell or 0, p.message))
    return Outcome(findings, problems, counted, notebooks)


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description=__doc__)
    parser.add_argument("--version", action="version", version=f"mlhygiene {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    scan = sub.add_parser("scan", help="run every check on files and directories")
    scan.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    scan.add_argument(
        "--only",
        action="append",
        type=_check_name,
        metavar="CHECK",
        help=f"run only this check (repeatable; one of {', '.join(sorted(CHECKS))})",
    )
    add_common_arguments(scan)
    scan.add_argument(
        "--strict", action="store_true", help="deprecated, no effect (pickle globals are allow-listed)"
    )
    base = sub.add_parser("baseline", help="write the current findings to the baseline file")
    base.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    add_common_arguments(base)
    base.add_argument("--strict", action="store_true", help=argparse.SUPPRESS)
    for command in (scan, base):
        command.add_argument(
            "-j",
            "--jobs",
            type=_jobs,
            default=0,
            metavar="N",
            help="worker processes for a large scan (default 0: one per core; 1: no workers)",
        )
    _add_fix_parser(sub)
    guard = sub.add_parser("guard", help="print a sitecustomize.py that refuses imports outside the policy")
    guard.add_argument("--config", metavar="PYPROJECT", help="read [tool.mlhygiene.policy] from this file")
    audit = sub.add_parser("audit", help="audit many repositories into a results store and a report")
    add_audit_arguments(audit)
    rules = sub.add_parser("rules", help="list every rule: id, category, severity, what it finds")
    rules.add_argument("--config", metavar="PYPROJECT", help="include this config's extra-rules")
    return parser


def _add_fix_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    fix = sub.add_parser("fix", help="apply the safe fixes; --diff shows them")
    fix.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    fix.add_argument("--diff", action="store_true", help="print the changes as a diff; write nothing")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that may change behaviour")
    fix.add_argument(
        "--select", action="append", default=[], metavar="RULE", help="fix only this rule or category"
    )
    fix.add_argument("--add-ignore", action="store_true", help="write suppressions for what is left")
    add_config_arguments(fix, no_baseline_help="fix baselined findings too")
    fix.add_argument("-j", "--jobs", type=_jobs, default=0, metavar="N", help="worker processes, as for scan")
    fix.set_defaults(format="text", output=None, no_cache=True)


def _fix(options: argparse.Namespace, config: Config) -> int:
    from mlhygiene.fix import check_select, fix_files

    check_select(options.select, config)
    return fix_files(
        PROG,
        list(walk(options.paths)),
        list(CHECKS.values()),
        config,
        options,
        unsafe=options.unsafe_fixes,
        show_diff=options.diff,
        add_ignore=options.add_ignore,
        select=options.select,
        checker=lambda files, opts: check_files(files, None, config, opts),
    )


def _list_rules(options: argparse.Namespace) -> int:
    from mlhygiene.checks import load_config

    docs = catalogue(load_config(options.config))
    for doc in sorted(docs.values(), key=lambda d: (d.category, d.id)):
        print(escape(f"{doc.id:<40} {doc.category:<16} {doc.severity:<8} {doc.summary}"))
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    tolerant_output()
    options = _parser().parse_args(argv)
    try:
        if options.command == "rules":
            return _list_rules(options)
        if options.command == "guard":
            from mlhygiene.guard import sitecustomize

            print(sitecustomize(options.config), end="")
            return EXIT_CLEAN
        if options.command == "audit":
            from mlhygiene.audit import run as run_audit

            return run_audit(options)
        config = setup(PROG, options)
        if options.command == "fix":
            return _fix(options, config)
        files = list(walk(options.paths))
        if options.command == "baseline":
            findings, problems, *_ = check_files(files, None, config, options, apply_baseline=False)
            target = options.baseline or str(config.root / config.baseline)
            count = write_baseline(target, findings)
            for problem in problems:
                print(problem_line(problem), file=sys.stderr)
            print(escape(f"{PROG}: wrote {count} finding{'s' * (count != 1)} to {target}"), file=sys.stderr)
            return EXIT_ERROR if any(p.fatal for p in problems) else EXIT_CLEAN
        with report_stream(options) as out:
            docs = catalogue(config) if options.format == "sarif" else None
            reporter = Reporter(PROG, options.format, out, sys.stderr, docs)
            findings, problems, n_files, n_notebooks = check_files(
                files, options.only, config, options, reporter=reporter
            )
            reporter.finish(findings, problems, Checked(n_files, n_notebooks))
    except FatalError as exc:
        return fatal(PROG, exc)
    return exit_code(findings, problems)


if __name__ == "__main__":
    raise SystemExit(main())
