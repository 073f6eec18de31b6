"""Bounded fuzzing (hypothesis) of the three parsers of untrusted bytes: notebook JSON,
pickle streams, requirements files. CI runs these with fixed example counts (a few seconds);
``tests/fuzz/atheris_fuzz.py`` runs the same targets open-ended with coverage guidance."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import notebook_target, pickle_target, requirements_target

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# -- notebook JSON ------------------------------------------------------------------------
KEYS = [
    "cells",
    "nbformat",
    "nbformat_minor",
    "metadata",
    "worksheets",
    "cell_type",
    "source",
    "input",
    "outputs",
    "output_type",
    "text",
    "data",
    "traceback",
    "ename",
    "evalue",
    "tags",
    "name",
]
SOURCE_LINES = [
    "import pickle\n",
    "!pip install reqeusts\n",
    "%%bash\n",
    "%time x = 1\n",
    "x = !ls\n",
    "!wget http://example.com/a \\\n",
    "  -O a\n",
    "def f(:\n",
    "'''\n",
    "\t\n",
    "\r\n",
    "é\u2028\n",
    "%%time\n",
    "obj?\n",
    "import torchvison as tv\n",
    "from . import x\n",
    "\\\n",
    "(\n",
]
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "code",
            "markdown",
            "raw",
            "stream",
            "error",
            "display_data",
            "execute_result",
            "text/plain",
            "image/png",
            *SOURCE_LINES,
        ]
    ),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=6),
    ),
    max_leaves=40,
)
code_cell = st.fixed_dictionaries(
    {
        "cell_type": st.sampled_from(["code", "code", "markdown", "raw", 3]),
        "source": st.one_of(
            st.lists(st.sampled_from(SOURCE_LINES), max_size=8),
            st.lists(st.sampled_from(SOURCE_LINES), max_size=8).map("".join),
            json_value,
        ),
    },
    optional={
        "outputs": st.lists(
            json_value
            | st.fixed_dictionaries(
                {
                    "output_type": st.sampled_from(["stream", "error", "display_data", "execute_result"]),
                    "text": json_value,
                    "data": st.dictionaries(
                        st.sampled_from(["text/plain", "image/png", "text/html"]), json_value
                    ),
                    "traceback": json_value,
                }
            ),
            max_size=3,
        ),
        "metadata": json_value,
    },
)
notebook = st.fixed_dictionaries(
    {"cells": st.lists(code_cell | json_value, max_size=6)},
    optional={"nbformat": st.sampled_from([4, 3, 2, 5, 0, -1, True, None]), "metadata": json_value},
)


@FUZZ
@given(notebook)
def test_fuzz_notebook_structures(nb: dict[str, Any]) -> None:
    notebook_target(json.dumps(nb).encode())


@FUZZ
@given(notebook, st.data())
def test_fuzz_notebook_bytes(nb: dict[str, Any], data: st.DataObject) -> None:
    raw = bytearray(json.dumps(nb).encode())
    for _ in range(data.draw(st.integers(0, 4))):  # truncate, flip, insert
        op = data.draw(st.sampled_from(["cut", "flip", "insert"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "cut":
            del raw[at:]
        elif op == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        else:
            raw[at:at] = data.draw(st.binary(max_size=8))
    notebook_target(bytes(raw))


# -- pickle streams -------------------------------------------------------------------------
objects = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=10), st.binary(max_size=10), st.floats()),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=20,
)
OPCODES = list(b"()ceglhjpqrstuxBCGKMNPQRSTUX]}\x80\x81\x82\x85\x93\x94\x95")
EVIL = [
    b"cos\nsystem\n(S'true'\ntR.",
    b"\x80\x02cbuiltins\neval\nq\x00X\x01\x00\x00\x001\x85R.",
    b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93.",
]


@FUZZ
@given(objects, st.integers(0, 5), st.data())
def test_fuzz_pickle_streams(obj: Any, protocol: int, data: st.DataObject) -> None:
    stream = bytearray(data.draw(st.sampled_from([pickle.dumps(obj, protocol=protocol), *EVIL])))
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, max(len(stream) - 1, 0)))
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "opcode"]))
        if op == "flip" and stream:
            stream[at] ^= data.draw(st.integers(1, 255))
        elif op == "cut":
            del stream[at:]
        elif op == "insert":
            stream[at:at] = data.draw(st.binary(max_size=6))
        else:
            stream[at:at] = bytes([data.draw(st.sampled_from(OPCODES))])
    name = data.draw(st.sampled_from(["f.pkl", "f.joblib", "f.npy", "f.pt", "f.npz", "f.pkl.gz", "model"]))
    pickle_target(bytes(stream), name)
    if name == "f.pt":  # the same stream inside a torch-style zip
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("archive/data.pkl", bytes(stream))
            archive.writestr("archive/version", "3\n")
        pickle_target(buf.getvalue(), "f.pt")


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["f.pkl", "f.pt", "f.npy", "f.npz", "f.joblib.gz"]))
def test_fuzz_pickle_random_bytes(raw: bytes, name: str) -> None:
    pickle_target(raw, name)


# -- requirements files ---------------------------------------------------------------------
REQ_LINES = [
    "numpy",
    "reqeusts==2.0",
    "torch>=2; python_version<'3.13'",
    "-r other.txt",
    "-c c.txt",
    "--index-url http://pypi.example.com/simple",
    "-e git+https://github.com/o/r.git#egg=r",
    "pkg @ https://x/y.whl",
    "./local",
    "-e .",
    "# comment",
    "",
    "  \\",
    "numpy[extra1,",
    "===",
    "pandas ; ",
    "--hash=sha256:00",
    "sklearn",
    "python-dateutil~=2.8",
    "é-package",
    "a" * 300,
    "tensorflow-gpu==1.15 \\",
    "    --hash=sha256:ab",
    "[",
    "git+ssh://git@github.com/o/r",
]


@FUZZ
@given(
    st.lists(st.sampled_from(REQ_LINES) | st.text(max_size=30), max_size=12), st.sampled_from(["\n", "\r\n"])
)
def test_fuzz_requirements(lines: list[str], newline: str) -> None:
    requirements_target(newline.join(lines))


PYPROJECT = [
    "[project]",
    'dependencies = ["numpy", "reqeusts"]',
    "dependencies = 5",
    "[project.optional-dependencies]",
    'dev = ["pytset"]',
    "dev = [1, 2]",
    "[tool.poetry.dependencies]",
    'python = "^3.10"',
    'reqeusts = "*"',
    'x = {version = "1"}',
    "[build-system]",
    'requires = ["setuptools", 3]',
    "= =",
]


@FUZZ
@given(st.lists(st.sampled_from(PYPROJECT) | st.text(max_size=20), max_size=10))
def test_fuzz_pyproject(lines: list[str]) -> None:
    requirements_target("\n".join(lines), "pyproject.toml")
