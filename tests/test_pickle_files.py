"""mlhygiene-pickle-files: malicious artifacts are built at run time and must be reported;
benign ones must pass; a canary file proves no payload ever ran."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import pickletools
import re
import tarfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from mlhygiene import pickle_files
from mlhygiene._core.sources import classify
from mlhygiene._pickle import stream
from mlhygiene._pickle.policy import DANGEROUS, SAFE, UNKNOWN, judge
from tests.pickle_artifacts import (
    FakeTensor,
    ImportPayload,
    Payload,
    plain_tensor_pickle,
    run,
    torch_legacy,
    torch_tar,
    torch_zip,
)

RULE = "pickle-dangerous-global"
Builder = Callable[[str], bytes]


class Net:
    """A user's model class: not on the allow-list (strict mode reports it)."""

    def __init__(self) -> None:
        self.weights = [1.0, 2.0]


def offset_of(data: bytes, name: str) -> int:
    """Where pickletools sees the GLOBAL/STACK_GLOBAL/INST that imports ``name``."""
    strings: list[str] = []
    for op, arg, pos in pickletools.genops(data):
        if isinstance(arg, str):
            strings.append(arg)
        if op.name in ("GLOBAL", "INST") and arg.replace(" ", ".") == name:
            return pos
        if op.name == "STACK_GLOBAL" and ".".join(strings[-2:]) == name:
            return pos
    raise AssertionError(f"{name} not in the pickle")


def dangerous_line(path: Path, where: str, name: str, offset: int) -> str:
    shown = f"{name} (os.{name.split('.')[1]})" if name.startswith(("posix.", "nt.")) else name
    return (
        f"{path}:1:1: {RULE} {where} imports {shown} (offset {offset}), which runs commands or code"
        f" as soon as the file is unpickled. Do not load it; {pickle_files.ADVICE}."
    )


# -- hits -----------------------------------------------------------------------------------
def _gz(data: bytes) -> bytes:
    return gzip.compress(data)


def _npy(obj: object) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, obj, allow_pickle=True)
    return buffer.getvalue()


def _npz(**arrays: object) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return buffer.getvalue()


