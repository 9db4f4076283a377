"""Storage: the Store (one object per area, store.py) over one of two backends, chosen by URL."""

from __future__ import annotations

from paperwire.models import UserSignals
from paperwire.store.core import AlreadyExists, Clock, StoreBusy, utcnow
from paperwire.store.embed_batches import EmbedBatch, EmbedProgress
from paperwire.store.jobs import JobInfo
from paperwire.store.library import ImportItem
from paperwire.store.store import Store

__all__ = ["AlreadyExists", "EmbedBatch", "EmbedProgress", "ImportItem", "JobInfo", "Store", "StoreBusy", "open_store",
           "user_signals"]


def open_store(url: str, clock: Clock = utcnow, pool_max: int = 8, busy_timeout_ms: int | None = None) -> Store:
    """A Store for ``url``: ``sqlite:///…``, ``postgresql://…``, or a bare file path (SQLite).

    ``busy_timeout_ms``: how long a statement waits for another writer's lock before ``StoreBusy`` (and, on
    PostgreSQL, for a pooled connection); None keeps the backend's default (SQLite 30 s; PostgreSQL waits
    for locks as long as it takes, for a connection 30 s)."""
    if url.startswith(("postgresql://", "postgres://")):
        from paperwire.store.postgres import PostgresDatabase

        return Store(PostgresDatabase(url, clock=clock, pool_max=pool_max, lock_timeout_ms=busy_timeout_ms))
    from paperwire.store.sqlite import BUSY_TIMEOUT_MS, SQLiteDatabase

    if "://" in url and not url.startswith("sqlite:"):
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")
    if not url.startswith("sqlite:"):
        url = f"sqlite:///{url}"
    return Store(SQLiteDatabase(url, clock=clock, busy_timeout_ms=busy_timeout_ms or BUSY_TIMEOUT_MS))


def user_signals(store: Store, user_id: int) -> UserSignals:
    """Everything a recommender learns from for one member (saves, upvotes and thumbs with their times,
    follows, mutes, folders, and a version that grows with every change), in one read transaction."""
    return store.preferences.user_signals(user_id)
