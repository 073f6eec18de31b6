"""Keras model configs that run code when the model is loaded: ``Lambda`` layers (marshalled
Python bytecode) and objects from modules outside Keras (custom layers, functions).

Read from a ``.keras`` zip (``config.json``) or a legacy HDF5 model (the ``model_config``
attribute, through h5py when it is installed: ``pip install mlhygiene[h5]``). Nothing is
deserialized but JSON.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

MAX_CONFIG = 64 << 20  # bytes of a config.json / model_config
MAX_NODES = 1_000_000  # JSON values walked
LAMBDA_CLASSES = frozenset({"Lambda", "__lambda__"})
KERAS_MODULES = ("keras.", "tensorflow.keras", "tensorflow.python.keras", "tf_keras", "keras_")
LAMBDA_FUNCTION = "a lambda function (Python bytecode)"
_KERAS_ZIP_MEMBERS = frozenset({"metadata.json", "model.weights.h5", "model.weights.npz"})


class BadConfig(Exception):
    """A config that is not JSON or too big: could not be checked."""


class NoReader(Exception):
    """h5py is not installed."""


def is_keras_zip(name: str, members: set[str]) -> bool:
    keras_name = name.lower().endswith(".keras")
    return "config.json" in members and (keras_name or bool(members & _KERAS_ZIP_MEMBERS))


def keras_module(module: str) -> bool:
    return module == "keras" or module.startswith(KERAS_MODULES)


def unsafe(data: bytes | str) -> list[str]:
    """What in a Keras model config runs code when the model is loaded (one line each)."""
    try:
        config = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise BadConfig(f"a Keras config that is not JSON ({type(exc).__name__})") from None
    found: list[str] = []
    for node in _dicts(config):
        what = _judge(node)
        if what and what not in found:
            found.append(what)
    if any(what.startswith("a Lambda layer") for what in found):  # its function: said already
        found = [what for what in found if what != LAMBDA_FUNCTION]
    return found


def _dicts(config: Any) -> Iterator[dict[str, Any]]:
    todo, seen = [config], 0
    while todo:
        value = todo.pop()
        seen += 1
        if seen > MAX_NODES:
            raise BadConfig(f"a Keras config with more than {MAX_NODES} values (limit reached)")
        if isinstance(value, dict):
            yield value
            todo.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            todo.extend(reversed(value))


def _name(node: dict[str, Any]) -> str:
    config = node.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    return f" '{name}'" if isinstance(name, str) else ""


def _judge(node: dict[str, Any]) -> str | None:
    cls = node.get("class_name")
    if cls == "Lambda":
        return f"a Lambda layer{_name(node)} (its function is Python bytecode)"
    if cls == "__lambda__" or node.get("function_type") == "lambda":
        return LAMBDA_FUNCTION
    module = node.get("module")
    label = cls if isinstance(cls, str) else "an object"
    if isinstance(module, str) and not keras_module(module):
        return f"{label}{_name(node)} from module {module}"
    registered = node.get("registered_name")
    if isinstance(registered, str) and ">" in registered and not keras_module(registered.split(">")[0]):
        return f"{label}{_name(node)} registered as {registered}"
    return None


def h5_model_config(path: str) -> str | None:
    """The ``model_config`` attribute of an HDF5 file (None: not a Keras model)."""
    try:
        h5py: Any = importlib.import_module("h5py")
    except ImportError:
        raise NoReader from None
    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get("model_config")
    except (OSError, ValueError, KeyError) as exc:
        raise BadConfig(f"cannot be read as HDF5 ({type(exc).__name__}: {exc})") from None
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    raise BadConfig("a model_config attribute that is not text")


def mentions_model_config(path: str) -> bool:
    """Without h5py: does the file name a ``model_config`` attribute anywhere?"""
    needle = b"model_config"
    tail = b""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return False
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle):]
