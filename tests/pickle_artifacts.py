"""Build pickle-based artifacts at test time: payloads, PyTorch checkpoints (zip, legacy
stacked, legacy tar) written the way torch writes them, without torch installed.

A ``Payload`` would create its canary file when unpickled; tests assert it never exists.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import sys
import tarfile
import types
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

TORCH_MAGIC = 0x1950A86A20F9469CFC6C


class Payload:
    """``__reduce__`` returning ``os.system``: loading it runs ``touch <canary>``."""

    def __init__(self, canary: str) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.canary}",))


class ImportPayload:
    """``importlib.import_module('os')``: the first step of a getattr chain."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (importlib.import_module, ("os",))


class FakeStorage:
    """Pickles as a persistent id, like a torch storage inside ``torch.save``."""

    def __init__(self, key: str, numel: int) -> None:
        self.key = key
        self.numel = numel


class FakeTensor:
    """Pickles as ``torch._utils._rebuild_tensor_v2(storage, ...)``, as torch.Tensor does."""

    def __init__(self, key: str, numel: int, *extra: Any) -> None:
        self.storage = FakeStorage(key, numel)
        self.extra = extra

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2  # type: ignore[attr-defined]
        n = self.storage.numel
        return (rebuild, (self.storage, 0, (n,), (1,), False, OrderedDict(), *self.extra))


class FakeBytesStorage:
    """Pickles as ``torch.storage._load_from_bytes(<a torch.save of it>)`` (plain pickle of a tensor)."""

    def __init__(self, saved: bytes) -> None:
        self.saved = saved

    def __reduce__(self) -> tuple[Any, ...]:
        return (sys.modules["torch.storage"]._load_from_bytes, (self.saved,))  # type: ignore[attr-defined]


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr, value in attrs.items():
        if callable(value):
            value.__module__ = name
            value.__qualname__ = attr
        setattr(module, attr, value)
    return module


def _unused(*args: Any) -> None:
    raise AssertionError("never called: only pickled by reference")


@contextmanager
def fake_torch() -> Iterator[None]:
    """``torch``, ``torch._utils``, ``torch.storage`` stand-ins, so pickle can name them."""
    storage_type = type("FloatStorage", (), {"__module__": "torch"})
    modules = {
        "torch": _module("torch", FloatStorage=storage_type),
        "torch._utils": _module("torch._utils", _rebuild_tensor_v2=lambda *a: _unused(*a)),
        "torch.storage": _module("torch.storage", _load_from_bytes=lambda *a: _unused(*a)),
    }
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _torch_pickle(obj: Any, protocol: int = 2) -> tuple[bytes, dict[str, bytes]]:
    storages: dict[str, bytes] = {}

    class TorchPickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            if isinstance(obj, FakeStorage):
                storages[obj.key] = b"\0" * 4 * obj.numel
                return ("storage", sys.modules["torch"].FloatStorage, obj.key, "cpu", obj.numel)
            return None

    buffer = io.BytesIO()
    with fake_torch():
        TorchPickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue(), storages


def torch_zip(obj: Any, prefix: str = "archive") -> bytes:
    """``torch.save(obj)`` (zip format, torch >= 1.6): data.pkl plus raw storages."""
    data, storages = _torch_pickle(obj)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{prefix}/data.pkl", data)
        archive.writestr(f"{prefix}/byteorder", "little")
        for key, raw in storages.items():
            archive.writestr(f"{prefix}/data/{key}", raw)
        archive.writestr(f"{prefix}/version", "3\n")
        archive.writestr(f"{prefix}/.data/serialization_id", "1234567890")
    return buffer.getvalue()


def torch_legacy(obj: Any) -> bytes:
    """``torch.save(obj, _use_new_zipfile_serialization=False)``: five stacked pickles + raw data."""
    data, storages = _torch_pickle(obj)
    head = b"".join(
        pickle.dumps(v, protocol=2)
        for v in (TORCH_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True})
    )
    keys = pickle.dumps(sorted(storages), protocol=2)
    raw = b"".join(len(v).to_bytes(8, "little") + v for _, v in sorted(storages.items()))
    return head + data + keys + raw


def torch_tar(main: Any, storage_key: Any = "0", mtime: float = 0) -> bytes:
    """The tar checkpoint of torch < 0.4: sys_info, storages, tensors, pickle."""
    with fake_torch():
        float_storage = sys.modules["torch"].FloatStorage
        storages = (
            pickle.dumps(1, protocol=2)
            + pickle.dumps((storage_key, "cpu", float_storage), protocol=2)
            + (3).to_bytes(8, "little") + b"\0" * 12
            + pickle.dumps([], protocol=2)
        )
        tensors = (
            pickle.dumps(1, protocol=2)
            + pickle.dumps(("t0", "0", float_storage), protocol=2)
            + (1).to_bytes(4, "little") + b"\0" * 4 + (3).to_bytes(8, "little")
            + (1).to_bytes(8, "little") + (0).to_bytes(8, "little")
        )
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1001}, protocol=2),
        "storages": storages,
        "tensors": tensors,
        "pickle": pickle.dumps(main, protocol=2),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:", format=tarfile.PAX_FORMAT) as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = mtime  # a float one makes tarfile write a pax header first
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def plain_tensor_pickle(inner_checkpoint: bytes, protocol: int = 2) -> bytes:
    """``pickle.dumps(tensor)``: a rebuild call whose storage is a nested ``torch.load`` of bytes."""
    with fake_torch():
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2

        class Tensor:
            def __reduce__(self) -> tuple[Any, ...]:
                return (rebuild, (FakeBytesStorage(inner_checkpoint), 0, (3,), (1,), False, OrderedDict()))

        return pickle.dumps({"weight": Tensor()}, protocol=protocol)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    """``mlhygiene-pickle-files`` in-process: exit code, stdout lines, stderr lines."""
    from mlhygiene import pickle_files

    code = pickle_files.main(list(args))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()
