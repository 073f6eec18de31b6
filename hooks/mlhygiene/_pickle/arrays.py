"""Array layouts read without numpy: joblib's array wrappers and ``.npy`` headers."""

from __future__ import annotations

import ast
import math
import re
from typing import Any

from mlhygiene._pickle.stream import Stream
from mlhygiene._pickle.values import OPAQUE, Call, Dict

MAX_NPY_HEADER = 1 << 16
_DTYPE_SIZE = re.compile(r"[<>|=]?[a-zA-Z?](\d+)")


def joblib_layout(state: Any) -> tuple[int, bool, bool] | None:
    """(data bytes, has objects, aligned) of a joblib NumpyArrayWrapper's state, if plain data."""
    if not isinstance(state, Dict):
        return None
    shape, dtype = state.get("shape"), state.get("dtype")
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        return None
    if not (isinstance(dtype, Call) and isinstance(dtype.args, tuple) and dtype.args):
        return None
    typestr = dtype.args[0]
    if not isinstance(typestr, str):
        return None
    has_object = typestr.lstrip("<>|=").startswith("O") or dtype_flags(dtype) & 1 == 1
    itemsize = dtype_elsize(dtype)
    match = _DTYPE_SIZE.fullmatch(typestr)
    if itemsize is None and match:
        itemsize = int(match.group(1))
    if itemsize is None and not has_object:
        return None
    aligned = state.get("numpy_array_alignment_bytes") not in (None, OPAQUE)
    return math.prod(shape) * (itemsize or 0), has_object, aligned


def _dtype_state(dtype: Call) -> tuple[Any, ...]:
    return dtype.state if isinstance(dtype.state, tuple) else ()


def dtype_elsize(dtype: Call) -> int | None:
    state = _dtype_state(dtype)
    size = state[5] if len(state) > 5 else None
    return size if isinstance(size, int) and size >= 0 else None


def dtype_flags(dtype: Call) -> int:
    state = _dtype_state(dtype)
    flags = state[7] if len(state) > 7 else 0
    return flags if isinstance(flags, int) else 0


def npy_has_object(stream: Stream) -> bool | None:
    """Whether a .npy file's dtype holds Python objects (then a pickle follows); None if malformed."""
    magic = stream.exact(8, ".npy header")
    width = {1: 2, 2: 4, 3: 4}.get(magic[6])
    if width is None:
        return None
    length = int.from_bytes(stream.exact(width, ".npy header"), "little")
    if length > MAX_NPY_HEADER:
        return None
    text = stream.exact(length, ".npy header").decode("utf-8" if magic[6] == 3 else "latin-1", "replace")
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    return _descr_has_object(header.get("descr", OPAQUE))


def _descr_has_object(descr: Any, depth: int = 0) -> bool | None:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list) and depth < 32:
        found = False
        for field in descr:
            if not (isinstance(field, tuple) and len(field) >= 2):
                return None
            inner = _descr_has_object(field[1], depth + 1)
            if inner is None:
                return None
            found = found or inner
        return found
    return None
