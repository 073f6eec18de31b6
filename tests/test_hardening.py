"""Awkward input and failing tools: a clear one-line error naming the file, every other file
still scanned, exit 3 when something could not be checked, never a traceback, never exit 0
because something was not checked."""

from __future__ import annotations

import builtins
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlhygiene import cli, deserialization, pickle_files
from mlhygiene._core import runner
from mlhygiene._core.cache import ResultCache
from tests.conftest import notebook_json

PICKLE = "import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n"
HIT = "train.py:2:9: pickle-load "
# dill-load: a rule the ast fast path does not answer, so Semgrep itself must run on the file
DILL = "import dill\nmodel = dill.load(open('m.pkl', 'rb'))\n"
DILL_HIT = "train.py:2:9: dill-load "
REAL = shutil.which("semgrep")
needs_semgrep = pytest.mark.skipif(REAL is None, reason="semgrep not installed")


def scan(*args: str) -> int:
    return cli.main(["scan", "--only", "deserialization", *args])


def out_lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return [line.split(" pickle-load ")[0] for line in out.splitlines()], err.splitlines()


def code_cell(source: Any, **extra: Any) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], **extra}


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# -- files that cannot be checked: exit 3, one line naming the file, the rest still scanned ----
V4_TRUNCATED = notebook_json([PICKLE])[:60]
BROKEN = [
    pytest.param(
        "empty.ipynb", b"", "not valid JSON (Expecting value: line 1 column 1 (char 0))", id="empty-nb"
    ),
    pytest.param(
        "trunc.ipynb",
        V4_TRUNCATED.encode(),
        "not valid JSON (Unterminated string starting at: line 5 column 3 (char 57))",
        id="truncated-nb",
    ),
    pytest.param(
        "list.ipynb", b"[1, 2]", "not a Jupyter notebook (top level is a JSON list)", id="json-list"
    ),
    pytest.param(
        "null.ipynb", b"null", "not a Jupyter notebook (top level is a JSON NoneType)", id="json-null"
    ),
    pytest.param(
        "nocells.ipynb",
        b'{"nbformat": 4, "metadata": {}}',
        "not a Jupyter notebook (no 'cells')",
        id="no-cells",
    ),
    pytest.param(
        "cellsdict.ipynb",
        b'{"nbformat": 4, "cells": {"a": 1}}',
        "not a Jupyter notebook ('cells' is not a list)",
        id="cells-not-list",
    ),
    pytest.param(
        "badver.ipynb",
        b'{"nbformat": "4", "cells": []}',
        "not a Jupyter notebook ('nbformat' is '4')",
        id="nbformat-str",
    ),
    pytest.param(
        "deepjson.ipynb",
        b"[" * 100_000 + b"]" * 100_000,
        "not valid JSON (nested too deeply)",
        id="deep-json",
    ),
    pytest.param(
        "bin.py",
        b"import os\n\x00\x01\x02",
        "binary content (NUL byte at offset 10), not Python source",
        id="binary-py",
    ),
    pytest.param(
        "cookie.py",
        b"# -*- coding: klingon -*-\nx = 1\n",
        "bad encoding declaration (unknown encoding: klingon)",
        id="unknown-cookie",
    ),
    pytest.param(
        "utf8.py",
        b"x = '\xe9\xff'\n",
        "cannot decode as utf-8 ('utf-8' codec can't decode byte 0xe9 in position 5: invalid continuation byte)",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("name", "data", "message"), BROKEN)
def test_broken_file_exits_3_and_the_rest_is_scanned(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes | None, message: str
) -> None:
    write(in_tmp / "train.py", PICKLE)
    if data is None:
        (in_tmp / name).mkdir()
    else:
        write(in_tmp / name, data)
    assert scan("train.py", name) == 3
    out, err = out_lines(capsys)
    assert out == ["train.py:2:9:"]
    notebooks = " (1 notebook)" if name.endswith(".ipynb") else ""
    assert err == [
        f"{name}: error: {message}",
        f"mlhygiene: checked 2 files{notebooks}: 1 finding in 1 file, 1 file could not be checked",
    ]


def test_a_directory_named_like_a_script(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_tmp / "train.py", PICKLE)
    (in_tmp / "sub.py").mkdir()
    assert deserialization.main(["train.py", "sub.py"]) == 3
    out, err = out_lines(capsys)
    assert out == ["train.py:2:9:"]
    assert err == [
        "sub.py: error: is a directory, not a file",
        "mlhygiene-deserialization: checked 2 files: 1 finding in 1 file, 1 file could not be checked",
    ]


def test_every_hook_exits_3_without_traceback_on_a_broken_notebook(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlhygiene import credentials, http_urls, typosquat, xxe

    write(in_tmp / "broken.ipynb", "{")
    for hook in (credentials, deserialization, http_urls, typosquat, xxe):
        assert hook.main(["broken.ipynb"]) == 3, hook.__name__
        out, err = capsys.readouterr()
        assert out == ""
        assert err.splitlines()[0] == (
            "broken.ipynb: error: not valid JSON (Expecting property name enclosed in double quotes:"
            " line 1 column 2 (char 1))"
        )
        assert "Traceback" not in err


def test_symlinks_loop_broken_and_good(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_tmp / "train.py", PICKLE)
    (in_tmp / "link.py").symlink_to("train.py")
    (in_tmp / "broken.py").symlink_to("nowhere.py")
    (in_tmp / "loop1.py").symlink_to("loop2.py")
    (in_tmp / "loop2.py").symlink_to("loop1.py")
    (in_tmp / "sub").mkdir()
    (in_tmp / "sub" / "up").symlink_to("..")  # a directory loop: walk must not follow it
    assert scan(".") == 3
    out, err = out_lines(capsys)
    assert out == ["link.py:2:9:", "train.py:2:9:"]
    assert err == [
        "broken.py: error: file not found (deleted or a broken symlink?)",
        "loop1.py: error: cannot read (Too many levels of symbolic links)",
        "loop2.py: error: cannot read (Too many levels of symbolic links)",
        "mlhygiene: checked 5 files: 2 findings in 2 files, 3 files could not be checked",
    ]


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cached", "uncached"])
def test_file_deleted_between_listing_and_scanning(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cache: list[str]
) -> None:
    write(in_tmp / "train.py", PICKLE)
    write(in_tmp / "gone.py", PICKLE)
    write(in_tmp / "gone.pkl", b"\x80\x04K\x01.")
    real_classify, real_load = runner.classify, runner.load_source

    def racing_classify(path: str) -> str | None:
        kind = real_classify(path)
        if path == "gone.py":
            os.unlink(path)  # after listing, before it is read (for the cache key or to load it)
        return kind

    def racing_load(path: str, *args: Any, **kwargs: Any) -> Any:
        source = real_load(path, *args, **kwargs)
        if path == "gone.pkl":
            os.unlink(path)  # after loading, before the pickle check opens it
        return source

    monkeypatch.setattr(runner, "classify", racing_classify)
    monkeypatch.setattr(runner, "load_source", racing_load)
    assert cli.main(["scan", "--only", "deserialization", "--only", "pickle-files", *cache, "."]) == 3
    out, err = out_lines(capsys)
    assert out == ["train.py:2:9:"]
    assert err[0] == "gone.pkl: error: could not be checked: No such file or directory"
    assert err[1:] == [
        "gone.py: error: file not found (deleted or a broken symlink?)",
        "mlhygiene: checked 3 files: 1 finding in 1 file, 2 files could not be checked",
    ]


def test_unreadable_files(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tests run as root, so permissions are simulated: ``open`` refuses two of the files."""
    write(in_tmp / "train.py", PICKLE)
    write(in_tmp / "secret.py", PICKLE)
    write(in_tmp / "model.pkl", b"\x80\x04K\x01.")
    real_open = builtins.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, Path)) and os.path.basename(file) in ("secret.py", "model.pkl"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    assert cli.main(["scan", "--only", "deserialization", "--only", "pickle-files", "."]) == 3
    out, err = out_lines(capsys)
    assert out == ["train.py:2:9:"]
    assert err == [
        "model.pkl: error: could not be checked: cannot be read (PermissionError: [Errno 13]"
        " Permission denied: 'model.pkl')",
        "secret.py: error: permission denied",
        "mlhygiene: checked 3 files: 1 finding in 1 file, 2 files could not be checked",
    ]


@pytest.mark.parametrize(
    "name", ["with space.py", "ünïcödé.py", "-dash.py", "--double.py", "日本語 ノート.py"], ids=str
)
def test_odd_file_names(in_tmp: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    write(in_tmp / name, PICKLE)
    assert deserialization.main([name]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"{name}:2:9: pickle-load ")
    assert err == "mlhygiene-deserialization: checked 1 file: 1 finding in 1 file\n"


def test_undecodable_file_name_under_a_strict_stdout(tmp_path: Path) -> None:
    """Bug found: a name with non-UTF-8 bytes crashed the text report (UnicodeEncodeError)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / os.fsdecode(b"bad\xffname.py")).write_text(PICKLE)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": str(Path(__file__).parent.parent / "hooks")}
    for encoding in ("utf-8:strict", "ascii:strict"):
        env["PYTHONIOENCODING"] = encoding
        proc = subprocess.run(
            [sys.executable, "-m", "mlhygiene.cli", "scan", "--only", "deserialization", "."],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.startswith("bad\\udcffname.py:2:9: pickle-load ")
        assert "Traceback" not in proc.stderr


# -- odd but valid input: found at the right place ----------------------------------------
def nb(cells: list[Any], **top: Any) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **top})


PICKLE_LINES = ["import pickle\n", "model = pickle.load(open('m.pkl', 'rb'))\n"]
NB3 = {
    "nbformat": 3,
    "nbformat_minor": 0,
    "metadata": {"name": ""},
    "worksheets": [
        {
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": ["# old"]},
                {
                    "cell_type": "code",
                    "collapsed": False,
                    "input": PICKLE_LINES,
                    "language": "python",
                    "metadata": {},
                    "outputs": [],
                },
            ],
            "metadata": {},
        }
    ],
}
VALID = [
    pytest.param("v3.ipynb", json.dumps(NB3).encode(), "v3.ipynb:cell 2:2:9:", id="nbformat-3"),
    pytest.param(
        "str.ipynb",
        nb([code_cell("".join(PICKLE_LINES))]).encode(),
        "str.ipynb:cell 1:2:9:",
        id="source-string",
    ),
    pytest.param(
        "min.ipynb",
        json.dumps({"cells": [{"source": PICKLE_LINES}]}).encode(),
        "min.ipynb:cell 1:2:9:",
        id="missing-keys",
    ),
    pytest.param(
        "odd.ipynb",
        nb(
            [None, 5, "x", code_cell([1, None]), {"cell_type": ["code"]}, code_cell(PICKLE_LINES, outputs={})]
        ).encode(),
        "odd.ipynb:cell 6:2:9:",
        id="junk-cells",
    ),
    pytest.param(
        "crlf.ipynb",
        nb([code_cell(["import pickle\r\n", PICKLE_LINES[1]])]).encode(),
        "crlf.ipynb:cell 1:2:9:",
        id="crlf-in-cell",
    ),
    pytest.param(
        "bom.ipynb",
        b"\xef\xbb\xbf" + nb([code_cell(PICKLE_LINES)]).encode(),
        "bom.ipynb:cell 1:2:9:",
        id="bom-notebook",
    ),
    pytest.param(
        "latin.py",
        "# -*- coding: latin-1 -*-\ns = 'café'\n".encode("latin-1") + PICKLE.encode(),
        "latin.py:4:9:",
        id="latin-1-cookie",
    ),
    pytest.param("crlf.py", PICKLE.replace("\n", "\r\n").encode(), "crlf.py:2:9:", id="crlf"),
    pytest.param("cr.py", PICKLE.replace("\n", "\r").encode(), "cr.py:2:9:", id="old-mac-cr"),
    pytest.param("bom.py", b"\xef\xbb\xbf" + PICKLE.encode(), "bom.py:2:9:", id="bom"),
    pytest.param("tabs.py", b"if 1:\n\timport pickle\n\tm = pickle.load(f)\n", "tabs.py:3:6:", id="tabs"),
    pytest.param("nonl.py", PICKLE.rstrip().encode(), "nonl.py:2:9:", id="no-final-newline"),
]


