"""The tables area: whole tables, generically: what ``paperwire copy`` reads and writes.

Table and column names come from the migrations' registry (``copy_order``),
never from user input, and are checked against it before use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paperwire.store.core import Database, placeholders
from paperwire.store.migrations import copy_order


def _keys(table: str) -> tuple[str, ...]:
    for name, keys in copy_order():
        if name == table:
            return keys
    raise ValueError(f"unknown table {table!r}")


class Tables:
    """Paged reads and bulk writes of any registered table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def copy_tables(self) -> list[str]:
        """Registered tables in copy order (parents first)."""
        return [name for name, _ in copy_order()]

    def table_names(self) -> set[str]:
        """Every table that exists in the database (for checking the registry)."""
        with self.db.read() as tx:
            return {r[0] for r in tx.execute(self.db.table_names_sql).all()}

    def read_rows(self, table: str, after: Sequence[Any] | None, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Up to ``limit`` rows ordered by the table's key, starting after the key ``after``."""
        keys = _keys(table)
        where = f"WHERE ({', '.join(keys)}) > ({placeholders(len(keys))})" if after is not None else ""
        with self.db.read() as tx:
            tx.execute(f"SELECT * FROM {table} {where} ORDER BY {', '.join(keys)} LIMIT ?",
                       (*(after or ()), limit))
            columns = [d[0] for d in tx.cursor.description]
            return columns, tx.all()

    def write_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows as they are (into an empty table), in one transaction."""
        _keys(table)
        with self.db.write() as tx:
            self.db.insert_rows(tx, table, columns, rows)

    def finish_copy(self) -> None:
        """Bring generated-key counters past the copied keys (PostgreSQL identities) and give the
        planner statistics of the copied tables (``Database.refresh_statistics``)."""
        with self.db.write() as tx:
            self.db.reset_identities(tx)
        self.db.refresh_statistics(self.copy_tables())
