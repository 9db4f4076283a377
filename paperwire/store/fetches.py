"""The fetches area: the fetch queue — arXiv ids someone asked for, and who waits for each.

One row per id in ``fetches``: asking again for an id already queued changes
nothing (a failed or not-found one is queued again). Whoever asked, and why,
is a row of ``fetch_waiters``, so a feature can act on the outcome (record a
submission once its paper is stored). The worker claims due ids with a lease,
like jobs: under ``BEGIN IMMEDIATE`` on SQLite, with ``FOR UPDATE SKIP LOCKED``
on PostgreSQL; a claim whose worker died is claimed again once its lease expires.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from paperwire.models import FetchRequest, FetchWaiter
from paperwire.store.core import Database, chunks, iso, parse_instant, placeholders

_COLUMNS = ("paper_id, state, reason, requested_by, attempts, next_attempt, created_at, updated_at, finished_at, "
            "last_error")
_TERMINAL = "('done', 'not-found', 'failed')"


def _when(value: str | None) -> datetime:
    instant = parse_instant(value)
    assert instant is not None
    return instant


def _row_fetch(r: Sequence[Any]) -> FetchRequest:
    return FetchRequest(paper_id=r[0], state=r[1], reason=r[2], requested_by=r[3], attempts=int(r[4]),
                        next_attempt=_when(r[5]), created_at=_when(r[6]), updated_at=_when(r[7]),
                        finished_at=parse_instant(r[8]), last_error=r[9])


def _row_waiter(r: Sequence[Any]) -> FetchWaiter:
    return FetchWaiter(paper_id=r[0], user_id=int(r[1]), reason=r[2], detail=r[3], requested_at=_when(r[4]),
                       handled_at=parse_instant(r[5]), state=r[6])


class Fetches:
    """Requested arXiv ids, their fetch state, and who waits for them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def request(self, paper_ids: Sequence[str], reason: str, user_id: int | None = None,
                detail: str = "") -> dict[str, FetchRequest]:
        """Queue bare arXiv ids (idempotent per id: one already pending or done stays as it is; a failed
        or not-found one is queued again) and, with ``user_id``, note that this member waits for each."""
        ids = list(dict.fromkeys(paper_ids))
        now = self.db.now()
        with self.db.write() as tx:
            for pid in ids:
                tx.execute(
                    "INSERT INTO fetches (paper_id, state, reason, requested_by, next_attempt, created_at, updated_at) "
                    "VALUES (?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT (paper_id) DO UPDATE SET state = 'pending', "
                    "attempts = 0, next_attempt = excluded.next_attempt, last_error = NULL, finished_at = NULL, "
                    "updated_at = excluded.updated_at WHERE fetches.state IN ('failed', 'not-found')",
                    (pid, reason, user_id, now, now, now))
                if user_id is not None:
                    # a member asking again after the outcome was handled waits again; one still waiting
                    # keeps their place (the first to ask becomes the submitter)
                    tx.execute(
                        "INSERT INTO fetch_waiters (paper_id, user_id, reason, detail, requested_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (paper_id, user_id, reason) DO UPDATE SET "
                        "detail = excluded.detail, requested_at = excluded.requested_at, handled_at = NULL "
                        "WHERE fetch_waiters.handled_at IS NOT NULL",
                        (pid, user_id, reason, detail[:500], now))
        return self.get_many(ids)

    def get_many(self, paper_ids: Sequence[str]) -> dict[str, FetchRequest]:
        """The requests of these ids (absent: never asked for)."""
        found: dict[str, FetchRequest] = {}
        with self.db.read() as tx:
            for chunk in chunks(list(dict.fromkeys(paper_ids))):
                rows = tx.execute(f"SELECT {_COLUMNS} FROM fetches WHERE paper_id IN ({placeholders(len(chunk))})",
                                  chunk).all()
                found.update((r[0], _row_fetch(r)) for r in rows)
        return found

    def get(self, paper_id: str) -> FetchRequest | None:
        """The request of one id, or None."""
        return self.get_many([paper_id]).get(paper_id)

    def claim(self, owner: str, limit: int, lease_seconds: float) -> list[str]:
        """Take up to ``limit`` due ids (pending and due, or claimed by a worker whose lease expired),
        oldest first, marking them ``fetching`` for ``owner`` and counting the attempt."""
        now = self.db.clock()
        with self.db.write() as tx:
            rows = tx.execute(
                "SELECT paper_id FROM fetches WHERE (state = 'pending' AND next_attempt <= ?) "
                f"OR (state = 'fetching' AND lease_expires < ?) ORDER BY next_attempt, paper_id LIMIT ?"
                f"{self.db.skip_locked}", (iso(now), iso(now), limit)).all()
            ids = [r[0] for r in rows]
            if ids:
                tx.execute(f"UPDATE fetches SET state = 'fetching', lease_owner = ?, lease_expires = ?, "
                           f"attempts = attempts + 1, updated_at = ? WHERE paper_id IN ({placeholders(len(ids))})",
                           (owner, iso(now + timedelta(seconds=lease_seconds)), iso(now), *ids))
        return ids

    def finish(self, owner: str, done: Sequence[str] = (), missing: Sequence[str] = ()) -> None:
        """Record outcomes of ``owner``'s claim: ``done`` (stored) and ``missing`` (arXiv has no such paper)."""
        now = self.db.now()
        with self.db.write() as tx:
            for state, ids in (("done", list(done)), ("not-found", list(missing))):
                for chunk in chunks(ids):
                    tx.execute(f"UPDATE fetches SET state = ?, lease_owner = NULL, lease_expires = NULL, "
                               f"last_error = NULL, finished_at = ?, updated_at = ? "
                               f"WHERE paper_id IN ({placeholders(len(chunk))}) AND lease_owner = ?",
                               (state, now, now, *chunk, owner))

    def fail(self, owner: str, paper_ids: Sequence[str], error: str, max_attempts: int,
             backoff: Callable[[int], float]) -> int:
        """Record a failed try of ``owner``'s claim: each id is due again ``backoff(attempts)`` seconds from
        now, or ``failed`` once it was tried ``max_attempts`` times. Returns how many gave up."""
        now = self.db.clock()
        gave_up = 0
        with self.db.write() as tx:
            for chunk in chunks(list(paper_ids)):
                rows = tx.execute(f"SELECT paper_id, attempts FROM fetches WHERE paper_id IN "
                                  f"({placeholders(len(chunk))}) AND lease_owner = ?", (*chunk, owner)).all()
                for pid, attempts in rows:
                    last = int(attempts) >= max_attempts
                    gave_up += last
                    tx.execute("UPDATE fetches SET state = ?, next_attempt = ?, last_error = ?, lease_owner = NULL, "
                               "lease_expires = NULL, finished_at = ?, updated_at = ? WHERE paper_id = ?",
                               ("failed" if last else "pending",
                                iso(now + timedelta(seconds=backoff(int(attempts)))), error[:2000],
                                iso(now) if last else None, iso(now), pid))
        return gave_up

    def counts(self) -> dict[str, int]:
        """How many requests are in each state."""
        with self.db.read() as tx:
            rows = tx.execute("SELECT state, COUNT(*) FROM fetches GROUP BY state").all()
        return {r[0]: int(r[1]) for r in rows}

    # -- who waits -------------------------------------------------------------------------------
    def open_waiters(self, reason: str, limit: int = 500) -> list[FetchWaiter]:
        """Waiters for ``reason`` whose fetch has an outcome (done, not found, failed) not yet handled,
        first asked first."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT w.paper_id, w.user_id, w.reason, w.detail, w.requested_at, w.handled_at, f.state "
                "FROM fetch_waiters w JOIN fetches f ON f.paper_id = w.paper_id "
                f"WHERE w.reason = ? AND w.handled_at IS NULL AND f.state IN {_TERMINAL} "
                "ORDER BY w.requested_at, w.paper_id, w.user_id LIMIT ?", (reason, limit)).all()
        return [_row_waiter(r) for r in rows]

    def mark_handled(self, paper_id: str, user_id: int, reason: str) -> None:
        """Note that a waiter's outcome was acted on."""
        with self.db.write() as tx:
            tx.execute("UPDATE fetch_waiters SET handled_at = ? WHERE paper_id = ? AND user_id = ? AND reason = ?",
                       (self.db.now(), paper_id, user_id, reason))

    def waiting_for(self, user_id: int, reason: str, limit: int = 20) -> list[FetchWaiter]:
        """A member's requests for ``reason``, newest first, with their fetch's state."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT w.paper_id, w.user_id, w.reason, w.detail, w.requested_at, w.handled_at, f.state "
                "FROM fetch_waiters w JOIN fetches f ON f.paper_id = w.paper_id WHERE w.user_id = ? AND w.reason = ? "
                "ORDER BY w.requested_at DESC, w.paper_id LIMIT ?", (user_id, reason, limit)).all()
        return [_row_waiter(r) for r in rows]
