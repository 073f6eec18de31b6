"""Package names and index URLs given to pip: install lines, requirements, pyproject, environment.yml.

Every reader returns ``Ref`` records in file coordinates (1-based line and column; notebook
refs also carry the cell). Nothing here decides whether a name is good or bad.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Ref kinds
IMPORT, INSTALL, REQUIREMENT, INDEX = "import", "install", "requirement", "index"
EXTRA_INDEX = "extra-index"  # an index used beside the default one (--extra-index-url)


class Ref(NamedTuple):
    """A package name (or, for ``kind == "index"``, a package-index URL) found in a file."""

    kind: str
    name: str
    line: int
    column: int
    cell: int | None = None


# pip options that take a value (the value is never a package name).
_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target",
        "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--src", "--root",
        "--prefix", "--upgrade-strategy", "--platform", "--python-version", "--implementation",
        "--abi", "--no-binary", "--only-binary", "--progress-bar", "--trusted-host", "--proxy",
        "--retries", "--timeout", "--exists-action", "--cert", "--client-cert", "--cache-dir",
        "--log", "--log-file", "--global-option", "--install-option", "-C", "--config-settings",
        "--report", "--python", "--keyring-provider", "--use-feature", "--use-deprecated",
        "--root-user-action", "--build-option", "--hash", "--group",
        # uv
        "-p", "--index", "--default-index", "--index-strategy", "--resolution", "--prerelease",
        "--extra", "--link-mode", "--overrides", "--override", "--build-constraints",
        "--exclude-newer", "--torch-backend", "--python-platform", "--optional", "--package",
        "--config-file", "--directory", "--project", "--refresh-package", "--reinstall-package",
        "--upgrade-package", "-P", "--with", "--compile-bytecode-path", "--rev", "--tag",
        "--branch", "--marker",
    }
)
_SHORT_WITH_VALUE = frozenset("rceitfCpP")
_INDEX_OPTIONS = frozenset(
    {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--index", "--default-index"}
)
_PREFIXES = frozenset({"sudo", "time", "nohup", "env", "command", "exec"})
_PYTHON = re.compile(r"^(?:.*/)?(?:python[\d.]*|py|\{sys\.executable\}|\$python\w*)$", re.I)
_PIP = re.compile(r"^(?:.*/)?pip[\d.]*$", re.I)
_REDIRECT = re.compile(r"^(?:\d*>|&>|<)")
_ARCHIVE = re.compile(r"\.(whl|zip|tar|tgz|tar\.gz|tar\.bz2|tar\.xz|egg)$", re.I)
_PER_REQUIREMENT_OPTION = re.compile(r"\s--?[A-Za-z]")
_COMMENT = re.compile(r"(^|\s)#.*$")
_ENV_PIP = re.compile(r"^(\s*)-\s*pip\s*:\s*(?:#.*)?$")
_ENV_ITEM = re.compile(r"^(\s*)-\s+(.*)$")


# --- pip install lines ----------------------------------------------------------------------


class Token(NamedTuple):
    text: str
    role: str  # "name", "index" (a package-index URL) or "other"


def _words(part: str) -> list[str]:
    try:
        return shlex.split(part, comments=True)
    except ValueError:
        return part.split()


def _pip_arguments(words: list[str]) -> int | None:
    """Where the arguments of ``pip [options] install`` (``python -m pip``, ``uv pip``, ``uv add``) start."""
    k = 0
    while k < len(words) and (
        words[k] in _PREFIXES or re.match(r"^\w+=", words[k]) or (k and words[k].startswith("-"))
    ):
        k += 1  # sudo -H, env A=1, time -p ...
    if k >= len(words):
        return None
    head = words[k]
    if _PYTHON.match(head):
        k += 1
        while k < len(words) and words[k].startswith("-") and words[k] != "-m":
            k += 1
        if words[k : k + 2] != ["-m", "pip"]:
            return None
        k += 1
    elif head.lower() == "uv" and words[k + 1 : k + 2] == ["add"]:
        return k + 2
    elif head.lower() == "uv" and words[k + 1 : k + 2] == ["pip"]:
        k += 1
    elif not _PIP.match(head):
        return None
    k += 1
    while k < len(words) and words[k].startswith("-"):
        k += 2 if words[k] in _VALUE_OPTIONS else 1
    return k + 1 if words[k : k + 1] == ["install"] else None


def is_path_or_url(text: str) -> bool:
    """A local path, URL, VCS reference, archive or shell variable rather than a project name."""
    return (
        "://" in text
        or "/" in text
        or "\\" in text
        or "$" in text
        or "{" in text
        or text.startswith((".", "~", "git+", "hg+", "svn+", "bzr+", "file:"))
        or bool(_ARCHIVE.search(text))
    )


def requirement_name(text: str) -> str | None:
    """The project name of a PEP 508 requirement, or None (invalid, URL or path)."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = text.strip()
    if not text or is_path_or_url(text.split(";")[0]):
        return None
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    return None if requirement.url else requirement.name