@pytest.mark.parametrize(("name", "data", "where"), VALID)
def test_odd_but_valid_input_is_checked(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, where: str
) -> None:
    write(in_tmp / name, data)
    assert scan(name) == 1
    out, err = out_lines(capsys)
    assert out == [where]
    if name == "odd.ipynb":  # cell 4's source is [1, null]: "1None"
        assert err.pop(0) == (
            "odd.ipynb:cell 4: warning: does not parse as Python 3 (line 1: invalid decimal literal);"
            " checked with tolerant parsers only"
        )
    notebooks = " (1 notebook)" if name.endswith(".ipynb") else ""
    assert err == [f"mlhygiene: checked 1 file{notebooks}: 1 finding in 1 file"]


def test_ten_megabyte_output_and_single_line_notebook(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = code_cell(
        ["print(1)\n"],
        outputs=[{"output_type": "stream", "name": "stdout", "text": ["x" * 99 + "\n"] * 105_000}],
    )
    write(in_tmp / "big.ipynb", nb([big, code_cell(PICKLE_LINES)], indent=None))
    # a Kaggle-style export: one JSON line, megabytes of base64 plots and a long HTML table
    plot = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": "iVBORw0KGgo" + "A" * 1_500_000, "text/plain": ["<Figure>"]},
    }
    table = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/html": ["<tr><td>1</td></tr>"] * 50_000},
    }
    cells = [code_cell([f"v{i} = {i}\n"]) for i in range(300)]
    cells[10]["outputs"] = [plot, table]
    one_line = json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [*cells, code_cell(PICKLE_LINES)]},
        separators=(",", ":"),
    )
    assert "\n" not in one_line and len(one_line) > 2_500_000
    write(in_tmp / "oneline.ipynb", one_line)
    assert os.path.getsize(in_tmp / "big.ipynb") > 10_000_000
    assert cli.main(["scan", "big.ipynb", "oneline.ipynb"]) == 1
    out, err = out_lines(capsys)
    assert out == ["big.ipynb:cell 2:2:9:", "oneline.ipynb:cell 301:2:9:"]
    assert err == ["mlhygiene: checked 2 files (2 notebooks): 2 findings in 2 files"]


