"""Plain data of accounts: users, sessions, verification/reset tokens, API tokens. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

API_SCOPES = ("read", "write")
TOKEN_PURPOSES = ("verify", "reset")


@dataclass(slots=True)
class User:
    """An account. ``handle`` is the public name; the email is never shown to others."""

    id: int
    email: str
    handle: str
    password_hash: str
    created_at: datetime
    verified_at: datetime | None = None
    disabled_at: datetime | None = None
    is_admin: bool = False
    library_public: bool = False

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(slots=True)
class AuthSession:
    """A signed-in browser: the cookie holds a random token, the store only its digest."""

    token_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    last_seen: datetime


@dataclass(slots=True)
class AccountToken:
    """An emailed single-use token (``verify`` an address, ``reset`` a password)."""

    id: str
    user_id: int
    purpose: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(slots=True)
class ApiToken:
    """A token for scripts (``Authorization: Bearer``); ``prefix`` identifies it in lists."""

    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used: datetime | None = None
    revoked_at: datetime | None = None
