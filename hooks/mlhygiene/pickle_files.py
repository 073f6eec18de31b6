"""mlhygiene-pickle-files: committed pickle-based artifacts that import dangerous callables.

Every pickle stream in the file (raw, stacked, inside a PyTorch zip, a legacy torch tar,
an object ``.npy``/``.npz``, a joblib file, a gzip/bz2/xz/lzma/zlib stream) is walked
opcode by opcode (``mlhygiene/_pickle``); nothing is ever unpickled or imported.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

from mlhygiene._core.records import CheckResult, Finding, Problem, Source
from mlhygiene._core.runner import Check, Context
from mlhygiene._pickle.formats import Hit, scan_file
from mlhygiene._pickle.policy import DANGEROUS, SAFE, Verdict, judge
from mlhygiene.command import hook_main

KINDS = frozenset({"artifact"})
CATEGORY = "pickle-files"
RULE_DANGEROUS = "pickle-dangerous-global"
RULE_UNKNOWN = "pickle-unknown-global"
RULE_IDS = (RULE_DANGEROUS, RULE_UNKNOWN)
# Names that promise a pickle: content we do not recognise is then read as one (a protocol-0
# pickle has no header). Other names (.bin .ckpt .model .sav, none) are checked only when the
# content is recognised.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill", ".pt", ".pth", ".p", ".npy", ".npz")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".z", ".lzma", ".zlib")
OS_ALIASES = frozenset({"posix", "nt"})  # what os.system pickles as, per platform
ADVICE = (
    "ship weights as safetensors or ONNX, load PyTorch files with torch.load(..., weights_only=True),"
    " or keep artifacts out of git"
)
DANGEROUS_MESSAGE = (
    "{where} imports {path} (offset {offset}), which {reason} as soon as the file is unpickled."
    " Do not load it; " + ADVICE + "."
)
BUILD_MESSAGE = (
    "{where} sets attributes on {path} itself (BUILD on an imported object, offset {offset}),"
    " which no pickler writes and which can rewire code that runs later. Do not load it; "
    + ADVICE + "."
)
UNKNOWN_MESSAGE = (
    "{where} imports {path} (offset {offset}), which is not a known-safe ML type: unpickling"
    " runs its code. Review it, then pass --allow-global {path}, or " + ADVICE + "."
)


def expects_pickle(path: str) -> bool:
    name = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        name = name.removesuffix(suffix)
    return name.endswith(PICKLE_SUFFIXES)


def _shown(path: str) -> str:
    module, _, name = path.partition(".")
    return f"{path} (os.{name})" if module in OS_ALIASES else path


def _message(hit: Hit, verdict: Verdict) -> tuple[str, str, str]:
    """(rule id, severity, message) of a hit that is not safe."""
    where, offset, path = hit.label or "the pickle", hit.ref.offset, _shown(verdict.path)
    if hit.ref.note:
        return RULE_DANGEROUS, "error", BUILD_MESSAGE.format(where=where, path=path, offset=offset)
    if verdict.level == DANGEROUS:
        text = DANGEROUS_MESSAGE.format(where=where, path=path, offset=offset, reason=verdict.reason)
        return RULE_DANGEROUS, "error", text
    return RULE_UNKNOWN, "warning", UNKNOWN_MESSAGE.format(where=where, path=verdict.path, offset=offset)


def findings_of(path: str, hits: Sequence[Hit], strict: bool, allowed: tuple[str, ...]) -> Iterator[Finding]:
    """One finding per (stream, imported name, kind): the first place it occurs."""
    seen: set[tuple[str, str, str]] = set()
    for hit in hits:
        verdict = judge(hit.ref.module, hit.ref.name, allowed)
        dangerous = verdict.level == DANGEROUS or bool(hit.ref.note)
        if not dangerous and (verdict.level == SAFE or not strict or hit.tentative):
            continue
        key = (hit.label, verdict.path, hit.ref.note)
        if key in seen:
            continue
        seen.add(key)
        rule, severity, message = _message(hit, verdict)
        yield Finding(
            path=path, line=1, column=1, end_line=1, end_column=1, rule_id=rule,
            category=CATEGORY, severity=severity, message=message,
            matched="\0".join(key),
        )


def check_file(path: str, *, strict: bool = False, allowed: tuple[str, ...] = ()) -> CheckResult:
    try:
        report = scan_file(path, assume_pickle=expects_pickle(path))
    except OSError as exc:
        return CheckResult([], [Problem(path, f"could not be checked: {exc.strerror or exc}")])
    problems = [Problem(path, f"could not be checked: {message}") for message in report.problems]
    return CheckResult(list(findings_of(path, report.hits, strict, allowed)), problems)


def _run(sources: Sequence[Source], ctx: Context) -> CheckResult:
    strict = bool(getattr(ctx.options, "strict", False)) or ctx.config.strict_pickle
    allowed = tuple(getattr(ctx.options, "allow_global", None) or ())
    findings: list[Finding] = []
    problems: list[Problem] = []
    for source in sources:
        result = check_file(source.path, strict=strict, allowed=allowed)
        findings += result.findings
        problems += result.problems
    return CheckResult(findings, problems)


CHECK = Check("pickle-files", KINDS, _run, category=CATEGORY, rule_ids=RULE_IDS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true",
        help="also report imports that are not known-safe ML types (config: strict-pickle)",
    )
    parser.add_argument(
        "--allow-global", action="append", metavar="MODULE.NAME",
        help="treat this import (or everything under this dotted prefix) as safe in strict mode",
    )


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main(
        argv,
        "mlhygiene-pickle-files",
        "Check pickle-based artifacts (pickle, joblib, PyTorch, .npy/.npz) for dangerous imports"
        " without loading them.",
        [CHECK],
        add_arguments,
    )


if __name__ == "__main__":
    raise SystemExit(main())