def _with_member(archive: bytes, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO(archive)
    with zipfile.ZipFile(buffer, "a") as out:
        out.writestr(name, data)
    return buffer.getvalue()


def _tar(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1.5
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _obj_array(canary: str) -> np.ndarray:
    return np.array([Payload(canary), 1], dtype=object)


HITS: list[tuple[str, str, Builder, str, str]] = [
    *[
        (f"protocol-{p}", "model.pkl", (lambda c, p=p: pickle.dumps({"m": Payload(c)}, protocol=p)),
         "the pickle", "posix.system")
        for p in range(6)
    ],
    ("protocol-0-no-header", "model.pkl", lambda c: pickle.dumps(Payload(c), protocol=0), "the pickle", "posix.system"),
    ("importlib", "model.pkl", lambda c: pickle.dumps([1, ImportPayload()], protocol=4),
     "the pickle", "importlib.import_module"),
    ("torch-zip", "model.pt", lambda c: torch_zip(OrderedDict(w=FakeTensor("0", 3), evil=Payload(c))),
     "archive/data.pkl", "posix.system"),
    ("torch-zip-in-tensor-rebuild", "model.pt",
     lambda c: torch_zip(OrderedDict(w=FakeTensor("0", 3, Payload(c)))), "archive/data.pkl", "posix.system"),
    ("torch-zip-named-bin", "pytorch_model.bin",
     lambda c: torch_zip({"w": FakeTensor("0", 3), "x": Payload(c)}, prefix="pytorch_model"),
     "pytorch_model/data.pkl", "posix.system"),
    ("torch-zip-no-extension", "checkpoint", lambda c: torch_zip({"x": Payload(c)}), "archive/data.pkl", "posix.system"),
    ("torch-zip-pth-tar", "model.pth.tar", lambda c: torch_zip({"x": Payload(c)}), "archive/data.pkl", "posix.system"),
    ("torch-legacy", "model.pt", lambda c: torch_legacy(OrderedDict(w=FakeTensor("0", 3), x=Payload(c))),
     "the pickle", "posix.system"),
    ("torch-tar-pickle", "model.pth.tar", lambda c: torch_tar({"x": Payload(c)}), "pickle", "posix.system"),
    ("torch-tar-pax-header", "model.pth.tar", lambda c: torch_tar({"x": Payload(c)}, mtime=1.5), "pickle",
     "posix.system"),
    ("torch-tar-storage-record", "model.pth.tar", lambda c: torch_tar({"a": 1}, storage_key=Payload(c)),
     "storages", "posix.system"),
    ("plain-pickled-tensor", "model.pkl",
     lambda c: plain_tensor_pickle(torch_zip(OrderedDict(w=FakeTensor("0", 3), x=Payload(c)))),
     "torch.storage._load_from_bytes at offset {} > archive/data.pkl", "posix.system"),
    ("npy-object", "features.npy", lambda c: _npy(_obj_array(c)), "the pickle", "posix.system"),
    ("npz-member", "features.npz", lambda c: _npz(a=np.arange(3), b=_obj_array(c)), "b.npy", "posix.system"),
    ("gzip", "model.pkl.gz", lambda c: _gz(pickle.dumps(Payload(c), protocol=2)), "the pickle", "posix.system"),
    ("bz2", "model.pkl.bz2", lambda c: bz2.compress(pickle.dumps(Payload(c))), "the pickle", "posix.system"),
    ("xz", "model.pkl.xz", lambda c: lzma.compress(pickle.dumps(Payload(c))), "the pickle", "posix.system"),
    ("lzma-alone", "model.joblib.lzma",
     lambda c: lzma.compress(pickle.dumps(Payload(c)), format=lzma.FORMAT_ALONE), "the pickle", "posix.system"),
    ("zlib", "model.joblib.z", lambda c: zlib.compress(pickle.dumps(Payload(c))), "the pickle", "posix.system"),
    ("gzip-no-extension", "weights", lambda c: _gz(pickle.dumps(Payload(c))), "the pickle", "posix.system"),
    ("gzip-in-zip", "bundle.npz", lambda c: _zip(**{"inner__model.pkl": _gz(pickle.dumps(Payload(c)))}),
     "inner/model.pkl", "posix.system"),
    ("stacked-second-pickle", "model.pkl",
     lambda c: pickle.dumps({"a": 1}) + pickle.dumps(Payload(c)), "the pickle", "posix.system"),
]


@pytest.mark.parametrize(
    ("name", "build", "where", "callable_"),
    [pytest.param(n, b, w, c, id=i) for i, n, b, w, c in HITS],
)
def test_hit(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str],
             name: str, build: Builder, where: str, callable_: str) -> None:
    path = tmp_path / name
    path.write_bytes(build(canary))
    code, out, err = run(capsys, str(path))
    assert code == 1, err
    where_re = re.escape(where).replace(re.escape("{}"), r"\d+")
    pattern = rf"{re.escape(str(path))}:1:1: {RULE} {where_re} imports {re.escape(callable_)}( \(os\.\w+\))? \(offset \d+\), "
    assert len(out) == 1 and re.match(pattern, out[0]), out
    assert err == ["mlhygiene-pickle-files: checked 1 file: 1 finding in 1 file"]


def test_exact_line_with_offset(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = pickle.dumps({"m": Payload(canary)}, protocol=4)
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert out == [dangerous_line(path, "the pickle", "posix.system", offset_of(data, "posix.system"))]


def test_torch_zip_exact_line(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(torch_zip(OrderedDict(w=FakeTensor("0", 3, Payload(canary)))))
    with zipfile.ZipFile(path) as archive:
        offset = offset_of(archive.read("archive/data.pkl"), "posix.system")
    code, out, _ = run(capsys, str(path))
    assert (code, out) == (1, [dangerous_line(path, "archive/data.pkl", "posix.system", offset)])


def _su(text: str) -> bytes:
    """SHORT_BINUNICODE."""
    return b"\x8c" + bytes([len(text)]) + text.encode()


# Hand-written streams: what a pickler never writes but an attacker can.
CRAFTED = [
    # STACK_GLOBAL whose strings come from the memo, not from the opcodes right before it
    ("stack-global-from-memo", b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94h\x00h\x01\x93\x94\x8c\x02id\x85R.",
     "posix.system"),
    ("inst-protocol-0", b"(S'id'\nios\nsystem\n.", "os.system"),
    ("python2-builtin", b"c__builtin__\neval\n(S'1'\ntR.", "builtins.eval"),
    ("getattr", b"\x80\x02cbuiltins\ngetattr\nq\x00.", "builtins.getattr"),
    ("pickle-loads", b"\x80\x02c_pickle\nloads\nC\x01.\x85R.", "_pickle.loads"),
    ("attrgetter", b"\x80\x02coperator\nattrgetter\nX\x01\x00\x00\x00x\x85R.", "operator.attrgetter"),
    ("dunder-path", b"\x80\x04" + _su("collections") + _su("OrderedDict.__init__.__globals__") + b"\x93.",
     "collections.OrderedDict.__init__.__globals__"),
    ("module-attribute-path", b"\x80\x04" + _su("numpy") + _su("os.system") + b"\x93.", "numpy.os.system"),
    ("runpy", b"crunpy\n_run_code\n.", "runpy._run_code"),
    ("socket", b"csocket\ncreate_connection\n.", "socket.create_connection"),
    ("shutil", b"cshutil\nrmtree\n.", "shutil.rmtree"),
    ("types-codetype", b"ctypes\nCodeType\n.", "types.CodeType"),
    ("subprocess-py2-commands", b"ccommands\ngetoutput\n.", "subprocess.getoutput"),
    ("webbrowser", b"cwebbrowser\nopen\n.", "webbrowser.open"),
    ("pty", b"cpty\nspawn\n.", "pty.spawn"),
]


@pytest.mark.parametrize(("data", "callable_"), [pytest.param(d, c, id=i) for i, d, c in CRAFTED])
def test_crafted_hit(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, callable_: str) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(data)
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert [line.split(" (offset")[0].replace(" (os.system)", "") for line in out] == [
        f"{path}:1:1: {RULE} the pickle imports {callable_}"
    ]


def test_build_on_an_imported_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(b"\x80\x02ccollections\nOrderedDict\nN}X\x01\x00\x00\x00aK\x01s\x86b.")
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert out == [
        f"{path}:1:1: {RULE} the pickle sets attributes on collections.OrderedDict itself (BUILD on an"
        " imported object, offset 39), which no pickler writes and which can rewire code that runs"
        f" later. Do not load it; {pickle_files.ADVICE}."
    ]


def test_every_reference_once_per_stream(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(torch_zip({"a": Payload(canary), "b": Payload(canary), "c": ImportPayload()}))
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert [line.split(" (offset")[0] for line in out] == [
        f"{path}:1:1: {RULE} archive/data.pkl imports importlib.import_module",
        f"{path}:1:1: {RULE} archive/data.pkl imports posix.system (os.system)",
    ]


# -- near misses: everyday artifacts pass ----------------------------------------------------
def _state_dict() -> OrderedDict[str, object]:
    return OrderedDict(
        (f"layer{i}.weight", FakeTensor(str(i), 4)) for i in range(3)
    )


NEAR_MISSES: list[tuple[str, str, Callable[[], bytes]]] = [
    *[
        (f"dict-protocol-{p}", "data.pkl",
         (lambda p=p: pickle.dumps({"a": [1, 2.5, "x", b"y", None, True], "b": (1,)}, protocol=p)))
        for p in range(6)
    ],
    ("ordered-dict", "data.pkl", lambda: pickle.dumps(OrderedDict(a=1, b={1, 2}, c=frozenset())), ),
    ("datetime", "data.pkl", lambda: pickle.dumps({"when": datetime(2024, 1, 1)}, protocol=2)),
    ("numpy-array-pickle", "arr.pkl", lambda: pickle.dumps({"x": np.arange(10.0)}, protocol=2)),
    ("numpy-array-protocol-5", "arr.pkl", lambda: pickle.dumps(np.ones((3, 3)), protocol=5)),
    ("torch-state-dict", "model.pt", lambda: torch_zip(_state_dict())),
    ("torch-state-dict-bin", "pytorch_model.bin", lambda: torch_zip(_state_dict(), prefix="pytorch_model")),
    ("torch-legacy", "model.pt", lambda: torch_legacy(_state_dict())),
    ("torch-tar", "model.pth.tar", lambda: torch_tar({"epoch": 3})),
    ("dataset-tar", "images.tar", lambda: _tar(**{"a.csv": b"x,y\n", "b.bin": pickle.dumps({"a": 1})})),
    ("plain-pickled-tensor", "t.pkl", lambda: plain_tensor_pickle(torch_zip(_state_dict()))),
    ("numeric-npy", "x.npy", lambda: _npy(np.arange(100, dtype="f4"))),
    ("structured-npy", "x.npy", lambda: _npy(np.zeros(3, dtype=[("a", "<i4"), ("b", "U3")]))),
    ("numeric-npz", "x.npz", lambda: _npz(a=np.arange(3), b=np.eye(2))),
    ("gzip-dict", "data.pkl.gz", lambda: _gz(pickle.dumps({"a": 1}))),
    ("random-bin", "weights.bin", lambda: bytes(range(256)) * 10),
    ("gzip-csv", "table.csv.gz", lambda: _gz(b"a,b\n1,2\n")),
    ("zip-of-text", "docs.zip", lambda: _zip(**{"a.txt": b"hello", "b__c.json": b"{}"})),
    ("text-in-pkl", "notes.pkl", lambda: b"this is not a pickle\n"),
    ("site-packages-pth", "extra.pth", lambda: b"/opt/lib/python3/site-packages\nimport site; site.main()\n../src\n"),
    ("text-bin", "vocab.bin", lambda: b"the\nof\nand\ncat\ndog\n" * 20),
    ("text-no-extension", "NOTES", lambda: b"cat\ndog\nsome prose (with brackets) and R. t.\n"),
    ("png-no-extension", "logo", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    ("storage-starting-like-a-pickle", "model.pt", lambda: _with_member(torch_zip(_state_dict()), "archive/data/9",
                                                                        b"\x80\x02\xff\x00\x01" * 8)),
    ("bin-with-zlib-like-start", "weights.bin", lambda: b"\x78\x9c" + bytes(range(256))),
    ("bin-with-lzma-like-start", "weights.bin", lambda: b"\x5d\x00\x00" + bytes(range(256))),
    ("bin-with-gzip-magic-only", "weights.bin", lambda: b"\x1f\x8b" + bytes(200)),
    ("empty-pkl", "empty.pkl", lambda: b""),
]


@pytest.mark.parametrize(("name", "build"), [pytest.param(n, b, id=i) for i, n, b in NEAR_MISSES])
def test_near_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, build: Callable[[], bytes]) -> None:
    path = tmp_path / name
    path.write_bytes(build())
    code, out, err = run(capsys, str(path))
    assert (code, out) == (0, [])
    # a file no name or magic marks as an artifact is not even read (checked 0 files)
    assert err in (["mlhygiene-pickle-files: checked 1 file: no findings"], ["mlhygiene-pickle-files: checked 0 files: no findings"])


# -- joblib (its arrays are raw bytes inside the pickle stream) ------------------------------
@pytest.mark.parametrize("compress", [0, 3, "bz2", "xz", "lzma"])
def test_joblib(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str], compress: object) -> None:
    joblib = pytest.importorskip("joblib")
    arrays = {
        "w": np.arange(1000.0).reshape(10, 100), "s": np.array(["ab", "c"]),
        "r": np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]), "f": np.asfortranarray(np.eye(3)),
        "o": np.array([{"k": 1}, "x"], dtype=object),
    }
    ok, bad = tmp_path / "ok.joblib", tmp_path / "bad.joblib"
    joblib.dump(arrays, ok, compress=compress)
    joblib.dump({**arrays, "evil": Payload(canary), "o2": _obj_array(canary)}, bad, compress=compress)
    assert run(capsys, str(ok)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])
    code, out, _ = run(capsys, str(bad))
    assert code == 1
    assert [line.split(" (offset")[0] for line in out] == [f"{bad}:1:1: {RULE} the pickle imports posix.system (os.system)"]


