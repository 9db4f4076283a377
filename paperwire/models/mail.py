"""Plain data of the mail outbox: one message to send and its states. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OUTBOX_STATES = ("pending", "sending", "sent", "failed", "cancelled")


@dataclass(slots=True)
class OutboxMessage:
    """One email to send. ``key`` is unique: a digest's is ``digest:<subscriber>:<period>``."""

    key: str
    kind: str
    recipient: str
    payload: dict[str, Any]
    message_id: str
    state: str = "pending"
    subscriber_id: int | None = None
    period: str | None = None
    attempts: int = 0
    next_attempt: datetime | None = None
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass
class Email:
    """A rendered message before MIME: its subject, both parts, and extra headers (List-Unsubscribe, …)."""

    subject: str
    text: str
    html: str
    headers: list[tuple[str, str]] = field(default_factory=list)
