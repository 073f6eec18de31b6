"""The published pickle-scanner bypasses, rebuilt as bytes (hand-assembled opcodes; never by
pickling or loading a malicious object). Shared by the tests and bench/pickle_scanners.py.

Each ``Case`` is one artifact: its file name, how to build it from a canary path (the
command the payload would run creates that file), and what the hook must report (rule id
and the name it imports) — or ``None`` for a near miss that must pass.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import pickle
import tarfile
import zipfile
from collections.abc import Callable
from typing import NamedTuple

DANGEROUS = "pickle-dangerous-global"
UNKNOWN = "pickle-unknown-global"
KERAS = "keras-unsafe-layer"


class Case(NamedTuple):
    id: str
    name: str  # the file name
    build: Callable[[str], bytes]  # canary path -> content
    rule: str | None  # None: a near miss, must pass
    target: str = ""  # the dotted name (or Keras text) the finding names


# -- opcode assembly --------------------------------------------------------------------------
def _unicode(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def stack_global(module: str, name: str) -> bytes:
    return _unicode(module) + _unicode(name) + b"\x93"


def call(module: str, name: str, *args: str, protocol: int = 4) -> bytes:
    """A whole pickle: ``module.name(*args)`` (string arguments)."""
    if protocol == 0:
        body = f"c{module}\n{name}\n(".encode() + b"".join(f"V{a}\n".encode() for a in args) + b"tR."
        return body
    if protocol == 2:
        head = f"c{module}\n{name}\n".encode()
        return b"\x80\x02" + head + b"(" + b"".join(_unicode(a) for a in args) + b"tR."
    body = stack_global(module, name) + b"(" + b"".join(_unicode(a) for a in args) + b"tR."
    return b"\x80\x04\x95" + len(body).to_bytes(8, "little") + body


def system(canary: str, protocol: int = 4) -> bytes:
    return call("posix", "system", f"touch {canary}", protocol=protocol)


def computed_names(canary: str) -> bytes:
    """STACK_GLOBAL on names ``_codecs.encode(..., "rot13")`` computes at load time (os.system)."""
    rot13 = _unicode("rot13")
    body = (
        stack_global("_codecs", "encode") + b"\x94"
        + _unicode("bf") + rot13 + b"\x86R"  # "os"
        + b"h\x00" + _unicode("flfgrz") + rot13 + b"\x86R"  # "system"
        + b"\x93" + _unicode(f"touch {canary}") + b"\x85R."
    )
    return b"\x80\x04" + body


def latin1_bytes() -> bytes:
    """How protocol 2 writes bytes: ``_codecs.encode("\xff", "latin1")`` (benign)."""
    return pickle.dumps({"blob": b"\xff\x00abc"}, protocol=2)


def ext_opcode(code: int = 1, width: int = 1) -> bytes:
    """EXT1/EXT2/EXT4: a global only the loading process's copyreg registry resolves, called."""
    op = {1: b"\x82", 2: b"\x83", 4: b"\x84"}[width]
    return b"\x80\x02" + op + code.to_bytes(width, "little") + b")R."


def method_of_safe_class(canary: str) -> bytes:
    """``pathlib.PosixPath.touch(PosixPath(canary))``: a method reached through an allowed class."""
    body = (
        stack_global("pathlib", "PosixPath.touch")
        + stack_global("pathlib", "PosixPath") + _unicode(canary) + b"\x85R"
        + b"\x85R."
    )
    return b"\x80\x04" + body


# -- containers -------------------------------------------------------------------------------
def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_of(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def seven_zip(payload: bytes) -> bytes:
    """A 7z signature header and an (unreadable to us) body: never a pass."""
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24) + payload


def keras_zip(config: dict[str, object]) -> bytes:
    return zip_of(
        {
            "metadata.json": json.dumps({"keras_version": "3.6.0", "date_saved": "2025-01-01"}).encode(),
            "config.json": json.dumps(config).encode(),
            "model.weights.h5": b"\x89HDF\r\n\x1a\n" + bytes(64),
        }
    )


def keras_model(*layers: dict[str, object]) -> dict[str, object]:
    return {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "sequential", "layers": list(layers)},
    }


def dense(name: str = "dense") -> dict[str, object]:
    return {
        "module": "keras.layers", "class_name": "Dense", "registered_name": None,
        "config": {"name": name, "units": 4, "activation": "relu"},
    }


def lambda_layer(canary: str) -> dict[str, object]:
    return {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {
            "code": f"base64 bytecode for touch {canary}", "defaults": None, "closure": None}}},
    }


def custom_layer() -> dict[str, object]:
    return {
        "module": "ourlab.layers", "class_name": "Gate", "registered_name": "ourlab>Gate",
        "config": {"name": "gate"},
    }


# -- the cases --------------------------------------------------------------------------------
def _adv(id_: str, module: str, name: str, *args: str) -> Case:
    return Case(id_, f"{id_}.pkl", lambda c: call(module, name, *args, f"touch {c}"), DANGEROUS, f"{module}.{name}")


