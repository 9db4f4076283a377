"""Plain data of accounts and the community: users, sessions, tokens, submissions. No I/O."""

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


@dataclass(slots=True)
class Submission:
    """Who first submitted a paper; later submissions of it are merged (``times``)."""

    paper_id: str
    user_id: int
    handle: str
    submitted_at: datetime
    source_url: str
    times: int = 1
    hidden_at: datetime | None = None
    hidden_reason: str | None = None


@dataclass(slots=True)
class CommunityActivity:
    """What the community did with one paper in a time window (trending reads this)."""

    upvotes: int = 0
    saves: int = 0
    submitted: bool = False


@dataclass(slots=True)
class PaperCommunity:
    """A paper's community state as pages show it, optionally for one viewer."""

    upvotes: int = 0
    submitted_by: str | None = None
    upvoted: bool = False
    saved: bool = False
