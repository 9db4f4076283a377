"""Signed links for subscribers: confirm, manage, unsubscribe.

A token is ``<subscriber id>.<expiry>.<signature>``: the signature is an
HMAC-SHA256, under a key derived from the site's secret for that purpose,
of the id, the expiry (0: none) and the subscriber's ``nonce``. Without the
secret nobody can make one, a token of one purpose is worthless for
another, changing the nonce revokes every token of a subscriber, and the
token carries nothing private (no email address).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime

from paperwire.models import Subscriber
from paperwire.security.keys import b64, derive

PURPOSES = ("confirm", "manage", "unsubscribe")
_TOKEN_RE = re.compile(r"^(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


def _signature(secret: bytes, purpose: str, subscriber_id: int, expires: int, nonce: str) -> str:
    key = derive(secret, f"subscriber-{purpose}")
    return b64(hmac.new(key, f"{subscriber_id}.{expires}.{nonce}".encode(), hashlib.sha256).digest())


def make_token(secret: bytes, purpose: str, subscriber: Subscriber, expires: datetime | None = None) -> str:
    """A signed token for ``purpose`` (one of ``PURPOSES``)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    stamp = int(expires.timestamp()) if expires else 0
    return f"{subscriber.id}.{stamp}.{_signature(secret, purpose, subscriber.id, stamp, subscriber.nonce)}"


def read_token(secret: bytes, purpose: str, token: str, load: Callable[[int], Subscriber | None],
               now: datetime | None = None) -> Subscriber | None:
    """The subscriber a valid token names, or None (malformed, forged, expired, revoked)."""
    match = _TOKEN_RE.match(token.strip())
    if match is None or purpose not in PURPOSES:
        return None
    sid, stamp, signature = int(match.group(1)), int(match.group(2)), match.group(3)
    if stamp and stamp < (now or datetime.now(UTC)).timestamp():
        return None
    subscriber = load(sid)
    if subscriber is None:
        return None
    expected = _signature(secret, purpose, sid, stamp, subscriber.nonce)
    return subscriber if hmac.compare_digest(expected, signature) else None
