"""mlhygiene-credentials: plaintext credentials in scripts, notebook cells and outputs, config files.

detect-secrets runs as a library (its regex side only: no verification, no network, no global
settings) with our own plugins for the services ML code talks to; see ``mlhygiene/_secrets``.
Notebook cells are scanned decoded from JSON (so ``\\"``-escaped strings are seen as the user
sees them), outputs as text (never ``image/*`` or widget state). A secret is never printed:
messages carry its type and at most a short prefix; ``Finding.matched`` (hashed for the
baseline, never shown) holds the secret itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from mlhygiene._core.records import Cell, CheckResult, Finding, OutputText, Problem, Source
from mlhygiene._core.runner import Check, Context
from mlhygiene._secrets.records import CODE, CONFIG, OUTPUT, PROSE, SHELL
from mlhygiene._secrets.rules import CATEGORY, RULES, SEVERITY, message
from mlhygiene.command import hook_main

if TYPE_CHECKING:
    from mlhygiene._secrets.engine import Engine
    from mlhygiene._secrets.records import Hit

KINDS = frozenset({"script", "notebook", "config", "requirements", "pyproject", "environment"})
_MIME_ORDER = {"stream": 0, "error": 0, "text/plain": 1}  # what the user sees first
_SHELL_MAGICS = frozenset({"bash", "sh", "zsh", "script", "system", "!"})


def _finding(
    path: str, hit: Hit, *, cell: int | None = None, output: int | None = None
) -> Finding:
    return Finding(
        path=path,
        line=hit.row + 1,
        column=hit.start + 1,
        end_line=hit.end_row + 1,
        end_column=hit.end + 1,
        rule_id=hit.rule_id,
        category=CATEGORY,
        severity=SEVERITY,
        message=message(hit.rule_id, hit.secret, name=hit.name, in_output=output is not None),
        cell=cell,
        output=output,
        matched=hit.secret,
    )


def cell_mode(cell: Cell) -> str:
    """How to read a cell: markdown as prose, ``%%bash`` as shell, ``%%writefile x.env`` as the
    config file it writes, everything else as code."""
    if cell.cell_type != "code":
        return PROSE
    first = next((line.strip() for line in cell.lines if line.strip()), "")
    if not first.startswith("%%"):
        return CODE
    magic, _, args = first[2:].partition(" ")
    if magic in _SHELL_MAGICS:
        return SHELL
    if magic in {"writefile", "file"} and not args.strip().endswith((".py", ".ipynb")):
        return CONFIG
    return CODE


def _output_findings(engine: Engine, path: str, outputs: Sequence[OutputText]) -> Iterator[Finding]:
    """One finding per secret per output, from its most readable representation."""
    from mlhygiene._secrets.engine import scan_block  # lazy: imports detect-secrets

    ordered = sorted(outputs, key=lambda o: (o.cell, o.output, _MIME_ORDER.get(o.mime, 2)))
    seen: set[tuple[int, int, str, str]] = set()
    texts: set[tuple[int, int, str]] = set()
    for out in ordered:
        if (out.cell, out.output, out.text) in texts:  # text/html and a vendor mime, same text
            continue
        texts.add((out.cell, out.output, out.text))
        for hit in scan_block(engine, out.text.split("\n"), OUTPUT):
            key = (out.cell, out.output, hit.rule_id, hit.secret)
            if key not in seen:
                seen.add(key)
                yield _finding(path, hit, cell=out.cell, output=out.output)


def source_findings(engine: Engine, source: Source) -> list[Finding]:
    """Every credential in one source."""
    from mlhygiene._secrets.engine import narrowed, scan_block  # lazy: imports detect-secrets

    if not source.is_notebook:
        mode = CODE if source.kind == "script" else CONFIG
        return [_finding(source.path, hit) for hit in scan_block(engine, source.text.splitlines(), mode)]
    cells = ["\n".join(cell.lines) for cell in source.cells]
    engine = narrowed(engine, "\n".join(cells + [output.text for output in source.outputs]))
    findings = [
        _finding(source.path, hit, cell=cell.index)
        for cell in source.cells
        for hit in scan_block(engine, cell.lines, cell_mode(cell))
    ]
    findings.extend(_output_findings(engine, source.path, source.outputs))
    return findings


def _run(sources: Sequence[Source], ctx: Context) -> CheckResult:
    from mlhygiene._secrets.engine import build_engine  # lazy: imports detect-secrets

    engine = build_engine()
    findings: list[Finding] = []
    problems: list[Problem] = []
    for source in sources:
        try:
            findings.extend(source_findings(engine, source))
        except Exception as exc:  # the message of an exception may quote the scanned text
            if getattr(ctx.options, "debug", False):
                raise
            reason = f"could not be scanned for credentials ({type(exc).__name__})"
            problems.append(Problem(source.path, f"{reason}; rerun with --debug and report it"))
    return CheckResult(findings, problems)


CHECK = Check("credentials", KINDS, _run, needs_python=False, category=CATEGORY, rule_ids=tuple(RULES))


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main(
        argv,
        "mlhygiene-credentials",
        "Find plaintext credentials in scripts, notebook cells and outputs, and config files.",
        [CHECK],
    )


if __name__ == "__main__":
    raise SystemExit(main())
