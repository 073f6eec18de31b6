"""``mlhygiene audit``: the study, for a whole organisation (see the README, "Audit an organisation").

walk (repositories by ``.git``; ``--history``: every reachable blob) -> dedupe by sha256 against
the store -> batches -> engine (local process pool) -> one writer: ``DIR/audit.sqlite`` ->
report.html, summary.json, findings.csv.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from mlhygiene._core.records import FatalError, UsageError
from mlhygiene._core.report import escape
from mlhygiene._core.runner import EXIT_CLEAN, EXIT_ERROR, EXIT_USAGE

PROG = "mlhygiene audit"
EXTRA = 'pip install "mlhygiene[audit]"'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="folders, repositories, folders of repositories"
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="results folder (rerun with it to resume)"
    )
    parser.add_argument("--history", action="store_true", help="also every blob reachable from any git ref")
    parser.add_argument(
        "-j", "--jobs", type=int, default=0, metavar="N", help="worker processes (0: one per core)"
    )
    parser.add_argument(
        "--ignore-suppressions",
        action="store_true",
        help="count what researchers silenced (inline ignores), reported apart",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://HOST:PORT)")
    parser.add_argument("--config", metavar="PYPROJECT", help="read [tool.mlhygiene] from this file")
    parser.add_argument("--batch-files", type=int, default=0, help=argparse.SUPPRESS)  # tests and tuning
    parser.add_argument("--debug", action="store_true", help="print tracebacks for internal errors")


def _parser() -> argparse.ArgumentParser:
    from mlhygiene.command import Parser

    parser = Parser(prog=PROG, description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return parser


def run(options: argparse.Namespace) -> int:
    """An audit from parsed options (``mlhygiene audit ...``)."""
    if options.jobs < 0:
        raise UsageError("-j/--jobs must be 0 (one per core) or more")
    if options.scheduler and not options.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise UsageError(f"--scheduler {options.scheduler}: give a Dask scheduler address, tcp://HOST:PORT")
    for path in options.paths:
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file or folder")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(f"the audit report needs matplotlib: {EXTRA}") from None
    from mlhygiene.audit.pipeline import audit

    return audit(options)


def main(argv: Sequence[str] | None = None) -> int:
    from mlhygiene.command import tolerant_output

    tolerant_output()
    options = _parser().parse_args(argv)
    try:
        return run(options)
    except FatalError as exc:
        print(escape(f"mlhygiene: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_ERROR


__all__ = ["EXIT_CLEAN", "add_arguments", "main", "run"]
