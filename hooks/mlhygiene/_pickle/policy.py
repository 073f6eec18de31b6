"""Which imported callables a pickle may name: dangerous, known-safe ML types, or unknown.

A reference is the ``(module, name)`` pair that ``GLOBAL``/``STACK_GLOBAL``/``INST`` hand to
``find_class``. Dangerous entries are dotted paths: a path matches itself and everything
under it (``os`` covers ``os.system`` and ``os.path.join``), also when reached as an
attribute of another module (``somelib`` + ``os.system``). Python 2 names are mapped as
the unpickler maps them (``__builtin__`` -> ``builtins``, ``commands`` -> ``subprocess``).
"""

from __future__ import annotations

import re
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from typing import NamedTuple

DANGEROUS, SAFE, UNKNOWN = "dangerous", "safe", "unknown"

_RUNS = "runs commands or code"
_FILES = "reads, writes or deletes files"
_NET = "opens network connections"
_LOADS = "deserializes more data with a code-executing loader"
_ATTR = "reaches arbitrary attributes and so any function"

DANGEROUS_PATHS: dict[str, str] = {
    **dict.fromkeys(
        (
            "os", "posix", "nt", "subprocess", "_posixsubprocess", "_winapi", "pty", "commands",
            "popen2", "runpy", "code", "codeop", "pdb", "bdb", "trace", "profile", "cProfile",
            "timeit", "pydoc", "doctest", "idlelib", "ctypes", "_ctypes", "multiprocessing",
            "_multiprocessing", "asyncio", "sys", "webbrowser", "pip", "ensurepip", "venv",
            "setuptools", "distutils", "IPython", "ipykernel", "builtins.eval", "builtins.exec",
            "builtins.compile", "builtins.breakpoint", "builtins.input", "builtins.exit",
            "builtins.quit", "builtins.help", "types.CodeType", "types.FunctionType",
            "types.LambdaType", "types.MethodType", "dill", "cloudpickle", "logging.config",
            "torch.jit", "torch.package", "torch.utils.cpp_extension", "torch.hub",
            "torch._C._jit_run_code", "numpy.testing", "numpy.f2py", "numpy.distutils",
            "numpy.ctypeslib", "pandas.eval", "pandas.core.computation", "signal", "gc",
            "inspect",
        ),
        _RUNS,
    ),
    **dict.fromkeys(
        (
            "importlib", "_imp", "pkgutil", "zipimport", "builtins.__import__",
        ),
        "imports any module",
    ),
    **dict.fromkeys(
        (
            "builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.globals",
            "builtins.locals", "builtins.vars", "operator.attrgetter", "operator.methodcaller",
            "_operator.attrgetter", "_operator.methodcaller",
        ),
        _ATTR,
    ),
    **dict.fromkeys(
        (
            "builtins.open", "io.open", "io.FileIO", "_io.open", "_io.FileIO", "codecs.open",
            "shutil", "tempfile", "gzip.open", "gzip.GzipFile", "bz2.open", "bz2.BZ2File",
            "lzma.open", "lzma.LZMAFile", "zipfile", "tarfile", "shelve", "dbm", "sqlite3",
            "numpy.save", "numpy.savez", "numpy.savetxt", "numpy.memmap", "numpy.fromfile",
        ),
        _FILES,
    ),
    **dict.fromkeys(
        (
            "socket", "_socket", "socketserver", "ssl", "http", "urllib", "urllib2", "urllib3",
            "requests", "httpx", "ftplib", "smtplib", "telnetlib", "xmlrpc", "imaplib", "poplib",
        ),
        _NET,
    ),
    **dict.fromkeys(
        (
            "pickle", "_pickle", "cPickle", "marshal", "copyreg.add_extension", "joblib.load",
            "joblib.numpy_pickle.load", "torch.load", "torch.serialization.load", "numpy.load",
            "numpy.lib.npyio.load", "numpy.lib._npyio_impl.load", "pandas.read_pickle",
            "pandas.io.pickle", "yaml",
        ),
        _LOADS,
    ),
}

# Called by the nested load torch writes for storages pickled with plain pickle; the bytes
# argument is itself checked (see machine.NESTED_LOADERS), so the reference alone is fine.
NESTED_SAFE = frozenset({"torch.storage._load_from_bytes"})

_TORCH_TYPES = (
    "Size", "device", "dtype", "layout", "memory_format", "strided", "sparse_coo", "sparse_csr",
    "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "contiguous_format", "channels_last",
    "channels_last_3d", "preserve_format", "per_tensor_affine", "per_channel_affine",
    "per_tensor_symmetric", "per_channel_symmetric", "per_channel_affine_float_qparams",
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "float8_e4m3fn",
    "float8_e5m2", "complex32", "complex64", "complex128", "cfloat", "cdouble", "uint8", "int8",
    "int16", "short", "int32", "int", "int64", "long", "bool", "qint8", "quint8", "qint32",
    "quint4x2", "quint2x4", "uint16", "uint32", "uint64", "Tensor", "UntypedStorage",
    "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
    "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
    "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
)

