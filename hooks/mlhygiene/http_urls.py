"""mlhygiene-http: plain ``http://`` URLs that code fetches from or sends to.

Python code is checked by the Semgrep rules in ``rules/http``; notebook shell lines
(``!wget``, ``!curl``, ``%%bash`` bodies, ...) by the small scanner below.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence

from mlhygiene._core.records import CheckResult, Finding, Source
from mlhygiene._core.runner import Check, Context, semgrep_check
from mlhygiene._core.urls import host_of, is_local
from mlhygiene._http_literals import EVENTS, at_literals
from mlhygiene.command import hook_main

RULE_ID = "http-shell-download"
RULE_IDS = (RULE_ID,)  # emitted here; the Semgrep rules' ids live in rules/http
# Commands that fetch what they are given (the first word, after sudo/env-style prefixes).
# fmt: off
FETCHERS = frozenset(
    {
        "wget", "curl", "aria2c", "axel", "http", "https", "lynx", "gdown", "git", "svn",
        "hg", "pip", "pip3", "uv", "conda", "mamba", "apt-get", "apt", "tar", "unzip",
        "kaggle", "huggingface-cli", "hf", "python", "python3", "rsync",
    }
)
# fmt: on
_PREFIXES = frozenset({"sudo", "time", "nohup", "env", "command", "exec", "xargs"})
# pip's and uv's index options: their URLs are the typosquat hook's `insecure-index-url`, not ours.
_INDEX_OPTION = re.compile(
    r"(?:--(?:extra-)?index-url|--find-links|--(?:default-)?index|-[if])(?:=|\s+)\S+"
)
_URL = re.compile(r"http://([^\s/\"'`<>|;&)]+)[^\s\"'`<>|;&)]*", re.I)
MESSAGE = (
    "'{cmd}' fetches over plain http:// from {host}: anyone on the network path can swap "
    "the data, model or code it downloads. Use https:// and check the file's SHA-256."
)


def _command_words(command: str) -> Iterator[str]:
    """The first word of each simple command in a shell line (``a && b | c`` -> a, b, c)."""
    for part in re.split(r"&&|\|\||[|;]", command):
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            words = part.split()
        while words and (words[0] in _PREFIXES or "=" in words[0] or words[0].startswith("-")):
            words = words[1:]
        if words:
            yield words[0].rsplit("/", 1)[-1]


def _locate(source: Source, cell: int, line: int, url: str) -> tuple[int, int]:
    """The (line, 1-based column) of ``url`` in the cell, searching from ``line`` on."""
    lines = source.cells[cell - 1].lines if 1 <= cell <= len(source.cells) else ()
    for n in range(line, len(lines) + 1):
        col = lines[n - 1].find(url)
        if col != -1:
            return n, col + 1
    return line, 1


def shell_findings(source: Source) -> list[Finding]:
    findings = []
    for shell in source.shell_lines:
        fetchers = [w for w in _command_words(shell.command) if w in FETCHERS]
        if not fetchers:
            continue
        command = _INDEX_OPTION.sub(" ", shell.command)
        for match in _URL.finditer(command):
            host = host_of(match.group(1))
            if is_local(host):
                continue
            line, col = _locate(source, shell.cell, shell.line, match.group(0))
            findings.append(
                Finding(
                    path=source.path,
                    line=line,
                    column=col,
                    end_line=line,
                    end_column=col + len(match.group(0)),
                    rule_id=RULE_ID,
                    category="http",
                    severity="warning",
                    message=MESSAGE.format(cmd=fetchers[0], host=host),
                    cell=shell.cell,
                    matched=match.group(0),
                )
            )
    return findings


# The taint rules: a literal reaches a call. Their findings are reported at the literal.
AT_LITERAL = frozenset({"http-url-fetch", "http-url-read-data", "http-url-download"})


def _run(sources: Sequence[Source], ctx: Context) -> CheckResult:
    result = SEMGREP.run(sources, ctx)
    taint = [f for f in result.findings if f.rule_id in AT_LITERAL]
    other = [f for f in result.findings if f.rule_id not in AT_LITERAL]
    shell = [f for s in sources if s.shell_lines for f in shell_findings(s)]
    return CheckResult(other + at_literals(taint, sources, ctx.trees) + shell, result.problems)


SEMGREP = semgrep_check("http", "http")
CHECK = Check(
    "http", SEMGREP.kinds, _run, uses_semgrep=True, category="http", rule_ids=RULE_IDS, analyses=(EVENTS,)
)


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main(
        argv,
        "mlhygiene-http",
        "Find plain-http downloads and uploads in Python code and notebook shell lines.",
        [CHECK],
    )


if __name__ == "__main__":
    raise SystemExit(main())
