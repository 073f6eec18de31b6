"""Run the detectors over a block of lines (a script, a cell, an output, a config file).

The block is joined into one text with ``data:…;base64,`` payloads blanked (same length, so
columns stay right). Each typed detector (ours and detect-secrets') whose gate literal occurs
in the block runs its regexes once over the whole text; outside markdown, the lines that name
something credential-like also get the hardcoded-credential shapes (``assignments``) and
detect-secrets' ``KeywordDetector``. Then, per line: drop what a named filter skips and, of
overlapping candidates, keep the most specific. A private key's hit spans its whole block.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from detect_secrets.plugins.keyword import (
    CONFIG_DENYLIST_REGEX_TO_GROUP,
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    KeywordDetector,
)

from mlhygiene._secrets.assignments import assignments
from mlhygiene._secrets.filters import reason
from mlhygiene._secrets.names import KEY, credential_class
from mlhygiene._secrets.plugins import NEARBY, Detector, build_detectors
from mlhygiene._secrets.records import CONFIG, PROSE, Candidate, Hit
from mlhygiene._secrets.rules import GENERIC

GENERIC_PRIORITY = 3
_DATA_URI = re.compile(r"(data:[\w/+.\-]*;base64,)([A-Za-z0-9+/=]+)")
_SCHEME = re.compile(r"(?:Bearer|Token|Basic|bearer|token|basic)\s+(?=\S+$)")
_NAME_BEFORE = re.compile(
    r"['\"]?([A-Za-z_][\w.\-]*)['\"]?\s*\]?\s*(?:\[[0-9]*\])?\s*(?::=|=>|[:=!]{1,3})\s*@?"
    r"[rRbBuUfF]{0,2}['\"]?\s*$"
)
_PRIVATE_END = re.compile(r"END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-*|---- END SSH2[A-Z ]*----|Private-MAC: \S+")
_MAX_KEY_LINES = 200
# Every credential name (names.py) and KeywordDetector keyword contains one of these.
_GENERIC_CUE = re.compile(r"pass|pw|secret|token|key|cred|bearer|auth|contrase|jwt\.|hmac\.")
_GENERIC_CUE_ANY_CASE = re.compile(_GENERIC_CUE.pattern, re.I)
# A line longer than this is searched only around its cues: the name sits at the cue, its value
# within a few hundred characters after it.
_LONG_LINE = 2000
_BEFORE_CUE, _AFTER_CUE = 100, 600


class Engine(NamedTuple):
    detectors: tuple[Detector, ...]
    keyword: Any  # detect-secrets' KeywordDetector


def build_engine() -> Engine:
    return Engine(build_detectors(), KeywordDetector())


def narrowed(engine: Engine, text: str) -> Engine:
    """``engine`` without the detectors whose gate literals occur nowhere in ``text``: for many
    blocks of one file, the gates are tested once for the file instead of once per block (a
    block's text is part of the file's, so no match is lost)."""
    lowered = text.lower()
    return engine._replace(detectors=tuple(d for d in engine.detectors if d.may_match(lowered)))


def blank_payloads(line: str) -> str:
    """``data:image/png;base64,iVBOR…`` -> ``data:image/png;base64,      …`` (same length)."""
    if ";base64," not in line:
        return line
    return _DATA_URI.sub(lambda m: m.group(1) + " " * len(m.group(2)), line)


def _near(lines: Sequence[str], index: int, pattern: re.Pattern[str]) -> bool:
    window = lines[max(0, index - NEARBY) : index + NEARBY + 1]
    return any(pattern.search(other) for other in window)


class _Block(NamedTuple):
    """A block as one text (payloads blanked), with the offset where each line starts."""

    lines: tuple[str, ...]
    text: str
    lowered: str  # for the detectors' gates
    starts: tuple[int, ...]

    @classmethod
    def of(cls, raw: Sequence[str]) -> _Block:
        text = blank_payloads("\n".join(raw))
        lines = tuple(text.split("\n"))
        starts, offset = [], 0
        for line in lines:
            starts.append(offset)
            offset += len(line) + 1
        return cls(lines, text, text.lower(), tuple(starts))

    def row(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1


def _typed(engine: Engine, block: _Block) -> dict[int, list[Candidate]]:
    """Typed candidates by row: each regex runs once over the whole block, never per line
    (no detector regex matches across a newline, so this is the per-line result)."""
    found: dict[int, list[Candidate]] = {}
    for detector in engine.detectors:
        if not detector.may_match(block.lowered):
            continue
        for start, end in detector.spans(block.text):
            row = block.row(start)
            if detector.nearby is not None and not _near(block.lines, row, detector.nearby):
                continue
            line, col = block.lines[row], start - block.starts[row]
            secret = block.text[start:end]
            rule = detector.rule(secret)
            candidate = Candidate(rule, secret, line, col, col + len(secret), priority=detector.priority)
            found.setdefault(row, []).append(candidate)
    return found


# After a quoted value: the literal is only the first operand of an expression that builds
# the real value at run time ("prefix-" + compute(), "%s" % x, "{}".format(x)).
_COMPUTED = re.compile(r"['\"]\s*(?:\+\s*[^\s'\"]|%\s*[\w(]|\.format\()")


def _generic_candidate(line: str, name: str, start: int, end: int) -> Candidate | None:
    if _COMPUTED.match(line, end):
        return None
    value = line[start:end]
    scheme = _SCHEME.match(value)
    if scheme:
        start += scheme.end()
        value = line[start:end]
    name_class = credential_class(name) if name else KEY
    if name_class is None:
        return None
    return Candidate(GENERIC, value, line, start, end, name, name_class, GENERIC_PRIORITY)


def _locate(line: str, value: str) -> int:
    """Where a keyword value starts: after a quote or an operator if it can, not in the name."""
    for lead in ('"', "'", "=", ":", " "):
        at = line.find(lead + value)
        if at != -1:
            return at + 1
    return line.find(value)


def _keyword(engine: Engine, line: str, mode: str, window: tuple[int, int]) -> Iterator[Candidate]:
    table = CONFIG_DENYLIST_REGEX_TO_GROUP if mode == CONFIG else QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
    first, last = window
    text = line[first:last]
    for value in engine.keyword.analyze_string(text, denylist_regex_to_group=table):
        at = _locate(text, value)
        if not value or at == -1:
            continue
        start = first + at
        named = _NAME_BEFORE.search(line, 0, start)
        candidate = _generic_candidate(line, named.group(1) if named else "", start, start + len(value))
        if candidate is not None:
            yield candidate


def _generic(engine: Engine, line: str, mode: str, window: tuple[int, int]) -> Iterator[Candidate]:
    for found in assignments(line, mode, *window):
        candidate = _generic_candidate(line, found.name, found.start, found.end)
        if candidate is not None:
            yield candidate
    yield from _keyword(engine, line, mode, window)


def _resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Of overlapping candidates keep the most specific (lowest priority), then the longest."""
    kept: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (c.priority, c.start - c.end, c.start)):
        if all(c.end <= k.start or c.start >= k.end for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def _private_key_hit(c: Candidate, lines: Sequence[str], index: int) -> Hit:
    """The whole block, BEGIN to END, so the fingerprint is the key itself, not its header."""
    start = c.start
    while start > 0 and c.line[start - 1] == "-":
        start -= 1
    end = _PRIVATE_END.search(c.line, c.end)
    if end:
        return Hit(c.rule_id, c.line[start : end.end()], index, start, end.end(), index)
    body = [c.line[start:]]
    for j in range(index + 1, min(len(lines), index + _MAX_KEY_LINES)):
        end = _PRIVATE_END.search(lines[j])
        if end:
            body.append(lines[j][: end.end()])
            return Hit(c.rule_id, "\n".join(body), index, start, end.end(), j)
        body.append(lines[j])
    tail = lines[index + 1] if index + 1 < len(lines) else ""
    return Hit(c.rule_id, c.line[start:] + "\n" + tail, index, start, len(c.line), index)


def _as_hit(c: Candidate, lines: Sequence[str], index: int) -> Hit:
    if c.rule_id == "private-key":
        return _private_key_hit(c, lines, index)
    return Hit(c.rule_id, c.secret, index, c.start, c.end, index, c.name)


def _generic_windows(block: _Block) -> dict[int, list[tuple[int, int]]]:
    """The lines that name something credential-like, and where: the whole line, or in a long
    line (minified JavaScript in an HTML output...) windows around each cue, merged."""
    if len(block.lowered) == len(block.text):  # lower-case search: 6x faster than re.I
        matches = _GENERIC_CUE.finditer(block.lowered)
    else:  # a few characters change length when lower-cased: offsets would drift
        matches = _GENERIC_CUE_ANY_CASE.finditer(block.text)
    cues: dict[int, list[int]] = {}
    for m in matches:
        row = block.row(m.start())
        cues.setdefault(row, []).append(m.start() - block.starts[row])
    windows: dict[int, list[tuple[int, int]]] = {}
    for row, cols in cues.items():
        size = len(block.lines[row])
        if size <= _LONG_LINE:
            windows[row] = [(0, size)]
            continue
        merged: list[tuple[int, int]] = []
        for col in cols:
            first, last = max(0, col - _BEFORE_CUE), min(size, col + _AFTER_CUE)
            if merged and first <= merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
            else:
                merged.append((first, last))
        windows[row] = merged
    return windows


def scan_block(engine: Engine, lines: Sequence[str], mode: str) -> list[Hit]:
    """Every secret in ``lines`` (0-based line index, 0-based columns)."""
    block = _Block.of(lines)
    by_row = _typed(engine, block)
    if mode != PROSE:
        for row, spans in _generic_windows(block).items():
            for window in spans:
                by_row.setdefault(row, []).extend(_generic(engine, block.lines[row], mode, window))
    hits: list[Hit] = []
    for row in sorted(by_row):
        found = {c: _as_hit(c, block.lines, row) for c in by_row[row]}
        # a private key is judged on its whole block, the rest on the matched text
        kept = [c for c, hit in found.items() if reason(c._replace(secret=hit.secret)) is None]
        hits.extend(found[c] for c in _resolve(kept))
    return hits
