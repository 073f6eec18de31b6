"""The needs prefilter: a unit only reaches Semgrep's rules when it could match them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlhygiene._core import semgrep
from mlhygiene._core.prefilter import Needs, UnitIndex, bindings, may_match, read_needs
from mlhygiene._core.sources import load_source

REPO = Path(__file__).resolve().parents[2]
RULES = sorted((REPO / "rules").rglob("*.yaml"))
REAL = shutil.which("semgrep")
TORCH = Needs(calls=("torch.load", "torch.serialization.load"))


def test_bindings_read_every_import_form() -> None:
    text = (
        "import numpy as np, torch.serialization as ts\n"
        "from joblib import load as jl, dump\n"
        "from yaml import (\n    load,  # (the unsafe one)\n    full_load as fl,\n)\n"
        "from fastai.vision.all import *\n"
        "import a.b \\\n    as c\n"
    )
    found = bindings(text)
    assert set(found.names) >= {
        ("np", "numpy"),
        ("ts", "torch.serialization"),
        ("jl", "joblib.load"),
        ("dump", "joblib.dump"),
        ("load", "yaml.load"),
        ("fl", "yaml.full_load"),
        ("c", "a.b"),
    }
    assert found.stars == ("fastai.vision.all",)


@pytest.mark.parametrize(
    "text",
    [
        "import torch\nm = torch.load(p)\n",
        "import torch as T\nm = T.load(p)\n",
        "from torch import load as L\nm = L(p)\n",
        "from torch import serialization\nm = serialization.load(p)\n",
        "from torch import *\nm = load(p)\n",
        "m = torch . load(p)\n",
        "m = torch.\\\n    load(p)\n",
        "m = (torch).load(p)\n",
        "m = (torch\n    .load)(p)\n",
        "x = [torch.load(p) for p in paths]  # no import in this cell\n",
    ],
)
def test_calls_are_found_however_spelt(text: str) -> None:
    assert may_match(TORCH, UnitIndex(text))


@pytest.mark.parametrize(
    "text",
    [
        "import torch\nmodel.load_state_dict(state)\njson.load(fh)\n",
        "import torch\nnp.load(p)\n",
        "storch.load(p)\n",
        "torch.loader(p)\n",
        "from torch import load_state as L\nL(p)\n",
    ],
)
def test_other_calls_do_not_count(text: str) -> None:
    assert not may_match(TORCH, UnitIndex(text))


def test_words_text_and_strings() -> None:
    needs = Needs(words=("trust_remote_code",))
    assert may_match(needs, UnitIndex("f(**{'trust_remote_code': True})\n"))
    assert not may_match(needs, UnitIndex("trust_remote_code_flag = 1\n"))
    http = Needs(strings=("http://",), text=("download",), words=("get_file",))
    assert may_match(http, UnitIndex("x = f'HTTP://a.org/{n}'\nmy_Download_helper(x)\n"))
    assert may_match(http, UnitIndex("u = 'http://a.org'\nget_file('f', u)\n"))
    assert not may_match(http, UnitIndex("# see http://a.org\nget_file('f', u)\n"))
    assert not may_match(http, UnitIndex("u = 'http://a.org'\nfetch(u)\n"))
    assert may_match(Needs(strings=("http://",)), UnitIndex("u = 'http://a.org'\n"))
    assert may_match(None, UnitIndex(""))


def test_also_text_must_hold_as_well() -> None:
    needs = Needs(words=("getattr",), also_text=("pickle",))
    assert may_match(needs, UnitIndex("import cPickle as P\nf = getattr(P, 'load')\n"))
    assert not may_match(needs, UnitIndex("f = getattr(model, 'fit')\n"))
    assert not may_match(needs, UnitIndex("import pickle\n"))


@pytest.mark.parametrize(
    "text",
    [
        "maybe_download(u)\n",
        "dl.Download_File (u)\n",
        "x = (utils.download_url)(u)\n",
        "f = download \\\n  (u)\n",
        "f = fetch.download_and_extract(  # the archive\n    u)\n",
    ],
)
def test_called_needs_a_call_of_a_name_containing_the_text(text: str) -> None:
    assert may_match(Needs(called=("download",)), UnitIndex(text))


@pytest.mark.parametrize(
    "text",
    [
        "datasets.MNIST(root, download=True)\n",
        "# download it first\nload(u)\n",
        "self.download_dir.open(u)\n",
        "fns['download'](u)\n",
        "DOWNLOADS = 3\n",
    ],
)
def test_called_is_not_met_by_other_uses_of_the_text(text: str) -> None:
    assert not may_match(Needs(called=("download",)), UnitIndex(text))


@pytest.mark.parametrize(
    "text",
    [
        'pd.read_csv("http:" "//h.org/x.csv")\n',
        "u = ('http:'  # the scheme\n     '//h.org/x.csv')\n",
        'u = ("ht" \\\n     rb"tp://h.org")\n',
        'u = ("HT"\n     """TP://h.org""")\n',
    ],
)
def test_adjacent_literals_are_joined_like_python_does(text: str) -> None:
    assert UnitIndex(text).string_starts("http://")


@pytest.mark.parametrize(
    "text",
    [
        'f("http:", "//h.org")\n',
        'a = "http:"\nb = 1, "//h.org"\n',
        'u = "https:" "//h.org"\n',
    ],
)
def test_literals_that_are_not_adjacent_stay_apart(text: str) -> None:
    assert not UnitIndex(text).string_starts("http://")


