"""A first import's secondary indexes, built once at its end instead of row by row.

A paper has about six authors, and each goes into ``paper_authors_key`` at a random place; at millions
of papers that index outgrows the writer's page cache, so every transaction dirties tens of thousands
of its pages and writes them all out again (SQLite: through the WAL and back, about 100 GB written for
a 2.7M import into an 8 GB file). Built from the finished tables, the same indexes cost one sorted pass
(docs/benchmarks.md, "A first import builds its indexes at the end").

Only an import into a store with no papers defers them: nothing is listed or searched by those indexes
yet, and a store in use never loses an index. What was dropped, and until when the importer vouches
for it (a lease it renews with every batch), is kept in ``state``; the importer builds them back when
it ends, however it ends, and if it was killed, the next process to open the store (``Store.migrate``)
builds them once the lease has run out.
"""

from __future__ import annotations

from datetime import timedelta

import orjson

from paperwire.store.core import Database, iso, parse_instant, read_state

DEFERRABLE = ("papers_announced", "papers_doi", "paper_categories_listing", "paper_authors_key")
"""The indexes of the papers' tables a first import builds at its end. ``papers_seq`` is not among
them: the search indexes follow the import by it."""
STATE_KEY = "deferred_indexes"
LEASE = timedelta(minutes=10)
"""How long an importer's word holds that its deferred indexes are still wanted missing: far longer than
one batch's write, and short enough that a killed import's indexes come back soon."""


class BulkLoad:
    """Dropping the deferrable indexes before a first import, and building them back."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def defer_indexes(self) -> list[str]:
        """Drop the deferrable indexes when no paper is stored and no other import has; returns those
        dropped (none otherwise). The caller must ``restore_indexes`` when its import ends."""
        with self.db.write() as tx:
            self.db.lock(tx, "papers")
            if tx.execute("SELECT 1 FROM papers LIMIT 1").one() is not None or read_state(tx, STATE_KEY):
                return []
            definitions = self.db.index_definitions(tx, DEFERRABLE)
            now = self.db.clock()
            record = {"indexes": definitions, "until": iso(now + LEASE)}
            tx.execute("INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)",
                       (STATE_KEY, orjson.dumps(record).decode(), self.db.now()))
            for name in definitions:
                tx.execute(f"DROP INDEX {name}")
        return list(definitions)

    def renew(self) -> None:
        """Extend the importer's lease on its deferred indexes (after each batch it writes)."""
        with self.db.write() as tx:
            raw = read_state(tx, STATE_KEY)
            if raw is None:
                return
            record = orjson.loads(raw)
            record["until"] = iso(self.db.clock() + LEASE)
            tx.execute("UPDATE state SET value = ?, updated_at = ? WHERE key = ?",
                       (orjson.dumps(record).decode(), self.db.now(), STATE_KEY))

    def restore_indexes(self, only_abandoned: bool = False) -> list[str]:
        """Build the indexes an import deferred, one transaction each (a writer waits for one index at a
        time); returns their names. ``only_abandoned``: only when the importer's lease has run out (a
        process starting beside a running import leaves its indexes alone)."""
        built: list[str] = []
        if not self.deferred():  # every process start asks: a read, not a wait for the write lock
            return built
        while True:
            with self.db.write() as tx:
                self.db.lock(tx, "papers")
                raw = read_state(tx, STATE_KEY)
                if raw is None:
                    return built
                record = orjson.loads(raw)
                until = parse_instant(record["until"])
                if only_abandoned and not built and until is not None and until > self.db.clock():
                    return built
                pending: dict[str, str] = record["indexes"]
                if not pending:
                    tx.execute("DELETE FROM state WHERE key = ?", (STATE_KEY,))
                    return built
                name, sql = next(iter(pending.items()))
                if not self.db.index_definitions(tx, [name]):
                    self.db.prepare_index_build(tx)
                    tx.execute(sql)
                del pending[name]
                tx.execute("UPDATE state SET value = ? WHERE key = ?", (orjson.dumps(record).decode(), STATE_KEY))
                built.append(name)

    def deferred(self) -> list[str]:
        """The indexes dropped by an import and not yet built back."""
        with self.db.read() as tx:
            raw = read_state(tx, STATE_KEY)
        return list(orjson.loads(raw)["indexes"]) if raw else []
