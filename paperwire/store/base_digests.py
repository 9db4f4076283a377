"""The Store interface for subscriptions, the email outbox and digests (implemented in digests.py).

Delivery state lives in ``outbox`` rows: ``pending`` → ``sending`` (claimed
with a lease) → ``sent`` / ``failed``, or ``cancelled`` when the subscriber
left before it went out. A claim is one write transaction, so two senders
never hold the same row; a crashed sender's rows are claimed again once
their lease expires.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from paperwire.models import OutboxMessage, Subscriber, Topic


class DigestsAPI(abc.ABC):
    """Subscribers, outbox and what each subscriber was sent."""

    # -- subscribers --------------------------------------------------------------------------
    @abc.abstractmethod
    def add_subscriber(self, email: str, frequency: str, topics: Sequence[Topic], state: str, source: str,
                       nonce: str, user_id: int | None = None) -> Subscriber:
        """A new subscriber; ``AlreadyExists('email')`` when the address is known."""

    @abc.abstractmethod
    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        """One subscriber by id."""

    @abc.abstractmethod
    def get_subscriber_by_email(self, email: str) -> Subscriber | None:
        """One subscriber by (normalised) email."""

    @abc.abstractmethod
    def subscribers_of_user(self, user_id: int) -> list[Subscriber]:
        """Subscriptions linked to an account."""

    @abc.abstractmethod
    def update_subscriber(self, subscriber_id: int, *, frequency: str | None = None,
                          topics: Sequence[Topic] | None = None, state: str | None = None,
                          user_id: int | None = None, error: str | None = None, nonce: str | None = None
                          ) -> Subscriber | None:
        """Change a subscriber; a new ``nonce`` revokes its signed links. Leaving (``unsubscribed``,
        ``bounced``) also cancels its pending digests in the same transaction, so nothing more is sent."""

    @abc.abstractmethod
    def list_subscribers(self, state: str | None = None, frequency: str | None = None, after_id: int = 0,
                         limit: int = 1000) -> list[Subscriber]:
        """Subscribers by id after ``after_id`` (a page), optionally of one state and frequency."""

    @abc.abstractmethod
    def import_subscribers(self, rows: Sequence[tuple[str, str, Sequence[Topic], str]],
                           source: str) -> tuple[int, list[str]]:
        """Add confirmed subscribers ``(email, frequency, topics, nonce)`` in one transaction; known
        addresses are left as they are. Returns how many were added and the addresses skipped."""

    # -- outbox ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def enqueue(self, message: OutboxMessage) -> bool:
        """Queue a message unless its key is already queued; True when queued now."""

    @abc.abstractmethod
    def enqueue_digests(self, digests: Sequence[tuple[OutboxMessage, Sequence[str]]]) -> list[str]:
        """Queue digests with their papers in one transaction, skipping keys already queued (built by
        another run); returns the keys queued now."""

    @abc.abstractmethod
    def outbox_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these keys are queued (in any state)."""

    @abc.abstractmethod
    def claim_outbox(self, owner: str, limit: int, lease_seconds: float, keys: Sequence[str] | None = None
                     ) -> list[OutboxMessage]:
        """Take up to ``limit`` messages due now: pending ones whose ``next_attempt`` has come, and
        ``sending`` ones whose lease expired (their sender died). They become ``sending``, held by
        ``owner`` until the lease ends; ``attempts`` grows by one."""

    @abc.abstractmethod
    def finish_outbox(self, results: Sequence[tuple[str, str, str | None, datetime | None]], owner: str) -> int:
        """Record outcomes ``(key, state, error, next_attempt)``: ``sent``, ``failed``, ``cancelled``, or
        ``pending`` again (a retry at ``next_attempt``). Only rows still held by ``owner`` change;
        returns how many did."""

    @abc.abstractmethod
    def renew_outbox(self, keys: Sequence[str], owner: str, lease_seconds: float) -> set[str]:
        """Extend the lease of claimed messages still held by ``owner``; returns those keys."""

    @abc.abstractmethod
    def release_outbox(self, keys: Sequence[str], owner: str, next_attempt: datetime, error: str) -> int:
        """Give claimed messages back unsent (the SMTP server was unreachable): ``pending`` again at
        ``next_attempt``, and the claim's attempt is not counted."""

    @abc.abstractmethod
    def get_outbox(self, key: str) -> OutboxMessage | None:
        """One message by key."""

    @abc.abstractmethod
    def list_outbox(self, state: str | None = None, subscriber_id: int | None = None, kind: str | None = None,
                    limit: int = 100) -> list[OutboxMessage]:
        """Messages, newest first."""

    @abc.abstractmethod
    def outbox_counts(self) -> dict[str, int]:
        """Messages per state."""

    @abc.abstractmethod
    def already_sent(self, paper_ids: Sequence[str]) -> set[tuple[int, str]]:
        """``(subscriber_id, paper_id)`` pairs among these papers that are in a digest sent or on its
        way (failed and cancelled digests do not count)."""

    @abc.abstractmethod
    def last_digests(self, subscriber_ids: Sequence[int]) -> dict[int, datetime]:
        """When each subscriber's newest digest was sent."""