SAFE_PATHS = frozenset(
    {
        *(f"builtins.{n}" for n in (
            "set", "frozenset", "dict", "list", "tuple", "bytearray", "bytes", "str", "int",
            "float", "complex", "bool", "slice", "range", "object", "NoneType", "Ellipsis",
        )),
        "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__",
        "_codecs.encode", "codecs.encode",
        "collections.OrderedDict", "collections.defaultdict", "collections.deque",
        "collections.Counter", "argparse.Namespace", "types.SimpleNamespace",
        "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta",
        "datetime.timezone", "decimal.Decimal", "fractions.Fraction", "uuid.UUID",
        "pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePath",
        "pathlib.PurePosixPath", "pathlib.PureWindowsPath", "re._compile", "enum.Enum",
        *(f"torch.{n}" for n in _TORCH_TYPES),
        "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch._tensor.Tensor",
        "torch._tensor._rebuild_from_type", "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter", "torch.nn.parameter.UninitializedParameter",
        "torch.serialization._get_layout", "torch._utils._rebuild_tensor",
        *(f"{np}.{n}" for np in ("numpy.core.multiarray", "numpy._core.multiarray") for n in (
            "_reconstruct", "scalar",
        )),
        "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer", "numpy.ndarray",
        "numpy.dtype", "numpy.ma.core._mareconstruct", "numpy.ma.core.MaskedArray",
        "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random._pickle.__generator_ctor",
        "joblib.numpy_pickle.NumpyArrayWrapper", "joblib.numpy_pickle_compat.NDArrayWrapper",
        "joblib.numpy_pickle_compat.ZNDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
        *(f"scipy.sparse.{m}.{c}_{k}" for m in ("_csr", "_csc", "_coo", "csr", "csc", "coo")
          for c in (m.strip("_"),) for k in ("matrix", "array")),
        "pandas._libs.internals._unpickle_block", "pandas.core.indexes.base._new_Index",
        "pandas._libs.tslibs.timestamps._unpickle_timestamp",
        "pandas._libs.tslibs.timedeltas._timedelta_unpickle", "pandas.core.internals.blocks.new_block",
        "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked",
    }
)
SAFE_PREFIXES = ("torch._utils._rebuild_",)
# Packages whose classes (CapWords names) only rebuild data when unpickled.
SAFE_CLASS_PACKAGES = (
    "sklearn", "torch.nn.modules", "numpy.dtypes", "numpy.random", "scipy.sparse",
    "pandas.core", "xgboost", "lightgbm", "catboost", "transformers.configuration_utils",
    "transformers.models",
)
_CLASS = re.compile(r"[A-Z][A-Za-z0-9_]*\Z")
_DUNDER = re.compile(r"__\w+__\Z")
_DUNDER_OK = frozenset({"copyreg.__newobj__", "copyreg.__newobj_ex__"})


class Verdict(NamedTuple):
    level: str  # DANGEROUS, SAFE or UNKNOWN
    path: str  # the dotted name as Python 3 resolves it
    reason: str = ""


def py3_name(module: str, name: str) -> tuple[str, str]:
    """The name Python 3's unpickler imports (``fix_imports``)."""
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    return IMPORT_MAPPING.get(module, module), name


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _danger(module: str, name: str) -> str | None:
    candidates = _prefixes(f"{module}.{name}")
    segments = name.split(".")
    for i in range(len(segments)):  # attribute paths: somelib.os.system
        candidates += _prefixes(".".join(segments[i:]))
    for path in candidates:
        if path in DANGEROUS_PATHS:
            return DANGEROUS_PATHS[path]
    return None


def _safe(module: str, name: str, allowed: tuple[str, ...]) -> bool:
    path = f"{module}.{name}"
    if path in SAFE_PATHS or path.startswith(SAFE_PREFIXES):
        return True
    if any(path == a or path.startswith(a.rstrip(".") + ".") for a in allowed):
        return True
    in_package = any(module == p or module.startswith(p + ".") for p in SAFE_CLASS_PACKAGES)
    return in_package and (_CLASS.match(name) is not None or name.startswith("__pyx_unpickle_"))


def judge(module: str, name: str, allowed: tuple[str, ...] = ()) -> Verdict:
    """Is importing ``name`` from ``module`` dangerous, known-safe, or unknown?"""
    module, name = py3_name(module, name)
    path = f"{module}.{name}"
    if path in NESTED_SAFE:
        return Verdict(SAFE, path)
    dunders = [s for s in name.split(".") if _DUNDER.match(s)]
    if dunders and path not in _DUNDER_OK:
        return Verdict(DANGEROUS, path, f"reaches {dunders[0]} and through it any object")
    reason = _danger(module, name)
    if reason is not None:
        return Verdict(DANGEROUS, path, reason)
    return Verdict(SAFE if _safe(module, name, allowed) else UNKNOWN, path)
