"""PostgreSQL backend: for several processes and hosts on one database.

psycopg 3 with a connection pool. Statements are the shared ones with
``%s`` placeholders. Writers of papers take a transaction-scoped advisory
lock so that the change counter (``seq``) is handed out in commit order,
which lets every process's local index catch up without gaps. Jobs are
claimed with ``FOR UPDATE SKIP LOCKED``.

URL: ``postgresql://user@host:port/dbname[?schema=name]``; ``schema`` sets
the ``search_path`` (and is created by ``migrate``), so several instances or
test runs can share one database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from paperwire.store.core import Clock, Database, StoreBusy, Tx, placeholders, utcnow

log = logging.getLogger(__name__)

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
POOL_TIMEOUT_S = 30.0


@contextmanager
def _busy_as_store_busy() -> Iterator[None]:
    """Raise the waits that ran out as ``StoreBusy``: a lock (``lock_timeout``), a deadlock PostgreSQL
    broke by cancelling us, a pool with no free connection."""
    try:
        yield
    except (errors.LockNotAvailable, errors.DeadlockDetected, PoolTimeout) as exc:
        raise StoreBusy(str(exc)) from exc


def _convert(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def split_schema(url: str) -> tuple[str, str | None]:
    """The connection URL without our ``schema`` parameter, and that schema."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not _SCHEMA_RE.match(schema):
        raise ValueError(f"invalid schema name {schema!r}: use lower-case letters, digits and _")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


_QUALIFIED_TABLE = re.compile(r" ON (?:\"[^\"]+\"|\w+)\.")


def unqualified(definition: str) -> str:
    """A ``CREATE INDEX … ON schema.table …`` statement (as ``pg_indexes`` gives it) naming the table
    alone, so it builds in whatever schema the store's connection is set to."""
    return _QUALIFIED_TABLE.sub(" ON ", definition, count=1)


class PostgresDatabase(Database):
    """A PostgreSQL database (or one schema of it)."""

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    table_names_sql = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'"
    )

    def __init__(self, url: str, clock: Clock = utcnow, pool_max: int = 8, lock_timeout_ms: int | None = None
                 ) -> None:
        """``lock_timeout_ms``: how long a statement waits for a lock (and a request for a pooled connection)
        before ``StoreBusy``; None waits for locks as long as it takes."""
        super().__init__(url, clock)
        conninfo, self.schema = split_schema(url)
        kwargs: dict[str, object] = {"autocommit": True}
        options = [f"-c search_path={self.schema}"] if self.schema else []
        if lock_timeout_ms is not None:
            options.append(f"-c lock_timeout={int(lock_timeout_ms)}")
        if options:
            kwargs["options"] = " ".join(options)
        if self.schema:
            self._create_schema(conninfo, self.schema)
        wait = lock_timeout_ms / 1000 if lock_timeout_ms is not None else POOL_TIMEOUT_S
        self.pool = ConnectionPool(conninfo, min_size=1, max_size=pool_max, kwargs=kwargs, open=True,
                                   name="paperwire", timeout=wait)
        self.pool.wait(timeout=30)

    @staticmethod
    def _create_schema(conninfo: str, schema: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with _busy_as_store_busy(), self.pool.connection() as conn, conn.cursor() as cur:
            yield Tx(cur, _convert)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with _busy_as_store_busy(), self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield Tx(cur, _convert)

    def insert_rows(self, tx: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                    on_conflict: str = "") -> None:
        """COPY into a session-local staging table, then one INSERT ... SELECT: several times
        faster than row-by-row inserts for bulk imports."""
        if len(rows) < 50:
            super().insert_rows(tx, table, columns, rows, on_conflict)
            return
        stage = f"_stage_{table}"
        cols = ", ".join(columns)
        tx.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        with tx.cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        tx.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {on_conflict}")
        tx.execute(f"TRUNCATE {stage}")

    def index_definitions(self, tx: Tx, names: Sequence[str]) -> dict[str, str]:
        found = dict(tx.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                                f"AND indexname IN ({placeholders(len(names))})", tuple(names)).all())
        # pg_indexes names the table with its schema; kept so, a store moved to another schema would build
        # the index on the old one
        return {name: unqualified(found[name]) for name in names if name in found}

    def prepare_index_build(self, tx: Tx) -> None:
        # the default 64 MB of sort memory spills a 2.7M-paper author index to disk in many runs
        tx.execute("SET LOCAL maintenance_work_mem = '512MB'")

    def reset_identities(self, tx: Tx) -> None:
        columns = tx.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ).all()
        for table, column in columns:
            tx.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                       f"GREATEST((SELECT MAX({column}) FROM {table}), 1))")

    def refresh_statistics(self, tables: Sequence[str], changed: int | None = None) -> list[str]:
        """``ANALYZE`` the tables when ``changed`` is over autovacuum's own rule (50 rows + 10 % of the
        first table's rows at its last analysis), or always when ``changed`` is None.

        Why not leave it to autovacuum: it may be off, and until its next round after a bulk load the
        planner plans on the tables as they were (empty: never analysed). At 2.7M papers freshly
        imported the home, trending and listing pages took 240–300 ms and an author page 4.3 s cold,
        against 12–20 ms and 175 ms after the 2-second ``ANALYZE`` (`benchmarks/pages.py`)."""
        if not tables or (changed is not None and changed < 50):  # below the rule at any size: no read
            return []
        if changed is not None:
            with self.read() as tx:
                # reltuples: -1 (PostgreSQL 14+) or 0 before the first analysis
                rows = tx.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(?)", (tables[0],)).scalar()
            if changed < 50 + 0.1 * max(float(rows or 0), 0.0):
                return []
        try:
            with self.write() as tx:
                tx.execute(f"ANALYZE {', '.join(tables)}")
        except StoreBusy:  # another ANALYZE of these tables holds the lock past a lock timeout: it does the job
            log.info("statistics of %s: another analysis is running; skipped", ", ".join(tables))
            return []
        return list(tables)

    def lock(self, tx: Tx, name: str) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || ?))", (name,))

    def close(self) -> None:
        self.pool.close()


def drop_schema(url: str) -> None:
    """Drop the schema a ``?schema=`` URL names, with everything in it (tests, benchmarks)."""
    conninfo, schema = split_schema(url)
    if not schema:
        raise ValueError("the URL names no schema to drop")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
