"""Find every pickle stream in an artifact, by content: raw or stacked pickles, zip archives
(PyTorch checkpoints, ``.npz``), ``.npy`` object arrays, joblib files, gzip/bz2/xz/lzma/zlib
streams, and legacy PyTorch tar checkpoints. Each stream goes to the opcode walk in
``machine``; nothing is ever unpickled.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any, NamedTuple

from mlhygiene._pickle.arrays import npy_has_object
from mlhygiene._pickle.machine import Malformed, Walk, walk
from mlhygiene._pickle.stream import COMPRESSORS, Budget, Opener, Stream, Unreadable, decompressing
from mlhygiene._pickle.values import Global, Ref

MAX_NESTING = 4  # containers inside containers (zip in zip, gzip in zip, nested torch.load)
MAX_STACKED = 1000  # pickles one after another in one stream
MAX_RECORDS = 1_000_000  # storages/tensors of a legacy torch tar
TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of torch's legacy (pre-zip) format
TORCH_LEGACY_PICKLES = 5  # magic, protocol version, sys_info, the object, storage keys
PICKLE_MEMBERS = (".pkl", ".pickle", ".joblib", ".dill", ".p")
SNIFFED_MEMBERS = frozenset({"", ".bin", ".pt", ".pth", ".ckpt", ".data", ".npy", ".sav", ".model"})
STORAGE_SIZES = {  # legacy torch storage class -> element size in bytes
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
    "BoolStorage": 1, "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8,
    "QInt8Storage": 1, "QUInt8Storage": 1, "QInt32Storage": 4, "QUInt4x2Storage": 1,
    "QUInt2x4Storage": 1,
}
_PROTOCOL_2_PLUS = re.compile(rb"\x80[\x02-\x05]")
_PICKLE_START = re.compile(
    rb"\x80[\x00-\x05]|c[\w.]+\n[\w.]+\n|\((?:dp\d|lp\d|t|i[\w.]+\n|c[\w.]+\n)|[}\]](?:q|\x94|\(|\.)"
)
_TORCH_TAR_MEMBERS = frozenset({"sys_info", "pickle", "storages", "tensors"})


# What reading a damaged file, archive or compressed stream raises (ValueError: zipfile,
# tarfile and the decompressors on bad data; RuntimeError: an encrypted zip member).
READ_ERRORS = (
    Unreadable, OSError, EOFError, ValueError, RuntimeError, NotImplementedError,
    zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError,
)


class Input(NamedTuple):
    """Something to check: how to open it (again), and how to read it."""

    open: Opener
    metered: bool = False  # decompressed output: counts against the file's budget
    size: int | None = None  # its known length (skips can seek)
    guessed: bool = False  # a decompression tried on magic bytes alone: failing is no problem


class Hit(NamedTuple):
    """A reference found in the stream ``label`` names (``""``: the file itself)."""

    label: str
    ref: Ref
    tentative: bool = False  # from a stream that may not be a pickle at all: only dangerous counts


class Report(NamedTuple):
    hits: list[Hit]
    problems: list[str]  # why (part of) the file could not be checked


def detect(head: bytes) -> str | None:
    """What a stream is, from its first bytes (512 are enough)."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    if head[257:262] == b"ustar" and (_first_member(head) in _TORCH_TAR_MEMBERS or head[156:157] in b"xg"):
        return "tar"  # legacy torch (its members), or a pax header first: tar() looks further
    if _PICKLE_START.match(head):
        return "pickle"
    return None


def _first_member(head: bytes) -> str:
    return head[:100].split(b"\0", 1)[0].decode("latin-1")


def _label(outer: str, inner: str) -> str:
    return f"{outer} > {inner}" if outer else inner


