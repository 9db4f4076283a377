"""The Store interface for accounts and the community (implemented in accounts.py, community.py).

Secrets never reach the store in the clear: sessions, emailed tokens and
API tokens are looked up by their SHA-256 digest.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from paperwire.models import (
    AccountToken,
    ApiToken,
    AuthSession,
    CommunityActivity,
    Submission,
    User,
)


class AlreadyExists(ValueError):
    """A unique value (``field``: email, handle) is taken."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already exists")
        self.field = field


class AccountsAPI(abc.ABC):
    """Users, sessions, emailed tokens, API tokens and throttling counters."""

    @abc.abstractmethod
    def state_setdefault(self, key: str, value: str) -> str:
        """The saved value of ``key``, saving ``value`` first if there is none (atomically)."""

    # -- users -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_user(self, email: str, handle: str, password_hash: str) -> User:
        """A new, unverified account; ``AlreadyExists`` when the email or the handle is taken."""

    @abc.abstractmethod
    def get_user(self, user_id: int) -> User | None:
        """One user by id."""

    @abc.abstractmethod
    def get_user_by_email(self, email: str) -> User | None:
        """One user by (normalised) email."""

    @abc.abstractmethod
    def get_user_by_handle(self, handle: str) -> User | None:
        """One user by handle, in any case."""

    @abc.abstractmethod
    def list_users(self, limit: int = 100, offset: int = 0) -> list[User]:
        """Users, oldest first."""

    @abc.abstractmethod
    def update_user(self, user_id: int, *, verified: bool | None = None, disabled: bool | None = None,
                    is_admin: bool | None = None, library_public: bool | None = None) -> User | None:
        """Change flags; disabling also ends the user's sessions. None when there is no such user."""

    @abc.abstractmethod
    def set_password(self, user_id: int, password_hash: str) -> None:
        """Replace the password hash and end every session of the user."""

    # -- sessions ------------------------------------------------------------------------
    @abc.abstractmethod
    def create_session(self, user_id: int, token_hash: str, csrf_token: str, expires_at: datetime,
                       ip: str | None, user_agent: str | None) -> AuthSession:
        """Record a new session."""

    @abc.abstractmethod
    def get_session(self, token_hash: str) -> tuple[AuthSession, User] | None:
        """An unexpired session and its (enabled) user."""

    @abc.abstractmethod
    def touch_session(self, token_hash: str, expires_at: datetime) -> None:
        """Note activity and extend the session."""

    @abc.abstractmethod
    def delete_session(self, token_hash: str) -> None:
        """End one session."""

    # -- emailed single-use tokens --------------------------------------------------------
    @abc.abstractmethod
    def create_account_token(self, token_id: str, token_hash: str, user_id: int, purpose: str,
                             expires_at: datetime) -> None:
        """Record an emailed token (its id and digest)."""

    @abc.abstractmethod
    def get_account_token(self, token_hash: str, purpose: str) -> AccountToken | None:
        """A valid (unused, unexpired) token, without using it."""

    @abc.abstractmethod
    def use_account_token(self, token_hash: str, purpose: str) -> AccountToken | None:
        """Use a valid token once: it and every other unused token of the same purpose and user
        become used, in one transaction. None when invalid, expired or already used."""

    # -- API tokens --------------------------------------------------------------------------
    @abc.abstractmethod
    def create_api_token(self, user_id: int, name: str, token_hash: str, prefix: str,
                         scopes: Sequence[str]) -> ApiToken:
        """Record a new API token."""

    @abc.abstractmethod
    def api_token_user(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """An unrevoked token and its enabled user; notes its use."""

    @abc.abstractmethod
    def list_api_tokens(self, user_id: int) -> list[ApiToken]:
        """A user's tokens, newest first (revoked ones included)."""

    @abc.abstractmethod
    def revoke_api_token(self, user_id: int, token_id: int) -> bool:
        """Revoke one of the user's tokens; False when there is no such live token."""

    # -- throttling counters ------------------------------------------------------------------
    @abc.abstractmethod
    def count_events(self, scopes: Sequence[str], since: datetime) -> dict[str, int]:
        """How many events each scope recorded at or after ``since``."""

    @abc.abstractmethod
    def record_event(self, scopes: Sequence[str], keep_since: datetime) -> None:
        """Count one event in each scope now; forget every event older than ``keep_since``."""

    @abc.abstractmethod
    def clear_events(self, scope: str) -> None:
        """Forget a scope's events (a successful sign-in clears its account's failures)."""


class CommunityAPI(abc.ABC):
    """Upvotes, personal libraries and submissions."""

    @abc.abstractmethod
    def set_upvote(self, user_id: int, paper_id: str, on: bool) -> bool:
        """Upvote (``on``) or take it back; True when something changed. One per user and paper."""

    @abc.abstractmethod
    def set_saved(self, user_id: int, paper_id: str, on: bool) -> bool:
        """Save a paper to the user's library or remove it; True when something changed."""

    @abc.abstractmethod
    def upvote_counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Upvotes per paper (accounts that are disabled do not count); absent ids have none."""

    @abc.abstractmethod
    def viewer_marks(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, tuple[bool, bool]]:
        """For each id: (upvoted, saved) by this user."""

    @abc.abstractmethod
    def library(self, user_id: int, limit: int = 50, offset: int = 0) -> list[tuple[str, datetime]]:
        """The user's saved papers ``(paper_id, saved_at)``, newest first."""

    @abc.abstractmethod
    def count_library(self, user_id: int) -> int:
        """How many papers the user saved."""

    @abc.abstractmethod
    def add_submission(self, paper_id: str, user_id: int, source_url: str) -> tuple[Submission, bool]:
        """Record a submission of a stored paper; a paper already submitted keeps its first
        submitter (the new one is merged: ``times`` grows). Returns it and whether it is new."""

    @abc.abstractmethod
    def submissions_for(self, paper_ids: Sequence[str], include_hidden: bool = False) -> dict[str, Submission]:
        """The submissions of these papers (hidden ones and those of disabled accounts left out)."""

    @abc.abstractmethod
    def list_submissions(self, limit: int = 50, offset: int = 0, user_id: int | None = None,
                         include_hidden: bool = False) -> list[Submission]:
        """Submissions, newest first; of one user when ``user_id`` is given."""

    @abc.abstractmethod
    def set_submission_hidden(self, paper_id: str, hidden: bool, reason: str | None = None) -> bool:
        """Hide a submission (moderation) or show it again; False when there is none."""

    @abc.abstractmethod
    def community_version(self) -> int:
        """A counter raised by every change of upvotes, submissions and moderation (for cache validators)."""

    @abc.abstractmethod
    def community_activity(self, start: datetime, end: datetime) -> dict[str, CommunityActivity]:
        """Per paper: upvotes and saves made in ``(start, end]`` (the trending window: what happened up to
        ``end`` included) and whether it was submitted then (visible submissions, enabled accounts only).
        Trending reads this."""