def test_two_thousand_term_expression(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The Kaggle kernel ruff overflowed on: ``[..] + [..] + ...`` with 2,000 terms.

    Semgrep's rules handle it (about 2 s with the http prefilter; the taint rules alone took
    ~20 s on it before, ~50 s when the lists hold strings).
    """
    expr = " + ".join(f"[{i}]" for i in range(2000))
    write(in_tmp / "kernel.py", f"import reqeusts\nfeatures = {expr}\n{PICKLE}")
    assert cli.main(["scan", "kernel.py"]) == 1
    out, err = capsys.readouterr()
    assert [line.split(": ")[0] for line in out.splitlines()] == ["kernel.py:1:8", "kernel.py:4:9"]
    assert err == "mlhygiene: checked 1 file: 2 findings in 1 file\n"


def test_deep_nesting_overflowing_ast_is_a_warning_and_the_rest_is_checked(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(in_tmp / "deep.py", "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n" + PICKLE)
    write(in_tmp / "deep.ipynb", notebook_json(["y = " + "[" * 300 + "]" * 300, PICKLE]))
    assert (
        cli.main(["scan", "--only", "deserialization", "--only", "typosquat", "deep.py", "deep.ipynb"]) == 1
    )
    out, err = capsys.readouterr()
    assert [line.split(" ")[0] for line in out.splitlines()] == ["deep.ipynb:cell", "deep.py:3:9:"]
    assert out.splitlines()[0].startswith("deep.ipynb:cell 2:2:9: pickle-load ")
    assert err.splitlines() == [
        "deep.ipynb:cell 1: warning: does not parse as Python 3 (line 1: too many nested parentheses);"
        " checked with tolerant parsers only",
        "deep.py: warning: does not parse as Python 3 (line 1: too many nested parentheses);"
        " checked with tolerant parsers only",
        "mlhygiene: checked 2 files (1 notebook): 2 findings in 2 files",
    ]


# -- Python 2 and other unparsable code: tolerant checks, one warning, not blocking --------
PY2 = 'import reqeusts\nimport pickle\nprint "loading"\nexec "x = 1"\nmodel = pickle.load(f)\n'


def test_python2_still_checked_warned_once_and_not_blocking(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(in_tmp / "old.py", PY2)
    write(in_tmp / "clean2.py", 'print "hello"\n')
    write(
        in_tmp / "old.ipynb", notebook_json(['print "a"\nimport reqeusts', "import pickle\npickle.load(f)"])
    )
    assert cli.main(["scan", "--only", "deserialization", "--only", "typosquat", "."]) == 1
    out, err = capsys.readouterr()
    assert [line.split(" ")[0] + " " + line.split(" ")[1] for line in out.splitlines()] == [
        "old.ipynb:cell 1:2:8:",
        "old.ipynb:cell 2:2:1:",
        "old.py:1:8: typosquat-import",
        "old.py:5:9: pickle-load",
    ]
    warning = "warning: does not parse as Python 3 (line {}: Missing parentheses in call to 'print'. Did you mean print(...)?); checked with tolerant parsers only"
    assert err.splitlines() == [
        f"clean2.py: {warning.format(1)}",
        f"old.ipynb:cell 1: {warning.format(1)}",
        f"old.py: {warning.format(3)}",
        "mlhygiene: checked 3 files (1 notebook): 4 findings in 2 files",
    ]
    # a warning alone does not block the commit; strict-parse makes it fail
    assert cli.main(["scan", "clean2.py"]) == 0
    capsys.readouterr()
    write(in_tmp / "pyproject.toml", "[tool.mlhygiene]\nstrict-parse = true\n")
    assert cli.main(["scan", "clean2.py"]) == 3
    assert capsys.readouterr().err.startswith("clean2.py: error: does not parse as Python 3 (line 1:")


# -- internal errors: exit 3, no traceback unless --debug -------------------------------
def test_a_crashing_check_exits_3_and_debug_shows_the_traceback(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(in_tmp / "train.py", PICKLE)

    def boom(sources: Any, ctx: Any) -> Any:
        raise ValueError("kaboom")

    monkeypatch.setitem(cli.CHECKS, "xxe", cli.CHECKS["xxe"]._replace(run=boom))
    args = ["scan", "--only", "deserialization", "--only", "xxe", "."]
    assert cli.main(args) == 3
    out, err = out_lines(capsys)
    assert out == ["train.py:2:9:"]
    assert err == [
        "<internal>: error: xxe crashed (ValueError: kaboom); rerun with --debug and report it",
        "mlhygiene: checked 1 file: 1 finding in 1 file, some checks could not run",
    ]
    assert cli.main([*args, "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_a_loader_bug_is_contained_to_its_file(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bug found: an unexpected exception while loading one file escaped as a traceback."""
    write(in_tmp / "train.py", PICKLE)
    write(in_tmp / "odd.ipynb", notebook_json([PICKLE]))
    real = runner.load_source

    def flaky(path: str, *args: Any, **kwargs: Any) -> Any:
        if path == "odd.ipynb":
            raise KeyError("cells")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "load_source", flaky)
    assert scan(".") == 3
    out, err = out_lines(capsys)
    assert out == ["train.py:2:9:"]
    assert err == [
        "odd.ipynb: error: could not be loaded (KeyError: 'cells'); rerun with --debug and report it",
        "mlhygiene: checked 2 files (1 notebook): 1 finding in 1 file, 1 file could not be checked",
    ]


