"""What ``mlhygiene fix`` would change in one file: the new bytes, the findings fixed and left,
and a readable diff. Nothing here writes."""

from __future__ import annotations

import copy
import difflib
import io
import json
import tokenize
from collections.abc import Sequence
from typing import Any, NamedTuple

from mlhygiene._core.records import Finding
from mlhygiene._core.report import escape
from mlhygiene._fix import edits as E
from mlhygiene._fix.files import Snapshot
from mlhygiene._fix.notebooks import (
    FormatError,
    add_tag,
    detect,
    drop_widgets,
    dump,
    is_v4,
    render_cell,
    set_source,
    source_text,
)

TORCH = "torch-load-without-weights-only"
YAML = frozenset({"yaml-unsafe-load", "yaml-full-load"})
TYPOSQUAT = frozenset({"typosquat-requirement", "typosquat-install"})
TORCH_NOTE = (
    "added weights_only=True (full-module checkpoints then need torch.load(..., weights_only=False) "
    "from a trusted file, or a state_dict)"
)
COMMENT_KINDS = frozenset({"script", "requirements"})


class Fixed(NamedTuple):
    finding: Finding
    note: str
    ignored: bool = False  # silenced (--add-ignore), not fixed


class Plan(NamedTuple):
    path: str
    snapshot: Snapshot | None
    data: bytes | None  # the new content, None when nothing changes
    fixed: list[Fixed]  # fixes in ``data`` (suppressions included, as notes)
    unsafe: list[Finding]  # fixable with --unsafe-fixes (not applied)
    left: list[Finding]  # neither fixed nor silenced in the file
    baseline: list[Finding]  # to add to the baseline (--add-ignore on what takes no comment)
    diff: list[str]
    problem: str | None = None
    fatal: bool = False


class Options(NamedTuple):
    unsafe: bool = False
    add_ignore: bool = False


def _code_fix(code: E.Code, f: Finding, kind: str) -> tuple[list[E.Edit], str, bool] | None:
    """(edits, what they do, whether the fix is unsafe) for a finding in code, or None."""
    if f.rule_id == TORCH:
        found = E.torch_weights_only(code, f.line, f.column)
        return (found, TORCH_NOTE, False) if found else None
    if f.rule_id in YAML:
        found = E.yaml_safe_load(code, f.line, f.column)
        if not found:
            return None
        name = found[0].new.split("(", 1)[0]
        return found, f"replaced by {name}() (plain YAML data only)", False
    if f.category == "http":
        found = E.https(code, f.line, f.column, f.end_line, f.end_column)
        return (found, "http:// -> https://", True) if found else None
    if f.rule_id in TYPOSQUAT:
        found = E.rename(code, f.line, f.column, f.end_column, f.message)
        names = E.suggested(f.message)
        return (found, f"'{names[0]}' -> '{names[1]}'", True) if found and names else None
    if f.category == "credentials" and kind == "script" and f.output is None:
        env = E.environ(code, f.line, f.column)
        if env is None:
            return None
        return (
            env[0] + E.import_os(code),
            f'read from os.environ["{env[1]}"] (set it there, and rotate the leaked value)',
            True,
        )
    return None


def _commentable(code: E.Code, kind: str) -> set[int] | None:
    if kind != "script" and kind != "requirements":
        return set()  # TOML and YAML: the baseline, not a comment that may land in a string
    if kind == "requirements":
        return {n for n, line in enumerate(code.lines, start=1) if not line.rstrip().endswith("\\")}
    return E.commentable(code)


class _CodeResult(NamedTuple):
    text: str
    fixed: list[Fixed]
    unsafe: list[Finding]
    left: list[Finding]