CASES: list[Case] = [
    # 1. callables on no deny list before
    _adv("uuid-get-command-stdout", "uuid", "_get_command_stdout", "sh", "-c"),
    _adv("imp-load-source", "imp", "load_source", "m"),
    _adv("site-addsitedir", "site", "addsitedir"),
    _adv("unittest-main", "unittest", "main"),
    _adv("py-compile", "py_compile", "compile"),
    _adv("torch-dynamo", "torch._dynamo.convert_frame", "compile_frame"),
    _adv("torch-cpp-extension", "torch.utils.cpp_extension", "load_inline", "x"),
    _adv("torch-jit-load", "torch.jit", "load"),
    Case("method-of-safe-class", "touch.pkl", method_of_safe_class, DANGEROUS, "pathlib.PosixPath.touch"),
    Case("never-listed-callable", "model.pkl", lambda c: call("ourlab.tools", "run", f"touch {c}"), UNKNOWN,
         "ourlab.tools.run"),
    Case("near-uuid", "ids.pkl", lambda c: pickle.dumps({"id": __import__("uuid").UUID(int=7)}), None),
    Case("near-path", "paths.pkl", lambda c: pickle.dumps([__import__("pathlib").PosixPath(c)]), None),
    # 2. content, not names; leading no-op opcodes
    Case("ckpt-mark-pop", "last.ckpt", lambda c: b"(0" + system(c, 0), DANGEROUS, "posix.system"),
    Case("sav-none-pop", "model.sav", lambda c: b"N0" + system(c, 4), DANGEROUS, "posix.system"),
    Case("model-int-pop", "clf.model", lambda c: b"I1\n0" + system(c, 0), DANGEROUS, "posix.system"),
    Case("data-string-pop", "train.data", lambda c: b"\x8c\x03abc0" + system(c, 2)[2:], DANGEROUS, "posix.system"),
    Case("no-extension-frame", "weights", lambda c: system(c, 4)[2:], DANGEROUS, "posix.system"),
    Case("unknown-in-bin", "pytorch_model.bin", lambda c: b"(0" + call("ourlab.tools", "run", c, protocol=0),
         UNKNOWN, "ourlab.tools.run"),
    Case("near-ckpt-state", "last.ckpt", lambda c: pickle.dumps({"epoch": 3, "lr": 0.1}, protocol=0), None),
    Case("near-text-data", "train.data", lambda c: b"1,2,3\n4,5,6\n", None),
    Case("near-pth-paths", "extra.pth", lambda c: b"/opt/site\nimport site\n", None),
    # every stream in a file
    Case("second-stream-p0", "model.pkl", lambda c: pickle.dumps({"a": 1}, 0) + system(c, 0), DANGEROUS,
         "posix.system"),
    Case("second-stream-unknown", "model.pkl",
         lambda c: pickle.dumps([1, 2], 4) + call("ourlab.tools", "run", c), UNKNOWN, "ourlab.tools.run"),
    Case("third-stream-bin", "w.bin", lambda c: pickle.dumps(1, 2) * 2 + system(c, 2), DANGEROUS, "posix.system"),
    Case("near-trailing-zeros", "model.pkl", lambda c: pickle.dumps({"a": 1}, 4) + bytes(16), None),
    # computed names, EXT
    Case("computed-names", "pytorch_model.bin", computed_names, UNKNOWN, "<computed>.<computed>"),
    Case("ext1", "model.pkl", lambda c: ext_opcode(1, 1), UNKNOWN, "extension code"),
    Case("ext2-no-extension", "state", lambda c: ext_opcode(513, 2), UNKNOWN, "extension code"),
    Case("ext4", "model.pkl", lambda c: ext_opcode(70000, 4), UNKNOWN, "extension code"),
    Case("near-latin1-bytes", "blob.pkl", lambda c: latin1_bytes(), None),
    # 3. containers
    Case("tar", "bundle.tar", lambda c: tar_of({"run/weights.bin": system(c)}), DANGEROUS, "posix.system"),
    Case("tar-gz", "bundle.tar.gz", lambda c: tar_of({"a.txt": b"x", "m/model": system(c)}, "w:gz"), DANGEROUS,
         "posix.system"),
    Case("tar-bz2", "bundle.tbz", lambda c: tar_of({"m.pkl": system(c, 0)}, "w:bz2"), DANGEROUS, "posix.system"),
    Case("tar-xz", "bundle.tar.xz", lambda c: tar_of({"m.ckpt": system(c, 2)}, "w:xz"), DANGEROUS, "posix.system"),
    Case("zip-in-tar-gz", "runs.tgz", lambda c: tar_of({"ckpt.zip": zip_of({"x/data.pkl": system(c)})}, "w:gz"),
         DANGEROUS, "posix.system"),
    Case("tar-in-zip", "bundle.zip", lambda c: zip_of({"inner.tar": tar_of({"w": system(c)})}), DANGEROUS,
         "posix.system"),
    Case("zip-any-member", "weights.zip", lambda c: zip_of({"weights/part-0": system(c)}), DANGEROUS,
         "posix.system"),
    Case("gzip-bz2-xz", "model.gz", lambda c: gzip.compress(bz2.compress(lzma.compress(system(c)))), DANGEROUS,
         "posix.system"),
    Case("7z", "model.7z", lambda c: seven_zip(system(c)), "could not be checked", "7z"),
    Case("near-tar-of-text", "docs.tar.gz", lambda c: tar_of({"a.md": b"# hi\n", "b.csv": b"1,2\n"}, "w:gz"), None),
    # 4. Keras
    Case("keras-lambda", "model.keras", lambda c: keras_zip(keras_model(dense(), lambda_layer(c))), KERAS,
         "a Lambda layer 'evil'"),
    Case("keras-custom-module", "model.keras", lambda c: keras_zip(keras_model(custom_layer())), KERAS,
         "Gate 'gate' from module ourlab.layers"),
    Case("near-keras-dense", "model.keras", lambda c: keras_zip(keras_model(dense(), dense("out"))), None),
]
