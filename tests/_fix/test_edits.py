"""The text edits of ``mlhygiene fix``, on code alone (no checks run): change and no-change tables."""

from __future__ import annotations

import pytest

from mlhygiene._fix import edits as E


def _at(text: str, needle: str) -> tuple[int, int]:
    """(line, 1-based column) of the first ``needle``."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1


def _fixed(fn: object, text: str, needle: str, notebook: bool = False) -> str | None:
    code = E.Code(text, notebook=notebook)
    found = fn(code, *_at(text, needle))  # type: ignore[operator]
    return None if found is None else E.apply(text, found)


TORCH = "torch.load"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("m = torch.load(p)\n", "m = torch.load(p, weights_only=True)\n", id="plain"),
        pytest.param("m = torch.load(p,)\n", "m = torch.load(p, weights_only=True)\n", id="trailing-comma"),
        pytest.param(
            "m = torch.load(p, map_location='cpu')\n",
            "m = torch.load(p, map_location='cpu', weights_only=True)\n",
            id="keyword",
        ),
        pytest.param(
            "m = torch.load(\n    p,\n    map_location='cpu',  # cpu\n)\n",
            "m = torch.load(\n    p,\n    map_location='cpu',  # cpu\n    weights_only=True,\n)\n",
            id="multi-line-trailing-comma",
        ),
        pytest.param(
            "m = torch.load(\n    p\n)\n",
            "m = torch.load(\n    p,\n    weights_only=True,\n)\n",
            id="multi-line-no-comma",
        ),
        pytest.param(
            "m = torch.load(\r\n    p,\r\n)\r\n",
            "m = torch.load(\r\n    p,\r\n    weights_only=True,\r\n)\r\n",
            id="crlf",
        ),
        pytest.param(
            "m = torch.load(p).to('cuda')\n",
            "m = torch.load(p, weights_only=True).to('cuda')\n",
            id="chained",
        ),
        pytest.param(
            "x = 'é'; m = torch.load(p)\n", "x = 'é'; m = torch.load(p, weights_only=True)\n", id="utf8"
        ),
        pytest.param(
            "f = functools.partial(torch.load, map_location='cpu')\n",
            "f = functools.partial(torch.load, map_location='cpu', weights_only=True)\n",
            id="partial",
        ),
    ],
)
def test_torch_weights_only(before: str, after: str) -> None:
    needle = "functools" if "partial" in before else TORCH
    assert _fixed(E.torch_weights_only, before, needle) == after


@pytest.mark.parametrize(
    "before",
    [
        pytest.param("m = torch.load(p, **kwargs)\n", id="kwargs"),
        pytest.param("m = torch.load(p, weights_only=flag)\n", id="has-weights-only"),
        pytest.param("m = torch_load_elsewhere\n", id="no-call"),
    ],
)
def test_torch_no_change(before: str) -> None:
    needle = "torch.load" if "torch.load" in before else "torch"
    assert _fixed(E.torch_weights_only, before, needle) is None


def test_torch_in_a_notebook_cell_with_magics() -> None:
    cell = "%matplotlib inline\n!ls\nm = torch.load(p)"
    assert _fixed(E.torch_weights_only, cell, TORCH, notebook=True) == (
        "%matplotlib inline\n!ls\nm = torch.load(p, weights_only=True)"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("c = yaml.load(f)\n", "c = yaml.safe_load(f)\n", id="no-loader"),
        pytest.param("c = yaml.load(f, Loader=yaml.Loader)\n", "c = yaml.safe_load(f)\n", id="Loader"),
        pytest.param(
            "c = yaml.load(f, Loader=yaml.FullLoader)\n", "c = yaml.safe_load(f)\n", id="FullLoader"
        ),
        pytest.param("c = y.load(f, y.UnsafeLoader)\n", "c = y.safe_load(f)\n", id="alias-positional"),
        pytest.param("c = yaml.unsafe_load(f)\n", "c = yaml.safe_load(f)\n", id="unsafe_load"),
        pytest.param("c = yaml.full_load(f)\n", "c = yaml.safe_load(f)\n", id="full_load"),
        pytest.param("c = yaml.load_all(f)\n", "c = yaml.safe_load_all(f)\n", id="load_all"),
        pytest.param("c = yaml.load(stream=f)\n", "c = yaml.safe_load(stream=f)\n", id="stream-keyword"),
        pytest.param(
            "c = yaml.load(\n    open(p),\n    Loader=yaml.Loader,\n)\n",
            "c = yaml.safe_load(open(p))\n",
            id="multi-line",
        ),
    ],
)
def test_yaml_safe_load(before: str, after: str) -> None:
    needle = "y.load" if "y.load(f, y." in before else "yaml."
    assert _fixed(E.yaml_safe_load, before, needle) == after


@pytest.mark.parametrize(
    "before",
    [
        pytest.param("c = yaml.load(f, Loader=MyLoader)\n", id="custom-loader"),
        pytest.param("c = load(f, Loader=Loader)\n", id="from-import"),
        pytest.param("c = ruamel.yaml.load(f)\n", id="ruamel"),
        pytest.param("c = yaml.load(f, Loader=yaml.Loader, extra=1)\n", id="extra-argument"),
    ],
)
def test_yaml_no_change(before: str) -> None:
    needle = "ruamel" if "ruamel" in before else "yaml.load" if "yaml.load" in before else "load("
    assert _fixed(E.yaml_safe_load, before, needle) is None


def test_https_in_the_flagged_literal_only() -> None:
    text = 'a = "http://x"; r = get("http://example.com/d")\n'
    code = E.Code(text)
    line, col = _at(text, '"http://example.com')
    assert E.apply(text, E.https(code, line, col + 1, line, col + 24) or []) == (
        'a = "http://x"; r = get("https://example.com/d")\n'
    )


def test_rename_typosquat() -> None:
    text = "numpy\nrequets==2.0  # pinned\n"
    message = "'requets' is not a known package; did you mean 'requests'? (...)"
    assert E.apply(text, E.rename(E.Code(text), 2, 1, 8, message) or []) == "numpy\nrequests==2.0  # pinned\n"
    assert E.rename(E.Code(text), 1, 1, 6, message) is None  # the span is not the name


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param('KEY = "abc"\n', 'import os\nKEY = os.environ["KEY"]\n', id="plain"),
        pytest.param(
            '#!/usr/bin/env python\n"""Doc."""\nfrom __future__ import annotations\nKEY = "abc"\n',
            '#!/usr/bin/env python\n"""Doc."""\nfrom __future__ import annotations\nimport os\n'
            'KEY = os.environ["KEY"]\n',
            id="after-docstring-and-future",
        ),
        pytest.param('import os\nKEY = "abc"\n', 'import os\nKEY = os.environ["KEY"]\n', id="imported"),
        pytest.param(
            '# header\nimport sys\nKEY = "abc"\n',
            '# header\nimport os\nimport sys\nKEY = os.environ["KEY"]\n',
            id="after-header-comments",
        ),
    ],
)
def test_environ(before: str, after: str) -> None:
    code = E.Code(before)
    found = E.environ(code, *_at(before, '"abc"'))
    assert found is not None
    assert E.apply(before, found[0] + E.import_os(code)) == after


def test_environ_only_for_a_name_assigned_a_literal() -> None:
    text = 'connect(key="abc")\n'
    assert E.environ(E.Code(text), *_at(text, '"abc"')) is None


@pytest.mark.parametrize(
    ("before", "line", "rules", "after"),
    [
        pytest.param(
            "import torchh\n",
            1,
            ["typosquat-import"],
            "import torchh  # mlhygiene: ignore[typosquat-import]\n",
            id="append",
        ),
        pytest.param(
            "x = f()  # note\n", 1, ["r"], "x = f()  # note  # mlhygiene: ignore[r]\n", id="keeps-comment"
        ),
        pytest.param(
            "x = f()  # mlhygiene: ignore[a]\n", 1, ["b"], "x = f()  # mlhygiene: ignore[a, b]\n", id="merges"
        ),
        pytest.param(
            "x = 1   \r\ny = 2\r\n", 1, ["r"], "x = 1  # mlhygiene: ignore[r]\r\ny = 2\r\n", id="crlf"
        ),
    ],
)
def test_ignore_comment(before: str, line: int, rules: list[str], after: str) -> None:
    assert E.apply(before, E.ignore_comment(E.Code(before), line, rules)) == after


def test_no_comment_inside_a_multi_line_string_or_after_a_backslash() -> None:
    text = 'x = """a\nb\n"""\ny = 1 + \\\n    2\nz = 3\n'
    assert E.commentable(E.Code(text)) == {3, 5, 6, 7}  # 7: the empty line after the last newline


def test_overlapping_edits_keep_the_first() -> None:
    assert E.apply("abcdef", [E.Edit(1, 3, "X"), E.Edit(2, 4, "Y"), E.Edit(5, 5, "!")]) == "aXde!f"


def test_environ_annotated_assignment() -> None:
    text = 'TOKEN: str = "abc"\n'
    found = E.environ(E.Code(text), *_at(text, '"abc"'))
    assert found is not None and E.apply(text, found[0]) == 'TOKEN: str = os.environ["TOKEN"]\n'


def test_no_comment_inside_a_multi_line_f_string() -> None:
    text = 'x = f"""a\n{b}\nc"""\nz = 3'
    assert E.commentable(E.Code(text)) == {3, 4}
