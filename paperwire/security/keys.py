"""The site's secret key, keys derived from it, and random tokens stored only as digests.

The secret comes from the ``secret_key`` setting, or, when that is empty, is
generated once and kept in the database's state table: every process (web,
worker, CLI, on any host) reads the same one, and nothing is read from the
working directory. Kept there, it is as safe as the database and its backups:
``serve`` and the account page of admins warn on an HTTPS site without the
setting. Each use derives its own key (HMAC of the purpose), so a
token of one kind can never pass for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from paperwire.config import Settings
from paperwire.store import Store

STATE_KEY = "secret_key"


def secret_key(settings: Settings, store: Store) -> bytes:
    """The configured secret, or the database's own (made on first use, atomically)."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured.encode()
    return store.state_setdefault(STATE_KEY, secrets.token_urlsafe(48)).encode()


def stored_secret_warning(settings: Settings) -> str | None:
    """What to tell the operator of a public (HTTPS) site whose secret lives in the database, or None.

    Whoever can read the database, a copy of its file or a backup can then forge password-reset,
    unsubscribe and confirmation links; a secret in the service's environment is not in any of those.
    """
    if settings.secret_key.get_secret_value() or not settings.secure_cookies():
        return None
    return ("PAPERWIRE_SECRET_KEY is not set, so the site's secret is kept in the database (state table): "
            "anyone who can read the database or a backup of it can forge password-reset links. Set "
            "PAPERWIRE_SECRET_KEY in the service's environment (python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'); links already emailed stop working once.")


def derive(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose (``unsubscribe``, ``csrf``, ``account-token``, ...)."""
    return hmac.new(secret, f"paperwire:{purpose}".encode(), hashlib.sha256).digest()


def b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """What the store keeps of a secret token: its SHA-256, hex. Tokens are random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())
