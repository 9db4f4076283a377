"""Moving an instance between databases (``paperwire copy``), verified by checksums.

Every registered table is copied in key order, in batches; the target must
be freshly migrated and empty. Afterwards both sides are checksummed table
by table (row count and a SHA-256 over the rows in key order, values in a
canonical text form) and the copy fails loudly if anything differs. The
target keeps its own instance id, so its hosts build their own indexes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from paperwire.store.store import Store

# Rows that belong to one database, not to the data: never copied, never compared.
LOCAL_ROWS = {"state": {"instance_id"}}
BATCH = 5000

Progress = Callable[[str, int], None]


class CopyError(RuntimeError):
    """A copy that cannot start or did not verify."""


@dataclass
class CopyReport:
    """Rows copied per table and the checksums both sides agreed on."""

    rows: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)


def _rows(store: Store, table: str) -> Iterator[tuple[list[str], tuple[Any, ...]]]:
    after: tuple[Any, ...] | None = None
    skip = LOCAL_ROWS.get(table, set())
    while True:
        columns, rows = store.tables.read_rows(table, after, BATCH)
        if not rows:
            return
        keys = _key_positions(store, table, columns)
        for row in rows:
            if not (skip and row[keys[0]] in skip):
                yield columns, row
        after = tuple(rows[-1][i] for i in keys)


def _key_positions(store: Store, table: str, columns: list[str]) -> list[int]:
    from paperwire.store.migrations import copy_order

    keys = dict(copy_order())[table]
    return [columns.index(k) for k in keys]


def _canonical(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def checksums(store: Store, progress: Progress | None = None) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a digest of its rows in key order."""
    result = {}
    for table in store.tables.copy_tables():
        digest, count = hashlib.sha256(), 0
        for _columns, row in _rows(store, table):
            digest.update("\x1f".join(_canonical(v) for v in row).encode())
            digest.update(b"\x1e")
            count += 1
            if progress and count % BATCH == 0:
                progress(table, BATCH)
        result[table] = (count, digest.hexdigest())
    return result


def copy_store(source: Store, target: Store, progress: Progress | None = None) -> CopyReport:
    """Copy every table from ``source`` to the empty ``target``, then verify."""
    missing = set(source.tables.copy_tables()) - target.tables.table_names()
    if missing:
        raise CopyError(f"target is not migrated (missing tables: {', '.join(sorted(missing))})")
    if target.tables.read_rows("papers", None, 1)[1]:
        raise CopyError("target database already holds papers; copy only into an empty database")
    report = CopyReport()
    for table in source.tables.copy_tables():
        batch: list[tuple[Any, ...]] = []
        columns: list[str] = []
        count = 0
        for columns, row in _rows(source, table):
            batch.append(row)
            if len(batch) >= BATCH:
                target.tables.write_rows(table, columns, batch)
                count += len(batch)
                if progress:
                    progress(table, len(batch))
                batch = []
        if batch:
            target.tables.write_rows(table, columns, batch)
            count += len(batch)
        report.rows[table] = count
    target.tables.finish_copy()
    before, after = checksums(source), checksums(target)
    for table, expected in before.items():
        if after.get(table) != expected:
            raise CopyError(f"verification failed for {table}: source {expected}, target {after.get(table)}")
        report.checksums[table] = expected[1]
    return report
