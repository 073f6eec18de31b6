from __future__ import annotations

import pytest

from mlhygiene._core.records import Cell, Finding, Source
from mlhygiene._core.suppress import is_suppressed, line_suppresses


def finding(
    rule: str = "pickle-load", category: str = "deserialization", line: int = 2, **kw: object
) -> Finding:
    return Finding("a.py", line, 1, line, 5, rule, category, "error", "m", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("comment", "rule", "category"),
    [
        ("# mlhygiene: ignore", "pickle-load", "deserialization"),
        ("# mlhygiene: ignore[pickle-load]", "pickle-load", "deserialization"),
        ("# mlhygiene: ignore[http-url-fetch, pickle-load]", "pickle-load", "deserialization"),
        ("# mlhygiene: ignore[deserialization]", "pickle-load", "deserialization"),
        ("# nosec", "pickle-load", "deserialization"),
        ("# nosec B301", "pickle-load", "deserialization"),
        ("# nosec: B105", "hardcoded-credential", "credentials"),
        ("# nosemgrep", "http-url-fetch", "http"),
        ("# nosemgrep: rules.xxe.lxml-parse", "lxml-parse", "xxe"),
        ("# noqa: S301", "pickle-load", "deserialization"),
        ("# noqa: E501, S320", "lxml-parse", "xxe"),
        ("# pragma: allowlist secret", "openai-api-key", "credentials"),
        # comments written for Semgrep's registry rules silence ours of the same category
        ("# nosemgrep: python.lang.security.deserialization.pickle.avoid-pickle", "pickle-load", "deserialization"),
        ("# nosem: python.lang.security.deserialization.avoid-pyyaml-load", "yaml-unsafe-load", "deserialization"),
        ("# nosemgrep: trailofbits.python.pickles-in-pytorch.pickles-in-pytorch", "torch-load-without-weights-only", "deserialization"),
        ("# nosemgrep: python.requests.security.disabled-cert-validation, python.lang.security.audit.insecure-transport.requests.request-with-http", "http-url-fetch", "http"),
        ("# nosemgrep: python.lang.security.use-defused-xml", "xxe-stdlib-xml-parse", "xxe"),
    ],
)
def test_suppresses(comment: str, rule: str, category: str) -> None:
    assert line_suppresses(f"x = f()  {comment}", finding(rule, category))


@pytest.mark.parametrize(
    ("comment", "rule", "category"),
    [
        ("# mlhygiene: ignore[torch-load]", "pickle-load", "deserialization"),
        ("# nosec B105", "pickle-load", "deserialization"),
        ("# nosec", "typosquat-import", "typosquat"),
        ("# nosemgrep", "openai-api-key", "credentials"),
        ("# nosemgrep: other-rule", "pickle-load", "deserialization"),
        ("# nosemgrep: python.lang.security.deserialization.pickle.avoid-pickle", "http-url-fetch", "http"),
        ("# nosemgrep: python.lang.security.use-defused-xml", "pickle-load", "deserialization"),
        ("# nosemgrep: python.lang.security.audit.dangerous-subprocess-use", "pickle-load", "deserialization"),
        ("# noqa", "pickle-load", "deserialization"),
        ("# noqa: S301", "lxml-parse", "xxe"),
        ("# pragma: allowlist secret", "pickle-load", "deserialization"),
        ("# just a comment", "pickle-load", "deserialization"),
    ],
)
def test_does_not_suppress(comment: str, rule: str, category: str) -> None:
    assert not line_suppresses(f"x = f()  {comment}", finding(rule, category))


def test_line_above_and_nextline_pragma() -> None:
    source = Source(
        "a.py", "script", "# mlhygiene: ignore[pickle-load]\nx = pickle.load(f)\ny = pickle.load(g)\n"
    )
    assert is_suppressed(finding(line=2), source)
    assert not is_suppressed(finding(line=3), source)
    secret = Source("a.py", "script", "# pragma: allowlist nextline secret\nkey = 'x'\n")
    assert is_suppressed(finding("openai-api-key", "credentials", line=2), secret)
    same_line_only = Source("a.py", "script", "key = 'x'  # pragma: allowlist secret\nkey2 = 'y'\n")
    assert not is_suppressed(finding("openai-api-key", "credentials", line=2), same_line_only)


def test_cell_tag_and_outputs() -> None:
    cells = (
        Cell(1, "code", ("print(key)",), frozenset({"mlhygiene-ignore"})),
        Cell(2, "code", ("print(key)  # mlhygiene: ignore",), frozenset({"mlhygiene-ignore:pickle-load"})),
    )
    source = Source("nb.ipynb", "notebook", "", cells=cells)
    assert is_suppressed(finding("openai-api-key", "credentials", line=1, cell=1, output=1), source)
    # an output is not code: the comment in the cell does not silence it, a matching tag does
    assert not is_suppressed(finding("openai-api-key", "credentials", line=1, cell=2, output=1), source)
    assert is_suppressed(finding("pickle-load", line=1, cell=2, output=1), source)


def test_line_above_counts_only_as_a_comment_line() -> None:
    source = Source("a.py", "script", "a = f()  # nosemgrep\nb = pickle.load(f)\n")
    assert not is_suppressed(finding(line=2), source)
