"""Every email goes through the outbox: queue it here, ``send.deliver`` sends it.

A message's key is unique, so queueing the same thing twice queues it once;
its Message-ID is derived from the key and the database's instance id, so a
message sent again after a crash carries the same Message-ID and receivers
can drop the copy.
"""

from __future__ import annotations

import hashlib
from email.utils import parseaddr
from typing import Any

from paperwire.config import Settings
from paperwire.models import OutboxMessage
from paperwire.store import Store

KINDS = ("digest", "subscription_confirm", "subscription_manage", "account_verify", "account_reset",
         "account_exists", "account_name_taken", "comment_reply")


def sender_address(settings: Settings) -> str:
    """The bare address of ``mail_from``."""
    return parseaddr(settings.mail_from)[1] or settings.mail_from


def sender_domain(settings: Settings) -> str:
    """The domain of the sender address (names Message-IDs)."""
    return sender_address(settings).rpartition("@")[2] or "localhost"


def message_id(instance_id: str, key: str, domain: str) -> str:
    """The Message-ID of the message with ``key``: the same on every attempt, unique per instance."""
    digest = hashlib.sha256(f"{instance_id}\x00{key}".encode()).hexdigest()[:32]
    kind = key.split(":", 1)[0].replace("_", "-")
    return f"<{kind}.{digest}@{domain}>"


def queue_mail(store: Store, settings: Settings, kind: str, recipient: str, key: str, payload: dict[str, Any],
               subscriber_id: int | None = None, period: str | None = None) -> bool:
    """Queue one message (unless ``key`` is queued already); True when queued now."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    message = OutboxMessage(key=key, kind=kind, recipient=recipient, payload=payload, subscriber_id=subscriber_id,
                            period=period, message_id=message_id(store.instance_id(), key, sender_domain(settings)))
    return store.outbox.enqueue(message)
