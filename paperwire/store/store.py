"""The Store: everything Paperwire keeps, one area object per kind of data.

Callers ask an area: ``store.papers.upsert_papers(...)``, ``store.outbox.enqueue(...)``. Each area is a
plain class (its own module) over the store's one ``Database`` — the backend's connections with its single
write path, its dialect and the clock — so this file lists everything a consumer may ask, and each area's
module says how. The store itself keeps what belongs to the database as a whole: migrations, the instance
id, key/value state, the counts of ``stats`` and the cache validator of ``data_version``.

No SQL lives outside this package. Callers pass and receive the dataclasses of ``paperwire.models``
(and of ``paperwire.models``, ``paperwire.models``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from pathlib import Path

from paperwire.models import TRENDING_WINDOWS, DataVersion, StoreStats
from paperwire.store.accounts import Accounts
from paperwire.store.authors import Authors
from paperwire.store.bulk_load import BulkLoad
from paperwire.store.community import VERSION_KEY, Community
from paperwire.store.core import (
    SIGNALS_VERSION_KEY,
    Clock,
    Database,
    StoreBusy,
    parse_instant,
    placeholders,
    read_state,
    write_state,
)
from paperwire.store.digests import Outbox, Subscriptions
from paperwire.store.discussions import Discussions
from paperwire.store.embed_batches import EmbedBatches
from paperwire.store.embeddings import Embeddings
from paperwire.store.fetches import Fetches
from paperwire.store.jobs import Jobs
from paperwire.store.library import Library
from paperwire.store.migrations import MIGRATIONS
from paperwire.store.pacing import Pacing
from paperwire.store.papers import Papers
from paperwire.store.preferences import Preferences
from paperwire.store.recommendations import Recommendations
from paperwire.store.signals import Signals
from paperwire.store.tables import Tables
from paperwire.store.trending import Trending, computed_key

log = logging.getLogger(__name__)
_VERSION_KEYS = (VERSION_KEY, SIGNALS_VERSION_KEY, *(computed_key(w) for w in TRENDING_WINDOWS))


class Store:
    """Where papers and everything about them live; ``open_store(url)`` makes one."""

    papers: Papers
    """Papers and their categories, code links, harvested pages (``save_batch``), listings, the change counter."""
    signals: Signals
    """GitHub repositories and stars, Hugging Face daily entries and upvotes, pages' bulk signal reads."""
    trending: Trending
    """The inputs of a trending window and the stored rankings."""
    embeddings: Embeddings
    """One vector per paper and model, with its own change counter."""
    embed_batches: EmbedBatches
    """Embedding work shared by every embedding process: batches claimed with leases."""
    jobs: Jobs
    """Scheduled jobs and their leases."""
    tables: Tables
    """Whole tables, read and written generically (``paperwire copy``)."""
    accounts: Accounts
    """Users, sessions, emailed tokens, API tokens, throttling counters."""
    community: Community
    """Upvotes, submissions, reads of personal libraries, and the activity trending reads."""
    library: Library
    """Saved papers, their notes, and the folders (default, public) that hold them."""
    preferences: Preferences
    """Thumbs up or down, followed and muted authors, categories and keywords; ``user_signals``."""
    subscriptions: Subscriptions
    """Digest subscribers."""
    outbox: Outbox
    """The email outbox and what each digest carried."""
    fetches: Fetches
    """The fetch queue: arXiv ids someone asked for, their state, and who waits for each."""
    pacing: Pacing
    """Turns at rate-limited hosts (arXiv), shared by every process on the database."""
    recommendations: Recommendations
    """Each reader's recommendation model and the instance's background model."""
    authors: Authors
    """Each paper's authors by normalised name (author pages), and the admins' merges and splits."""
    discussions: Discussions
    """Comments on papers, their upvotes and reports, reply-email preferences."""
    bulk_load: BulkLoad
    """A first import's secondary indexes, dropped before it and built once at its end."""

    def __init__(self, db: Database) -> None:
        self.db = db
        """The backend; for the store's own modules (no SQL outside this package)."""
        self.papers = Papers(db)
        self.signals = Signals(db)
        self.trending = Trending(db)
        self.embeddings = Embeddings(db)
        self.embed_batches = EmbedBatches(db)
        self.jobs = Jobs(db)
        self.tables = Tables(db)
        self.accounts = Accounts(db)
        self.community = Community(db)
        self.library = Library(db)
        self.preferences = Preferences(db)
        self.subscriptions = Subscriptions(db)
        self.outbox = Outbox(db)
        self.fetches = Fetches(db)
        self.pacing = Pacing(db)
        self.recommendations = Recommendations(db)
        self.authors = Authors(db)
        self.discussions = Discussions(db)
        self.bulk_load = BulkLoad(db)

    @property
    def url(self) -> str:
        """The database URL the store was opened with."""
        return self.db.url

    @property
    def clock(self) -> Clock:
        """The store's notion of now (UTC): what it stamps writes with; tests set their own."""
        return self.db.clock

    @property
    def path(self) -> Path | None:
        """The SQLite file; None for PostgreSQL."""
        return self.db.path

    # -- lifecycle -----------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply the named migrations not yet recorded; return their names."""
        applied: list[str] = []
        with self.db.write() as tx:
            self.db.lock(tx, "migrate")
            tx.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in tx.execute("SELECT name FROM migrations").all()}
            for migration in MIGRATIONS:
                if migration.name in done:
                    continue
                for statement in migration.render(self.db.dialect):
                    tx.execute(statement)
                if migration.backfill is not None:
                    migration.backfill(tx)
                tx.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                           (migration.name, self.db.now()))
                applied.append(migration.name)
            tx.execute(
                "INSERT INTO state (key, value, updated_at) VALUES ('instance_id', ?, ?) ON CONFLICT (key) DO NOTHING",
                (uuid.uuid4().hex, self.db.now()),
            )
        # an import killed after dropping its indexes (store.bulk_load) left them to whoever opens the store next
        try:
            self.bulk_load.restore_indexes(only_abandoned=True)
        except StoreBusy:  # another process is writing (or building them) for longer than we wait
            log.warning("the indexes a killed import left missing are not built yet: the store is busy")
        return applied

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in the database, oldest first."""
        with self.db.read() as tx:
            return [r[0] for r in tx.execute("SELECT name FROM migrations ORDER BY name").all()]

    def close(self) -> None:
        """Release connections."""
        self.db.close()

    def instance_id(self) -> str:
        """A random id made when the database was first migrated; names local index caches."""
        value = self.get_state("instance_id")
        if value is None:
            raise RuntimeError(f"database {self.url} is not migrated: run 'paperwire migrate'")
        return value

    # -- small key/value state (harvest cursors, watermarks, secrets) ---------------------
    def get_state(self, key: str) -> str | None:
        """A saved value, or None."""
        with self.db.read() as tx:
            return read_state(tx, key)

    def set_state(self, key: str, value: str) -> None:
        """Save a value, replacing any previous one."""
        with self.db.write() as tx:
            write_state(tx, key, value, self.db.now())

    def state_setdefault(self, key: str, value: str) -> str:
        """The saved value of ``key``, saving ``value`` first if there is none (atomically)."""
        with self.db.write() as tx:
            tx.execute("INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                       (key, value, self.db.now()))
            stored = tx.execute("SELECT value FROM state WHERE key = ?", (key,)).scalar()
        return str(stored)

    # -- the whole store ---------------------------------------------------------------
    def stats(self) -> StoreStats:
        """Counts of what the store holds."""
        with self.db.read() as tx:
            total = int(tx.execute("SELECT COUNT(*) FROM papers").scalar())
            # from the narrow category rows (the first is the primary one), not a scan of every paper's
            # text: at 2.7M papers that scan read the whole 9 GB file
            cats = tx.execute("SELECT category, COUNT(*) FROM paper_categories WHERE position = 0 "
                              "GROUP BY category").all()
            none = total - sum(int(n) for _, n in cats)
            if none:
                cats.append((None, none))
            cats.sort(key=lambda row: (-int(row[1]), row[0] or ""))
            months = tx.execute(
                "SELECT SUBSTR(announced, 1, 7), COUNT(*) FROM papers WHERE announced IS NOT NULL "
                "GROUP BY SUBSTR(announced, 1, 7) ORDER BY 1"
            ).all()
            first, last = tx.execute("SELECT MIN(announced), MAX(announced) FROM papers").one() or (None, None)
            embedded = int(tx.execute("SELECT COUNT(DISTINCT paper_id) FROM embeddings").scalar())
        return StoreStats(
            papers=total,
            by_category={c or "(none)": int(n) for c, n in cats},
            by_month={m: int(n) for m, n in months},
            first_announced=date.fromisoformat(first) if first else None,
            last_announced=date.fromisoformat(last) if last else None,
            embeddings=embedded,
        )

    def data_version(self) -> DataVersion:
        """A cheap read for cache validators: a token that changes whenever a trending ranking is
        recomputed, a star count or Hugging Face upvote count is recorded, or the community changes
        (``community.community_version``), and when the newest of those was written. Papers have
        ``papers.last_change``. It reads a few rows of ``state``: change counters that writers raise in
        their own transactions."""
        with self.db.read() as tx:
            state = tx.execute(f"SELECT key, value, updated_at FROM state WHERE key IN "
                               f"({placeholders(len(_VERSION_KEYS))}) ORDER BY key", _VERSION_KEYS).all()
        parts = [f"{k}={v}" for k, v, _ in state]
        instants = [t for t in (parse_instant(u) for _, _, u in state) if t]
        return DataVersion("|".join(parts), max(instants, default=None))
