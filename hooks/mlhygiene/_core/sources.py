"""Load files into `Source`s: scripts, notebooks, dependency files, config text, artifacts."""

from __future__ import annotations

import io
import os
import re
import tokenize
from pathlib import PurePath

from mlhygiene._core.notebook import NotebookError, parse_error, read_notebook, split_lines
from mlhygiene._core.records import Source, Unit

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

SCRIPT_SUFFIXES = frozenset({".py", ".pyw", ".pyi"})
CONFIG_SUFFIXES = frozenset(
    {
        ".json",
        ".yaml",
        ".yml",
        ".toml",
        ".cfg",
        ".ini",
        ".txt",
        ".env",
        ".conf",
        ".properties",
        ".netrc",
        ".sh",
        ".bash",
        ".zsh",
        ".r",
        ".sql",
    }
)
CONFIG_NAMES = frozenset({".env", ".netrc", ".pypirc", "credentials", "kaggle.json", "Dockerfile"})
ARTIFACT_SUFFIXES = frozenset(
    {
        ".pkl",
        ".pickle",
        ".joblib",
        ".dill",
        ".pt",
        ".pth",
        ".bin",
        ".ckpt",
        ".npy",
        ".npz",
        ".sav",
        ".model",
        ".p",
        ".pkl.gz",
        ".pkl.bz2",
        ".pkl.xz",
        ".pickle.gz",
        ".joblib.gz",
        ".joblib.xz",
        ".joblib.bz2",
        ".joblib.z",
        ".joblib.lzma",
        ".keras",
        ".h5",
        ".hdf5",
        ".7z",
    }
)
# What an artifact starts with when its name does not say so (a checkpoint named `model` or
# `weights.pth.tar`): zip, .npy, gzip/bz2/xz/lzma/zlib, pickle protocol 2-5, a protocol-0
# GLOBAL; a tar (legacy PyTorch) is recognised by "ustar" at offset 257.
# Pickles are recognised after harmless leading opcodes (MARK/POP, FRAME, PROTO, NONE/POP…),
# a binary head that starts with any pickle opcode, and a text head that names a global
# (protocol 0 GLOBAL/INST lines) anywhere in its first 4 KiB; the hook then decides by parsing.
ARTIFACT_MAGIC = re.compile(
    rb"(?:\(0|\(1|N0|\)0|\]0|\}0|\x880|\x890|\x95[\s\S]{8}|\x80[\x00-\x05])*"
    rb"(?:PK\x03\x04|PK\x05\x06|\x93NUMPY|\x1f\x8b|BZh\d|\xfd7zXZ\x00|\x5d\x00\x00|x[\x01\x9c\xda]"
    rb"|\x80[\x00-\x05]|\x95|[ci][\w.]+\n[\w.]+\n|\x89HDF\r\n\x1a\n|7z\xbc\xaf\x27\x1c|Rar!\x1a\x07"
    rb"|\x28\xb5\x2f\xfd)"
)
DOCUMENT_SUFFIXES = frozenset(
    {
        ".md", ".rst", ".csv", ".tsv", ".html", ".htm", ".css", ".js", ".ts", ".tex", ".xml", ".svg",
        ".log", ".c", ".h", ".cpp", ".hpp", ".java", ".go", ".rs", ".rb", ".jl", ".m", ".lua", ".scala",
        ".kt", ".swift", ".php", ".pl", ".bib", ".sty", ".cls", ".tsx", ".jsx", ".vue", ".lock", ".in",
    }
)
_GLOBAL_LINE = re.compile(rb"[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")
_PNG = b"\x89PNG\r\n\x1a\n"  # NEWTRUE, then PERSID: no unpickler without persistent_load gets further
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
# the first byte of every pickle opcode (pickletools.opcodes)
_OPCODE_BYTES = frozenset(
    b"().012BCFGIJKLMNPQRSTUVX]abcdeghijlopqrstu}" + bytes(range(0x80, 0x99))
)
_REQUIREMENTS = re.compile(r"^(.*[-_.])?(requirements|constraints|requires)([-_.].*)?\.(txt|in|pip)$", re.I)
_ENVIRONMENT = re.compile(r"^(environment|conda|env)([-_.].*)?\.ya?ml$", re.I)


# Data, not configuration: a file of these kinds over max-file-size (a COCO annotations JSON,
# a CSV export, a training log) is skipped with a warning instead of failing the run.
DATA_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".geojson", ".csv", ".tsv", ".txt", ".log", ".xml"})


class SourceError(Exception):
    """A file that cannot be loaded; the message says why (the path is added by the caller)."""


class SkippedData(SourceError):
    """A large data file that is not checked, by the documented rule (a warning, not an error)."""


