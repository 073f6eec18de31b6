"""The one place findings and problems become text, GitHub annotations, JSON or SARIF.

Everything a scanned repository controls (file and member names, pickle globals, package
names, URLs) reaches a terminal only through :func:`escape`, so no name can move the cursor,
retitle the window or forge a finding line. JSON and SARIF keep exact values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TextIO

from mlhygiene import __version__
from mlhygiene._core.records import Finding, Problem
from mlhygiene._core.registry import RuleDoc, rule_doc

FORMATS = ("text", "github", "json", "sarif")
INFO_URI = "https://pypi.org/project/mlhygiene/"
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "info": "2.0"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\n``)."""
    return _CONTROL.sub(_escaped, text)


class Checked(NamedTuple):
    """How many files a run looked at (for the summary line)."""

    files: int
    notebooks: int


def location(finding: Finding) -> str:
    parts = [finding.path]
    if finding.cell is not None:
        parts.append(f"cell {finding.cell}")
    if finding.output is not None:
        parts.append(f"output {finding.output}")
    parts += [str(finding.line), str(finding.column)]
    return ":".join(parts)


def text_line(finding: Finding) -> str:
    return escape(f"{location(finding)}: {finding.rule_id} {finding.message}")


def problem_line(problem: Problem) -> str:
    where = problem.path if problem.cell is None else f"{problem.path}:cell {problem.cell}"
    level = "error" if problem.fatal else "warning"
    return escape(f"{where}: {level}: {problem.message}")


def _gh_data(text: str) -> str:
    return escape(text).replace("%", "%25")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


_GH_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def github_line(finding: Finding) -> str:
    """A GitHub Actions workflow command that annotates the finding in the pull request.

    A notebook's raw-JSON line means nothing to a reader, so notebook findings annotate the
    file and name the cell (and output) in the message instead.
    """
    props = [f"file={_gh_property(finding.path)}"]
    message = finding.message
    if finding.cell is None:
        props += [
            f"line={finding.line}",
            f"col={finding.column}",
            f"endLine={finding.end_line}",
            f"endColumn={finding.end_column}",
        ]
    else:
        where = f"cell {finding.cell}" + (f", output {finding.output}" if finding.output is not None else "")
        message = f"{where}, line {finding.line}, column {finding.column}: {message}"
    props.append(f"title={_gh_property(finding.rule_id)}")
    return f"::{_GH_LEVEL.get(finding.severity, 'warning')} {','.join(props)}::{_gh_data(message)}"


def github_problem_line(problem: Problem) -> str:
    level = "error" if problem.fatal else "warning"
    where = "" if problem.path.startswith("<") else f" file={_gh_property(problem.path)}"
    prefix = f"cell {problem.cell}: " if problem.cell is not None else ""
    return f"::{level}{where}::{_gh_data(prefix + problem.message)}"


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


def sarif_rule(doc: RuleDoc) -> dict[str, Any]:
    """A SARIF reportingDescriptor from the rule itself (never from one of its findings)."""
    rule: dict[str, Any] = {
        "id": doc.id,
        "name": "".join(part.capitalize() for part in doc.id.split("-")),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.summary},
        "defaultConfiguration": {"level": _SARIF_LEVEL.get(doc.severity, "warning")},
        "properties": {
            "category": doc.category,
            "tags": ["security", doc.category],
            "security-severity": _SECURITY_SEVERITY.get(doc.severity, "5.0"),
        },
    }
    if doc.uri:
        rule["helpUri"] = doc.uri
        rule["help"] = {"text": doc.summary, "markdown": doc.help}
    return rule


def as_sarif(
    findings: Sequence[Finding], problems: Sequence[Problem], docs: Mapping[str, RuleDoc] | None = None
) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        if f.rule_id not in rules:
            doc = (docs or {}).get(f.rule_id) or rule_doc(f.rule_id, f.category, f.severity)
            rules[f.rule_id] = sarif_rule(doc)
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


def summary(prog: str, findings: Sequence[Finding], problems: Sequence[Problem], checked: Checked) -> str:
    """``prog: checked N files (M notebooks): …`` — what was looked at, then what was found."""
    n = checked.notebooks
    notebooks = f" ({n} notebook{'s' * (n != 1)})" if n else ""
    head = f"{prog}: checked {checked.files} file{'s' * (checked.files != 1)}{notebooks}: "
    files = len({f.path for f in findings})
    bits = (
        [f"{len(findings)} finding{'s' * (len(findings) != 1)} in {files} file{'s' * (files != 1)}"]
        if findings
        else ["no findings"]
    )
    fatal = {p.path for p in problems if p.fatal}
    files_failed = len({p for p in fatal if not p.startswith("<")})
    if files_failed:
        bits.append(f"{files_failed} file{'s' * (files_failed != 1)} could not be checked")
    if len(fatal) > files_failed:
        bits.append("some checks could not run")
    return escape(head + ", ".join(bits))


class Reporter:
    """The one place that prints a run's findings, problems and summary.

    Text and GitHub lines can be streamed batch by batch (``stream``) as a large scan goes;
    JSON and SARIF are one document written at ``finish``. The summary goes to stderr.
    """

    def __init__(
        self,
        prog: str,
        fmt: str,
        out: TextIO,
        err: TextIO,
        docs: Mapping[str, RuleDoc] | None = None,
    ) -> None:
        self.prog, self.fmt, self.out, self.err, self.docs = prog, fmt, out, err, docs
        self.streamed = False

    def stream(self, findings: Sequence[Finding]) -> None:
        """Print a batch of findings now (text and GitHub formats; others wait for ``finish``)."""
        if self.fmt in ("text", "github"):
            line = text_line if self.fmt == "text" else github_line
            self.out.write("".join(line(f) + "\n" for f in findings))
            self.out.flush()
            self.streamed = True

    def report(self, findings: Sequence[Finding], problems: Sequence[Problem]) -> None:
        """Print what was not streamed, then the problems (no summary)."""
        if self.fmt == "json":
            self.out.write(as_json(findings, problems) + "\n")
        elif self.fmt == "sarif":
            self.out.write(as_sarif(findings, problems, self.docs) + "\n")
        elif not self.streamed:
            self.stream(findings)
        if self.fmt == "github":
            self.out.write("".join(github_problem_line(p) + "\n" for p in problems))
        for problem in problems:
            self.err.write(problem_line(problem) + "\n")
        self.out.flush()

    def finish(self, findings: Sequence[Finding], problems: Sequence[Problem], checked: Checked) -> None:
        """Print what was not streamed, the problems, and the summary line."""
        self.report(findings, problems)
        self.err.write(summary(self.prog, findings, problems, checked) + "\n")
        self.err.flush()


def write_report(
    fmt: str,
    findings: Sequence[Finding],
    problems: Sequence[Problem],
    out: TextIO,
    err: TextIO,
) -> None:
    """The findings and problems alone (no summary), in one format."""
    Reporter("", fmt, out, err).report(findings, problems)
