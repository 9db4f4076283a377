"""The pacing area: turns at rate-limited hosts, shared by every process on the database.

One row per key (``arxiv.org``): who holds the turn and until when (a holder
that dies stops holding once that passes), and the earliest start of the next
request. A turn is taken in one write transaction — ``BEGIN IMMEDIATE`` on
SQLite, a row lock (``FOR UPDATE``) on PostgreSQL — so two processes never
hold it at once. Times are epoch seconds from the database's clock on
PostgreSQL (hosts may disagree on theirs) and from this host's on SQLite (a
file is shared by one host's processes); they are real time, never the store's
settable clock: the gap between two requests is a physical one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from paperwire.store.core import Database, Tx

POLL_SECONDS = 0.25
"""How often a process waiting for a held turn asks again."""


class Pacing:
    """Turns per key (the ``PaceLedger`` of ``ingest.pacing``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _now(self, tx: Tx) -> float:
        if self.db.dialect == "postgresql":
            return float(tx.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())").scalar())
        return time.time()

    def take_turn(self, key: str, owner: str, hold_seconds: float, gone: Callable[[str], bool]) -> float:
        """Take the turn at ``key`` for ``hold_seconds`` if nobody holds it (or its holder is ``gone``: a
        process known to have died) and it is due: return 0. Otherwise return the seconds to wait before
        asking again."""
        lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
        with self.db.write() as tx:
            tx.execute("INSERT INTO pacing (key, next_at) VALUES (?, 0) ON CONFLICT (key) DO NOTHING", (key,))
            row = tx.execute(f"SELECT holder, held_until, next_at FROM pacing WHERE key = ?{lock}", (key,)).one()
            assert row is not None
            holder, held_until, next_at = row
            now = self._now(tx)
            if holder is not None and holder != owner and float(held_until) > now and not gone(holder):
                return max(min(float(held_until) - now, POLL_SECONDS), 0.01)
            if float(next_at) > now:
                return float(next_at) - now
            tx.execute("UPDATE pacing SET holder = ?, held_until = ? WHERE key = ?", (owner, now + hold_seconds, key))
            return 0.0

    def end_turn(self, key: str, owner: str, gap_seconds: float) -> None:
        """Give ``owner``'s turn back; the next request at ``key`` starts ``gap_seconds`` from now at the
        earliest (a later start already set stays)."""
        with self.db.write() as tx:
            at = self._now(tx) + gap_seconds
            tx.execute("UPDATE pacing SET next_at = CASE WHEN next_at < ? THEN ? ELSE next_at END, "
                       "holder = CASE WHEN holder = ? THEN NULL ELSE holder END, "
                       "held_until = CASE WHEN holder = ? THEN NULL ELSE held_until END WHERE key = ?",
                       (at, at, owner, owner, key))
