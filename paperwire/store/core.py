"""The SQL core every area of the store shares: cursors, time, the Database a backend provides.

Statements are written once with ``?`` placeholders; the PostgreSQL backend
turns them into ``%s``. A backend provides connections (``read``/``write``)
and the few dialect differences (``lock``, ``skip_locked``, ``insert_rows``).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

Clock = Callable[[], datetime]
# SQLite's limit on bound variables is far above this; small chunks keep plans cheap.
CHUNK = 500


def utcnow() -> datetime:
    """The current instant in UTC (the default clock)."""
    return datetime.now(UTC)


def iso(value: datetime | date | None) -> str | None:
    """ISO text for the database; instants are stored in UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value.isoformat()


def parse_instant(value: str | None) -> datetime | None:
    """The inverse of ``iso`` for instants."""
    return datetime.fromisoformat(value) if value else None


def placeholders(n: int) -> str:
    """``?, ?, ?`` for ``n`` values."""
    return ", ".join("?" * n)


class Tx:
    """A cursor with the placeholder conversion of its dialect."""

    def __init__(self, cursor: Any, convert: Callable[[str], str]) -> None:
        self.cursor = cursor
        self._convert = convert

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        self.cursor.execute(self._convert(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self._convert(sql), rows)

    def one(self) -> tuple[Any, ...] | None:
        row = self.cursor.fetchone()
        return tuple(row) if row is not None else None

    def all(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.cursor.fetchall()]

    def scalar(self) -> Any:
        row = self.cursor.fetchone()
        return row[0] if row else None

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)


class StoreBusy(RuntimeError):
    """The database stayed locked by another writer for longer than this store waits (its busy timeout):
    nothing was changed, and the same request may succeed a moment later."""


class AlreadyExists(ValueError):
    """A unique value (``field``: email, handle) is taken."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already exists")
        self.field = field


class Database(abc.ABC):
    """What every area of the store shares: the connections (reads, and the one write path), the
    dialect's few differences, and the clock. A backend (``sqlite.py``, ``postgres.py``) provides it."""

    dialect: str = ""
    skip_locked = ""
    """Appended to a claim's ``SELECT``: PostgreSQL's ``FOR UPDATE SKIP LOCKED`` (SQLite serialises writers)."""
    table_names_sql = ""
    """A query of the names of every table in the database."""
    path: Path | None = None
    """The SQLite file; None for a server database."""

    def __init__(self, url: str, clock: Clock = utcnow) -> None:
        self.url = url
        self.clock = clock

    @abc.abstractmethod
    def read(self) -> AbstractContextManager[Tx]:
        """A cursor for reading."""

    @abc.abstractmethod
    def write(self) -> AbstractContextManager[Tx]:
        """The write path: one transaction, committed on success, rolled back on error."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    def lock(self, tx: Tx, name: str) -> None:  # noqa: B027 - SQLite's writes are already serialised
        """Serialise writers of one kind inside the current transaction."""

    def now(self) -> str:
        """The clock's instant as stored (ISO text, UTC)."""
        return iso(self.clock()) or ""

    def insert_rows(self, tx: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                    on_conflict: str = "") -> None:
        """Insert many rows; ``on_conflict`` is an ``ON CONFLICT ...`` clause (may use ``excluded``)."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns))}) {on_conflict}"
        tx.executemany(sql, rows)

    @abc.abstractmethod
    def index_definitions(self, tx: Tx, names: Sequence[str]) -> dict[str, str]:
        """The statements that create the indexes of ``names`` that exist, in the order named."""

    def prepare_index_build(self, tx: Tx) -> None:  # noqa: B027 - SQLite sorts in its page cache and temp files
        """Settings for building a large index in this transaction."""

    def reset_identities(self, tx: Tx) -> None:  # noqa: B027 - SQLite's AUTOINCREMENT follows the largest key
        """Advance generated-key counters after explicit keys were inserted (``paperwire copy``)."""

    def refresh_statistics(self, tables: Sequence[str], changed: int | None = None) -> list[str]:
        """Refresh the query planner's statistics of ``tables`` after a bulk write of ``changed`` rows
        (None: unconditionally); returns the tables refreshed.

        SQLite: nothing to do. Its planner picks these indexes without statistics (every page of
        `benchmarks/pages.py` at 2.7M papers took ≤ 14 ms without any), and its ``ANALYZE`` reads every
        index in full (9 GB of file at 2.7M)."""
        return []


def read_state(tx: Tx, key: str) -> str | None:
    """A value of the ``state`` table, or None."""
    value = tx.execute("SELECT value FROM state WHERE key = ?", (key,)).scalar()
    return str(value) if value is not None else None


UPSERT_STATE = ("INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
"""Save ``(key, value, updated_at)`` in ``state``, replacing any previous value (``executemany`` for several)."""


def write_state(tx: Tx, key: str, value: str, now: str) -> None:
    """Save a value of the ``state`` table in the caller's transaction, replacing any previous one."""
    tx.execute(UPSERT_STATE, (key, value, now))


SIGNALS_VERSION_KEY = "signals_version"
"""The counter raised by every star count, star history and Hugging Face upvote write."""
T = TypeVar("T")


def bump_counter(tx: Tx, key: str, now: str) -> None:
    """Raise the counter ``key`` in ``state`` inside the writer's own transaction; validators key on
    counters rather than on timestamps, which two writes in the same instant would share."""
    tx.execute("INSERT INTO state (key, value, updated_at) VALUES (?, '1', ?) ON CONFLICT (key) DO UPDATE SET "
               "value = CAST(CAST(state.value AS INTEGER) + 1 AS TEXT), updated_at = excluded.updated_at",
               (key, now))


def chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    """``values`` in slices of ``CHUNK``: the most ids one ``IN (...)`` list takes."""
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def bump_user_signals(tx: Tx, user_id: int, now: str) -> None:
    """Raise a member's signal counter (``signal_versions``) inside the writer's own transaction: every
    save, upvote, thumb, follow, mute, folder or note change calls it, so a recommender's model can
    tell it is stale from one indexed read."""
    tx.execute("INSERT INTO signal_versions (user_id, version, changed_at) VALUES (?, 1, ?) ON CONFLICT (user_id) "
               "DO UPDATE SET version = signal_versions.version + 1, changed_at = excluded.changed_at",
               (user_id, now))
