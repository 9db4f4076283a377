"""SQLite backend: the embedded default.

WAL mode so readers never block the writer; foreign keys on; every write in
``BEGIN IMMEDIATE`` so a transaction takes the write lock up front instead of
failing half-way when another process writes (``busy_timeout`` makes it wait).
Within a process, one writer connection guarded by a lock is the single
write path; each thread reads through its own connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from paperwire.store.core import Clock, Database, StoreBusy, Tx, placeholders, utcnow
from paperwire.store.files import private_dir, private_file, tighten

BUSY_TIMEOUT_MS = 30_000
# SQLITE_BUSY (another connection holds the lock) and SQLITE_LOCKED; extended codes keep these in the low byte
_BUSY_CODES = (5, 6)


@contextmanager
def _busy_as_store_busy() -> Iterator[None]:
    """Raise the lock waits that ran out as ``StoreBusy``; every other error as it is."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if (code is not None and code & 0xFF in _BUSY_CODES) or "locked" in str(exc):
            raise StoreBusy(str(exc)) from exc
        raise


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL (four slashes: absolute path)."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a SQLite URL: {url!r}")
    raw = url[len("sqlite:///") :].split("?", 1)[0]
    if not raw:
        raise ValueError(f"SQLite URL names no file: {url!r}")
    return Path(raw).expanduser().absolute()


def _identity(sql: str) -> str:
    return sql


# 128 MB: at 75k papers the cache holds the whole file and an import's peak RSS must stay under 500 MB
# (issue 1: 256 MB took it to 589 MB with the keyword follower); the 2.7M import ran with 256 MB
WRITER_CACHE_KB = 128 * 1024
WAL_CHECKPOINT_PAGES = 10_000  # 40 MB of WAL (4 KB pages) between checkpoints


class SQLiteDatabase(Database):
    """One SQLite file."""

    dialect = "sqlite"
    table_names_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    path: Path

    def __init__(self, url: str, clock: Clock = utcnow, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        super().__init__(url, clock)
        self.busy_timeout_ms = busy_timeout_ms
        self.path = sqlite_path(url)
        private_dir(self.path.parent)
        # made 0600 before SQLite opens it (SQLite would use the umask), and its -wal and -shm
        # files take the database's mode; those an older version left 0644 are tightened
        private_file(self.path)
        for leftover in ("-wal", "-shm"):
            tighten(self.path.with_name(self.path.name + leftover))
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode=WAL")
        # The one writer gets a larger page cache and checkpoints less often: a batch of papers inserts at
        # random places in the author, category and date indexes, and with SQLite's 2 MB default every
        # batch re-read and re-wrote those pages (300k papers: 3,300 -> 5,200 papers/s with 256 MB and
        # bigger batches). The cache fills only as pages are touched.
        self._writer.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KB}")
        self._writer.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        cur = conn.cursor()
        try:
            with _busy_as_store_busy():
                yield Tx(cur, _identity)
        finally:
            cur.close()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._write_lock, _busy_as_store_busy():
            cur = self._writer.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(cur, _identity)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def index_definitions(self, tx: Tx, names: Sequence[str]) -> dict[str, str]:
        found = dict(tx.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN "
                                f"({placeholders(len(names))})", tuple(names)).all())
        return {name: found[name] for name in names if name in found}

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
