"""``mlhygiene fix`` and the hooks' ``--fix``: apply the safe fixes, show them as a diff, or
silence what is left.

Safe fixes: clear the notebook outputs (and saved widget state) that leak a credential;
``torch.load(x)`` -> ``torch.load(x, weights_only=True)``; unsafe PyYAML loads -> ``safe_load``.
With ``--unsafe-fixes`` (behaviour may change): ``http://`` -> ``https://`` in a fetched
literal, a typosquatted requirement or install line -> the suggested name, a hard-coded
credential assignment -> ``os.environ["NAME"]``. ``--add-ignore`` writes suppressions for the
rest. Files keep their form (see ``mlhygiene._fix``); writes are atomic and refused when the
file changed since it was read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from mlhygiene._core.baseline import write_baseline
from mlhygiene._core.config import Config
from mlhygiene._core.records import FatalError, Finding, Problem, UsageError
from mlhygiene._core.registry import closest
from mlhygiene._core.report import escape, location, problem_line, text_line
from mlhygiene._core.runner import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Check, Outcome, run
from mlhygiene._core.sources import classify
from mlhygiene._fix.files import Snapshot, WriteError, read, stat_key, write
from mlhygiene._fix.plan import Fixed, Options, Plan, plan_notebook, plan_text

TEXT_KINDS = frozenset({"script", "requirements", "pyproject", "environment"})


def check_select(values: Sequence[str], config: Config) -> None:
    """``--select`` names rules and categories; a typo is a usage error with the nearest name."""
    from mlhygiene.checks import names

    valid = names(config)
    for value in values:
        if value not in valid:
            near = closest(value, valid)
            hint = f"; did you mean '{near}'?" if near else " (see 'mlhygiene rules')"
            raise UsageError(f"--select: unknown rule or category '{value}'{hint}")


def selected(finding: Finding, select: Sequence[str]) -> bool:
    return not select or finding.rule_id in select or finding.category in select


def _plan(path: str, findings: list[Finding], before: tuple[int, int] | None, options: Options) -> Plan:
    kind = classify(path)
    if kind not in TEXT_KINDS and kind != "notebook":
        baseline = findings if options.add_ignore else []
        return Plan(path, None, None, [], [], [] if options.add_ignore else findings, baseline, [])
    try:
        snapshot: Snapshot = read(path)
    except WriteError as exc:
        return Plan(path, None, None, [], [], findings, [], [], str(exc), True)
    if before is not None and (snapshot.size, snapshot.mtime_ns) != before:
        return Plan(
            path, None, None, [], [], findings, [], [], "changed while it was checked; not fixed", True
        )
    if kind == "notebook":
        return plan_notebook(snapshot, findings, options)
    return plan_text(snapshot, kind, findings, options)


def _fixed_line(path: str, item: Fixed) -> str:
    if item.finding.rule_id == "widget-state":
        return escape(f"{path}: fixed widget state: {item.note}")
    verb = "ignored" if item.ignored else "fixed"
    return escape(f"{location(item.finding)}: {verb} {item.finding.rule_id}: {item.note}")


def _add_to_baseline(target: str, findings: Sequence[Finding]) -> int:
    """Merge ``findings`` into the baseline file; the number of entries now."""
    existing: list[Finding] = []
    try:
        with open(target, encoding="utf-8") as fh:
            data = json.load(fh)
        for entry in data.get("findings", []) if isinstance(data, dict) else []:
            if isinstance(entry, dict):
                existing.append(
                    Finding(
                        str(entry.get("path", "")),
                        0,
                        0,
                        0,
                        0,
                        str(entry.get("rule_id", "")),
                        str(entry.get("category", "")),
                        "",
                        "",
                        stored_fingerprint=str(entry.get("fingerprint", "")),
                    )
                )
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        pass  # an unreadable baseline is reported by the run itself
    return write_baseline(target, [*existing, *findings])


def fix_files(
    prog: str,
    files: Sequence[str],
    checks: Sequence[Check],
    config: Config,
    options: argparse.Namespace,
    *,
    unsafe: bool = False,
    show_diff: bool = False,
    add_ignore: bool = False,
    select: Sequence[str] = (),
    hook: bool = False,
    checker: Callable[[Sequence[str], argparse.Namespace], Outcome] | None = None,
) -> int:
    """Check ``files``, fix what can be fixed, print it; the exit code.

    ``checker``: how to check the files (default: one ``run`` in this process).
    0: nothing left; 1: findings left (or, for a hook, anything changed; with --diff, anything
    to change); 3: a file could not be checked or written.
    """
    before = {path: stat_key(path) for path in files}
    options = argparse.Namespace(**{**vars(options), "no_cache": True})  # findings with their text
    outcome = checker(files, options) if checker else run(files, checks, config, options)
    problems: list[Problem] = list(outcome.problems)
    by_path: dict[str, list[Finding]] = {}
    for finding in outcome.findings:
        if selected(finding, select):
            by_path.setdefault(finding.path, []).append(finding)
    plan_options = Options(unsafe=unsafe, add_ignore=add_ignore)
    out = sys.stdout
    fixed = ignored = changed = 0
    left: list[Finding] = []
    unsafe_left = 0
    to_baseline: list[Finding] = []
    for path in sorted(by_path):
        try:
            plan = _plan(path, by_path[path], before.get(path), plan_options)
        except Exception as exc:  # a fixer bug on one odd file must not stop the others
            if getattr(options, "debug", False):
                print(escape(traceback.format_exc()), end="", file=sys.stderr)
            message = f"could not be fixed ({type(exc).__name__}); rerun with --debug and report it"
            plan = Plan(path, None, None, [], [], by_path[path], [], [], message, True)
        if plan.problem is not None:
            problems.append(Problem(path, plan.problem, fatal=plan.fatal))
        if plan.data is not None and plan.snapshot is not None:
            if show_diff:
                out.write("".join(line + "\n" for line in plan.diff))
            else:
                try:
                    write(plan.snapshot, plan.data)
                except WriteError as exc:
                    problems.append(Problem(path, str(exc)))
                    left += by_path[path]
                    continue
            changed += 1
        for item in sorted(
            plan.fixed, key=lambda i: (i.finding.rule_id == "widget-state", i.finding.sort_key())
        ):
            if not show_diff:
                out.write(_fixed_line(path, item) + "\n")
            ignored += item.ignored
            fixed += not item.ignored and item.finding.rule_id != "widget-state"
        to_baseline += plan.baseline
        left += plan.left
        unsafe_left += len(plan.unsafe)
    if to_baseline:
        target = getattr(options, "baseline", None) or str(config.root / config.baseline)
        shown = os.path.relpath(target) if not os.path.relpath(target).startswith("..") else target
        if not show_diff:
            try:
                _add_to_baseline(target, to_baseline)
            except FatalError:
                problems.append(Problem(target, "cannot write the baseline; nothing was added to it"))
                left += to_baseline
                to_baseline = []
        verb = "would add" if show_diff else "added"
        for finding in to_baseline:
            out.write(escape(f"{location(finding)}: ignored {finding.rule_id}: {verb} to {shown}") + "\n")
        ignored += len(to_baseline)
    left.sort(key=lambda f: f.sort_key())
    out.write("".join(text_line(f) + "\n" for f in left))
    out.flush()
    for problem in sorted(problems, key=lambda p: (p.path, p.cell or 0, p.message)):
        print(problem_line(problem), file=sys.stderr)
    print(_summary(prog, fixed, ignored, changed, len(left), unsafe_left, show_diff), file=sys.stderr)
    if any(p.fatal for p in problems):
        return EXIT_ERROR
    if left or ((hook or show_diff) and (changed or to_baseline)):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _summary(prog: str, fixed: int, ignored: int, files: int, left: int, unsafe: int, dry: bool) -> str:
    verb = "would fix" if dry else "fixed"
    silenced = f", {'would silence' if dry else 'silenced'} {ignored}" if ignored else ""
    head = f"{prog}: {verb} {_plural(fixed, 'finding')}{silenced} in {_plural(files, 'file')}"
    if not left:
        return escape(f"{head}; no findings left")
    bits = [f"{_plural(left, 'finding')} left"]
    if unsafe:
        bits.append(f"{unsafe} fixable with --unsafe-fixes")
    if not ignored:
        bits.append("--add-ignore silences the rest")
    return escape(f"{head}; " + ", ".join(bits))
