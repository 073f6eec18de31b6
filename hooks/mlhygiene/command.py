"""The command line every hook and ``mlhygiene`` share: options, config, output, exit codes.

The pipeline itself (load, check, filter) is ``mlhygiene._core.runner``; printing is
``mlhygiene._core.report.Reporter``; this module connects them to argv and the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import NoReturn, TextIO

from mlhygiene import __version__
from mlhygiene._core.baseline import load_baseline
from mlhygiene._core.config import DEFAULT_BASELINE, Config
from mlhygiene._core.records import FatalError, UsageError
from mlhygiene._core.registry import closest
from mlhygiene._core.report import FORMATS, Checked, Reporter, escape
from mlhygiene._core.runner import EXIT_ERROR, EXIT_USAGE, Check, exit_code, run


class Parser(argparse.ArgumentParser):
    """argparse that suggests the option a user probably meant (``--fromat`` -> ``--format``)."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            options = _long_options(self)
            hints = []
            for word in message[len(prefix) :].split():
                near = closest(word.split("=", 1)[0], options) if word.startswith("-") else None
                if near:
                    hints.append(f"'{word}': did you mean '{near}'?")
            if hints:
                message += " (" + "; ".join(hints) + ")"
        super().error(escape(message))


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    """Every ``--option`` of ``parser`` and of its subcommands."""
    found: list[str] = []
    for action in parser._actions:
        found += [o for o in action.option_strings if o.startswith("--")]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _long_options(sub)
    return found


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="output format: text, github (workflow annotations), json or sarif (default: text)",
    )
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    add_config_arguments(parser)
    parser.add_argument("--version", action="version", version=f"mlhygiene {__version__}")


def add_config_arguments(
    parser: argparse.ArgumentParser, no_baseline_help: str = "report baselined findings too"
) -> None:
    """The options that choose the config and baseline and how much is said (hooks, scan, fix)."""
    parser.add_argument("--config", metavar="PYPROJECT", help="read [tool.mlhygiene] from this file")
    parser.add_argument("--baseline", metavar="FILE", help="baseline file (default from config)")
    parser.add_argument("--no-baseline", action="store_true", help=no_baseline_help)
    parser.add_argument("-v", "--verbose", action="store_true", help="say which config and baseline apply")
    parser.add_argument("--debug", action="store_true", help="print tracebacks for internal errors")


def tolerant_output() -> None:
    """Printing a path or a name the terminal cannot encode must not crash the run.

    A file name with undecodable bytes arrives as lone surrogates; under a strict UTF-8 (or
    an ASCII) stdout, writing it would raise after everything was checked.
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(Exception):  # a replaced stream that cannot be reconfigured
                stream.reconfigure(errors="backslashreplace")


def fatal(prog: str, exc: FatalError) -> int:
    print(escape(f"{prog}: error: {exc}"), file=sys.stderr)
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_ERROR


def setup(prog: str, options: argparse.Namespace) -> Config:
    """The run's config, checked: unknown rule names and a named baseline that does not exist
    are usage errors; ``-v`` says which files apply."""
    from mlhygiene.checks import load_config, validate  # the registry imports every check

    config = load_config(options.config)
    validate(config)
    named = options.baseline or (config.baseline != DEFAULT_BASELINE and str(config.root / config.baseline))
    baseline = options.baseline or str(config.root / config.baseline)
    wants_baseline = getattr(options, "command", None) != "baseline" and not options.no_baseline
    if named and wants_baseline and not os.path.isfile(baseline):
        where = "--baseline" if options.baseline else f"{config.file}: [tool.mlhygiene] baseline"
        raise UsageError(f"{where}: {baseline} does not exist (write it with 'mlhygiene baseline')")
    if config.outside_repo:
        note = f"{prog}: note: using {config.file}, found above this folder outside any git repository"
        print(escape(note), file=sys.stderr)
    if options.verbose:
        print(escape(f"{prog}: config: {config.file or 'none (defaults)'}"), file=sys.stderr)
        if not wants_baseline:
            state = "not applied"
        elif os.path.isfile(baseline):
            state = f"{baseline} ({len(load_baseline(baseline))} accepted findings)"
        else:
            state = f"none ({baseline} does not exist)"
        print(escape(f"{prog}: baseline: {state}"), file=sys.stderr)
    if options.format in ("json", "sarif") and os.environ.get("PRE_COMMIT") == "1" and not options.output:
        print(
            f"{prog}: note: pre-commit may split the files over several processes, each printing one "
            f"{options.format.upper()} document; for one document in CI run "
            f"'mlhygiene scan --format {options.format} --output FILE'",
            file=sys.stderr,
        )
    return config


@contextlib.contextmanager
def report_stream(options: argparse.Namespace) -> Iterator[TextIO]:
    """Where the report goes: ``--output FILE`` (written whole, then renamed into place) or stdout."""
    if not options.output:
        yield sys.stdout
        return
    tmp = f"{options.output}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8", errors="backslashreplace") as fh:
            yield fh
        os.replace(tmp, options.output)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"--output {options.output}: cannot write ({exc.strerror or exc})") from None


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Like ``parse_args``, but a file whose name starts with a dash is still a file."""
    options, unknown = parser.parse_known_args(argv)
    strays = [arg for arg in unknown if not os.path.lexists(arg)]
    if strays:
        parser.error(f"unrecognized arguments: {' '.join(strays)}")
    if unknown:
        options.filenames = [*options.filenames, *unknown]
    return options


def hook_main(
    argv: Sequence[str] | None,
    prog: str,
    description: str,
    checks: Sequence[Check],
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """``main`` of a hook: the files pre-commit passes, checked by ``checks``."""
    tolerant_output()
    parser = Parser(prog=prog, description=description)
    parser.add_argument("filenames", nargs="*", help="files to check")
    add_common_arguments(parser)
    if add_arguments is not None:
        add_arguments(parser)
    parser.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then fail if anything changed (re-stage)"
    )
    options = parse_args(parser, argv)
    try:
        config = setup(prog, options)
        if options.fix:
            from mlhygiene.fix import fix_files

            return fix_files(prog, options.filenames, checks, config, options, hook=True)
        outcome = run(options.filenames, checks, config, options)
        with report_stream(options) as out:
            from mlhygiene.checks import catalogue

            docs = catalogue(config) if options.format == "sarif" else None
            reporter = Reporter(prog, options.format, out, sys.stderr, docs)
            reporter.finish(outcome.findings, outcome.problems, Checked(outcome.files, outcome.notebooks))
    except FatalError as exc:
        return fatal(prog, exc)
    return exit_code(outcome.findings, outcome.problems)
