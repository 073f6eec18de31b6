"""Reading a file to fix and writing it back: atomically, and only if nobody changed it since."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from typing import NamedTuple


class WriteError(Exception):
    """The fixed file could not be written; the message says why."""


class Snapshot(NamedTuple):
    """A file as it was read: its bytes, and the size, mtime and hash that say it is unchanged."""

    path: str
    data: bytes
    size: int
    mtime_ns: int
    sha256: str
    mode: int


def stat_key(path: str) -> tuple[int, int] | None:
    """(size, mtime) of ``path``, or None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def read(path: str) -> Snapshot:
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except OSError as exc:
        raise WriteError(f"cannot read ({exc.strerror or exc})") from None
    return Snapshot(path, data, st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest(), st.st_mode)


def unchanged(snapshot: Snapshot) -> bool:
    """Whether the file on disk is still exactly what ``snapshot`` read."""
    try:
        now = read(snapshot.path)
    except WriteError:
        return False
    return (now.size, now.mtime_ns, now.sha256) == (snapshot.size, snapshot.mtime_ns, snapshot.sha256)


def write(snapshot: Snapshot, data: bytes) -> None:
    """Replace the file by ``data`` (temporary file in the same folder, then ``os.replace``),
    refused when the file changed since ``snapshot`` was read."""
    target = os.path.realpath(snapshot.path)  # a symlink stays a symlink to the fixed file
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(snapshot.path)}.", suffix=".mlhygiene", dir=folder
        )
    except OSError as exc:
        raise WriteError(f"cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, snapshot.mode & 0o7777)
        if not unchanged(snapshot):
            raise WriteError("changed since it was read; not written (run the fix again)")
        os.replace(tmp, target)
    except OSError as exc:
        raise WriteError(f"cannot write ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