# -- Semgrep failing: fail closed ----------------------------------------------------------
def fake(tmp: Path, body: str) -> str:
    path = tmp / "fake-semgrep"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def per_target(tmp: Path, template: str, kind: str = "errors") -> str:
    """A fake Semgrep answering one error (or result) per target with ``template`` (``%s`` = path)."""
    script = tmp / "fake.py"
    script.write_text(
        "import json, sys\n"
        "targets = [a for a in sys.argv[1:] if a.endswith('.py') and a.startswith('/')]\n"
        f"items = [json.loads({template!r} % json.dumps(t)) for t in targets]\n"
        f"print(json.dumps({{'results': [], 'errors': [], {kind!r}: items}}))\n"
    )
    return fake(tmp, f'exec "{sys.executable}" "{script}" "$@"')


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(
            lambda tmp: per_target(
                tmp, '{"type": "Timeout", "level": "warn", "rule_id": "x", "message": "Timeout", "path": %s}'
            ),
            "train.py: error: semgrep timed out on this file; it was not fully checked",
            id="timeout-per-file",
        ),
        pytest.param(
            lambda tmp: per_target(
                tmp, '{"type": "OutOfMemory", "level": "error", "message": "oom", "path": %s}'
            ),
            "train.py: error: semgrep could not check this file (OutOfMemory)",
            id="oom-per-file",
        ),
        pytest.param(
            lambda tmp: fake(tmp, 'echo \'{"results": [], "errors": []}\'; exit 2'),
            "<semgrep>: error: semgrep error: semgrep exited with code 2",
            id="exit-2-no-errors",
        ),
        pytest.param(
            lambda tmp: fake(tmp, "kill -9 $$"),
            "mlhygiene: error: semgrep failed (exit -9): no output",
            id="killed",
        ),
        pytest.param(
            lambda tmp: fake(tmp, 'echo \'{"results": [], "errors": []\''),
            'mlhygiene: error: semgrep failed (exit 0): {"results": [], "errors": []',
            id="truncated-json",
        ),
        pytest.param(
            lambda tmp: fake(tmp, "echo '[]'"),
            "mlhygiene: error: semgrep failed (exit 0): []",
            id="json-not-object",
        ),
        pytest.param(
            lambda tmp: per_target(tmp, '{"check_id": "x", "path": %s}', kind="results"),
            "<internal>: error: deserialization crashed",
            id="result-without-location",
        ),
    ],
)
def test_semgrep_failing_never_passes(
    in_tmp: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], str],
    message: str,
) -> None:
    write(in_tmp / "train.py", "import dill\nm = dill.load(path)\n")  # Semgrep itself must run on it
    monkeypatch.setenv("MLHYGIENE_SEMGREP", make(tmp_path_factory.mktemp("fake")))
    assert cli.main(["scan", "--only", "deserialization", "--no-cache", "train.py"]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@needs_semgrep
def test_timed_out_file_is_not_cached(
    in_tmp: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(in_tmp / "train.py", DILL + "# timeout-not-cached\n")
    fake_dir = tmp_path_factory.mktemp("fake")
    monkeypatch.setenv(
        "MLHYGIENE_SEMGREP",
        per_target(fake_dir, '{"type": "Timeout", "level": "warn", "message": "Timeout", "path": %s}'),
    )
    assert deserialization.main(["train.py"]) == 3
    monkeypatch.delenv("MLHYGIENE_SEMGREP")
    capsys.readouterr()
    assert deserialization.main(["train.py"]) == 1
    assert capsys.readouterr().out.startswith(DILL_HIT)


@needs_semgrep
def test_corrupt_cache_entries_are_recomputed(
    in_tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLHYGIENE_CACHE_DIR", str(tmp_path / "cache"))
    write(in_tmp / "train.py", PICKLE)
    assert deserialization.main(["train.py"]) == 1
    first = capsys.readouterr().out
    entries = list((tmp_path / "cache" / "semgrep-v1").rglob("*.json"))
    assert len(entries) == 1
    for corrupt in (
        "",
        "{",
        "[]",
        '{"results": 5, "errors": []}',
        '{"results": [5], "errors": []}',
        '{"results": [{"path": 1}], "errors": [7]}',
    ):
        entries[0].write_text(corrupt)
        shutil.rmtree(tmp_path / "cache" / "verdicts-v1")  # else the file's verdict is reused
        assert deserialization.main(["train.py"]) == 1, corrupt
        assert capsys.readouterr().out == first


def test_unwritable_cache_folder(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Root ignores permissions, so the cache folder refuses writes through ``mkstemp``."""
    write(in_tmp / "train.py", PICKLE + "# unwritable-cache\n")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("mlhygiene._core.cache.tempfile.mkstemp", refuse)
    for _ in range(2):
        assert deserialization.main(["train.py"]) == 1
        assert capsys.readouterr().out.startswith(HIT)


def test_concurrent_writers_of_one_cache_entry(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", "salt")
    entries = [
        {"results": [{"start": {"line": n}, "end": {"line": n}, "pad": "x" * 50_000}], "errors": []}
        for n in range(8)
    ]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(20):
                cache.put("same text", entries[n])
                got = cache.get("same text")
                assert got is None or got in entries
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get("same text") in entries
    assert [p.name for p in (tmp_path / "cache").rglob("*.tmp")] == []


@needs_semgrep
def test_two_hooks_writing_the_cache_at_once(tmp_path: Path) -> None:
    """Two hook processes over the same files and cache at the same moment: both right, cache sane."""
    work = tmp_path / "repo"
    work.mkdir()
    (work / ".git").mkdir()
    names = []
    for i in range(12):
        name = f"m{i}.py"
        write(work / name, f"# {i}\n{PICKLE}import lxml.etree\nlxml.etree.parse('x.xml')\n")
        names.append(name)
    env = {
        **os.environ,
        "MLHYGIENE_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(Path(__file__).parent.parent / "hooks"),
    }

    def start(module: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", module, *names],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def outputs() -> tuple[list[str], list[str]]:
        procs = [start("mlhygiene.deserialization"), start("mlhygiene.xxe")]
        results = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [1, 1], results
        return [r[0] for r in results], [r[1] for r in results]

    first_out, _ = outputs()
    assert [len(out.splitlines()) for out in first_out] == [12, 12]
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert path.suffix == ".json"
            json.loads(path.read_text())
    second_out, _ = outputs()  # now served from the cache
    assert second_out == first_out


@needs_semgrep
def test_semgrep_works_with_proxies_pointing_nowhere(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    write(in_tmp / "train.py", PICKLE + "# proxied\n")
    assert deserialization.main(["train.py", "--no-cache"]) == 1
    assert capsys.readouterr().out.startswith(HIT)


def test_pickle_artifact_errors_name_the_file(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_tmp / "empty.pkl", b"")
    write(in_tmp / "ok.pkl", b"\x80\x04K\x01.")
    write(in_tmp / "evil.pkl", b"cos\nsystem\n(S'true'\ntR.")
    code = pickle_files.main(["empty.pkl", "ok.pkl", "evil.pkl"])
    out, err = capsys.readouterr()
    assert code in (1, 3)
    assert out.startswith("evil.pkl:")
    assert "Traceback" not in err


# -- Semgrep's byte columns --------------------------------------------------------------
def test_columns_count_characters_not_utf8_bytes(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bug found: Semgrep reports byte columns/offsets; non-ASCII text before a finding shifted it."""
    write(in_tmp / "u.py", "import pickle\npath = 'données/日本.pkl'; m = pickle.load(open(path, 'rb'))\n")
    write(in_tmp / "u.ipynb", notebook_json(["s = 'ü🙂'; m = pickle.load(f)"]))
    assert cli.main(["scan", "--only", "deserialization", "--format", "json", "u.py", "u.ipynb"]) == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["path"], f["cell"], f["line"], f["column"], f["end_column"]) for f in found] == [
        ("u.ipynb", 1, 1, 15, 29),
        ("u.py", None, 2, 30, 59),
    ]
    # the fingerprint hashes the matched code itself: same code elsewhere, same fingerprint
    write(in_tmp / "u.py", "import pickle\npath = 'x'; m = pickle.load(open(path, 'rb'))\n")
    assert cli.main(["scan", "--only", "deserialization", "--format", "json", "u.py"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["fingerprint"] == found[1]["fingerprint"]