class Scanner:
    """One file's scan: collects hits and problems; ``budget`` bounds what it reads."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self.hits: list[Hit] = []
        self.problems: list[str] = []

    def report(self) -> Report:
        return Report(self.hits, self.problems)

    def problem(self, label: str, message: str) -> None:
        self.problems.append(f"{label}: {message}" if label else message)

    def stream(self, fh: IO[bytes], source: Input) -> Stream:
        return Stream(fh, self.budget if source.metered else None, source.size)

    def content(
        self, source: Input, label: str, depth: int, *, assume_pickle: bool, sniffed: bool = False
    ) -> None:
        """Check what ``source`` holds, recognised by content.

        ``assume_pickle``: the name promises a pickle, so unrecognised content is read as one.
        ``sniffed``: a zip member we look into only because it might be a pickle; a stream
        there that does not parse is not a problem (only dangerous references count).
        """
        if depth > MAX_NESTING:
            self.problem(label, f"containers nested more than {MAX_NESTING} deep")
            return
        try:
            with source.open() as fh:
                head = fh.read(512)
        except READ_ERRORS as exc:
            if not source.guessed:
                self.problem(label, _reason(exc))
            return
        kind = detect(head) or ("pickle" if assume_pickle and head else None)
        try:
            if kind in COMPRESSORS:
                inner = Input(decompressing(source.open, kind), metered=True, guessed=not assume_pickle)
                self.content(inner, label, depth + 1, assume_pickle=assume_pickle, sniffed=sniffed)
            elif kind == "pickle":
                tentative = sniffed or (not assume_pickle and not _PROTOCOL_2_PLUS.match(head))
                self.pickles(source, label, depth, tentative=tentative)
            elif kind is not None:
                CONTAINERS[kind](self, source, label, depth)
        except READ_ERRORS as exc:
            self.problem(label, _reason(exc))

    # -- pickle streams ------------------------------------------------------------------
    def pickles(self, source: Input, label: str, depth: int, *, tentative: bool = False) -> None:
        """One pickle, or several stacked (torch's legacy format, repeated pickle.dump)."""
        with source.open() as fh:
            arrays = self.stacked(self.stream(fh, source), label, depth, tentative)
        if arrays:
            self.plain_walk(source, label)

    def stacked(self, stream: Stream, label: str, depth: int, tentative: bool) -> int:
        arrays, count, legacy = 0, 0, False
        while True:
            result = self.one(stream, label, depth, tentative)
            if result is None:
                return arrays
            arrays += result.joblib_arrays
            count += 1
            legacy = legacy or (count == 1 and result.value == TORCH_MAGIC)
            if legacy and count == TORCH_LEGACY_PICKLES:
                return arrays
            nxt = stream.peek(2)
            if legacy and not nxt:
                self.problem(label, "truncated legacy PyTorch file (fewer than 5 pickles)")
                return arrays
            if count >= MAX_STACKED or not (legacy or _PROTOCOL_2_PLUS.match(nxt)):
                return arrays

    def one(self, stream: Stream, label: str, depth: int, tentative: bool = False) -> Walk | None:
        """Walk one pickle; record its references; None when it is malformed."""
        try:
            result = walk(stream)
        except Malformed as exc:
            self.record(label, exc.partial, tentative=True)
            if not tentative:
                self.problem(label, str(exc) if exc.limit else f"malformed pickle ({exc})")
            return None
        self.record(label, result, tentative)
        for offset, data in result.nested:
            inner = _label(label, f"torch.storage._load_from_bytes at offset {offset}")
            self.content(_bytes_input(data), inner, depth + 1, assume_pickle=True)
        for note in result.unchecked:
            self.problem(label, note)
        return result

    def record(self, label: str, result: Walk, tentative: bool) -> None:
        self.hits += [Hit(label, ref, tentative) for ref in result.refs]

    def plain_walk(self, source: Input, label: str) -> None:
        """A joblib file read by plain ``pickle.load`` runs the array bytes as opcodes: look."""
        with source.open() as fh:
            try:
                result = walk(self.stream(fh, source), joblib=False)
            except Malformed as exc:
                result = exc.partial
            except Unreadable:
                return
        self.record(label, result, tentative=True)

    # -- containers ----------------------------------------------------------------------
    def zip(self, source: Input, label: str, depth: int) -> None:
        with source.open() as fh, zipfile.ZipFile(fh) as archive:
            for info in archive.infolist():
                name = info.filename
                lower = name.lower()
                suffix = lower[lower.rfind("."):] if "." in lower.rsplit("/", 1)[-1] else ""
                if info.is_dir() or not (lower.endswith(PICKLE_MEMBERS) or suffix in SNIFFED_MEMBERS):
                    continue
                named = lower.endswith(PICKLE_MEMBERS)
                self.content(
                    _member_input(archive, info), _label(label, name), depth + 1,
                    assume_pickle=named, sniffed=not named,
                )

    def npy(self, source: Input, label: str, depth: int) -> None:
        with source.open() as fh:
            stream = self.stream(fh, source)
            has_object = npy_has_object(stream)
            if has_object is None:
                self.problem(label, "malformed .npy header")
            elif has_object:  # np.save pickles object arrays right after the header
                self.one(stream, label, depth)

    def tar(self, source: Input, label: str, depth: int) -> None:
        """A legacy PyTorch tar checkpoint: every pickle torch.load reads from it."""
        with source.open() as fh, tarfile.open(fileobj=fh, mode="r:") as archive:
            for member in archive:
                if member.name not in _TORCH_TAR_MEMBERS or not member.isfile():
                    continue
                inner = _label(label, member.name)
                extracted = archive.extractfile(member)
                if extracted is None:
                    continue
                with extracted:
                    stream = Stream(extracted, self.budget if source.metered else None, member.size)
                    if member.name in ("storages", "tensors"):
                        self.records(stream, inner, depth, member.name)
                    else:
                        self.stacked(stream, inner, depth, tentative=False)

    def records(self, stream: Stream, label: str, depth: int, kind: str) -> None:
        count = self.one(stream, label, depth)
        if count is None:
            return
        if not isinstance(count.value, int) or not 0 <= count.value <= MAX_RECORDS:
            self.problem(label, f"unexpected record count in legacy PyTorch {kind}")
            return
        for _ in range(count.value):
            record = self.one(stream, label, depth)
            if record is None:
                return
            if kind == "tensors":
                ndim = int.from_bytes(stream.exact(4, "tensor header"), "little", signed=True)
                stream.skip(4 + 16 * max(ndim, 0) + 8, "tensor header")
                continue
            size = _storage_size(record.value)
            if size is None:
                self.problem(label, "unrecognised storage record in legacy PyTorch storages")
                return
            numel = int.from_bytes(stream.exact(8, "storage size"), "little", signed=True)
            stream.skip(max(numel, 0) * size, "storage data")
        if kind == "storages":
            self.one(stream, label, depth)  # the storage views


CONTAINERS: dict[str, Callable[[Scanner, Input, str, int], None]] = {
    "zip": Scanner.zip,
    "npy": Scanner.npy,
    "tar": Scanner.tar,
}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, Unreadable):
        return str(exc)
    return f"cannot be read ({type(exc).__name__}: {exc})"


def _storage_size(value: Any) -> int | None:
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], Global):
        return STORAGE_SIZES.get(value[2].name)
    return None


def _file_opener(path: str) -> Opener:
    def open_() -> IO[bytes]:
        return open(path, "rb")

    return open_


def _bytes_input(data: bytes) -> Input:
    return Input(lambda: io.BytesIO(data), size=len(data))


def _member_input(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Input:
    def open_() -> IO[bytes]:
        return archive.open(info)

    return Input(open_, metered=info.compress_type != zipfile.ZIP_STORED, size=info.file_size)


def scan_file(path: str, *, assume_pickle: bool, budget: Budget | None = None) -> Report:
    """Every reference every pickle stream in the file at ``path`` makes."""
    scanner = Scanner(budget)
    source = Input(_file_opener(path), size=os.path.getsize(path))
    scanner.content(source, "", 0, assume_pickle=assume_pickle)
    return scanner.report()