class _NoTell(io.RawIOBase):
    """A handle joblib cannot tell() on: it then writes arrays without alignment padding."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.buffer.write(data)

    def tell(self) -> int:
        raise io.UnsupportedOperation


def test_joblib_array_bytes_that_plain_pickle_would_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """joblib.load skips an array's bytes; pickle.load on the same file runs them as opcodes."""
    joblib = pytest.importorskip("joblib")
    hidden = b"cposix\nsystem\n(S'id'\ntR0"
    handle = _NoTell()
    joblib.dump({"a": np.frombuffer(hidden, dtype="u1")}, handle)
    path = tmp_path / "x.joblib"
    path.write_bytes(handle.buffer.getvalue())
    assert hidden in path.read_bytes()
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert [line.split(" (offset")[0] for line in out] == [
        f"{path}:1:1: {RULE} the pickle imports posix.system (os.system)"
    ]


# -- allow-list by default -------------------------------------------------------------------
def unknown_line(path: Path, where: str, name: str, offset: int) -> str:
    return (
        f"{path}:1:1: pickle-unknown-global {where} imports {name} (offset {offset}), which is not on the"
        " allow-list of known-safe types: unpickling runs its code. Review it, then allow it with"
        f' --allow-global {name} or pickle-allow = ["{name}"] in [tool.mlhygiene], or {pickle_files.ADVICE}.'
    )


