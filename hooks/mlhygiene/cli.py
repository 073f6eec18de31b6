"""``mlhygiene``: run every check at once (``scan``), write a ``baseline``, list the ``rules``."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Iterator, Sequence

from mlhygiene import credentials, deserialization, http_urls, pickle_files, typosquat, xxe
from mlhygiene._core.baseline import write_baseline
from mlhygiene._core.batches import available_cores, file_size, run_ordered, split
from mlhygiene._core.config import Config, load_config
from mlhygiene._core.records import FatalError, Finding, Problem
from mlhygiene._core.report import problem_line, text_line
from mlhygiene._core.runner import (
    EXIT_CLEAN,
    EXIT_ERROR,
    Check,
    add_common_arguments,
    exit_code,
    fatal,
    report_and_exit,
    run_checks,
    summary,
    tolerant_output,
)
from mlhygiene._core.sources import classify

PROG = "mlhygiene"
CHECKS: dict[str, Check] = {
    "credentials": credentials.CHECK,
    "deserialization": deserialization.CHECK,
    "http": http_urls.CHECK,
    "xxe": xxe.CHECK,
    "typosquat": typosquat.CHECK,
    "pickle-files": pickle_files.CHECK,
}
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
) -> tuple[list[Finding], list[Problem]]:
    """One batch of a large scan, in a worker process (its own Semgrep, not split further)."""
    from mlhygiene._core import semgrep

    semgrep.PROCESSES_PER_GROUP = 1
    return run_checks(batch, _selected(names), config, options, apply_baseline=apply_baseline)


def check_files(
    files: Sequence[str],
    names: Sequence[str] | None,
    config: Config,
    options: argparse.Namespace,
    *,
    apply_baseline: bool = True,
    stream: bool = False,
) -> tuple[list[Finding], list[Problem], bool]:
    """Every selected check over ``files``: in one process, or in batches over the cores.

    With ``stream``, each batch's findings are printed (text format) as soon as it is done;
    the batches are consecutive runs of the sorted paths, so the output is in the same order.
    Returns the findings, the problems, and whether the findings were printed already.
    """
    jobs = getattr(options, "jobs", 0) or available_cores()
    ordered = sorted(files)
    batches = split(ordered, [file_size(f) for f in ordered], jobs)
    if len(batches) <= 1:
        found, trouble = run_checks(ordered, _selected(names), config, options, apply_baseline=apply_baseline)
        return found, trouble, False
    work = functools.partial(_check_batch, names, config, options, apply_baseline)
    findings: list[Finding] = []
    problems: list[Problem] = []
    for batch_findings, batch_problems in run_ordered(work, batches, jobs):
        if stream:
            for finding in batch_findings:
                print(text_line(finding), flush=False)
            sys.stdout.flush()
        findings += batch_findings
        problems += batch_problems
    problems.sort(key=lambda p: (p.path, p.cell or 0, p.message))
    return findings, problems, stream


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser("scan", help="run every check on files and directories")
    scan.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    scan.add_argument(
        "--only",
        action="append",
        choices=sorted(CHECKS),
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
    sub.add_parser("rules", help="list the bundled Semgrep rules")
    return parser


def _list_rules() -> int:
    from mlhygiene._core.semgrep import rule_files

    for path in rule_files():
        print(f"{path.parent.name}/{path.stem}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    tolerant_output()
    options = _parser().parse_args(argv)
    if options.command == "rules":
        return _list_rules()
    try:
        config = load_config(options.config)
        files = list(walk(options.paths))
        if options.command == "baseline":
            findings, problems, _ = check_files(files, None, config, options, apply_baseline=False)
            target = options.baseline or str(config.root / config.baseline)
            count = write_baseline(target, findings)
            for problem in problems:
                print(problem_line(problem), file=sys.stderr)
            print(f"{PROG}: wrote {count} finding{'s' * (count != 1)} to {target}", file=sys.stderr)
            return EXIT_ERROR if any(p.fatal for p in problems) else EXIT_CLEAN
        text = options.format == "text"
        findings, problems, printed = check_files(files, options.only, config, options, stream=text)
    except FatalError as exc:
        return fatal(PROG, exc)
    if not printed:
        return report_and_exit(PROG, options, findings, problems)
    for problem in problems:  # the findings were printed batch by batch
        print(problem_line(problem), file=sys.stderr)
    if findings or problems:
        print(summary(PROG, findings, problems), file=sys.stderr)
    return exit_code(findings, problems)


if __name__ == "__main__":
    raise SystemExit(main())
