"""The one place findings and problems become text, JSON or SARIF."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from mlhygiene import __version__
from mlhygiene._core.records import Finding, Problem

FORMATS = ("text", "json", "sarif")
INFO_URI = "https://pypi.org/project/mlhygiene/"


def location(finding: Finding) -> str:
    parts = [finding.path]
    if finding.cell is not None:
        parts.append(f"cell {finding.cell}")
    if finding.output is not None:
        parts.append(f"output {finding.output}")
    parts += [str(finding.line), str(finding.column)]
    return ":".join(parts)


def text_line(finding: Finding) -> str:
    return f"{location(finding)}: {finding.rule_id} {finding.message}"


def problem_line(problem: Problem) -> str:
    where = problem.path if problem.cell is None else f"{problem.path}:cell {problem.cell}"
    level = "error" if problem.fatal else "warning"
    return f"{where}: {level}: {problem.message}"


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "cell": finding.cell,
        "output": finding.output,
        "rule_id": finding.rule_id,
        "category": finding.category,
        "severity": finding.severity,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
    }


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "cell": problem.cell,
        "level": "error" if problem.fatal else "warning",
        "message": problem.message,
    }


def as_json(findings: Sequence[Finding], problems: Sequence[Problem]) -> str:
    return json.dumps(
        {
            "version": __version__,
            "findings": [finding_dict(f) for f in findings],
            "errors": [problem_dict(p) for p in problems],
        },
        indent=2,
    )


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def as_sarif(findings: Sequence[Finding], problems: Sequence[Problem]) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        rules.setdefault(
            f.rule_id,
            {
                "id": f.rule_id,
                "name": f.rule_id,
                "shortDescription": {"text": f.rule_id.replace("-", " ")},
                "fullDescription": {"text": f.message},
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(f.severity, "warning")},
                "properties": {"category": f.category, "tags": ["security", f.category]},
            },
        )
        artifact = {"uri": f.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"}
        physical: dict[str, Any] = {"artifactLocation": artifact}
        message = f.message
        if f.cell is None:
            physical["region"] = {
                "startLine": f.line,
                "startColumn": f.column,
                "endLine": f.end_line,
                "endColumn": f.end_column,
            }
        else:
            # A notebook's raw JSON lines mean nothing to a reader: name the cell instead.
            where = f"cell {f.cell}" + (f", output {f.output}" if f.output is not None else "")
            message = f"{where}, line {f.line}, column {f.column}: {f.message}"
        results.append(
            {
                "ruleId": f.rule_id,
                "level": _SARIF_LEVEL.get(f.severity, "warning"),
                "message": {"text": message},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"mlhygiene/v1": f.fingerprint},
                "properties": {
                    "category": f.category,
                    "cell": f.cell,
                    "output": f.output,
                    "line": f.line,
                    "column": f.column,
                },
            }
        )
    notifications = [
        {
            "level": "error" if p.fatal else "warning",
            "message": {"text": problem_line(p)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": p.path.replace("\\", "/")}}}],
        }
        for p in problems
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlhygiene",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": [rules[k] for k in sorted(rules)],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not any(p.fatal for p in problems),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def write_report(
    fmt: str,
    findings: Sequence[Finding],
    problems: Sequence[Problem],
    out: TextIO,
    err: TextIO,
) -> None:
    if fmt == "json":
        out.write(as_json(findings, problems) + "\n")
        return
    if fmt == "sarif":
        out.write(as_sarif(findings, problems) + "\n")
        return
    for finding in findings:
        out.write(text_line(finding) + "\n")
    for problem in problems:
        err.write(problem_line(problem) + "\n")
