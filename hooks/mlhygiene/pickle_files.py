"""mlhygiene-pickle-files: committed pickle-based artifacts that import anything not known-safe.

Every pickle stream in the file (raw, stacked, inside a zip, a tar, a PyTorch checkpoint,
an object ``.npy``/``.npz``, a joblib file, a gzip/bz2/xz/lzma/zlib stream) is walked
opcode by opcode (``mlhygiene/_pickle``); every global it imports must be on the allow-list.
Keras models (``.keras``, legacy ``.h5``) are checked for layers that run code. Nothing is
ever unpickled, imported or executed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence

from mlhygiene._core.config import Setting
from mlhygiene._core.records import CheckResult, Finding, Problem, Source
from mlhygiene._core.runner import Check, Context
from mlhygiene._pickle.formats import Hit, scan_file
from mlhygiene._pickle.policy import DANGEROUS, SAFE, Verdict, judge
from mlhygiene._pickle.values import COMPUTED, EXTENSION
from mlhygiene.command import hook_main

KINDS = frozenset({"artifact"})
CATEGORY = "pickle-files"
RULE_DANGEROUS = "pickle-dangerous-global"
RULE_UNKNOWN = "pickle-unknown-global"
RULE_KERAS = "keras-unsafe-layer"
RULE_IDS = (RULE_DANGEROUS, RULE_UNKNOWN, RULE_KERAS)
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
    "{where} imports {path} (offset {offset}), which is not on the allow-list of known-safe types:"
    " unpickling runs its code. Review it, then allow it with --allow-global {path} or"
    ' pickle-allow = ["{path}"] in [tool.mlhygiene], or ' + ADVICE + "."
)
COMPUTED_MESSAGE = (
    "{where} imports a global whose name is computed at load time (STACK_GLOBAL on {path},"
    " offset {offset}), which cannot be checked without running it. Do not load it; " + ADVICE + "."
)
EXTENSION_MESSAGE = (
    "{where} imports a global by extension code (EXT opcode, offset {offset}), which only the"
    " loading process's copyreg registry resolves and cannot be checked. Do not load it; "
    + ADVICE + "."
)
KERAS_MESSAGE = (
    "{where} holds {what}, which runs code when the model is loaded. Do not load it; save"
    " weights only (model.save_weights, safetensors) and rebuild the model in code, or review"
    " the code and load it with safe_mode=True and explicit custom_objects."
)
STRICT_DEPRECATED = (
    "mlhygiene-pickle-files: --strict is deprecated and has no effect: globals that are not"
    " known-safe are always reported now"
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
    where, offset = _escape(hit.label or "the pickle"), hit.ref.offset
    path, plain = _escape(_shown(verdict.path)), _escape(verdict.path)  # names come from the file
    if hit.ref.note == COMPUTED:
        return RULE_UNKNOWN, "error", COMPUTED_MESSAGE.format(where=where, path=path, offset=offset)
    if hit.ref.note == EXTENSION:
        return RULE_UNKNOWN, "error", EXTENSION_MESSAGE.format(where=where, offset=offset)
    if hit.ref.note:
        return RULE_DANGEROUS, "error", BUILD_MESSAGE.format(where=where, path=path, offset=offset)
    if verdict.level == DANGEROUS:
        text = DANGEROUS_MESSAGE.format(where=where, path=path, offset=offset, reason=verdict.reason)
        return RULE_DANGEROUS, "error", text
    return RULE_UNKNOWN, "error", UNKNOWN_MESSAGE.format(where=where, path=plain, offset=offset)


def findings_of(path: str, hits: Sequence[Hit], allowed: tuple[str, ...]) -> Iterator[Finding]:
    """One finding per (stream, imported name, kind): the first place it occurs."""
    seen: set[tuple[str, str, str]] = set()
    for hit in hits:
        verdict = judge(hit.ref.module, hit.ref.name, allowed)
        if verdict.level == SAFE and not hit.ref.note:
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


def keras_findings(path: str, found: Sequence[tuple[str, str]]) -> Iterator[Finding]:
    for label, what in found:
        yield Finding(
            path=path, line=1, column=1, end_line=1, end_column=1, rule_id=RULE_KERAS,
            category=CATEGORY, severity="error",
            message=KERAS_MESSAGE.format(where=_escape(label or "the model"), what=_escape(what)),
            matched=f"{label}\0{what}",
        )


def _escape(text: str) -> str:
    """Text from a scanned file, printable: control characters as escapes."""
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text
    )


def check_file(path: str, *, allowed: tuple[str, ...] = ()) -> CheckResult:
    try:
        report = scan_file(path, assume_pickle=expects_pickle(path))
    except OSError as exc:
        return CheckResult([], [Problem(path, f"could not be checked: {exc.strerror or exc}")])
    problems = [Problem(path, f"could not be checked: {_escape(message)}") for message in report.problems]
    findings = [*findings_of(path, report.hits, allowed), *keras_findings(path, report.keras)]
    return CheckResult(findings, problems)


PICKLE_ALLOW = Setting("pickle-allow", list, ())  # reviewed globals: dotted prefixes or globs
STRICT_PICKLE = Setting("strict-pickle", bool, False)  # deprecated, no effect


def _run(sources: Sequence[Source], ctx: Context) -> CheckResult:
    allowed = (*ctx.config.setting(PICKLE_ALLOW), *(getattr(ctx.options, "allow_global", None) or ()))
    findings: list[Finding] = []
    problems: list[Problem] = []
    for source in sources:
        result = check_file(source.path, allowed=allowed)
        findings += result.findings
        problems += result.problems
    return CheckResult(findings, problems)


CHECK = Check(
    "pickle-files", KINDS, _run, category=CATEGORY, rule_ids=RULE_IDS, settings=(PICKLE_ALLOW, STRICT_PICKLE)
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true",
        help="deprecated, no effect: globals that are not known-safe are always reported",
    )
    parser.add_argument(
        "--allow-global", action="append", metavar="MODULE.NAME",
        help="treat this import (a dotted prefix, or a glob such as 'ourlab.models.*') as safe"
        " (config: pickle-allow); never excuses a dangerous one",
    )


def main(argv: Sequence[str] | None = None) -> int:
    if "--strict" in (sys.argv[1:] if argv is None else argv):
        print(STRICT_DEPRECATED, file=sys.stderr)
    return hook_main(
        argv,
        "mlhygiene-pickle-files",
        "Check pickle-based artifacts (pickle, joblib, PyTorch, .npy/.npz, archives) and Keras"
        " models for imports and layers that run code, without loading them.",
        [CHECK],
        add_arguments,
    )


if __name__ == "__main__":
    raise SystemExit(main())
