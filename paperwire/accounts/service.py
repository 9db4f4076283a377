"""Accounts: sign-up with email verification, sign-in and sessions, password resets, API tokens.

Nothing here tells a visitor whether an address has an account: sign-up
with a known address answers like any sign-up (the owner gets an email
instead), a reset request for an unknown address answers like any other,
and every sign-in failure has the same message. Secrets (session tokens,
emailed tokens, API tokens) are random and stored only as SHA-256 digests;
emailed tokens are derived from a random id with the site's secret, so the
outbox holds the id, never the token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from paperwire.accounts.passwords import check_policy, hash_password, verify_password
from paperwire.config import Settings
from paperwire.mail.addresses import normalize_email
from paperwire.mail.outbox import queue_mail
from paperwire.models import API_SCOPES, ApiToken, AuthSession, User
from paperwire.security.keys import b64, derive, digest, new_token
from paperwire.security.throttle import Throttle
from paperwire.store import AlreadyExists, Store
from paperwire.store.core import utcnow

log = logging.getLogger(__name__)

HANDLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$")
SIGNIN_FAILED = "Wrong email or password. Check both, or reset your password."
SIGNIN_THROTTLED = "Too many failed sign-ins. Wait an hour, or reset your password."
API_TOKEN_PREFIX = "pw_"
_RESERVED = {"admin", "administrator", "root", "paperwire", "support", "moderator", "staff", "system", "api"}


class AccountError(ValueError):
    """A request we refuse; ``message`` is shown to the user as it is."""


class SignInError(AccountError):
    """Sign-in refused, with a message that never says whether the account exists."""


@dataclass
class Outcome:
    """What an account action did: the user it concerns (if any) and the emails it queued."""

    user: User | None = None
    mail_keys: list[str] = field(default_factory=list)


def account_link_token(secret: bytes, token_id: str) -> str:
    """The token an emailed link carries for the stored token ``token_id``."""
    return b64(hmac.new(derive(secret, "account-token"), token_id.encode(), hashlib.sha256).digest())


def check_handle(handle: str) -> str:
    """The handle, or ``AccountError`` when it is not 2–30 letters, digits, ``_`` or ``-``."""
    handle = handle.strip()
    if not HANDLE_RE.match(handle):
        raise AccountError("Choose a name of 2–30 letters, digits, _ or -, starting with a letter or digit.")
    if handle.lower() in _RESERVED:
        raise AccountError("That name is reserved; choose another.")
    return handle


class Accounts:
    """Account operations over one store, with the site's settings and secret."""

    def __init__(self, store: Store, settings: Settings, secret: bytes, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.settings = settings
        self.secret = secret
        self.clock = clock
        self.throttle = Throttle(store, settings, clock)

    # -- emailed tokens ---------------------------------------------------------------------
    def _mail_token(self, user: User, purpose: str, lifetime: timedelta) -> str:
        token_id = new_token(18)
        token = account_link_token(self.secret, token_id)
        self.store.accounts.create_account_token(token_id, digest(token), user.id, purpose, self.clock() + lifetime)
        return token_id

    def _queue(self, kind: str, user: User, key: str, payload: dict[str, str]) -> list[str]:
        if not self.throttle.mail_allowed(user.email):
            log.warning("not sending %s to user %s: hourly limit of emails to the address reached", kind, user.id)
            return []
        queue_mail(self.store, self.settings, kind, user.email, key, {"handle": user.handle, **payload})
        return [key]

    def _send_verification(self, user: User) -> list[str]:
        token_id = self._mail_token(user, "verify", timedelta(hours=self.settings.verify_email_hours))
        return self._queue("account_verify", user, f"account_verify:{token_id}", {"token_id": token_id})

    # -- sign-up and verification -----------------------------------------------------------
    def signup(self, email: str, handle: str, password: str) -> Outcome:
        """Create an unverified account and email a verification link.

        A known address gets an email saying so (with a sign-in and a reset link) and the
        same answer as a new one; invalid input raises ``AccountError``.
        """
        if not self.settings.signup_enabled:
            raise AccountError("Sign-up is closed on this site.")
        address = normalize_email(email)
        handle = check_handle(handle)
        check_policy(password, address)
        existing = self.store.accounts.get_user_by_email(address)
        if existing is not None:
            hash_password(password)  # spend the same time as a real sign-up
            return Outcome(None, self._queue("account_exists", existing, f"account_exists:{new_token(12)}", {}))
        try:
            user = self.store.accounts.create_user(address, handle, hash_password(password))
        except AlreadyExists as exc:
            if exc.field == "handle":
                raise AccountError("That name is taken; choose another.") from None
            return Outcome()  # the same address signed up concurrently: it got its own email
        return Outcome(user, self._send_verification(user))

    def resend_verification(self, user: User) -> list[str]:
        """Email a new verification link (nothing when already verified)."""
        return [] if user.verified else self._send_verification(user)

    def verify_email(self, token: str) -> User | None:
        """Mark the address verified; None when the link is invalid, expired or used."""
        used = self.store.accounts.use_account_token(digest(token), "verify")
        return self.store.accounts.update_user(used.user_id, verified=True) if used else None

    # -- sign-in and sessions -----------------------------------------------------------------
    def sign_in(self, email: str, password: str, ip: str | None, user_agent: str | None = None
                ) -> tuple[User, str, AuthSession]:
        """Check the password and open a session: ``(user, session token, session)``.

        Raises ``SignInError`` with one message for every kind of failure (no such account,
        wrong password, disabled account) and another when throttled.
        """
        address = email.strip().lower()
        if self.throttle.login_blocked(address, ip):
            raise SignInError(SIGNIN_THROTTLED)
        user = self.store.accounts.get_user_by_email(address) if address else None
        ok, new_hash = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled:
            self.throttle.login_failed(address, ip)
            raise SignInError(SIGNIN_FAILED)
        self.throttle.login_succeeded(address)
        if new_hash:
            self.store.accounts.set_password(user.id, new_hash)
        token, session = self.open_session(user, ip, user_agent)
        return user, token, session

    def open_session(self, user: User, ip: str | None, user_agent: str | None) -> tuple[str, AuthSession]:
        """A new session for ``user``: the cookie's token and its record."""
        token = new_token(32)
        expires = self.clock() + timedelta(days=self.settings.session_days)
        session = self.store.accounts.create_session(user.id, digest(token), new_token(24), expires, ip, user_agent)
        return token, session

    def session(self, token: str) -> tuple[AuthSession, User] | None:
        """The live session of a cookie, extended (sliding expiry) at most every few minutes."""
        if not token or len(token) > 200:
            return None
        found = self.store.accounts.get_session(digest(token))
        if found is not None and found[0].last_seen < self.clock() - timedelta(minutes=10):
            self.store.accounts.touch_session(found[0].token_hash,
                                              self.clock() + timedelta(days=self.settings.session_days))
        return found

    def sign_out(self, token: str) -> None:
        """End the session of a cookie."""
        if token:
            self.store.accounts.delete_session(digest(token))

    # -- passwords -----------------------------------------------------------------------------
    def request_reset(self, email: str) -> list[str]:
        """Email a reset link if the address has an account; queued mail keys (empty otherwise)."""
        try:
            address = normalize_email(email)
        except ValueError:
            return []
        user = self.store.accounts.get_user_by_email(address)
        if user is None or user.disabled:
            return []
        token_id = self._mail_token(user, "reset", timedelta(minutes=self.settings.password_reset_minutes))
        return self._queue("account_reset", user, f"account_reset:{token_id}", {"token_id": token_id})

    def reset_link_valid(self, token: str) -> bool:
        """Whether a reset link still works (shown before asking for the new password)."""
        return bool(token) and self.store.accounts.get_account_token(digest(token), "reset") is not None

    def reset_password(self, token: str, password: str) -> User:
        """Set a new password with a reset link: the link, and any other, stops working, and every
        session of the account ends."""
        found = self.store.accounts.get_account_token(digest(token), "reset") if token else None
        user = self.store.accounts.get_user(found.user_id) if found else None
        if user is None:
            raise AccountError("This reset link is invalid, expired or already used. Ask for a new one.")
        check_policy(password, user.email)
        if self.store.accounts.use_account_token(digest(token), "reset") is None:
            raise AccountError("This reset link is invalid, expired or already used. Ask for a new one.")
        self.store.accounts.set_password(user.id, hash_password(password))
        # the link reached the inbox, so the address is verified too
        return self.store.accounts.update_user(user.id, verified=True) or user

    def change_password(self, user: User, current: str, new: str) -> None:
        """Change a signed-in user's password (ends every session, this one included)."""
        ok, _ = verify_password(user.password_hash, current)
        if not ok:
            raise AccountError("Your current password is not right.")
        check_policy(new, user.email)
        self.store.accounts.set_password(user.id, hash_password(new))

    # -- API tokens --------------------------------------------------------------------------------
    def create_api_token(self, user: User, name: str, scopes: Sequence[str]) -> tuple[ApiToken, str]:
        """A new token (shown once) and its record."""
        name = " ".join(name.split())[:60] or "token"
        chosen = [s for s in API_SCOPES if s in scopes]
        if not chosen:
            raise AccountError(f"Choose at least one scope: {', '.join(API_SCOPES)}.")
        token = API_TOKEN_PREFIX + new_token(32)
        return self.store.accounts.create_api_token(user.id, name, digest(token), token[:10], chosen), token

    def api_user(self, token: str) -> tuple[ApiToken, User] | None:
        """The live token and its user for an ``Authorization: Bearer`` value."""
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
            return None
        return self.store.accounts.api_token_user(digest(token))