def test_unknown_global_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "net.pkl"
    data = pickle.dumps(Net(), protocol=4)
    path.write_bytes(data)
    name = f"{Net.__module__}.Net"
    assert run(capsys, str(path)) == (
        1, [unknown_line(path, "the pickle", name, offset_of(data, name))],
        ["mlhygiene-pickle-files: checked 1 file: 1 finding in 1 file"],
    )
    assert run(capsys, "--allow-global", Net.__module__, str(path)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])
    assert run(capsys, "--allow-global", f"{Net.__module__[:4]}*.Net", str(path)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])
    assert run(capsys, "--allow-global", Net.__module__[:-3], str(path))[0] == 1  # a prefix is dotted


def test_pickle_allow_from_config(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "net.pkl").write_bytes(pickle.dumps(Net()))
    assert run(capsys, "net.pkl")[0] == 1
    (in_tmp / "pyproject.toml").write_text(f'[tool.mlhygiene]\npickle-allow = ["{Net.__module__}.*"]\n')
    assert run(capsys, "net.pkl") == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"])


def test_strict_is_deprecated_and_changes_nothing(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "pyproject.toml").write_text("[tool.mlhygiene]\nstrict-pickle = true\n")
    (in_tmp / "sd.pt").write_bytes(torch_zip(_state_dict()))
    assert run(capsys, "--strict", "sd.pt") == (
        0, [], [pickle_files.STRICT_DEPRECATED, "mlhygiene-pickle-files: checked 1 file: no findings"]
    )
    (in_tmp / "pyproject.toml").write_text("[tool.mlhygiene]\nstrict-pickle = false\n")
    (in_tmp / "net.pkl").write_bytes(pickle.dumps(Net()))
    assert run(capsys, "net.pkl")[0] == 1