def classify(path: str) -> str | None:
    """The kind of a file by its name, or None when no check reads it."""
    name = PurePath(path).name
    lower = name.lower()
    suffix = PurePath(lower).suffix
    if suffix in SCRIPT_SUFFIXES:
        return "script"
    if suffix == ".ipynb":
        return "notebook"
    if _REQUIREMENTS.match(name) or (
        PurePath(path).parent.name.lower() == "requirements" and suffix in (".txt", ".in")
    ):
        return "requirements"
    if lower == "pyproject.toml":
        return "pyproject"
    if _ENVIRONMENT.match(name):
        return "environment"
    if any(lower.endswith(ext) for ext in ARTIFACT_SUFFIXES):
        return "artifact"
    if suffix in CONFIG_SUFFIXES or name in CONFIG_NAMES or lower.startswith(".env"):
        return "config"
    if not suffix and _has_python_shebang(path):
        return "script"
    if _has_artifact_magic(path):
        return "artifact"
    return None


def _has_python_shebang(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(256)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def _has_artifact_magic(path: str) -> bool:
    if not os.path.isfile(path):  # never open a FIFO or a device
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if ARTIFACT_MAGIC.match(head) is not None or head[257:262] == b"ustar":
        return True
    if not head[:1] or head[0] not in _OPCODE_BYTES or head.startswith(_PNG):
        return False
    if _BINARY.search(head[:512]) or _GLOBAL_LINE.search(head):
        return True  # a binary file, or text naming a global, that may be a pickle: the hook parses it
    # text that starts with an opcode: a protocol-0 pickle may pad its first import far out
    # (a long string, then POP); documents and code under their usual names are not read
    return PurePath(path).suffix.lower() not in DOCUMENT_SUFFIXES


def _skip_large_data(path: str, max_bytes: int) -> None:
    try:
        size = os.path.getsize(path)
    except OSError:
        return  # read_bytes says why
    if size > max_bytes:
        raise SkippedData(
            f"not checked for credentials: a {size / 1048576:.1f} MB data file (over max-file-size,"
            f" {max_bytes / 1048576:.0f} MB); data files this large are skipped"
        )


def read_bytes(path: str, max_bytes: int) -> bytes:
    try:
        if os.path.isdir(path):
            raise SourceError("is a directory, not a file")
        size = os.path.getsize(path)
        if size > max_bytes:
            raise SourceError(
                f"too large to check ({size / 1048576:.1f} MB > {max_bytes / 1048576:.0f} MB limit;"
                " raise max-file-size or exclude it)"
            )
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise SourceError("file not found (deleted or a broken symlink?)") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(f"cannot read ({exc.strerror or exc})") from None


def decode_python(data: bytes) -> str:
    """Decode Python source as Python does: BOM, PEP 263 coding cookie, else UTF-8."""
    nul = data.find(b"\0")
    if nul != -1:
        raise SourceError(f"binary content (NUL byte at offset {nul}), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "unknown encoding" in exc.msg or "encoding problem" in exc.msg:
            raise SourceError(f"bad encoding declaration ({exc.msg})") from None
        encoding = "utf-8"  # undecodable bytes: let the decoder say where
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding} ({exc})") from None
    return text[1:] if text.startswith("\ufeff") else text


def decode_text(data: bytes) -> str:
    nul = data.find(b"\0")
    if nul != -1:
        raise SourceError(f"binary content (NUL byte at offset {nul}), not a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def normalise_newlines(text: str) -> str:
    return "\n".join(split_lines(text))


def load_source(
    path: str, kind: str, max_bytes: int = DEFAULT_MAX_BYTES, python: bool = True, data: bytes | None = None
) -> Source:
    """Load one file of a known kind; raises SourceError with a one-line reason.

    ``python=False``: no check of this run reads Python units, so notebooks skip the shim.
    ``data``: the file's bytes when the caller has read them already (at most ``max_bytes``).
    """
    if kind == "artifact":
        if not os.path.exists(path):
            raise SourceError("file not found (deleted or a broken symlink?)")
        return Source(path=path, kind=kind, text="")
    if data is None:
        if kind == "config" and PurePath(path.lower()).suffix in DATA_SUFFIXES:
            _skip_large_data(path, max_bytes)
        data = read_bytes(path, max_bytes)
    if kind == "notebook":
        try:
            return read_notebook(path, data, python)
        except NotebookError as exc:
            raise SourceError(str(exc)) from None
    if kind == "script":
        text = normalise_newlines(decode_python(data))
        return Source(path=path, kind=kind, text=text, units=(Unit(text, ()),))
    return Source(path=path, kind=kind, text=normalise_newlines(decode_text(data)))


def parse_problems(source: Source) -> tuple[tuple[int | None, int, str], ...]:
    """Where the Python of a script or notebook does not parse: (cell, line, message)."""
    if source.kind == "script":
        problem = parse_error(source.text)
        return () if problem is None else ((None, problem[0], problem[1]),)
    return source.parse_errors