def test_read_needs(tmp_path: Path) -> None:
    rule = tmp_path / "r.yaml"
    rule.write_text(
        "rules:\n  - id: r\n    metadata:\n      mlhygiene-needs-calls: a.b c.d\n"
        '      mlhygiene-needs-strings: "http://"\n'
    )
    assert read_needs(rule) == Needs(calls=("a.b", "c.d"), strings=("http://",))
    rule.write_text("rules:\n  - id: r\n")
    assert read_needs(rule) is None
    assert read_needs(tmp_path / "missing.yaml") is None


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.stem)
def test_every_rule_declares_needs(path: Path) -> None:
    assert read_needs(path) is not None, f"{path.name}: add mlhygiene-needs-* to its metadata"


_SKIP = {
    "pattern-not",
    "pattern-not-inside",
    "pattern-not-regex",
    "metavariable-regex",
    "metavariable-pattern",
    "pattern-sanitizers",
}


def _positive_patterns(node: Any) -> Iterator[str]:
    """The pattern texts that make a match (not those that exclude one)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SKIP or key == "pattern-sources":
                continue
            if key in ("pattern", "pattern-inside") and isinstance(value, str):
                yield value
            else:
                yield from _positive_patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _positive_patterns(item)


_CALLEE = re.compile(r"^\s*(?:\$\w+\s*=\s*)?(?:(?:async\s+)?with\s+)?([A-Za-z_][\w.$]*)(?:\(\.\.\.\))?\s*[.(]")


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.stem)
def test_needs_cover_every_called_name(path: Path) -> None:
    """Each positive pattern that calls a dotted name calls a declared call or names a word.

    A word the pattern spells (callee, keyword, dict key) must be in any code it matches.
    """
    rule = yaml.safe_load(path.read_text())["rules"][0]
    needs = read_needs(path)
    assert needs is not None
    words = set(needs.words)
    uncovered = []
    for pattern in _positive_patterns({k: v for k, v in rule.items() if k != "metadata"}):
        for line in pattern.splitlines()[:1]:
            match = _CALLEE.match(line)
            if not match or match.group(1) in ("def", "class") or "$" in match.group(1):
                continue  # a metavariable callee is constrained elsewhere (metavariable-regex)
            dotted = match.group(1)
            named = set(re.findall(r"(?<![$\w])\w+", pattern))  # identifiers, not $METAVARIABLES
            if (
                dotted in needs.calls
                or words & named
                or any(t.lower() in pattern.lower() for t in needs.text)
                or any(c.startswith(dotted + ".") for c in needs.calls)  # a receiver: Session(...).get
            ):
                continue
            uncovered.append(dotted)
    assert not uncovered, f"{path.name}: patterns call {sorted(set(uncovered))} not in its needs"


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


@pytest.mark.skipif(REAL is None, reason="semgrep not installed")
def test_each_finding_alone_passes_the_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any one finding, with every other finding of its rule blanked out, still reaches the rule.

    A rule test file holds many cases; passing the file as a whole only proves that one of
    them passes the prefilter. Here every case must do so on its own evidence.
    """
    monkeypatch.setenv(semgrep.NO_PREFILTER_ENV, "1")
    files = sorted((REPO / "rules").rglob("*.py")) + sorted((REPO / "examples").glob("*.py"))
    sources = [load_source(str(p), "script") for p in files]
    result = semgrep.run_semgrep(sources, use_cache=False)
    needs = {p.stem: read_needs(p) for p in RULES}
    by_file: dict[tuple[str, str], list[Any]] = {}
    for finding in result.findings:
        by_file.setdefault((finding.path, finding.rule_id), []).append(finding)
    texts = {s.path: s.text for s in sources}
    checked = 0
    for (path, rule), findings in by_file.items():
        text = texts[path]
        lines = text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))

        def span(f: Any) -> tuple[int, int]:
            return starts[f.line - 1] + f.column - 1, starts[f.end_line - 1] + f.end_column - 1

        for finding in findings:
            others = [span(f) for f in findings if f is not finding and span(f) != span(finding)]
            alone = _blank(text, [s for s in others if not (s[0] <= span(finding)[0] < s[1])])
            assert may_match(needs[rule], UnitIndex(alone)), f"{path}:{finding.line}: {rule}"
            checked += 1
    assert checked > 100


RULE_TEXT = """\
rules:
  - id: demo
    metadata:
      mlhygiene-needs-words: jsonpickle
    patterns:
      - pattern-either:
          - pattern: jsonpickle.decode(...)
          - pattern: forgotten.loader(...)
          - pattern-inside: |
              $S = other.Session(...)
              ...
      - pattern-not: excluded.call(...)
      - metavariable-pattern:
          metavariable: $X
          pattern: inner.call(...)
    pattern-sanitizers:
      - pattern: re.sub(...)
"""


def test_calls_a_rule_forgot_to_declare_are_derived_from_its_patterns(tmp_path: Path) -> None:
    from mlhygiene._core.prefilter import derived_calls

    assert derived_calls(RULE_TEXT) == ("jsonpickle.decode", "forgotten.loader", "other.Session")
    # covered by the declared word: only the forgotten ones are added
    assert derived_calls(RULE_TEXT, {"words": ("jsonpickle",)}) == ("forgotten.loader", "other.Session")
    rule = tmp_path / "demo.yaml"
    rule.write_text(RULE_TEXT)
    needs = read_needs(rule)
    assert needs is not None and needs.calls == ("forgotten.loader", "other.Session")
    assert may_match(needs, UnitIndex("import forgotten\nforgotten.loader(path)\n"))