def _fix_code(
    text: str, findings: Sequence[Finding], kind: str, options: Options, notebook: bool
) -> _CodeResult:
    """Fix (and with add_ignore, silence) findings in one script or cell."""
    code = E.Code(text, notebook=notebook)
    edits: list[E.Edit] = []
    fixed: list[Fixed] = []
    unsafe: list[Finding] = []
    left: list[Finding] = []
    for f in findings:
        found = _code_fix(code, f, kind)
        if found is not None and (options.unsafe or not found[2]):
            edits += found[0]
            fixed.append(Fixed(f, found[1]))
            continue
        if found is not None:
            unsafe.append(f)
        left.append(f)
    if options.add_ignore and left:
        lines = _commentable(code, kind) or set()
        by_line: dict[int, list[Finding]] = {}
        still: list[Finding] = []
        for f in left:
            line = next((n for n in (f.line, f.end_line) if n in lines), None)
            if line is None:
                still.append(f)
            else:
                by_line.setdefault(line, []).append(f)
        for line, group in by_line.items():
            rules = list(dict.fromkeys(f.rule_id for f in group))
            edits += E.ignore_comment(code, line, rules)
            fixed += [Fixed(f, f"added '# mlhygiene: ignore[{f.rule_id}]'", True) for f in group]
        unsafe = [f for f in unsafe if f in still]
        left = still
    return _CodeResult(E.apply(text, edits), fixed, unsafe, left)


