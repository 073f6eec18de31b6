"""Which of our Semgrep rules can match a unit at all, decided from its text in microseconds.

Semgrep prefilters each rule on the identifiers its patterns name (``load`` and ``numpy``
for ``numpy.load(...)``), but ML code is full of both, so nearly every file passes and is
parsed and matched by every rule. Our rules declare, in their metadata, what a match needs:

``mlhygiene-needs-calls``
    dotted names the rule calls (``numpy.load torch.load``); present when the text spells one
    of them directly or through an import alias (``import numpy as np`` then ``np.load``,
    ``from torch import load as L`` then ``L``, a ``from numpy import *`` then ``load``).
``mlhygiene-needs-words``
    identifiers of which one must appear as a whole word (``trust_remote_code``).
``mlhygiene-needs-text``
    text that must appear, in any case (``pickle``: part of any name).
``mlhygiene-needs-called``
    text that must be part of the last name of something called, in any case (``download``:
    ``maybe_download(``, ``dl.Download_File (``), i.e. followed by more of the name, then only
    blanks, line continuations, comments or closing parentheses before a ``(``.
``mlhygiene-needs-also-text``
    text that must appear as well, in any case: with other needs, one of these *and* one of
    those (``pickle`` for a rule that needs ``getattr`` or ``import_module`` on pickle).
``mlhygiene-needs-strings``
    text a string literal must start with (``"http://"``; any quote, any case), adjacent
    literals joined as Python joins them (``"http:" "//host"``, even across lines and comments).

The dotted callees a rule's positive patterns name (``pattern: numpy.load(...)``,
``pattern-inside: $S = requests.Session(...)``) are added to its calls by machine
(:func:`derived_calls`), so a need forgotten in the metadata cannot drop a finding.

A rule runs on a unit when one of its calls, words, texts or called names is present and, if it
declares strings or also-texts, one of each of those too (the taint rules: a source literal
*and* a sink); a rule that declares no needs runs on every unit.
Every test is a superset of what Semgrep can match: words and spellings are searched in
comments and strings too, any whitespace, backslash or parenthesis may sit around a dot, an
import statement anywhere (even in a string) adds its aliases. What Semgrep resolves and we do
not would be a lost finding, so tests/_core/test_prefilter.py runs every annotated rule test
with and without this filter, and checks that each rule's needs cover its patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

_NEEDS = re.compile(r"^\s*mlhygiene-needs-(calls|words|text|called|also-text|strings):\s*(.*?)\s*$", re.M)
_WORD = re.compile(r"\w+")
_FROM = re.compile(r"from\s+([\w.]+)\s+import\s+(\((?:[^)#]|#[^\n]*)*\)|(?:[^\n#;\\]|\\\n)*)")
_IMPORT = re.compile(r"import\s+((?:[^\n#;\\(]|\\\n)*)")
_COMMENT = re.compile(r"#[^\n]*")
_ITEM = re.compile(r"^([\w.]+|\*)(?:\s+as\s+(\w+))?$")
# The gap between two adjacent string literals, which Python joins into one: a closing quote,
# blanks, line continuations or comments, an optional prefix, an opening quote (on lower text).
_QUOTE = r"""(?:'''|\"\"\"|'|")"""
_SEAM = re.compile(_QUOTE + r"[\s\\]*(?:#[^\n]*\n[\s\\]*)*[rbuf]{0,2}" + _QUOTE)


class Needs(NamedTuple):
    calls: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    strings: tuple[str, ...] = ()
    called: tuple[str, ...] = ()
    also_text: tuple[str, ...] = ()


_POSITIVE = re.compile(r"^(\s*)(?:-\s+)?(?:pattern|pattern-inside):\s*(.*?)\s*$")
_EXCLUDING = re.compile(r"^(\s*)(?:-\s+)?(?:pattern-not\S*|pattern-sanitizers|metavariable-\S+|focus-\S+):")
_CALLEE = re.compile(r"^['\"]?(?:\$\w+\s*=\s*)?(?:(?:async\s+)?with\s+)?([A-Za-z_][\w.]*)\s*\(")
_IDENTIFIER = re.compile(r"(?<![$\w])\w+")


def _covered(callee: str, pattern: str, needs: dict[str, tuple[str, ...]]) -> bool:
    """Whether declared needs already hold for any code ``pattern`` matches."""
    calls, words, texts = needs.get("calls", ()), needs.get("words", ()), needs.get("text", ())
    called = needs.get("called", ())
    return (
        callee in calls
        or bool(set(words) & set(_IDENTIFIER.findall(pattern)))
        or any(t.lower() in pattern.lower() for t in texts)
        or any(t.lower() in callee.rsplit(".", 1)[-1].lower() for t in called)
        or any(c.startswith(callee + ".") for c in calls)  # a receiver: Session(...).get
    )


def derived_calls(text: str, declared: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """The dotted names a rule file's positive patterns call (no metavariables) that its
    declared needs do not cover already; what excludes a match (pattern-not, sanitizers,
    metavariable conditions) is skipped."""
    lines = text.splitlines()
    found: list[str] = []
    skip_below: int | None = None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if skip_below is not None and line.strip() and indent <= skip_below:
            skip_below = None
        excluding = _EXCLUDING.match(line)
        if excluding and skip_below is None:
            skip_below = len(excluding.group(1))
            continue
        match = _POSITIVE.match(line)
        if skip_below is not None or not match:
            continue
        value = match.group(2)
        if value in ("|", ">", "|-", ">-"):  # a block: its first line
            value = next((n.strip() for n in lines[i + 1 :] if n.strip()), "")
        callee = _CALLEE.match(value)
        if not callee or "$" in callee.group(1) or callee.group(1) in ("def", "class"):
            continue
        if declared is None or not _covered(callee.group(1), value, declared):
            found.append(callee.group(1))
    return tuple(dict.fromkeys(found))


def read_needs(config: Path) -> Needs | None:
    """A rule file's needs: declared, plus the calls its patterns name; None (runs everywhere)
    for a rule that declares none."""
    try:
        text = config.read_text(encoding="utf-8")
    except OSError:
        return None
    found: dict[str, tuple[str, ...]] = {}
    for key, value in _NEEDS.findall(text):
        items = tuple(v.strip("\"'") for v in value.split())
        key = key.replace("-", "_")
        found[key] = found.get(key, ()) + tuple(v for v in items if v)
    if not found:
        return None
    found["calls"] = tuple(dict.fromkeys((*found.get("calls", ()), *derived_calls(text, found))))
    return Needs(**found)


class Bindings(NamedTuple):
    """Import aliases of a text: local name -> dotted path, and star-imported modules."""

    names: tuple[tuple[str, str], ...]
    stars: tuple[str, ...]


def bindings(text: str) -> Bindings:
    names: list[tuple[str, str]] = []
    stars: list[str] = []
    for module, items in _FROM.findall(text):
        for name, alias in _items(items):
            if name == "*":
                stars.append(module)
            else:
                names.append((alias or name, f"{module}.{name}"))
    for items in _IMPORT.findall(text):
        for name, alias in _items(items):
            if alias:
                names.append((alias, name))
    return Bindings(tuple(names), tuple(stars))


def _items(clause: str) -> Iterable[tuple[str, str]]:
    clause = _COMMENT.sub(" ", clause).replace("\\\n", " ").strip().strip("()")
    for item in clause.split(","):
        match = _ITEM.match(" ".join(item.split()))
        if match:
            yield match.group(1), match.group(2) or ""


@lru_cache(maxsize=1024)
def _spelling_pattern(spelling: str) -> re.Pattern[str]:
    """``np.load`` as a regex that allows ``np . load``, ``np.\\<newline>load``, ``(np).load``."""
    parts = [re.escape(p) for p in spelling.split(".")]
    # No leading look-behind: a pattern that starts with a literal is searched far faster
    # (the word boundary before it is checked by the caller).
    return re.compile(r"[\s\\)]*\.[\s\\(]*".join(parts) + r"(?!\w)")


def _spelt(spelling: str, text: str) -> bool:
    for match in _spelling_pattern(spelling).finditer(text):
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            return True
    return False


class UnitIndex:
    """What a unit's text offers the needs tests; each part computed on first use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._words: frozenset[str] | None = None
        self._bindings: Bindings | None = None
        self._lower: str | None = None
        self._joined: str | None = None

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(_WORD.findall(self.text))
        return self._words

    def spellings(self, call: str) -> set[str]:
        """Every way this text could name the dotted ``call``."""
        if self._bindings is None:
            self._bindings = bindings(self.text)
        found = {call}
        for local, path in self._bindings.names:
            if call == path or call.startswith(path + "."):
                found.add(local + call[len(path) :])
        for module in self._bindings.stars:
            if call.startswith(module + "."):
                found.add(call[len(module) + 1 :])
        return found

    def calls(self, call: str) -> bool:
        if call.rsplit(".", 1)[-1] not in self.words:
            return False  # every spelling ends with the called name (an alias names it at import)
        return any(_spelt(s, self.text) for s in self.spellings(call))

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def contains(self, text: str) -> bool:
        return text.lower() in self.lower

    def called(self, text: str) -> bool:
        needle = text.lower()
        return needle in self.lower and _called_pattern(needle).search(self.lower) is not None

    @property
    def joined(self) -> str:
        """The lower text with the seams between adjacent literals removed (a superset join)."""
        if self._joined is None:
            self._joined = _SEAM.sub("", self.lower)
        return self._joined

    def string_starts(self, prefix: str) -> bool:
        needle = prefix.lower()
        if _opens_literal(self.lower, needle):
            return True
        # Joining can only help where some literal starts like the prefix does.
        return _opens_literal(self.lower, needle[:1]) and _opens_literal(self.joined, needle)


@lru_cache(maxsize=64)
def _called_pattern(needle: str) -> re.Pattern[str]:
    """``needle`` inside a name that is called: the rest of the name, then blanks, line
    continuations, comments or the parentheses closing a parenthesised callee, then ``(``."""
    return re.compile(re.escape(needle) + r"\w*(?:[\s\\)]|#[^\n]*)*\(")


def _opens_literal(text: str, needle: str) -> bool:
    """Whether ``needle`` follows a quote somewhere in ``text``."""
    return needle in text and any(f"{quote}{needle}" in text for quote in ("'", '"'))


def may_match(needs: Needs | None, index: UnitIndex) -> bool:
    if needs is None:
        return True
    if needs.strings and not any(index.string_starts(prefix) for prefix in needs.strings):
        return False
    if needs.also_text and not any(index.contains(text) for text in needs.also_text):
        return False
    if not (needs.calls or needs.words or needs.text or needs.called):
        return True
    return (
        any(word in index.words for word in needs.words)
        or any(index.contains(text) for text in needs.text)
        or any(index.called(text) for text in needs.called)
        or any(index.calls(call) for call in needs.calls)
    )
