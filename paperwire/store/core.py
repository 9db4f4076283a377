"""The SQL core both backends share: cursors, time, migrations, small state.

Statements are written once with ``?`` placeholders; the PostgreSQL backend
turns them into ``%s``. A backend provides connections (``read``/``write``)
and the few dialect differences (``_lock``, ``_skip_locked``).
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from paperwire.store.migrations import MIGRATIONS

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


class SQLBase(abc.ABC):
    """Connections, clock, migrations and key/value state."""

    dialect: str = ""
    url: str
    _skip_locked = ""

    def __init__(self, url: str, clock: Clock = utcnow) -> None:
        self.url = url
        self.clock = clock

    @abc.abstractmethod
    def read(self) -> AbstractContextManager[Tx]:
        """A cursor for reading."""

    @abc.abstractmethod
    def write(self) -> AbstractContextManager[Tx]:
        """The write path: one transaction, committed on success, rolled back on error."""

    def _lock(self, tx: Tx, name: str) -> None:  # noqa: B027 - SQLite's writes are already serialised
        """Serialise writers of one kind inside the current transaction."""

    def _now(self) -> str:
        return iso(self.clock()) or ""

    def _insert_rows(self, tx: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                     on_conflict: str = "") -> None:
        """Insert many rows; ``on_conflict`` is an ``ON CONFLICT ...`` clause (may use ``excluded``)."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns))}) {on_conflict}"
        tx.executemany(sql, rows)

    def migrate(self) -> list[str]:
        """Apply the named migrations not yet recorded; return their names."""
        applied: list[str] = []
        with self.write() as tx:
            self._lock(tx, "migrate")
            tx.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in tx.execute("SELECT name FROM migrations").all()}
            for migration in MIGRATIONS:
                if migration.name in done:
                    continue
                for statement in migration.render(self.dialect):
                    tx.execute(statement)
                tx.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (migration.name, self._now()))
                applied.append(migration.name)
            tx.execute(
                "INSERT INTO state (key, value, updated_at) VALUES ('instance_id', ?, ?) ON CONFLICT (key) DO NOTHING",
                (uuid.uuid4().hex, self._now()),
            )
        return applied

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in the database."""
        with self.read() as tx:
            return [r[0] for r in tx.execute("SELECT name FROM migrations ORDER BY name").all()]

    def instance_id(self) -> str:
        """The random id made when the database was first migrated."""
        value = self.get_state("instance_id")
        if value is None:
            raise RuntimeError(f"database {self.url} is not migrated: run 'paperwire migrate'")
        return value

    def get_state(self, key: str) -> str | None:
        """A saved value, or None."""
        with self.read() as tx:
            value = tx.execute("SELECT value FROM state WHERE key = ?", (key,)).scalar()
        return str(value) if value is not None else None

    def set_state(self, key: str, value: str) -> None:
        """Save a value, replacing any previous one."""
        with self.write() as tx:
            tx.execute(
                "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, self._now()),
            )


SIGNALS_VERSION_KEY = "signals_version"
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