def _index_role(option: str) -> str:
    if option == "--extra-index-url":
        return "extra-index"
    return "index" if option in _INDEX_OPTIONS else "other"


def _arguments(args: list[str]) -> Iterator[Token]:
    """Classify pip install arguments: names, index URLs, and everything else."""
    pending = ""
    for n, word in enumerate(args):
        if _REDIRECT.match(word):
            yield from (Token(rest, "other") for rest in args[n:])
            return
        if pending:
            yield Token(word, _index_role(pending))
            pending = ""
        elif word.startswith("--"):
            option, eq, value = word.partition("=")
            yield Token(option, "other")
            if eq:
                yield Token(value, _index_role(option))
            elif option in _VALUE_OPTIONS:
                pending = option
        elif word.startswith("-") and len(word) > 1:
            yield Token(word[:2], "other")
            for k, flag in enumerate(word[1:], start=1):
                if flag in _SHORT_WITH_VALUE:
                    option, value = f"-{flag}", word[k + 1 :]
                    if value:
                        yield Token(value, _index_role(option))
                    else:
                        pending = option
                    break
        else:
            yield Token(word, "other" if is_path_or_url(word) else "name")


def split_commands(line: str) -> list[str]:
    """A shell line's simple commands: split at ``&&``, ``||``, ``|`` and ``;`` outside quotes."""
    parts, start, quote, i = [], 0, "", 0
    while i < len(line):
        ch = line[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "\\":
            i += 1
        elif ch in "|;&" and (ch != "&" or line[i : i + 2] == "&&"):
            parts.append(line[start:i])
            i += 2 if line[i : i + 2] in ("&&", "||") else 1
            start = i
            continue
        i += 1
    return [*parts, line[start:]]


def install_tokens(command: str) -> list[Token]:
    """Every word of a shell line, the arguments of its ``pip install`` commands classified."""
    tokens: list[Token] = []
    for part in split_commands(command):
        words = _words(part)
        start = _pip_arguments(words)
        if start is None:
            tokens.extend(Token(w, "other") for w in words)
        else:
            tokens.extend(Token(w, "other") for w in words[:start])
            tokens.extend(_arguments(words[start:]))
    return tokens


class Locator:
    """Finds successive words of a (possibly continued) command in its source lines."""

    def __init__(self, lines: Sequence[str], line: int, column: int) -> None:
        self.lines = lines
        self.line = line
        self.column = column - 1

    def find(self, word: str) -> tuple[int, int]:
        """(line, 1-based column) of the next occurrence of ``word``; moves past it."""
        for number in range(self.line, min(len(self.lines), self.line + 50) + 1):
            start = self.column if number == self.line else 0
            index = self.lines[number - 1].find(word, start) if word else -1
            if index != -1:
                self.line, self.column = number, index + len(word)
                return number, index + 1
        return self.line, self.column + 1


def _token_refs(tokens: Iterable[Token], locator: Locator, cell: int | None, kind: str) -> list[Ref]:
    refs: list[Ref] = []
    for token in tokens:
        line, column = locator.find(token.text)
        if token.role in ("index", "extra-index"):
            refs.append(Ref(INDEX if token.role == "index" else EXTRA_INDEX, token.text, line, column, cell))
        elif token.role == "name" and kind:
            name = requirement_name(token.text)
            if name is not None:
                refs.append(Ref(kind, name, line, column, cell))
    return refs


def shell_refs(lines: Sequence[str], cell: int, line: int, column: int, command: str) -> list[Ref]:
    """Names and index URLs in one notebook shell line (``!pip install ...``)."""
    return _token_refs(install_tokens(command), Locator(lines, line, column), cell, INSTALL)


# --- requirements files, environment.yml ----------------------------------------------------


def _logical_lines(lines: Sequence[str]) -> Iterator[tuple[int, str]]:
    """(first line number, text) with comments removed and ``\\``-continued lines joined."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(lines, start=1):
        text = _COMMENT.sub("", raw).rstrip()
        if not parts:
            start = number
        if text.endswith("\\"):
            parts.append(text[:-1])
            continue
        parts.append(text)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def requirement_line_refs(text: str, line: int, first_line: str, offset: int = 0) -> list[Ref]:
    """The refs of one logical requirements-file line (``first_line`` is its first physical line)."""
    words = _words(text)
    if not words:
        return []
    column = first_line.find(words[0], offset) + 1 or offset + 1
    if words[0].startswith("-"):
        refs = _token_refs(_arguments(words), Locator([first_line], 1, column), None, "")
        return [ref._replace(line=line) for ref in refs]
    requirement = _PER_REQUIREMENT_OPTION.split(" " + text.strip(), maxsplit=1)[0]
    name = requirement_name(requirement)
    return [] if name is None else [Ref(REQUIREMENT, name, line, column)]


def requirements_refs(text: str) -> list[Ref]:
    """Names and index URLs of a requirements/constraints file."""
    lines = text.split("\n")
    refs: list[Ref] = []
    for number, logical in _logical_lines(lines):
        refs.extend(requirement_line_refs(logical, number, lines[number - 1]))
    return refs


def environment_refs(text: str) -> list[Ref]:
    """The ``pip:`` section items of a conda environment.yml (conda's own names are skipped)."""
    lines = text.split("\n")
    refs: list[Ref] = []
    pip_indent: int | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if pip_indent is not None and indent <= pip_indent:
            pip_indent = None
        match = _ENV_PIP.match(line)
        if match:
            pip_indent = len(match.group(1))
            continue
        item = _ENV_ITEM.match(line) if pip_indent is not None else None
        if item is None:
            continue
        value = _COMMENT.sub("", item.group(2)).strip()
        offset = item.start(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value, offset = value[1:-1], offset + 1
        refs.extend(requirement_line_refs(value, number, line, offset))
    return refs


# --- pyproject.toml -------------------------------------------------------------------------


class TomlError(Exception):
    """pyproject.toml is not valid TOML."""


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _table(data: object, *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` when every step is a table, else an empty one."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _dependency_strings(data: dict[str, Any]) -> list[str]:
    """PEP 621 / PEP 735 / build-system / uv / PDM dependency strings."""
    found = _strings(_table(data, "build-system").get("requires"))
    found += _strings(_table(data, "project").get("dependencies"))
    for group in _table(data, "project", "optional-dependencies").values():
        found += _strings(group)
    for group in _table(data, "dependency-groups").values():
        found += _strings(group)
    found += _strings(_table(data, "tool", "uv").get("dev-dependencies"))
    for group in _table(data, "tool", "pdm", "dev-dependencies").values():
        found += _strings(group)
    return found


def _poetry_names(data: dict[str, Any]) -> list[str]:
    """Poetry dependency table keys (not ``python``, not path/git/url dependencies)."""
    poetry = _table(data, "tool", "poetry")
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [_table(group, "dependencies") for group in _table(poetry, "group").values()]
    names = []
    for table in tables:
        for name, spec in table.items():
            local = isinstance(spec, dict) and any(k in spec for k in ("path", "git", "url", "file"))
            if name.lower() != "python" and not local:
                names.append(name)
    return names


def _index_urls(data: dict[str, Any]) -> list[str]:
    """Package-index URLs: Poetry and PDM sources, uv indexes."""
    tool = _table(data, "tool")
    uv = _table(tool, "uv")
    sources: list[object] = []
    for owner, key in ((_table(tool, "poetry"), "source"), (_table(tool, "pdm"), "source"), (uv, "index")):
        value = owner.get(key)
        sources += value if isinstance(value, list) else []
    urls = [s.get("url") for s in sources if isinstance(s, dict)]
    urls += [uv.get("index-url"), *_strings(uv.get("extra-index-url"))]
    return [u for u in urls if isinstance(u, str)]


class _Finder:
    """Locates successive occurrences of the same literal in a text (line, 1-based column)."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.used: dict[str, int] = {}

    def find(self, pattern: re.Pattern[str], key: str) -> tuple[int, int] | None:
        skip = self.used.get(key, 0)
        for number, line in enumerate(self.lines, start=1):
            for match in pattern.finditer(line):
                if skip == 0:
                    self.used[key] = self.used.get(key, 0) + 1
                    return number, match.start(1) + 1
                skip -= 1
        return None


def pyproject_refs(text: str) -> list[Ref]:
    """Dependency names and index URLs of a pyproject.toml; raises TomlError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from None
    finder = _Finder(text)
    refs: list[Ref] = []
    for value in _dependency_strings(data):
        name = requirement_name(value)
        quoted = re.compile(r"[\"']\s*(" + re.escape(value.strip()) + r")\s*[\"']")
        where = finder.find(quoted, value)
        if name is not None:
            line, column = where or (1, 1)
            refs.append(Ref(REQUIREMENT, name, line, column))
    for name in _poetry_names(data):
        key = re.compile(r"^\s*[\"']?(" + re.escape(name) + r")[\"']?\s*=")
        line, column = finder.find(key, "poetry:" + name) or (1, 1)
        refs.append(Ref(REQUIREMENT, name, line, column))
    extra = set(_strings(_table(_table(data, "tool"), "uv").get("extra-index-url")))
    for url in _index_urls(data):
        line, column = finder.find(re.compile(r"[\"'](" + re.escape(url) + r")[\"']"), url) or (1, 1)
        refs.append(Ref(EXTRA_INDEX if url in extra else INDEX, url, line, column))
    return refs
