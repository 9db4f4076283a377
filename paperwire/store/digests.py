"""The subscriptions area (subscribers) and the outbox area (the email outbox and digest items).

Claiming is one write transaction (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL), so concurrent senders never take the same
message; outcomes are only recorded by the sender still holding the lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from paperwire.models import OutboxMessage, Subscriber, Topic
from paperwire.store.core import AlreadyExists, Database, Tx, chunks, iso, parse_instant, placeholders

_SUB_COLUMNS = ("id, email, frequency, state, source, nonce, topics, user_id, created_at, updated_at, confirmed_at, "
                "unsubscribed_at, last_error")
_OUTBOX_COLUMNS = ("key", "kind", "recipient", "subscriber_id", "period", "payload", "message_id", "state", "attempts",
                   "next_attempt", "lease_owner", "lease_expires", "created_at", "sent_at", "last_error")
_OUTBOX_SELECT = f"SELECT {', '.join(_OUTBOX_COLUMNS)} FROM outbox"
LEAVING = ("unsubscribed", "bounced")


def _topics_json(topics: Sequence[Topic]) -> str:
    return orjson.dumps([[t.kind, t.value] for t in topics]).decode()


def _row_subscriber(r: Sequence[Any]) -> Subscriber:
    return Subscriber(
        id=int(r[0]), email=r[1], frequency=r[2], state=r[3], source=r[4], nonce=r[5],
        topics=[Topic(k, v) for k, v in orjson.loads(r[6])], user_id=int(r[7]) if r[7] is not None else None,
        created_at=parse_instant(r[8]), updated_at=parse_instant(r[9]), confirmed_at=parse_instant(r[10]),
        unsubscribed_at=parse_instant(r[11]), last_error=r[12],
    )


def _row_outbox(r: Sequence[Any]) -> OutboxMessage:
    return OutboxMessage(
        key=r[0], kind=r[1], recipient=r[2], subscriber_id=int(r[3]) if r[3] is not None else None, period=r[4],
        payload=orjson.loads(r[5]), message_id=r[6], state=r[7], attempts=int(r[8]),
        next_attempt=parse_instant(r[9]), lease_owner=r[10], lease_expires=parse_instant(r[11]),
        created_at=parse_instant(r[12]), sent_at=parse_instant(r[13]), last_error=r[14],
    )


class Subscriptions:
    """Subscribers: who gets which digest, and their state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_subscriber(self, email: str, frequency: str, topics: Sequence[Topic], state: str, source: str,
                       nonce: str, user_id: int | None = None) -> Subscriber:
        """A new subscriber; ``AlreadyExists('email')`` when the address is known."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO subscribers (email, frequency, state, source, nonce, topics, user_id, created_at, "
                "updated_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                (email, frequency, state, source, nonce, _topics_json(topics), user_id, now, now,
                 now if state == "confirmed" else None),
            )
            if tx.rowcount != 1:
                raise AlreadyExists("email")
            row = tx.execute(f"SELECT {_SUB_COLUMNS} FROM subscribers WHERE email = ?", (email,)).one()
        assert row is not None
        return _row_subscriber(row)

    def _subscriber_where(self, where: str, value: Any) -> Subscriber | None:
        with self.db.read() as tx:
            row = tx.execute(f"SELECT {_SUB_COLUMNS} FROM subscribers WHERE {where} = ?", (value,)).one()
        return _row_subscriber(row) if row else None

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        """One subscriber by id."""
        return self._subscriber_where("id", subscriber_id)

    def get_subscriber_by_email(self, email: str) -> Subscriber | None:
        """One subscriber by (normalised) email."""
        return self._subscriber_where("email", email)

    def subscribers_of_user(self, user_id: int) -> list[Subscriber]:
        """Subscriptions linked to an account."""
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {_SUB_COLUMNS} FROM subscribers WHERE user_id = ? ORDER BY id",
                              (user_id,)).all()
        return [_row_subscriber(r) for r in rows]

    def update_subscriber(self, subscriber_id: int, *, frequency: str | None = None,
                          topics: Sequence[Topic] | None = None, state: str | None = None,
                          user_id: int | None = None, error: str | None = None, nonce: str | None = None
                          ) -> Subscriber | None:
        """Change a subscriber; a new ``nonce`` revokes its signed links. Leaving (``unsubscribed``,
        ``bounced``) also cancels its pending digests in the same transaction, so nothing more is sent."""
        now = self.db.now()
        sets: list[tuple[str, Any]] = [("updated_at = ?", now)]
        if frequency is not None:
            sets.append(("frequency = ?", frequency))
        if topics is not None:
            sets.append(("topics = ?", _topics_json(topics)))
        if user_id is not None:
            sets.append(("user_id = ?", user_id))
        if error is not None:
            sets.append(("last_error = ?", error))
        if nonce is not None:
            sets.append(("nonce = ?", nonce))
        if state is not None:
            sets.append(("state = ?", state))
            if state == "confirmed":
                sets += [("confirmed_at = ?", now), ("unsubscribed_at = ?", None), ("last_error = ?", error)]
            elif state in LEAVING:
                sets.append(("unsubscribed_at = ?", now))
        with self.db.write() as tx:
            tx.execute(f"UPDATE subscribers SET {', '.join(s for s, _ in sets)} WHERE id = ?",
                       (*(v for _, v in sets), subscriber_id))
            if state in LEAVING:
                tx.execute("UPDATE outbox SET state = 'cancelled', last_error = ? WHERE subscriber_id = ? "
                           "AND state = 'pending'", (f"subscriber {state}", subscriber_id))
            row = tx.execute(f"SELECT {_SUB_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)).one()
        return _row_subscriber(row) if row else None

    def list_subscribers(self, state: str | None = None, frequency: str | None = None, after_id: int = 0,
                         limit: int = 1000) -> list[Subscriber]:
        """Subscribers by id after ``after_id`` (a page), optionally of one state and frequency."""
        where, params = ["id > ?"], [after_id]
        for column, value in (("state", state), ("frequency", frequency)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)  # type: ignore[arg-type]
        with self.db.read() as tx:
            rows = tx.execute(f"SELECT {_SUB_COLUMNS} FROM subscribers WHERE {' AND '.join(where)} ORDER BY id "
                              "LIMIT ?", (*params, limit)).all()
        return [_row_subscriber(r) for r in rows]

    def import_subscribers(self, rows: Sequence[tuple[str, str, Sequence[Topic], str]], source: str
                           ) -> tuple[int, list[str]]:
        """Add confirmed subscribers ``(email, frequency, topics, nonce)`` in one transaction; known
        addresses are left as they are. Returns how many were added and the addresses skipped."""
        now = self.db.now()
        added, skipped = 0, []
        with self.db.write() as tx:
            for email, frequency, topics, nonce in rows:
                tx.execute(
                    "INSERT INTO subscribers (email, frequency, state, source, nonce, topics, created_at, updated_at, "
                    "confirmed_at) VALUES (?, ?, 'confirmed', ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                    (email, frequency, source, nonce, _topics_json(topics), now, now, now),
                )
                if tx.rowcount == 1:
                    added += 1
                else:
                    skipped.append(email)
        return added, skipped


class Outbox:
    """The email outbox and the digest items (which papers each digest carried).

    Delivery state lives in ``outbox`` rows: ``pending`` → ``sending`` (claimed
    with a lease) → ``sent`` / ``failed``, or ``cancelled`` when the subscriber
    left before it went out. A claim is one write transaction, so two senders
    never hold the same row; a crashed sender's rows are claimed again once
    their lease expires.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _outbox_row(m: OutboxMessage, now: str) -> tuple[Any, ...]:
        return (m.key, m.kind, m.recipient, m.subscriber_id, m.period, orjson.dumps(m.payload).decode(),
                m.message_id, "pending", 0, iso(m.next_attempt) or now, None, None, now, None, None)

    def enqueue(self, message: OutboxMessage) -> bool:
        """Queue a message unless its key is already queued; True when queued now."""
        now = self.db.now()
        with self.db.write() as tx:
            tx.execute(f"INSERT INTO outbox ({', '.join(_OUTBOX_COLUMNS)}) "
                       f"VALUES ({placeholders(len(_OUTBOX_COLUMNS))}) ON CONFLICT (key) DO NOTHING",
                       self._outbox_row(message, now))
            return tx.rowcount == 1

    def _existing_keys(self, tx: Tx, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in map(list, chunks(keys)):
            found.update(r[0] for r in tx.execute(f"SELECT key FROM outbox WHERE key IN ({placeholders(len(chunk))})",
                                                  chunk).all())
        return found

    def enqueue_digests(self, digests: Sequence[tuple[OutboxMessage, Sequence[str]]]) -> list[str]:
        """Queue digests with their papers in one transaction, skipping keys already queued (built by
        another run); returns the keys queued now."""
        if not digests:
            return []
        now = self.db.now()
        with self.db.write() as tx:
            self.db.lock(tx, "outbox")  # two builders of one period: the second sees the first's keys
            existing = self._existing_keys(tx, [m.key for m, _ in digests])
            new = [(m, ids) for m, ids in digests if m.key not in existing]
            self.db.insert_rows(tx, "outbox", _OUTBOX_COLUMNS, [self._outbox_row(m, now) for m, _ in new])
            items = [(m.key, pid, m.subscriber_id) for m, ids in new for pid in dict.fromkeys(ids)]
            self.db.insert_rows(tx, "digest_items", ("outbox_key", "paper_id", "subscriber_id"), items)
        return [m.key for m, _ in new]

    def outbox_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these keys are queued (in any state)."""
        with self.db.read() as tx:
            return self._existing_keys(tx, keys)

    def claim_outbox(self, owner: str, limit: int, lease_seconds: float, keys: Sequence[str] | None = None
                     ) -> list[OutboxMessage]:
        """Take up to ``limit`` messages due now: pending ones whose ``next_attempt`` has come, and
        ``sending`` ones whose lease expired (their sender died). They become ``sending``, held by
        ``owner`` until the lease ends; ``attempts`` grows by one."""
        now = self.db.clock()
        stamp, expires = iso(now), iso(now + timedelta(seconds=lease_seconds))
        only = f" AND key IN ({placeholders(len(keys))})" if keys else ""
        with self.db.write() as tx:
            taken: list[str] = []
            # crashed senders' messages first (their lease ran out), then due ones, oldest first
            for condition in ("state = 'sending' AND lease_expires < ?", "state = 'pending' AND next_attempt <= ?"):
                if len(taken) >= limit:
                    break
                rows = tx.execute(f"SELECT key FROM outbox WHERE {condition}{only} ORDER BY next_attempt, key "
                                  f"LIMIT ?{self.db.skip_locked}", (stamp, *(keys or ()), limit - len(taken))).all()
                taken += [r[0] for r in rows]
            if not taken:
                return []
            tx.execute("UPDATE outbox SET state = 'sending', lease_owner = ?, lease_expires = ?, "
                       f"attempts = attempts + 1 WHERE key IN ({placeholders(len(taken))})", (owner, expires, *taken))
            rows = tx.execute(f"{_OUTBOX_SELECT} WHERE key IN ({placeholders(len(taken))}) ORDER BY next_attempt, key",
                              taken).all()
        return [_row_outbox(r) for r in rows]

    def finish_outbox(self, results: Sequence[tuple[str, str, str | None, datetime | None]], owner: str) -> int:
        """Record outcomes ``(key, state, error, next_attempt)``: ``sent``, ``failed``, ``cancelled``, or
        ``pending`` again (a retry at ``next_attempt``). Only rows still held by ``owner`` change;
        returns how many did."""
        if not results:
            return 0
        now = self.db.now()
        done = 0
        with self.db.write() as tx:
            for key, state, error, next_attempt in results:
                tx.execute(
                    "UPDATE outbox SET state = ?, last_error = ?, next_attempt = COALESCE(?, next_attempt), "
                    "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, lease_owner = NULL, lease_expires = NULL "
                    "WHERE key = ? AND lease_owner = ? AND state = 'sending'",
                    (state, error, iso(next_attempt), state, now, key, owner),
                )
                done += tx.rowcount
        return done

    def renew_outbox(self, keys: Sequence[str], owner: str, lease_seconds: float) -> set[str]:
        """Extend the lease of claimed messages still held by ``owner``; returns those keys."""
        if not keys:
            return set()
        expires = iso(self.db.clock() + timedelta(seconds=lease_seconds))
        marks = placeholders(len(keys))
        with self.db.write() as tx:
            tx.execute(f"UPDATE outbox SET lease_expires = ? WHERE key IN ({marks}) AND lease_owner = ? "
                       "AND state = 'sending'", (expires, *keys, owner))
            rows = tx.execute(f"SELECT key FROM outbox WHERE key IN ({marks}) AND lease_owner = ? "
                              "AND state = 'sending'", (*keys, owner)).all()
        return {r[0] for r in rows}

    def release_outbox(self, keys: Sequence[str], owner: str, next_attempt: datetime, error: str) -> int:
        """Give claimed messages back unsent (the SMTP server was unreachable): ``pending`` again at
        ``next_attempt``, and the claim's attempt is not counted."""
        if not keys:
            return 0
        with self.db.write() as tx:
            tx.execute("UPDATE outbox SET state = 'pending', attempts = attempts - 1, next_attempt = ?, "
                       "last_error = ?, lease_owner = NULL, lease_expires = NULL "
                       f"WHERE key IN ({placeholders(len(keys))}) AND lease_owner = ? AND state = 'sending'",
                       (iso(next_attempt), error, *keys, owner))
            return tx.rowcount

    def get_outbox(self, key: str) -> OutboxMessage | None:
        """One message by key."""
        with self.db.read() as tx:
            row = tx.execute(f"{_OUTBOX_SELECT} WHERE key = ?", (key,)).one()
        return _row_outbox(row) if row else None

    def list_outbox(self, state: str | None = None, subscriber_id: int | None = None, kind: str | None = None,
                    limit: int = 100) -> list[OutboxMessage]:
        """Messages, newest first."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("state", state), ("subscriber_id", subscriber_id), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as tx:
            rows = tx.execute(f"{_OUTBOX_SELECT}{clause} ORDER BY created_at DESC, key DESC LIMIT ?",
                              (*params, limit)).all()
        return [_row_outbox(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        """Messages per state."""
        with self.db.read() as tx:
            return {r[0]: int(r[1]) for r in tx.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").all()}

    def already_sent(self, paper_ids: Sequence[str]) -> set[tuple[int, str]]:
        """``(subscriber_id, paper_id)`` pairs among these papers that are in a digest sent or on its
        way (failed and cancelled digests do not count)."""
        ids = list(dict.fromkeys(paper_ids))
        pairs: set[tuple[int, str]] = set()
        with self.db.read() as tx:
            for chunk in chunks(ids):
                rows = tx.execute(
                    "SELECT di.subscriber_id, di.paper_id FROM digest_items di JOIN outbox o ON o.key = di.outbox_key "
                    f"WHERE di.paper_id IN ({placeholders(len(chunk))}) AND o.state NOT IN ('failed', 'cancelled')",
                    chunk,
                ).all()
                pairs.update((int(r[0]), r[1]) for r in rows)
        return pairs

    def last_digests(self, subscriber_ids: Sequence[int]) -> dict[int, datetime]:
        """When each subscriber's newest digest was sent."""
        ids = list(dict.fromkeys(subscriber_ids))
        found: dict[int, datetime] = {}
        with self.db.read() as tx:
            for chunk in chunks(ids):
                rows = tx.execute("SELECT subscriber_id, MAX(sent_at) FROM outbox WHERE kind = 'digest' AND "
                                  f"state = 'sent' AND subscriber_id IN ({placeholders(len(chunk))}) "
                                  "GROUP BY subscriber_id", chunk).all()
                for sid, at in rows:
                    when = parse_instant(at)
                    if when is not None:
                        found[int(sid)] = when
        return found
