"""The results store: one SQLite file (``DIR/audit.sqlite``, WAL), written by one process only.

Every batch of results is one transaction, so a run killed at any moment leaves the store as
it was after the last whole batch; the rerun checks only what is still ``pending``.
The schema is versioned (``meta.schema_version``) and documented in the README.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from mlhygiene._core.records import UsageError
from mlhygiene.audit.walk import Occurrence

SCHEMA_VERSION = 1
PAGE = 10_000  # pending contents read at a time
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contents (
    sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'  -- pending | done | error
);
CREATE TABLE IF NOT EXISTS occurrences (
    repo TEXT NOT NULL, path TEXT NOT NULL, "commit" TEXT NOT NULL, blob TEXT NOT NULL,
    in_tree INTEGER NOT NULL, sha256 TEXT NOT NULL REFERENCES contents(sha256),
    PRIMARY KEY (repo, path, "commit", sha256)
);
CREATE INDEX IF NOT EXISTS occurrences_sha256 ON occurrences (sha256);
CREATE INDEX IF NOT EXISTS occurrences_blob ON occurrences (repo, blob);
CREATE TABLE IF NOT EXISTS findings (
    sha256 TEXT NOT NULL REFERENCES contents(sha256), rule TEXT NOT NULL, category TEXT NOT NULL,
    severity TEXT NOT NULL, cell INTEGER, output INTEGER, line INTEGER NOT NULL, col INTEGER NOT NULL,
    end_line INTEGER NOT NULL, end_col INTEGER NOT NULL, message TEXT NOT NULL,
    fingerprint TEXT NOT NULL, secret_hash TEXT, secret_prefix TEXT,
    name TEXT,  -- the package name of a typosquat finding
    suppressed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_sha256 ON findings (sha256);
CREATE TABLE IF NOT EXISTS imports (
    sha256 TEXT NOT NULL REFERENCES contents(sha256), module TEXT NOT NULL, PRIMARY KEY (sha256, module)
);
CREATE TABLE IF NOT EXISTS unreadable (
    repo TEXT NOT NULL, path TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (repo, path)
);
CREATE TABLE IF NOT EXISTS errors (
    sha256 TEXT NOT NULL, message TEXT NOT NULL, fatal INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS errors_sha256 ON errors (sha256);
-- what a file count means: every file of a current tree, plus each history blob of a
-- repository whose content is not also in that repository's current tree
CREATE VIEW IF NOT EXISTS seen AS
    SELECT * FROM occurrences o WHERE in_tree = 1 OR NOT EXISTS (
        SELECT 1 FROM occurrences t
        WHERE t.in_tree = 1 AND t.repo = o.repo AND t.sha256 = o.sha256);
"""


class StoredFinding(NamedTuple):
    """A finding of one content, in the content's coordinates; a secret only salted and hinted."""

    rule: str
    category: str
    severity: str
    cell: int | None
    output: int | None
    line: int
    col: int
    end_line: int
    end_col: int
    message: str
    fingerprint: str
    secret_hash: str | None
    secret_prefix: str | None
    name: str | None
    suppressed: bool


class ContentResult(NamedTuple):
    """What the engine sends back for one content: findings, imported modules, problems."""

    sha256: str
    findings: list[StoredFinding]
    imports: list[str]
    problems: list[tuple[str, bool]]  # (message, fatal)


class Pending(NamedTuple):
    """A content still to check and where to read it: a file, or a blob of a repository."""

    sha256: str
    size: int
    kind: str
    repo: str
    path: str  # the file to read, or the blob's path inside the repository
    blob: str  # "" for a file


def salted(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}\0{secret}".encode("utf-8", "surrogatepass")).hexdigest()


class Store:
    def __init__(self, path: str, tools: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            with self.transaction():
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("salt", secrets.token_hex(16)),
                        ("tools", tools),
                    ],
                )
            meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise UsageError(
                f"{path}: results store of schema {meta.get('schema_version')}, this mlhygiene writes "
                f"schema {SCHEMA_VERSION}; use a new --out folder"
            )
        if meta.get("tools") != tools:
            raise UsageError(
                f"{path}: results store written by other tool versions ({meta.get('tools')}); results "
                "must not mix: use a new --out folder"
            )
        self.salt = meta["salt"]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def add_occurrences(self, found: Iterable[Occurrence]) -> None:
        rows = list(found)
        with self.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO contents (sha256, size, kind) VALUES (?, ?, ?)",
                [(o.sha256, o.size, o.kind) for o in rows],
            )
            self.db.executemany(
                'INSERT OR IGNORE INTO occurrences (repo, path, "commit", blob, in_tree, sha256)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(o.repo, o.path, o.commit, o.blob, int(o.in_tree), o.sha256) for o in rows],
            )

    def add_unreadable(self, repo: str, path: str, message: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO unreadable VALUES (?, ?, ?)", (repo, path, message))

    def known(self, repo: str, blob: str) -> str | None:
        """The sha256 of a history blob already in the store (a rerun need not read it again)."""
        row = self.db.execute(
            "SELECT sha256 FROM occurrences WHERE repo = ? AND blob = ? LIMIT 1", (repo, blob)
        ).fetchone()
        return None if row is None else str(row[0])

    def pending_totals(self) -> tuple[int, int]:
        """How many contents are still to check, and their bytes."""
        files, size = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM contents WHERE status = 'pending'"
        ).fetchone()
        return int(files), int(size)

    def pending(self, roots: dict[str, str], page: int = PAGE) -> Iterator[Pending]:
        """Every content not yet checked (by sha256), with one place to read it (a current file
        first); read a page at a time, so memory does not grow with the tree and the writer
        may commit in between.

        ``roots`` maps a repository label to its folder (for files and ``git cat-file``).
        """
        after = ""
        while True:
            rows = self.db.execute(
                """SELECT c.sha256, c.size, c.kind, o.repo, o.path, o.blob
                   FROM (SELECT sha256, size, kind FROM contents
                         WHERE status = 'pending' AND sha256 > ? ORDER BY sha256 LIMIT ?) c
                   JOIN occurrences o ON o.sha256 = c.sha256
                   ORDER BY c.sha256, o.in_tree DESC, o.repo, o.path, o."commit" """,
                (after, page),
            ).fetchall()
            if not rows:
                return
            for sha, size, kind, repo, path, blob in rows:
                if sha != after:
                    after = sha
                    yield Pending(sha, size, kind, roots.get(repo, repo), path, blob)

    def write(self, results: Sequence[ContentResult]) -> None:
        """One batch of results, all or nothing."""
        with self.transaction():
            for result in results:
                sha = result.sha256
                for table in ("findings", "imports", "errors"):
                    self.db.execute(f"DELETE FROM {table} WHERE sha256 = ?", (sha,))  # noqa: S608
                self.db.executemany(
                    "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(sha, *f[:-1], int(f.suppressed)) for f in result.findings],
                )
                self.db.executemany(
                    "INSERT OR IGNORE INTO imports VALUES (?, ?)", [(sha, m) for m in result.imports]
                )
                self.db.executemany(
                    "INSERT INTO errors VALUES (?, ?, ?)", [(sha, m, int(f)) for m, f in result.problems]
                )
                status = "error" if any(fatal for _, fatal in result.problems) else "done"
                self.db.execute("UPDATE contents SET status = ? WHERE sha256 = ?", (status, sha))
