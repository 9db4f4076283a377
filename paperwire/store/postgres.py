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

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool

from paperwire.store.core import Clock, Tx, utcnow
from paperwire.store.sql import SQLStore

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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


class PostgresStore(SQLStore):
    """A Store in a PostgreSQL database (or one schema of it)."""

    dialect = "postgresql"
    _skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, clock: Clock = utcnow, pool_max: int = 8) -> None:
        super().__init__(url, clock)
        conninfo, self.schema = split_schema(url)
        kwargs: dict[str, object] = {"autocommit": True}
        if self.schema:
            kwargs["options"] = f"-c search_path={self.schema}"
            self._create_schema(conninfo, self.schema)
        self.pool = ConnectionPool(conninfo, min_size=1, max_size=pool_max, kwargs=kwargs, open=True,
                                   name="paperwire")
        self.pool.wait(timeout=30)

    @staticmethod
    def _create_schema(conninfo: str, schema: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.pool.connection() as conn, conn.cursor() as cur:
            yield Tx(cur, _convert)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield Tx(cur, _convert)

    def _lock(self, tx: Tx, name: str) -> None:
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
