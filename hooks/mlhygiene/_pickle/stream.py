"""A bounded, position-tracking byte stream, and the decompressors artifacts come in."""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Callable
from typing import IO, Any, Protocol

MAX_OUTPUT = 1 << 30  # bytes decompressed or read per checked file (1 GiB)
MAX_LINE = 1 << 20  # a protocol-0 argument line
CHUNK = 1 << 20  # reads and decompression steps
READ_AHEAD = 1 << 16  # what the opcode walk buffers beyond what it needs

Opener = Callable[[], IO[bytes]]


class Unreadable(Exception):
    """A stream that cannot be checked: malformed, truncated or over a limit."""


class LimitReached(Unreadable):
    """A stream over one of the size limits: not malformed, just too big to check."""


class Budget:
    """How many more bytes this file's scan may read (shared by every nested stream)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_OUTPUT if limit is None else limit
        self.left = self.limit

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise LimitReached(
                f"more than {self.limit >> 20} MiB to read or decompress (limit reached)"
            )


class Stream:
    """Reads ``raw`` through a buffer, with the offset tracked and every read bounded.

    ``buf[i:]`` is what has been read from ``raw`` but not consumed; ``pos`` is the offset
    in the stream. The opcode walk reads small arguments straight from ``buf``.
    """

    def __init__(self, raw: IO[bytes], budget: Budget | None = None, size: int | None = None) -> None:
        self.raw = raw
        self.budget = budget or Budget(1 << 62)
        self.size = size  # known length: long skips seek instead of reading
        self.buf = b""
        self.i = 0
        self.base = 0  # the offset of buf[0]

    @property
    def pos(self) -> int:
        return self.base + self.i

    def fill(self, n: int) -> bool:
        """Make ``n`` bytes available at ``buf[i:]``; False when the stream ends first."""
        have = len(self.buf) - self.i
        if have >= n:
            return True
        parts = [self.buf[self.i :]]
        while have < n:
            more = self.raw.read(max(n - have, READ_AHEAD))
            if not more:
                break
            self.budget.spend(len(more))
            parts.append(more)
            have += len(more)
        self.base += self.i
        self.buf, self.i = b"".join(parts), 0
        return have >= n

    def read(self, n: int) -> bytes:
        if n < 0:
            raise Unreadable(f"negative length {n} at offset {self.pos}")
        self.fill(n)
        data = self.buf[self.i : self.i + n]
        self.i += len(data)
        return data

    def exact(self, n: int, what: str) -> bytes:
        start = self.pos
        data = self.read(n)
        if len(data) != n:
            raise Unreadable(f"truncated {what} at offset {start}: {len(data)} of {n} bytes")
        return data

    def peek(self, n: int) -> bytes:
        self.fill(n)
        return self.buf[self.i : self.i + n]

    def skip(self, n: int, what: str) -> None:
        start = self.pos
        have = len(self.buf) - self.i
        if n <= have:
            self.i += n
            return
        self.base, self.buf, self.i = start + have, b"", 0  # the buffer is consumed
        left = n - have
        if self.size is not None and self.raw.seekable():
            if start + n > self.size:
                raise Unreadable(f"truncated {what} at offset {start}: {self.size - start} of {n} bytes")
            self.raw.seek(start + n)
            self.base = start + n
            return
        while left > 0:
            got = len(self.raw.read(min(left, CHUNK)))
            if got == 0:
                raise Unreadable(f"truncated {what} at offset {start}: {n - left} of {n} bytes")
            self.budget.spend(got)
            self.base += got
            left -= got

    def readline(self, skip_long: bool = True) -> bytes:
        """One line with its newline; raises ``LineTooLong`` past MAX_LINE (after skipping the
        line when ``skip_long``: a file without newlines is not read to its end otherwise)."""
        start, scanned = self.pos, 0
        while True:
            nl = self.buf.find(b"\n", self.i + scanned, self.i + MAX_LINE + 1)
            if nl != -1:
                line = self.buf[self.i : nl + 1]
                self.i = nl + 1
                return line
            scanned = len(self.buf) - self.i
            if scanned > MAX_LINE:
                break
            if not self.fill(scanned + 1):
                raise Unreadable(f"truncated line at offset {start}")
        if not skip_long:
            raise LineTooLong
        while True:  # too long: skip to its end
            nl = self.buf.find(b"\n", self.i)
            if nl != -1:
                self.i = nl + 1
                raise LineTooLong
            self.skip(len(self.buf) - self.i, "line")
            if not self.fill(1):
                raise Unreadable(f"truncated line at offset {start}")


class LineTooLong(Exception):
    """A protocol-0 line longer than MAX_LINE (already skipped)."""


class _Decompressor(Protocol):  # what zlib/bz2/lzma decompressor objects share
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


class _Decompressed(io.RawIOBase):
    """A raw reader over a decompressor object, at most CHUNK output per input step."""

    def __init__(self, raw: IO[bytes], make: Callable[[], _Decompressor]) -> None:
        self._raw = raw
        self._make = make
        self._dec = make()
        self._in = b""
        self._out = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            if not self._step():
                return 0
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _step(self) -> bool:
        """Decompress one more piece into ``_out``; False at the end of the data."""
        dec = self._dec
        if dec.eof:
            rest = dec.unused_data + self._in or self._raw.read(CHUNK)
            if not rest.strip(b"\0"):
                return False
            self._dec, self._in = self._make(), rest  # concatenated streams (gzip, bz2, xz)
            return True
        if not self._in and getattr(dec, "needs_input", True):
            self._in = self._raw.read(CHUNK)
        data, self._in = self._in, b""
        self._out = dec.decompress(data, CHUNK)
        self._in = getattr(dec, "unconsumed_tail", b"")
        if not data and not self._out and not dec.eof:
            raise Unreadable("truncated compressed stream")
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()


COMPRESSORS: dict[str, Callable[[], _Decompressor]] = {
    "gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    "zlib": lambda: zlib.decompressobj(),
    "bz2": bz2.BZ2Decompressor,
    "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ),
    "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE),
}


def decompressing(opener: Opener, kind: str) -> Opener:
    """An opener of the decompressed content of what ``opener`` opens."""
    make = COMPRESSORS[kind]

    def open_() -> IO[bytes]:
        raw = _Decompressed(opener(), make)
        return io.BufferedReader(raw, CHUNK)

    return open_
