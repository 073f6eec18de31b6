"""Which package names are known, and which unknown ones are one typo away from a popular one.

Pure functions over the bundled data in ``mlhygiene/data`` (loaded once, lazily). A name is
*known* when it is a popular PyPI project, in the standard library, or an import name of a
popular project; an unknown name is *near* a popular one when a single typo turns one into the
other: a dropped, doubled, extra or swapped letter, a neighbouring key or look-alike
character, a separator or ``python-``/``-py`` affix, or reordered words. The check is
generative (every one-typo variant of the name is looked up in a dict), so there is no
index to build beyond five plain dicts over the ~4,500 target names (about 15 ms, once, on
the first unknown name) and a lookup costs about a tenth of a millisecond.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

DATA_PACKAGE = "mlhygiene"
POPULAR_FILE = "pypi_popular.txt"
IMPORT_NAMES_FILE = "import_names.txt"
WRONG_NAMES_FILE = "wrong_names.txt"

# A target must be popular enough to be worth squatting (about the top 4,500 projects)...
MIN_TARGET_DOWNLOADS = 1_000_000
# ...and, when the name itself is a listed project, this many times more popular than it.
POPULARITY_RATIO = 1_000

_SEPARATORS = re.compile(r"[-_.]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Letters that read alike or sound alike (besides neighbouring keys); digits are never typos.
_ALIKE = (("l", "i"), ("i", "y"), ("s", "z"), ("c", "k"))
# Look-alikes folded away in a name's skeleton.
_FOLD = str.maketrans({"1": "l", "i": "l", "0": "o"})
_PREFIXES = ("python3-", "python-", "py3-", "py-")
_SUFFIXES = ("-python3", "-python", "-py3", "-py")
# Python 2 and removed standard-library modules: still no PyPI install.
_OLD_STDLIB = frozenset(
    {
        "__builtin__", "anydbm", "asynchat", "asyncore", "audioop", "basehttpserver", "cgi",
        "cgihttpserver", "cgitb", "chunk", "commands", "configparser", "cookie", "cookielib",
        "copy_reg", "cpickle", "crypt", "cstringio", "dbhash", "distutils", "dummy_thread",
        "exceptions", "htmlentitydefs", "htmlparser", "httplib", "imghdr", "imp", "lib2to3",
        "mailcap", "md5", "msilib", "mutex", "new", "nis", "nntplib", "ossaudiodev", "pipes",
        "popen2", "queue", "repr", "robotparser", "sets", "sha", "simplehttpserver", "smtpd",
        "sndhdr", "socketserver", "spwd", "stringio", "sunau", "telnetlib", "thread", "tkinter",
        "tkmessagebox", "tkfiledialog", "urllib2", "urlparse", "userdict", "userlist",
        "userstring", "uu", "whichdb", "xdrlib", "xmlrpclib", "parser", "symbol", "formatter",
        "binhex", "tomllib", "dummy_threading", "macpath", "ttk", "tkfont", "scrolledtext",
        "simplexmlrpcserver", "docxmlrpcserver", "markupbase", "dircache", "statvfs",
        "mimetools", "mimewriter", "mimify", "multifile", "rfc822", "posixfile", "fpformat",
    }
)


class Target(NamedTuple):
    """A popular name something may have been meant as."""

    name: str  # as the user should write it (project name, or import name for imports)
    project: str  # the PyPI project
    downloads: int


class WrongName(NamedTuple):
    """A curated wrong-name install: a real project that is not the one people mean."""

    name: str
    project: str
    note: str


class Near(NamedTuple):
    """An unknown name one typo away from ``target``; ``how`` names the typo."""

    target: Target
    how: str


class Names(NamedTuple):
    """The bundled data, indexed for lookups (see :func:`names`)."""

    downloads: dict[str, int]  # normalised project -> downloads in the last 30 days
    imports: dict[str, str]  # import name (lower case) -> project, where they differ
    spelled: dict[str, str]  # import name (lower case) -> as written (``PIL``)
    wrong: dict[str, WrongName]  # normalised wrong name -> the right project
    stdlib: frozenset[str]  # lower case


class Fuzzy(NamedTuple):
    """Normalised and separator-free spellings -> best target, and three keyed variants."""

    exact: dict[str, Target]
    plain: dict[str, Target]
    alike: dict[str, Target]
    core: dict[str, Target]
    words: dict[tuple[str, ...], Target]


def normalise(name: str) -> str:
    """PEP 503: lower case, runs of ``-_.`` become one ``-``."""
    return _SEPARATORS.sub("-", name).lower()


def _alike() -> dict[str, frozenset[str]]:
    alike: dict[str, set[str]] = {c: set() for c in _LETTERS}
    for a, b in _ALIKE:
        alike[a].add(b)
        alike[b].add(a)
    return {c: frozenset(s) for c, s in alike.items()}


ALIKE = _alike()


def _neighbours() -> dict[str, frozenset[str]]:
    """Characters one key away on a QWERTY keyboard, plus look-alikes and sound-alikes."""
    near: dict[str, set[str]] = {c: set() for c in _LETTERS}
    for r, row in enumerate(_KEY_ROWS):
        for i, ch in enumerate(row):
            near[ch].update(row[j] for j in (i - 1, i + 1) if 0 <= j < len(row))
            for other, shift in ((r - 1, 0), (r - 1, 1), (r + 1, -1), (r + 1, 0)):
                if 0 <= other < len(_KEY_ROWS) and 0 <= i + shift < len(_KEY_ROWS[other]):
                    near[ch].add(_KEY_ROWS[other][i + shift])
    return {c: frozenset(s) | ALIKE[c] for c, s in near.items()}


NEIGHBOURS = _neighbours()


def _data_text(filename: str) -> str:
    return resources.files(DATA_PACKAGE).joinpath("data").joinpath(filename).read_text(encoding="utf-8")


def table_rows(filename: str) -> list[list[str]]:
    """The rows of a curated table: whitespace-separated, the last column takes the rest."""
    lines = _data_text(filename).splitlines()
    return [line.split(None, 2) for line in lines if line.strip() and not line.startswith("#")]


def _popular() -> dict[str, int]:
    text = _data_text(POPULAR_FILE)
    body = text.index("\n", text.rindex("\n#") + 1) if "\n#" in text else 0
    words = text[body:].split()
    return dict(zip(words[::2], map(int, words[1::2]), strict=True))


@lru_cache(maxsize=1)
def names() -> Names:
    """The bundled data, read once per process on first use."""
    rows = table_rows(IMPORT_NAMES_FILE)
    imports = {row[0].lower(): normalise(row[1]) for row in rows}
    spelled = {row[0].lower(): row[0] for row in rows}
    wrong = {normalise(row[0]): WrongName(row[0], row[1], row[2]) for row in table_rows(WRONG_NAMES_FILE)}
    stdlib = frozenset(n.lower() for n in sys.stdlib_module_names) | _OLD_STDLIB
    return Names(_popular(), imports, spelled, wrong, stdlib)


def import_name(project: str) -> str:
    """How a popular project is imported: its first import-name entry, else its own name."""
    data = names()
    alias = next((a for a, p in data.imports.items() if p == project), None)
    return data.spelled[alias] if alias is not None else project.replace("-", "_")


def skeleton(plain: str) -> str:
    """A separator-free name with look-alike characters folded (``rn``->``m``, ``1``/``i``->``l``)."""
    return plain.replace("rn", "m").replace("vv", "w").translate(_FOLD)


def core(name: str) -> str:
    """A normalised name without one ``python-``/``py-`` prefix and one ``-python``/``-py`` suffix."""
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 2:
            name = name[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            name = name[: -len(suffix)]
            break
    return name


def import_targets(data: Names) -> list[Target]:
    """Popular import names: the import-name map's names and every project's own name."""
    targets = [
        Target(data.spelled[alias], project, count)
        for alias, project in data.imports.items()
        if (count := data.downloads.get(project, 0)) >= MIN_TARGET_DOWNLOADS
    ]
    targets += [Target(t.project.replace("-", "_"), t.project, t.downloads) for t in project_targets(data)]
    return targets


def project_targets(data: Names) -> list[Target]:
    return [Target(p, p, n) for p, n in data.downloads.items() if n >= MIN_TARGET_DOWNLOADS]


def build_fuzzy(targets: list[Target], affixes: bool) -> Fuzzy:
    """The lookup dicts; where targets collide, the most downloaded one wins."""
    fuzzy = Fuzzy({}, {}, {}, {}, {})
    for target in sorted(targets, key=lambda t: -t.downloads):
        norm = normalise(target.name)
        plain = norm.replace("-", "")
        fuzzy.exact.setdefault(norm, target)
        fuzzy.plain.setdefault(plain, target)
        fuzzy.alike.setdefault(skeleton(plain), target)
        if affixes:
            fuzzy.core.setdefault(core(norm).replace("-", ""), target)
            if "-" in norm:
                fuzzy.words.setdefault(tuple(sorted(norm.split("-"))), target)
    return fuzzy


@lru_cache(maxsize=2)
def fuzzy_index(for_imports: bool) -> Fuzzy:
    """The lookup dicts over popular targets, built on the first unknown name."""
    data = names()
    if for_imports:
        return build_fuzzy(import_targets(data), affixes=False)
    return build_fuzzy(project_targets(data), affixes=True)


def _parts(norm: str) -> list[tuple[int, int]]:
    """(start, end) of each ``-``-separated word of a normalised name."""
    spans, start = [], 0
    for word in norm.split("-"):
        spans.append((start, start + len(word)))
        start += len(word) + 1
    return spans


def _edits(norm: str, for_imports: bool) -> list[tuple[str, str]]:
    """Every one-typo variant of a normalised name, with the typo's name.

    Typos stay inside one word of the name, never touch its first letter (a letter before a
    word is a naming habit: cattrs, ujson, ipytest), digits or separators (cu11/cu12,
    tomli/tomli-w, pypdf/pypdf2 are projects of their own), and need a word long enough for
    one letter to matter. An extra last letter counts only when it repeats, is a plural ``s``
    or sits beside the one before it on the keyboard (torchx, paramz are names; numpyy,
    pandasd, dateutils are slips). For imports the last letter is never a typo and a missing
    letter needs six: local modules are singular/plural words (``schemas``, ``networks``,
    ``paths``) one letter from a project far more often than they are typos. In dependency
    files a missing letter counts from four-letter words on (``scikit-lern``, ``numy``).
    """
    out: list[tuple[str, str]] = []
    last = len(norm) - 1 if for_imports else len(norm)
    for start, end in _parts(norm):
        size = end - start
        for i in range(start + 1, min(end, last)):
            ch, before = norm[i], norm[i - 1]
            if not ch.isalpha():
                continue
            if i > start + 1 and size >= 4 and before != ch and before.isalpha():
                out.append((norm[: i - 1] + ch + before + norm[i + 1:], "swapped letters"))
            doubled = before == ch or (i + 1 < end and norm[i + 1] == ch)
            slip = i + 1 < end or doubled or ch == "s" or before in NEIGHBOURS[ch]
            if slip and (size >= 6 or (doubled and size >= 5)):
                out.append((norm[:i] + norm[i + 1:], "doubled letter" if doubled else "extra letter"))
            out.extend(
                (norm[:i] + other + norm[i + 1:], "mistyped letter")
                for other in NEIGHBOURS[ch]
                if size >= 6 or (size >= 5 and other in ALIKE[ch])
            )
        if for_imports and end == len(norm) and size >= 4 and norm[-1] != norm[-2]:
            out.append((norm[:-2] + norm[-1] + norm[-2], "swapped letters"))
        if size >= (6 if for_imports else 4):
            out.extend(
                (norm[:i] + ch + norm[i:], "missing letter")
                for i in range(start + 1, min(end, last) + 1)
                for ch in _LETTERS
            )
    return out


def find_near(name: str, for_imports: bool, own_downloads: int = 0) -> Near | None:
    """The most popular target one typo away from ``name``, if it is much more popular."""
    norm = normalise(name)
    plain = norm.replace("-", "")
    if len(plain) < 4:
        return None
    fuzzy = fuzzy_index(for_imports)
    floor = max(MIN_TARGET_DOWNLOADS, POPULARITY_RATIO * own_downloads)
    found: list[Near] = []

    def consider(target: Target | None, how: str) -> None:
        if target is not None and target.downloads >= floor and normalise(target.name) != norm:
            found.append(Near(target, how))

    alike = fuzzy.alike.get(skeleton(plain))
    if alike is not None and normalise(alike.name).replace("-", "") != plain:
        consider(alike, "look-alike characters")
    if not for_imports:  # import names often drop the project's separators (cfn-lint: cfnlint)
        consider(fuzzy.plain.get(plain), "separator")
        consider(fuzzy.core.get(core(norm).replace("-", "")), "prefix or suffix")
        if "-" in norm:
            consider(fuzzy.words.get(tuple(sorted(norm.split("-")))), "reordered words")
    exact = fuzzy.exact
    for variant, how in _edits(norm, for_imports):
        if variant in exact:
            consider(exact[variant], how)
    if not found:
        return None
    return max(found, key=lambda near: near.target.downloads)
