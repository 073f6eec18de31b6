"""Which imported callables a pickle may name: dangerous, known-safe ML types, or unknown.

A reference is the ``(module, name)`` pair that ``GLOBAL``/``STACK_GLOBAL``/``INST`` hand to
``find_class``. Dangerous entries are dotted paths: a path matches itself and everything
under it (``os`` covers ``os.system`` and ``os.path.join``), also when reached as an
attribute of another module (``somelib`` + ``os.system``). Python 2 names are mapped as
the unpickler maps them (``__builtin__`` -> ``builtins``, ``commands`` -> ``subprocess``).
"""

from __future__ import annotations

import fnmatch
import re
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from importlib import resources
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
            # from the picklescan / modelscan / fickling advisories of 2024-2026
            "uuid._get_command_stdout", "uuid._popen", "platform._syscmd_ver", "platform.popen",
            "imp", "site", "unittest", "py_compile", "compileall", "lib2to3", "test.support",
            "torch._dynamo", "torch._inductor", "torch._C", "torch.ops", "torch._ops",
            "torch.distributed", "torch.multiprocessing", "torch.testing", "torch.compiler",
            "torch.export", "torch.fx", "torch.utils.collect_env", "torch.utils.bottleneck",
            "torch._export", "torch.serialization._load", "transformers.dynamic_module_utils",
            "keras.models.load_model", "keras.saving", "tensorflow", "cffi", "_xxsubinterpreters",
            "_interpreters", "_thread", "threading", "concurrent", "atexit", "sysconfig._main",
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
            "numpy.loadtxt", "numpy.genfromtxt", "numpy.tofile", "numpy.lib.format.open_memmap",
            "linecache", "glob", "fileinput", "filecmp", "mmap", "pandas.read_csv", "pandas.read_json",
            "pandas.read_excel", "pandas.read_parquet", "pandas.read_feather", "pandas.read_hdf",
            "pandas.read_sql", "pandas.read_html", "pandas.read_xml", "pandas.io",
            *(f"pathlib.{cls}.{method}" for cls in ("Path", "PosixPath", "WindowsPath") for method in (
                "touch", "write_text", "write_bytes", "read_text", "read_bytes", "open", "unlink",
                "rmdir", "mkdir", "rename", "replace", "symlink_to", "hardlink_to", "link_to",
                "chmod", "lchmod", "iterdir", "glob", "rglob", "walk", "expanduser", "home", "cwd",
            )),
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
            "pandas.io.pickle", "yaml", "numpy.core._ufunc_reconstruct",
            "numpy._core._ufunc_reconstruct", "numpy.lib.format.read_array", "jsonpickle",
            "torch.storage._load_from_file", "huggingface_hub",
        ),
        _LOADS,
    ),
}

# Called by the nested load torch writes for storages pickled with plain pickle; the bytes
# argument is itself checked (see machine.NESTED_LOADERS), so the reference alone is fine.
NESTED_SAFE = frozenset({"torch.storage._load_from_bytes"})

# torch cannot be installed to record what it writes (see scripts/build_pickle_allowlist.py):
# these are the names torch.save writes for tensors, parameters, storages and dtypes, the
# set torch.load(weights_only=True) accepts (torch/_weights_only_unpickler.py). Whole
# nn.Module objects are not on it, as they are not on torch's.
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
_TORCH_REBUILD = (
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
    "_rebuild_nested_tensor", "_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage",
    "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_cpu_tensor",
)
TORCH_SAFE = frozenset(
    {
        *(f"torch.{n}" for n in _TORCH_TYPES),
        *(f"torch._utils.{n}" for n in _TORCH_REBUILD),
        "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch._tensor.Tensor",
        "torch._tensor._rebuild_from_type", "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter", "torch.nn.parameter.UninitializedParameter",
        "torch.serialization._get_layout",
    }
)
# Names older library versions write (numpy < 2, joblib's compat wrappers, protocol-2 builtins).
OLDER_SAFE = frozenset(
    {
        *(f"builtins.{n}" for n in ("dict", "tuple", "bytes", "str", "int", "float", "bool")),
        "copyreg.__newobj__", "copyreg.__newobj_ex__", "codecs.encode",
        "numpy.core.multiarray._reconstruct", "numpy.core.multiarray.scalar",
        "numpy.core.numeric._frombuffer", "joblib.numpy_pickle_compat.NDArrayWrapper",
        "joblib.numpy_pickle_compat.ZNDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    }
)


def _recorded() -> frozenset[str]:
    """The globals scripts/build_pickle_allowlist.py recorded from real artifacts."""
    text = resources.files("mlhygiene").joinpath("data/pickle_safe_globals.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


SAFE_PATHS = _recorded() | TORCH_SAFE | OLDER_SAFE | NESTED_SAFE
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


def allowed_by(path: str, allowed: tuple[str, ...]) -> bool:
    """A user's allow entry: a glob (``ourlab.models.*``), or a dotted path and what is under it."""
    for entry in allowed:
        if any(c in entry for c in "*?["):
            if fnmatch.fnmatchcase(path, entry):
                return True
        elif path == entry.rstrip(".") or path.startswith(entry.rstrip(".") + "."):
            return True
    return False


def judge(module: str, name: str, allowed: tuple[str, ...] = ()) -> Verdict:
    """Is importing ``name`` from ``module`` dangerous, known-safe, or unknown?"""
    module, name = py3_name(module, name)
    path = f"{module}.{name}"
    dunders = [s for s in name.split(".") if _DUNDER.match(s)]
    if dunders and path not in _DUNDER_OK:
        return Verdict(DANGEROUS, path, f"reaches {dunders[0]} and through it any object")
    reason = _danger(module, name)
    if reason is not None:
        return Verdict(DANGEROUS, path, reason)
    return Verdict(SAFE if path in SAFE_PATHS or allowed_by(path, allowed) else UNKNOWN, path)