def _redact(lines: Sequence[str], secrets: set[str]) -> list[str]:
    out = []
    for line in lines:
        for secret in sorted(secrets, key=len, reverse=True):
            if secret:
                line = line.replace(secret, secret[: min(6, len(secret) // 4)] + "…")
        out.append(escape(line))
    return out


def _decode(data: bytes, kind: str) -> tuple[str, str]:
    """(text, encoding) of a script (PEP 263 / BOM) or a text file (UTF-8, else Latin-1)."""
    if kind == "script":
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        return data.decode(encoding), encoding
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def plan_text(snapshot: Snapshot, kind: str, findings: Sequence[Finding], options: Options) -> Plan:
    """A script or a requirements file."""
    path = snapshot.path
    try:
        text, encoding = _decode(snapshot.data, kind)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return Plan(path, snapshot, None, [], [], list(findings), [], [], f"cannot decode ({exc})", True)
    result = _fix_code(text, findings, kind, options, notebook=False)
    baseline: list[Finding] = []
    left = result.left
    if options.add_ignore and left:
        baseline, left = left, []
    if result.text == text:
        return Plan(path, snapshot, None, result.fixed, result.unsafe, left, baseline, [])
    if kind == "script" and E.parses(text) and not E.parses(result.text):
        fatal = "the fixed file would not parse; not written (please report it)"
        return Plan(path, snapshot, None, [], result.unsafe, list(findings), [], [], fatal, True)
    try:
        data = result.text.encode(encoding)
    except UnicodeEncodeError:
        return Plan(
            path,
            snapshot,
            None,
            [],
            result.unsafe,
            list(findings),
            [],
            [],
            f"cannot encode as {encoding}",
            True,
        )
    secrets = {f.matched for f in findings if f.category == "credentials"}
    diff = list(
        difflib.unified_diff(
            text.splitlines(), result.text.splitlines(), path, f"{path} (fixed)", lineterm=""
        )
    )
    return Plan(path, snapshot, data, result.fixed, result.unsafe, left, baseline, _redact(diff, secrets))


def _cell(nb: dict[str, Any], index: int | None) -> dict[str, Any] | None:
    cells = nb.get("cells")
    if index is None or not isinstance(cells, list) or not 1 <= index <= len(cells):
        return None
    cell = cells[index - 1]
    return cell if isinstance(cell, dict) else None


def plan_notebook(snapshot: Snapshot, findings: Sequence[Finding], options: Options) -> Plan:
    path = snapshot.path
    bom = b"\xef\xbb\xbf" if snapshot.data.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = snapshot.data[len(bom) :].decode("utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Plan(path, snapshot, None, [], [], list(findings), [], [], "not a readable notebook", True)
    if isinstance(raw, dict) and not is_v4(raw):
        note = (
            f"nbformat {raw.get('nbformat', 3)} notebook: not rewritten; fix it by hand (or convert it to v4)"
        )
        return Plan(path, snapshot, None, [], [], list(findings), [], [], note, False)
    try:
        nb, layout = detect(text)
    except FormatError as exc:
        return Plan(path, snapshot, None, [], [], list(findings), [], [], str(exc), True)
    original = copy.deepcopy(nb)
    fixed: list[Fixed] = []
    unsafe: list[Finding] = []
    left: list[Finding] = []
    changed: set[int] = set()
    secrets = {f.matched for f in findings if f.category == "credentials" and f.matched}
    by_cell: dict[int, list[Finding]] = {}
    for f in findings:
        cell = _cell(nb, f.cell)
        if cell is None:
            left.append(f)
            continue
        if f.output is not None:
            if f.category == "credentials" and isinstance(cell.get("outputs"), list):
                fixed.append(Fixed(f, f"cleared output {f.output} (rotate the credential: it was saved)"))
                changed.add(f.cell or 0)
            else:
                left.append(f)
        elif cell.get("cell_type") == "code":
            by_cell.setdefault(f.cell or 0, []).append(f)
        else:
            left.append(f)
    # outputs first (by position, so the numbering holds while removing)
    for index in sorted(changed):
        cell = _cell(nb, index)
        assert cell is not None
        drop = {f.finding.output for f in fixed if f.finding.cell == index and f.finding.output}
        cell["outputs"] = [o for k, o in enumerate(cell["outputs"], start=1) if k not in drop]
    for index, group in sorted(by_cell.items()):
        cell = _cell(nb, index)
        assert cell is not None
        before = source_text(cell)
        result = _fix_code(before, group, "notebook", options, notebook=True)
        fixed += result.fixed
        unsafe += result.unsafe
        left += result.left
        if result.text != before:
            set_source(cell, result.text)
            changed.add(index)
    if options.add_ignore and left:
        for f in left:
            cell = _cell(nb, f.cell)
            if cell is not None:
                add_tag(cell, f"mlhygiene-ignore:{f.rule_id}")
                fixed.append(Fixed(f, f"added cell tag 'mlhygiene-ignore:{f.rule_id}'", True))
                changed.add(f.cell or 0)
        unsafe = []
        baseline, left = [f for f in left if _cell(nb, f.cell) is None], []
    else:
        baseline = []
    widgets = drop_widgets(nb, secrets) if any(f.finding.output for f in fixed) else []
    if not changed and not widgets:
        return Plan(path, snapshot, None, fixed, unsafe, left, baseline, [])
    for index in sorted(changed):  # a code cell must still parse as it did
        cell = _cell(nb, index)
        assert cell is not None
        if cell.get("cell_type") == "code" and source_text(cell) != source_text(original["cells"][index - 1]):
            was = E.Code(source_text(original["cells"][index - 1]), notebook=True).tree is not None
            if was and E.Code(source_text(cell), notebook=True).tree is None:
                fatal = f"cell {index}: the fixed cell would not parse; not written (please report it)"
                return Plan(path, snapshot, None, [], unsafe, list(findings), [], [], fatal, True)
    new_text = dump(nb, layout)
    json.loads(new_text)  # still a notebook (always true for json.dumps output)
    diff: list[str] = []
    for index in sorted(changed):
        where = f"{path}:cell {index}"
        diff += difflib.unified_diff(
            render_cell(original["cells"][index - 1]),
            render_cell(nb["cells"][index - 1]),
            where,
            f"{where} (fixed)",
            lineterm="",
        )
    if widgets:
        diff += [f"--- {path}:metadata.widgets", f"+++ {path}:metadata.widgets (fixed)"]
        diff += [f"-[widget model {model_id}]" for model_id in widgets]
        fixed_widgets = Fixed(
            Finding(path, 0, 0, 0, 0, "widget-state", "credentials", "", ""),
            f"removed {len(widgets)} saved widget model{'s' * (len(widgets) != 1)} holding the credential",
        )
        fixed.append(fixed_widgets)
    data = bom + new_text.encode("utf-8")
    return Plan(path, snapshot, data, fixed, unsafe, left, baseline, _redact(diff, secrets))
