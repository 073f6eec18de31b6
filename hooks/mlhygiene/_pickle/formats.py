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
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any, NamedTuple

from mlhygiene._pickle import keras
from mlhygiene._pickle.arrays import npy_has_object
from mlhygiene._pickle.machine import OPCODES, Malformed, Walk, walk
from mlhygiene._pickle.stream import (
    CHUNK,
    COMPRESSORS,
    Budget,
    Opener,
    Stream,
    Unreadable,
    decompressing,
)
from mlhygiene._pickle.values import BUILD_NOTE, Global, Ref

MAX_NESTING = 5  # containers inside containers (zip in tar.gz, gzip in zip, nested torch.load)
MAX_MEMBERS = 10_000  # archive members per checked file, all archives together
MAX_STACKED = 1000  # pickles one after another in one stream
MAX_RECORDS = 1_000_000  # storages/tensors of a legacy torch tar
TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of torch's legacy (pre-zip) format
TORCH_LEGACY_PICKLES = 5  # magic, protocol version, sys_info, the object, storage keys
PICKLE_MEMBERS = (".pkl", ".pickle", ".joblib", ".dill", ".p")
STORAGE_SIZES = {  # legacy torch storage class -> element size in bytes
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
    "BoolStorage": 1, "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8,
    "QInt8Storage": 1, "QUInt8Storage": 1, "QInt32Storage": 4, "QUInt4x2Storage": 1,
    "QUInt2x4Storage": 1,
}
_TORCH_TAR_MEMBERS = frozenset({"sys_info", "pickle", "storages", "tensors"})
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_USERBLOCK = 1 << 30  # where an HDF5 superblock may start after a user block
NOT_READ = {  # formats recognised but not read: "could not be checked", never a pass
    b"7z\xbc\xaf\x27\x1c": "7z archives are not read",
    b"Rar!\x1a\x07": "RAR archives are not read",
    b"\x28\xb5\x2f\xfd": "zstd streams are not read",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


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
    path: str | None = None  # a file on disk (random access is cheap)
    name: str = ""  # the file or member name


class Hit(NamedTuple):
    """A reference found in the stream ``label`` names (``""``: the file itself)."""

    label: str
    ref: Ref


class Report(NamedTuple):
    hits: list[Hit]
    problems: list[str]  # why (part of) the file could not be checked
    keras: list[tuple[str, str]]  # (label, what) of Keras configs that run code when loaded


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
    if head[257:262] == b"ustar":
        return "tar"
    if head.startswith(HDF5_MAGIC):
        return "hdf5"
    if head.startswith(tuple(NOT_READ)):
        return "unsupported"
    if head and head[0] in OPCODES:
        return "pickle"  # perhaps: a stream that does not parse is no pickle (see Scanner.one)
    return None


def is_text(head: bytes) -> bool:
    """Cheap: UTF-8 without control characters but whitespace (a .pth path file, a .bin of text)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            return False
        text = head[: exc.start].decode("utf-8")
    return _CONTROL.search(text) is None


def _label(outer: str, inner: str) -> str:
    return f"{outer} > {inner}" if outer else inner


class Scanner:
    """One file's scan: collects hits and problems; ``budget`` bounds what it reads."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self.hits: list[Hit] = []
        self.problems: list[str] = []
        self.keras: list[tuple[str, str]] = []
        self.members = 0
        self.spooled: list[str] = []  # temporary copies, removed by close()

    def report(self) -> Report:
        return Report(self.hits, self.problems, self.keras)

    def close(self) -> None:
        for path in self.spooled:
            os.unlink(path)
        self.spooled.clear()

    def problem(self, label: str, message: str) -> None:
        self.problems.append(f"{label}: {message}" if label else message)

    def stream(self, fh: IO[bytes], source: Input) -> Stream:
        return Stream(fh, self.budget if source.metered else None, source.size)

    def content(self, source: Input, label: str, depth: int, *, assume_pickle: bool) -> None:
        """Check what ``source`` holds, recognised by content.

        ``assume_pickle``: the name promises a pickle, so a stream that does not parse is a
        problem; otherwise it is simply not a pickle (only what it would call counts).
        """
        if depth > MAX_NESTING:
            self.problem(label, f"containers nested more than {MAX_NESTING} deep (limit reached)")
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
                inner = Input(
                    decompressing(source.open, kind), metered=True, guessed=not assume_pickle,
                    name=_strip_compression(source.name),
                )
                self.content(inner, label, depth + 1, assume_pickle=assume_pickle)
            elif kind == "pickle":
                self.pickles(source, label, depth, named=assume_pickle, text=is_text(head))
            elif kind == "unsupported":
                message = next(m for magic, m in NOT_READ.items() if head.startswith(magic))
                self.problem(label, f"{message}: extract it and commit what it holds, or exclude it")
            elif kind is not None:
                CONTAINERS[kind](self, source, label, depth)
        except READ_ERRORS as exc:
            self.problem(label, _reason(exc))

    # -- pickle streams ------------------------------------------------------------------
    def pickles(self, source: Input, label: str, depth: int, *, named: bool, text: bool) -> None:
        """One pickle, or several stacked (torch's legacy format, repeated pickle.dump)."""
        with source.open() as fh:
            arrays = self.stacked(self.stream(fh, source), label, depth, named=named, text=text)
        if arrays:
            self.plain_walk(source, label)

    def stacked(self, stream: Stream, label: str, depth: int, *, named: bool, text: bool = False) -> int:
        """Every stream up to the end: a second ``pickle.load`` on the file runs the next one."""
        arrays, count, legacy = 0, 0, False
        while True:
            result = self.one(stream, label, depth, named=named and count == 0, text=text)
            if result is None:
                return arrays
            arrays += result.joblib_arrays
            count += 1
            legacy = legacy or (count == 1 and result.value == TORCH_MAGIC)
            if legacy and count == TORCH_LEGACY_PICKLES:
                return arrays  # the raw storage data follows
            nxt = stream.peek(1)
            if legacy and not nxt:
                self.problem(label, "truncated legacy PyTorch file (fewer than 5 pickles)")
                return arrays
            if not nxt or (nxt[0] not in OPCODES and not legacy):
                return arrays  # the end, or data pickle.load stops at before running anything
            if count >= MAX_STACKED:
                self.problem(label, f"more than {MAX_STACKED} pickles one after another (limit reached)")
                return arrays

    def one(
        self, stream: Stream, label: str, depth: int, *, named: bool = True, text: bool = False
    ) -> Walk | None:
        """Walk one pickle; record its references; None when it is malformed.

        A stream that does not parse is a problem when the name promises a pickle, unless it
        is text that names nothing importable (a ``.pth`` file of paths); otherwise it may be
        no pickle at all, and only the calls it would make before the unpickler fails count.
        """
        try:
            result = walk(stream)
        except Malformed as exc:
            plain_text = text and not exc.limit and not any(r.importable() for r in exc.partial.refs)
            if named and not plain_text:
                self.record(label, exc.partial.refs)
                self.problem(label, str(exc) if exc.limit else f"malformed pickle ({exc})")
            else:
                called = exc.partial.called
                self.record(label, [
                    r for r in exc.partial.refs
                    if r.note == BUILD_NOTE or (r.importable() and Global(r.module, r.name) in called)
                ])
            return None
        self.record(label, result.refs)
        for offset, data in result.nested:
            inner = _label(label, f"torch.storage._load_from_bytes at offset {offset}")
            self.content(_bytes_input(data), inner, depth + 1, assume_pickle=True)
        for note in result.unchecked:
            self.problem(label, note)
        return result

    def record(self, label: str, refs: list[Ref]) -> None:
        self.hits += [Hit(label, ref) for ref in refs]

    def plain_walk(self, source: Input, label: str) -> None:
        """A joblib file read by plain ``pickle.load`` runs the array bytes as opcodes: look."""
        with source.open() as fh:
            try:
                result = walk(self.stream(fh, source), joblib=False)
            except Malformed as exc:
                result = exc.partial
            except Unreadable:
                return
        called = result.called
        self.record(label, [r for r in result.refs if r.importable() and Global(r.module, r.name) in called])

    # -- containers ----------------------------------------------------------------------
    def count_members(self, label: str, n: int = 1) -> bool:
        self.members += n
        if self.members > MAX_MEMBERS:
            self.problem(label, f"more than {MAX_MEMBERS} archive members (limit reached)")
            return False
        return True

    def on_disk(self, source: Input) -> Input:
        """``source`` as a file with cheap random access: a copy when it is not one already."""
        if source.path is not None:
            return source
        handle, path = tempfile.mkstemp(prefix="mlhygiene-")
        self.spooled.append(path)
        with os.fdopen(handle, "wb") as out, source.open() as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                self.budget.spend(len(chunk))
                out.write(chunk)
        return Input(_file_opener(path), size=os.path.getsize(path), path=path, name=source.name)

    def zip(self, source: Input, label: str, depth: int) -> None:
        source = self.on_disk(source)
        with source.open() as fh, zipfile.ZipFile(fh) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            if not self.count_members(label, len(infos)):
                return
            expanded = sum(i.file_size for i in infos if i.compress_type != zipfile.ZIP_STORED)
            if expanded > self.budget.left:
                self.problem(label, f"expands to more than {self.budget.limit >> 20} MiB (limit reached)")
                return
            names = {info.filename for info in infos}
            if keras.is_keras_zip(source.name, names):
                self.keras_zip(archive, label)
            for info in infos:
                name = info.filename
                self.content(
                    _member_input(archive, info), _label(label, name), depth + 1,
                    assume_pickle=name.lower().endswith(PICKLE_MEMBERS),
                )

    def keras_zip(self, archive: zipfile.ZipFile, label: str) -> None:
        info = archive.getinfo("config.json")
        if info.file_size > keras.MAX_CONFIG:
            self.problem(_label(label, "config.json"), "a Keras config over 64 MiB (limit reached)")
            return
        with archive.open(info) as fh:
            data = fh.read(keras.MAX_CONFIG + 1)
        self.budget.spend(len(data))
        self.keras_config(data, _label(label, "config.json"))

    def keras_config(self, data: bytes | str, label: str) -> None:
        try:
            found = keras.unsafe(data)
        except keras.BadConfig as exc:
            self.problem(label, str(exc))
            return
        self.keras += [(label, what) for what in found]

    def hdf5(self, source: Input, label: str, depth: int) -> None:
        """A legacy Keras model (``model.save("m.h5")``): its ``model_config`` attribute.

        Weights files (``*.weights.h5``, as in a ``.keras`` zip) are read by ``load_weights``,
        which never looks at a model config: nothing there runs code.
        """
        if source.name.lower().endswith(".weights.h5"):
            return
        source = self.on_disk(source)
        assert source.path is not None
        try:
            config = keras.h5_model_config(source.path)
        except keras.NoReader:
            if keras.mentions_model_config(source.path):
                self.problem(label, "a Keras model in HDF5: install mlhygiene[h5] (h5py) to check it")
            return
        except keras.BadConfig as exc:
            self.problem(label, str(exc))
            return
        if config is not None:
            self.keras_config(config, _label(label, "model_config"))

    def npy(self, source: Input, label: str, depth: int) -> None:
        with source.open() as fh:
            stream = self.stream(fh, source)
            has_object = npy_has_object(stream)
            if has_object is None:
                self.problem(label, "malformed .npy header")
            elif has_object:  # np.save pickles object arrays right after the header
                self.stacked(stream, label, depth, named=True)

    def tar(self, source: Input, label: str, depth: int) -> None:
        """Every member of a tar (a legacy PyTorch checkpoint: every pickle torch.load reads)."""
        seekable = source.path is not None
        with source.open() as fh, tarfile.open(fileobj=fh, mode="r:" if seekable else "r|") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                if not self.count_members(label):
                    return
                inner = _label(label, member.name)
                extracted = archive.extractfile(member)
                if extracted is None:
                    continue
                with extracted:
                    if member.name in _TORCH_TAR_MEMBERS:
                        stream = Stream(extracted, self.budget if source.metered else None, member.size)
                        if member.name in ("storages", "tensors"):
                            self.records(stream, inner, depth, member.name)
                        else:
                            self.stacked(stream, inner, depth, named=True)
                        continue
                    named = member.name.lower().endswith(PICKLE_MEMBERS)
                    if seekable:
                        self.content(_tar_input(archive, member, source.metered), inner, depth + 1,
                                     assume_pickle=named)
                        continue
                    head = extracted.read(512)
                    self.budget.spend(len(head))
                    if detect(head) is None and not named:
                        continue
                    copy = _Prefixed(head, extracted)
                    spooled = self.on_disk(Input(lambda copy=copy: copy, name=member.name))  # type: ignore[misc]
                    self.content(spooled, inner, depth + 1, assume_pickle=named)

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
    "hdf5": Scanner.hdf5,
}


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``raw``: a tar member read once, in stream order."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._head[: len(buffer)] if self._head else self._raw.read(len(buffer))
        self._head = self._head[len(data):] if self._head else b""
        buffer[: len(data)] = data
        return len(data)