def test_everyday_checkpoints_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, data in {
        "sd.pt": torch_zip(_state_dict()), "legacy.pt": torch_legacy(_state_dict()),
        "x.npy": _npy(np.arange(3)), "d.pkl": pickle.dumps(OrderedDict(a=np.arange(3))),
        "t.pkl": plain_tensor_pickle(torch_zip(_state_dict())),
    }.items():
        (tmp_path / name).write_bytes(data)
        assert run(capsys, str(tmp_path / name)) == (0, [], ["mlhygiene-pickle-files: checked 1 file: no findings"]), name


def test_allow_global_never_excuses_a_dangerous_one(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps(Payload(canary)))
    code, out, _ = run(capsys, "--allow-global", "posix", "--allow-global", "*", str(path))
    assert code == 1 and f" {RULE} " in out[0]


# -- files that cannot be checked: exit 3, the file named, never a crash ---------------------
def _truncated(c: str) -> bytes:
    return pickle.dumps([Payload(c), list(range(50))], protocol=2)[:-20]


PROBLEMS: list[tuple[str, str, Builder, str]] = [
    ("truncated", "model.pkl", _truncated, "malformed pickle (bad BININT1 argument at offset"),
    ("no-stop", "model.pkl", lambda c: pickle.dumps({"a": 1})[:-1], "malformed pickle (truncated: the stream ends at offset"),
    ("unknown-opcode", "model.pkl", lambda c: b"\x80\x02\xff.", "malformed pickle (unknown opcode 0xff at offset 2)"),
    ("binary-garbage", "model.pkl", lambda c: b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\xfe\x01\x02",
     "malformed pickle (unknown opcode 0xfe at offset 11)"),
    ("bad-protocol", "model.pkl", lambda c: b"\x80\x09.", "malformed pickle (unsupported pickle protocol 9"),
    ("stack-underflow", "model.pkl", lambda c: b"\x80\x02R.", "malformed pickle (stack underflow at offset 2)"),
    ("memo-missing", "model.pkl", lambda c: b"\x80\x02h\x05.", "malformed pickle (memo key 5 read before it is set"),
    ("blob-past-the-end", "model.pkl", lambda c: b"\x80\x04\x8e" + (1 << 40).to_bytes(8, "little"), "truncated argument"),
    ("truncated-gzip", "model.pkl.gz", lambda c: _gz(pickle.dumps(list(range(1000))))[:100], "truncated compressed stream"),
    ("corrupt-zip", "model.pt", lambda c: b"PK\x03\x04" + b"\0" * 40, "cannot be read (BadZipFile"),
    ("bad-npy-header", "x.npy", lambda c: b"\x93NUMPY\x01\x00\x05\x00{'de", "truncated .npy header at offset 10"),
    ("torch-zip-truncated-pkl", "model.pt", lambda c: _zip(**{"archive__data.pkl": b"\x80\x02}q\x00"}),
     "archive/data.pkl: malformed pickle"),
    ("unfollowable-nested-load", "t.pkl", lambda c: b"\x80\x02ctorch.storage\n_load_from_bytes\nN\x85R.",
     "torch.storage._load_from_bytes at offset 36 loads data this check cannot follow"),
]


