"""Storage: the Store (one object per area, store.py) over one of two backends, chosen by URL."""

from __future__ import annotations

from paperwire.models import UserSignals
from paperwire.store.core import AlreadyExists, Clock, utcnow
from paperwire.store.jobs import JobInfo
from paperwire.store.library import ImportItem
from paperwire.store.store import Store

__all__ = ["AlreadyExists", "ImportItem", "JobInfo", "Store", "open_store", "user_signals"]


def open_store(url: str, clock: Clock = utcnow, pool_max: int = 8) -> Store:
    """A Store for ``url``: ``sqlite:///…``, ``postgresql://…``, or a bare file path (SQLite)."""
    if url.startswith(("postgresql://", "postgres://")):
        from paperwire.store.postgres import PostgresDatabase

        return Store(PostgresDatabase(url, clock=clock, pool_max=pool_max))
    if url.startswith("sqlite:"):
        from paperwire.store.sqlite import SQLiteDatabase

        return Store(SQLiteDatabase(url, clock=clock))
    if "://" in url:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")
    from paperwire.store.sqlite import SQLiteDatabase

    return Store(SQLiteDatabase(f"sqlite:///{url}", clock=clock))


def user_signals(store: Store, user_id: int) -> UserSignals:
    """Everything a recommender learns from for one member (saves, upvotes and thumbs with their times,
    follows, mutes, folders, and a version that grows with every change), in one read transaction."""
    return store.preferences.user_signals(user_id)