def _hdf5_after_userblock(path: str) -> bool:
    """An HDF5 superblock after a user block (at 512, 1024, 2048, ... bytes), not at 0."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            offset = 512
            while offset + len(HDF5_MAGIC) <= size and offset <= MAX_USERBLOCK:
                fh.seek(offset)
                if fh.read(len(HDF5_MAGIC)) == HDF5_MAGIC:
                    return True
                offset *= 2
    except OSError:
        return False
    return False


def _zip_appended(path: str) -> bool:
    """A zip that ``zipfile.ZipFile(path)`` opens but which does not start the file (a polyglot).

    Bytes that only look like an end record (a zip held inside a pickle's bytes) do not count:
    what zipfile cannot open, nothing loads as a zip either.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06"):
                return False
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
        return True
    except READ_ERRORS:
        return False


def _strip_compression(name: str) -> str:
    for suffix in (".gz", ".bz2", ".xz", ".lzma", ".z", ".zlib"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _tar_input(archive: tarfile.TarFile, member: tarfile.TarInfo, metered: bool) -> Input:
    def open_() -> IO[bytes]:
        extracted = archive.extractfile(member)
        if extracted is None:  # pragma: no cover - regular files always extract
            raise Unreadable(f"cannot read tar member {member.name}")
        return extracted

    return Input(open_, metered=metered, size=member.size, name=member.name)


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

    return Input(
        open_, metered=info.compress_type != zipfile.ZIP_STORED, size=info.file_size, name=info.filename
    )


def scan_file(path: str, *, assume_pickle: bool, budget: Budget | None = None) -> Report:
    """Every reference every pickle stream in the file at ``path`` makes."""
    scanner = Scanner(budget)
    source = Input(_file_opener(path), size=os.path.getsize(path), path=path, name=os.path.basename(path))
    try:
        scanner.content(source, "", 0, assume_pickle=assume_pickle)
        if _hdf5_after_userblock(path):  # h5py and Keras open these too
            scanner.hdf5(source, "", 0)
        if _zip_appended(path):  # a zip after other data: what zipfile.ZipFile(path) opens
            try:
                scanner.zip(source, "", 0)
            except READ_ERRORS as exc:
                scanner.problem("", _reason(exc))
    finally:
        scanner.close()
    return scanner.report()