@pytest.mark.parametrize(("name", "build", "message"), [pytest.param(n, b, m, id=i) for i, n, b, m in PROBLEMS])
def test_problem(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str],
                 name: str, build: Builder, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(build(canary))
    code, _, err = run(capsys, str(path))
    assert code == 3
    assert err[0].startswith(f"{path}: error: could not be checked: "), err
    assert message in err[0], err
    assert err[-1].endswith("1 file could not be checked")


def test_truncated_stream_still_reports_what_came_before(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(_truncated(canary))
    code, out, _ = run(capsys, str(path))
    assert code == 3
    assert [line.split(" (offset")[0] for line in out] == [f"{path}:1:1: {RULE} the pickle imports posix.system (os.system)"]


def test_decompression_is_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "MAX_OUTPUT", 1 << 20)
    path = tmp_path / "bomb.pkl.gz"
    path.write_bytes(_gz(pickle.dumps(b"\0" * (8 << 20), protocol=4)))
    code, _, err = run(capsys, str(path))
    assert code == 3
    assert err[0] == f"{path}: error: could not be checked: more than 1 MiB to read or decompress (limit reached)"


def test_one_bad_file_does_not_hide_the_others(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad, evil = tmp_path / "a.pkl", tmp_path / "b.pkl"
    bad.write_bytes(b"\x80\x02\xff")
    evil.write_bytes(pickle.dumps(Payload(canary)))
    code, out, err = run(capsys, str(bad), str(evil))
    assert code == 3
    assert len(out) == 1 and out[0].startswith(f"{evil}:1:1: {RULE} ")
    assert err[0].startswith(f"{bad}: error: could not be checked: ")


# -- output, recognition, policy -------------------------------------------------------------
def test_json_output(tmp_path: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(torch_zip({"x": Payload(canary)}))
    code, out, _ = run(capsys, "--format", "json", str(path))
    (finding,) = json.loads("\n".join(out))["findings"]
    assert code == 1
    assert (finding["rule_id"], finding["category"], finding["severity"]) == (RULE, "pickle-files", "error")
    assert "archive/data.pkl imports posix.system" in finding["message"]


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("checkpoint", b"PK\x03\x04rest", "artifact"),
        ("weights.pth.tar", b"\x80\x02}q\x00.", "artifact"),
        ("features", b"\x93NUMPY\x01\x00", "artifact"),
        ("blob", b"\x1f\x8b\x08\x00", "artifact"),
        ("exploit", b"cos\nsystem\n(S'id'\ntR.", "artifact"),
        ("notes", b"just text\n", "artifact"),  # text that starts like a pickle: the hook parses it
        ("notes.md", b"just text\n", None),
        ("notes", b"# just text\n", None),
        ("image.png", b"\x89PNG\r\n\x1a\n", None),
    ],
)
def test_classify_by_content(tmp_path: Path, name: str, data: bytes, kind: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert classify(str(path)) == kind


@pytest.mark.parametrize(
    ("module", "name", "level"),
    [
        ("posix", "system", DANGEROUS), ("os.path", "join", DANGEROUS), ("somelib", "os.system", DANGEROUS),
        ("builtins", "eval", DANGEROUS), ("__builtin__", "getattr", DANGEROUS), ("cPickle", "loads", DANGEROUS),
        ("torch", "load", DANGEROUS), ("numpy", "load", DANGEROUS), ("collections", "OrderedDict.__class__", DANGEROUS),
        ("collections", "OrderedDict", SAFE), ("torch._utils", "_rebuild_tensor_v2", SAFE),
        ("torch._utils", "_rebuild_parameter", SAFE), ("torch", "FloatStorage", SAFE), ("torch", "bfloat16", SAFE),
        ("numpy.core.multiarray", "_reconstruct", SAFE), ("numpy._core.multiarray", "scalar", SAFE),
        ("numpy", "dtype", SAFE), ("joblib.numpy_pickle", "NumpyArrayWrapper", SAFE),
        ("sklearn.linear_model._logistic", "LogisticRegression", SAFE), ("sklearn.tree._tree", "Tree", SAFE),
        ("copyreg", "_reconstructor", SAFE), ("copyreg", "__newobj__", SAFE), ("builtins", "set", SAFE),
        ("torch.nn.modules.linear", "Linear", UNKNOWN), ("scipy.sparse._csr", "csr_matrix", SAFE),
        ("__main__", "Net", UNKNOWN), ("sklearn.utils", "deprecated", UNKNOWN), ("functools", "partial", UNKNOWN),
        ("collections", "OrderedDict.fromkeys", UNKNOWN), ("pathlib", "PosixPath", SAFE),
        ("pathlib", "PosixPath.touch", DANGEROUS), ("pathlib", "Path.write_text", DANGEROUS),
        ("uuid", "_get_command_stdout", DANGEROUS), ("imp", "load_source", DANGEROUS),
        ("site", "addsitedir", DANGEROUS), ("unittest", "main", DANGEROUS), ("py_compile", "compile", DANGEROUS),
        ("torch._dynamo.guards", "GuardBuilder", DANGEROUS), ("torch.jit", "load", DANGEROUS),
        ("torch.utils.cpp_extension", "load_inline", DANGEROUS), ("numpy.core", "_ufunc_reconstruct", DANGEROUS),
        ("zoneinfo", "ZoneInfo._unpickle", SAFE), ("pandas.core.frame", "DataFrame.eval", UNKNOWN),
        ("systemd", "x", UNKNOWN), ("osmnx", "graph", UNKNOWN),
    ],
)
def test_policy(module: str, name: str, level: str) -> None:
    assert judge(module, name).level == level


def test_payload_would_run_if_loaded(canary: str) -> None:
    """The canary is meaningful: the payload is a real os.system call that creates it."""
    func, args = Payload(canary).__reduce__()
    assert func is os.system and args == (f"touch {canary}",)


def test_scan_finds_a_checkpoint_without_extension(in_tmp: Path, canary: str, capsys: pytest.CaptureFixture[str]) -> None:
    from mlhygiene import cli

    (in_tmp / "runs").mkdir()
    (in_tmp / "runs" / "last").write_bytes(torch_zip({"x": Payload(canary)}))
    (in_tmp / "runs" / "notes.md").write_text("# notes\n")
    code = cli.main(["scan", "--only", "pickle-files", "--no-cache", "."])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [line.split(" (offset")[0] for line in out] == [
        f"runs/last:1:1: {RULE} archive/data.pkl imports posix.system (os.system)"
    ]
