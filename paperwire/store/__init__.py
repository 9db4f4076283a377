"""Storage: the Store interface and its two backends, chosen by URL."""

from __future__ import annotations

from paperwire.store.base import JobInfo, Store
from paperwire.store.core import Clock, utcnow

__all__ = ["JobInfo", "Store", "open_store"]


def open_store(url: str, clock: Clock = utcnow, pool_max: int = 8) -> Store:
    """A Store for ``url``: ``sqlite:///…``, ``postgresql://…``, or a bare file path (SQLite)."""
    if url.startswith(("postgresql://", "postgres://")):
        from paperwire.store.postgres import PostgresStore

        return PostgresStore(url, clock=clock, pool_max=pool_max)
    if url.startswith("sqlite:"):
        from paperwire.store.sqlite import SQLiteStore

        return SQLiteStore(url, clock=clock)
    if "://" in url:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")
    from paperwire.store.sqlite import SQLiteStore

    return SQLiteStore(f"sqlite:///{url}", clock=clock)
