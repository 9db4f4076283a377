"""A first import's secondary indexes, built once at its end instead of row by row.

A paper has about six authors, and each goes into ``paper_authors_key`` at a random place; at millions
of papers that index outgrows the writer's page cache, so every transaction dirties tens of thousands
of its pages and writes them all out again (SQLite: through the WAL and back, 108 GB written for a 2.7M
import into an 8.6 GB file). Built from the finished tables, the same indexes cost one sorted pass
(docs/benchmarks.md, "A first import builds its indexes at its end").

Only an import into a store with no papers defers them: nothing is listed by those indexes yet, and a
store in use never loses an index. What was dropped, and until when an importer vouches for it (a lease
it renews while it runs), is kept in ``state``. The importer builds them back when it ends, however it
ends. If it was killed, the next import takes them over (and builds them at its end), and any process
that opens the store once the lease has run out builds them (``Store.migrate``).
"""

from __future__ import annotations

from datetime import timedelta

import orjson

from paperwire.store.core import Database, Tx, iso, parse_instant, read_state, write_state

DEFERRABLE = ("papers_announced", "papers_doi", "paper_categories_listing", "paper_authors_key")
"""The indexes of the papers' tables a first import builds at its end (none of them UNIQUE: no constraint
is lifted). ``papers_seq`` is not among them: the search indexes follow the import by it."""
STATE_KEY = "deferred_indexes"
LEASE = timedelta(minutes=10)
"""How long an importer's word holds that its deferred indexes are still wanted missing; it renews it
every minute (``ingest.bulk``), so only a dead importer's lease runs out."""


class BulkLoad:
    """Dropping the deferrable indexes before a first import, and building them back."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def defer_indexes(self) -> list[str]:
        """Before an import: drop the deferrable indexes when no paper is stored, or take over those an
        earlier import left missing (killed, or still running beside this one); returns their names (none
        otherwise). The caller renews the lease while it runs and calls ``restore_indexes`` at its end."""
        with self.db.write() as tx:
            self.db.lock(tx, "papers")
            raw = read_state(tx, STATE_KEY)
            if raw is not None:
                record = orjson.loads(raw)
                self._save(tx, record)  # renewed: this import vouches for them now
                return list(record["indexes"])
            if tx.execute("SELECT 1 FROM papers LIMIT 1").one() is not None:
                return []
            definitions = self.db.index_definitions(tx, DEFERRABLE)
            self._save(tx, {"indexes": definitions})
            for name in definitions:
                tx.execute(f"DROP INDEX {name}")
        return list(definitions)

    def renew(self) -> None:
        """Extend the lease on the deferred indexes (an importer, every minute while it runs)."""
        with self.db.write() as tx:
            raw = read_state(tx, STATE_KEY)
            if raw is not None:
                self._save(tx, orjson.loads(raw))

    def _save(self, tx: Tx, record: dict[str, object]) -> None:
        record["until"] = iso(self.db.clock() + LEASE)
        write_state(tx, STATE_KEY, orjson.dumps(record).decode(), self.db.now())

    def restore_indexes(self, only_abandoned: bool = False) -> list[str]:
        """Build the indexes an import deferred, one transaction each; returns their names.

        ``only_abandoned``: only when no importer's lease holds (a process starting beside a running
        import leaves them alone). Each build holds the write lock: at 2.7M papers the four took 61 s in all
        on SQLite (68 s on PostgreSQL), where a writer waits at most its busy timeout (30 s) before
        ``StoreBusy``."""
        built: list[str] = []
        if only_abandoned and not self._abandoned():  # every process start asks: a read, not a write lock
            return built
        while True:
            with self.db.write() as tx:
                self.db.lock(tx, "papers")
                raw = read_state(tx, STATE_KEY)
                if raw is None:
                    return built
                record = orjson.loads(raw)
                if only_abandoned and not built and not self._expired(record):
                    return built
                pending: dict[str, str] = record["indexes"]
                if not pending:
                    tx.execute("DELETE FROM state WHERE key = ?", (STATE_KEY,))
                    return built
                name, sql = next(iter(pending.items()))
                if not self.db.index_definitions(tx, [name]):  # not built by an earlier try that died after
                    self.db.prepare_index_build(tx)
                    tx.execute(sql)
                del pending[name]
                write_state(tx, STATE_KEY, orjson.dumps(record).decode(), self.db.now())
                built.append(name)

    def _abandoned(self) -> bool:
        with self.db.read() as tx:
            raw = read_state(tx, STATE_KEY)
        return raw is not None and self._expired(orjson.loads(raw))

    def _expired(self, record: dict[str, object]) -> bool:
        until = parse_instant(str(record.get("until") or ""))
        return until is None or until <= self.db.clock()

    def deferred(self) -> list[str]:
        """The indexes dropped by an import and not yet built back."""
        with self.db.read() as tx:
            raw = read_state(tx, STATE_KEY)
        return list(orjson.loads(raw)["indexes"]) if raw else []
