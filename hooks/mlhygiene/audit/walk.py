"""What an audit reads: repositories found by ``.git``, their files, and (``--history``) every
blob reachable from any ref, read through ``git cat-file`` without a checkout.

Each file or blob becomes an :class:`Occurrence`; identical contents share a sha256, so the
engine checks each content once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from mlhygiene._core.sources import classify
from mlhygiene.cli import SKIP_DIRS

CHUNK = 1 << 20


class Occurrence(NamedTuple):
    """One place a content was seen: a file of a repository's tree, or a blob of its history."""

    repo: str  # the repository's folder as found ("" for files outside any repository)
    path: str  # inside the repository, with "/"
    commit: str  # the commit that introduced it ("" for a file of the current tree)
    blob: str  # the git object id for a history blob, else ""
    in_tree: bool
    sha256: str
    size: int
    kind: str


class Unreadable(NamedTuple):
    repo: str
    path: str
    message: str


def is_repo(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, ".git"))


def _skip_dir(folder: str, name: str) -> bool:
    return (
        name in SKIP_DIRS
        or name.endswith(".egg-info")
        or os.path.isfile(os.path.join(folder, name, "pyvenv.cfg"))
    )


def _repo_of(top: str) -> str:
    """The repository holding ``top`` (its nearest folder with ``.git``), else ""."""
    folder = os.path.abspath(top)
    while True:
        if is_repo(folder):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return ""
        folder = parent


def tree_files(paths: Sequence[str], skip: Sequence[str] = ()) -> Iterator[tuple[str, str, str]]:
    """(repository, path inside it, file path) of every file some check reads, in a fixed order.

    Every ``.git`` found is one repository; a file belongs to the innermost one. The folders
    in ``skip`` (the audit's own results) are not entered.
    """
    skipped = {os.path.abspath(folder) for folder in skip}
    for top in paths:
        if not os.path.isdir(top):
            if classify(top) is not None:
                repo = _repo_of(os.path.dirname(top) or ".")
                yield _label(repo), _inside(top, repo), os.path.normpath(top)
            continue
        roots = [_repo_of(top)]
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(
                d
                for d in dirs
                if not _skip_dir(folder, d) and os.path.abspath(os.path.join(folder, d)) not in skipped
            )
            absolute = os.path.abspath(folder)
            while roots[-1] and not (absolute + os.sep).startswith(roots[-1] + os.sep):
                roots.pop()
            if is_repo(folder) and roots[-1] != absolute:
                roots.append(absolute)
            repo = roots[-1]
            for name in sorted(files):
                path = os.path.join(folder, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                if classify(path) is not None:
                    yield _label(repo), _inside(path, repo), os.path.normpath(path)


def _label(repo: str) -> str:
    if not repo:
        return ""
    rel = os.path.relpath(repo)
    return repo if rel.startswith("..") else rel


def _inside(path: str, repo: str) -> str:
    base = repo or os.getcwd()
    rel = os.path.relpath(os.path.abspath(path), base)
    return (path if rel.startswith("..") else rel).replace(os.sep, "/")


def repositories(paths: Sequence[str]) -> list[str]:
    """The folder of every repository under ``paths`` (for ``--history``), in a fixed order."""
    found: dict[str, None] = {}
    for top in paths:
        if not os.path.isdir(top):
            continue
        outer = _repo_of(top)
        if outer:
            found[outer] = None
        for folder, dirs, _ in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not _skip_dir(folder, d))
            if is_repo(folder):
                found[os.path.abspath(folder)] = None
    return list(found)


def hash_file(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _git(repo: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["git", "-C", repo, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def introductions(repo: str) -> dict[str, tuple[str, str]]:
    """Blob id -> (commit, path) of the first commit (oldest first) that added or changed a path to it.

    Blobs reachable from a ref but never seen in a commit's diff (a tag on a tree) get no commit.
    """
    log = subprocess.run(
        [
            "git",
            "-C",
            repo,
            "log",
            "--all",
            "--reverse",
            "--topo-order",
            "--root",
            "-m",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--format=commit %H",
            "-z",
        ],
        capture_output=True,
        check=False,
    )
    first: dict[str, tuple[str, str]] = {}
    commit = ""
    fields = log.stdout.split(b"\0")
    i = 0
    while i < len(fields):
        field = fields[i].lstrip(b"\n")
        if field.startswith(b"commit "):
            commit = field[7:].decode("ascii", "replace")
            i += 1
            continue
        if field.startswith(b":") and i + 1 < len(fields):
            meta = field[1:].split()
            path = os.fsdecode(fields[i + 1])
            i += 2
            if len(meta) >= 5 and meta[4][:1] in (b"A", b"M", b"T") and meta[1] != b"160000":
                first.setdefault(meta[3].decode("ascii"), (commit, path))
            continue
        i += 1
    return first


def history_blobs(repo: str) -> Iterator[tuple[str, str, str]]:
    """(blob id, commit, path) of every blob reachable from any ref whose path some check reads."""
    listing = subprocess.run(
        ["git", "-C", repo, "rev-list", "--objects", "--all"], capture_output=True, check=False
    )
    paths: dict[str, str] = {}
    for line in listing.stdout.splitlines():
        name, _, at = line.partition(b" ")
        if at:
            paths.setdefault(name.decode("ascii"), os.fsdecode(at))
    if not paths:
        return
    check = _git(repo, "cat-file", "--batch-check=%(objectname) %(objecttype)")
    out, _ = check.communicate("".join(f"{oid}\n" for oid in paths).encode())
    blobs = [line.split()[0].decode() for line in out.splitlines() if line.endswith(b" blob")]
    introduced = introductions(repo)
    with tempfile.TemporaryDirectory(prefix="mlhygiene-names-") as empty:
        for oid in sorted(blobs, key=lambda o: (paths[o], o)):
            commit, path = introduced.get(oid, ("", paths[oid]))
            # by name only: nothing is read from the working tree for a history blob
            if classify(os.path.join(empty, path)) is not None:
                yield oid, commit, path


def read_blobs(repo: str, oids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """The content of each blob, through one ``git cat-file --batch``."""
    if not oids:
        return
    proc = _git(repo, "cat-file", "--batch")
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for oid in oids:
            proc.stdin.write(f"{oid}\n".encode())
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                raise OSError(f"git cat-file: {oid} is not a blob of {repo}")
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after the content
            yield oid, data
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()
