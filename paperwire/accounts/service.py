"""Accounts: sign-up with email verification, sign-in and sessions, password resets, API tokens.

Nothing here tells a visitor whether an address has an account: sign-up
with a known address answers like any sign-up (the owner gets an email
instead), and so does sign-up with a taken name (the address gets an email
saying so: answering "taken" at once would tell known addresses, which get
"check your email", from new ones); a reset request for an unknown address
answers like any other, and every sign-in failure has the same message.

Whoever controls the address wins over whoever signed up with it: API tokens
need a verified address, a password reset ends every session and revokes
every API token, and a reset of a never-verified account (someone may have
signed up with another person's address) wipes its sessions and tokens and
lets the address's owner choose the public name. Secrets (session tokens,
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
PASSWORD_THROTTLED = "Too many wrong passwords. Wait an hour, or reset your password."
TOKENS_NEED_VERIFIED = ("Verify your email address before using API tokens: follow the link we sent you, or ask "
                        "for a new one on your account page.")
TOKEN_BEFORE_VERIFIED = "This API token was made before the email address was verified; make a new one."
RESET_INVALID = "This reset link is invalid, expired or already used. Ask for a new one."
API_TOKEN_PREFIX = "pw_"
_RESERVED = {"admin", "administrator", "root", "paperwire", "support", "moderator", "staff", "system", "api"}


class AccountError(ValueError):
    """A request we refuse; ``message`` is shown to the user as it is."""


class SignInError(AccountError):
    """Sign-in refused, with a message that never says whether the account exists."""


class Throttled(AccountError):
    """Refused after too many wrong passwords; the message says how long to wait."""


class NotVerified(AccountError):
    """Refused until the account's email address is verified."""


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
    def _mail_allowed(self, kind: str, address: str) -> bool:
        if self.throttle.mail_allowed(address):
            return True
        log.warning("not sending %s: hourly limit of emails to the address reached", kind)
        return False

    def _queue(self, kind: str, address: str, handle: str, payload: dict[str, str] | None = None) -> list[str]:
        if not self._mail_allowed(kind, address):
            return []
        key = f"{kind}:{new_token(12)}"
        queue_mail(self.store, self.settings, kind, address, key, {"handle": handle, **(payload or {})})
        return [key]

    def _send_link(self, kind: str, user: User, purpose: str, lifetime: timedelta) -> list[str]:
        # the email is counted before the token is stored: a refused email leaves no live link behind
        if not self._mail_allowed(kind, user.email):
            return []
        token_id = new_token(18)
        token = account_link_token(self.secret, token_id)
        self.store.accounts.create_account_token(token_id, digest(token), user.id, purpose, self.clock() + lifetime)
        key = f"{kind}:{token_id}"
        queue_mail(self.store, self.settings, kind, user.email, key, {"handle": user.handle, "token_id": token_id})
        return [key]

    def _send_verification(self, user: User) -> list[str]:
        return self._send_link("account_verify", user, "verify", timedelta(hours=self.settings.verify_email_hours))

    # -- sign-up and verification -----------------------------------------------------------
    def signup(self, email: str, handle: str, password: str) -> Outcome:
        """Create an unverified account and email a verification link.

        A known address gets an email saying so (with a sign-in and a reset link), a new address
        with a taken name one saying the name is taken; the caller answers all three alike. Input
        that is invalid whatever the address raises ``AccountError``.
        """
        if not self.settings.signup_enabled:
            raise AccountError("Sign-up is closed on this site.")
        address = normalize_email(email)
        handle = check_handle(handle)
        check_policy(password, address)
        existing = self.store.accounts.get_user_by_email(address)
        if existing is not None:
            hash_password(password)  # spend the same time as a real sign-up
            return Outcome(None, self._queue("account_exists", address, existing.handle))
        try:
            user = self.store.accounts.create_user(address, handle, hash_password(password))
        except AlreadyExists as exc:
            if exc.field == "handle":
                return Outcome(None, self._queue("account_name_taken", address, handle))
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
        if self.throttle.account_locked(address):
            raise SignInError(SIGNIN_THROTTLED)
        user = self.store.accounts.get_user_by_email(address) if address else None
        ok, new_hash = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or user.disabled:
            # a client past its limit has its failures refused, never a right password: the client
            # address may be a proxy or NAT shared by everyone (the account's own lock still holds)
            over = self.throttle.client_over_limit(ip)
            self.throttle.login_failed(address, ip)
            raise SignInError(SIGNIN_THROTTLED if over else SIGNIN_FAILED)
        self.throttle.login_succeeded(address)
        if new_hash:  # the same password with stronger parameters: nobody is signed out
            self.store.accounts.set_password(user.id, new_hash, sign_out=False)
        token, session = self.open_session(user, ip, user_agent)
        return user, token, session

    def _expiry(self, created: datetime) -> datetime:
        # sliding (session_days from now) but never past the absolute limit from the sign-in
        return min(self.clock() + timedelta(days=self.settings.session_days),
                   created + timedelta(days=self.settings.session_max_days))

    def open_session(self, user: User, ip: str | None, user_agent: str | None) -> tuple[str, AuthSession]:
        """A new session for ``user``: the cookie's token and its record."""
        token = new_token(32)
        session = self.store.accounts.create_session(user.id, digest(token), new_token(24),
                                                     self._expiry(self.clock()), ip, user_agent)
        return token, session

    def session(self, token: str) -> tuple[AuthSession, User] | None:
        """The live session of a cookie, extended (sliding expiry) at most every few minutes, and
        never valid more than ``session_max_days`` after its sign-in, however often it is used."""
        if not token or len(token) > 200:
            return None
        # the age check also ends sessions opened before the limit was lowered (their expiry is later)
        found = self.store.accounts.get_session(digest(token), timedelta(days=self.settings.session_max_days))
        if found is None:
            return None
        if found[0].last_seen < self.clock() - timedelta(minutes=10):
            self.store.accounts.touch_session(found[0].token_hash, self._expiry(found[0].created_at))
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
        return self._send_link("account_reset", user, "reset", timedelta(minutes=self.settings.password_reset_minutes))

    def reset_target(self, token: str) -> User | None:
        """The account a still-valid reset link is for (to show the form: a never-verified account's
        form also asks for the public name), or None."""
        found = self.store.accounts.get_account_token(digest(token), "reset") if token else None
        return self.store.accounts.get_user(found.user_id) if found else None

    def reset_link_valid(self, token: str) -> bool:
        """Whether a reset link still works (shown before asking for the new password)."""
        return self.reset_target(token) is not None

    def reset_password(self, token: str, password: str, handle: str = "") -> User:
        """Set a new password with a reset link: the link, and any other, stops working, every session
        ends, every API token is revoked and the sign-in lock of the address is lifted.

        The link reached the inbox, so the address is verified too. An account that was never verified
        may have been opened by someone else with this address: it is handed over clean (their
        sessions and tokens deleted, the library private) under the ``handle`` its owner chooses now.
        """
        user = self.reset_target(token)
        if user is None:
            raise AccountError(RESET_INVALID)
        check_policy(password, user.email)
        adopt = not user.verified
        if adopt:
            handle = check_handle(handle)
            taken = self.store.accounts.get_user_by_handle(handle)
            if taken is not None and taken.id != user.id:
                raise AccountError("That name is taken; choose another.")
        if self.store.accounts.use_account_token(digest(token), "reset") is None:
            raise AccountError(RESET_INVALID)
        new_hash = hash_password(password)
        self.throttle.login_succeeded(user.email)
        if adopt:
            try:
                return self.store.accounts.claim_account(user.id, new_hash, handle)
            except AlreadyExists:  # taken in the meantime; the link is spent, a new one is one email away
                raise AccountError("That name is taken; ask for a new link and choose another.") from None
        self.store.accounts.set_password(user.id, new_hash, sign_out=True)
        return self.store.accounts.update_user(user.id, verified=True) or user

    def change_password(self, user: User, current: str, new: str, ip: str | None = None,
                        sign_out: bool = True) -> None:
        """Change a signed-in user's password. With ``sign_out`` every session (this one included) ends
        and every API token is revoked. Wrong current passwords count as failed sign-ins of the address
        and the client, so a stolen session cannot guess it faster than sign-in could."""
        if self.throttle.account_locked(user.email):
            raise Throttled(PASSWORD_THROTTLED)
        ok, _ = verify_password(user.password_hash, current)
        if not ok:
            over = self.throttle.client_over_limit(ip)
            self.throttle.login_failed(user.email, ip)
            raise Throttled(PASSWORD_THROTTLED) if over else AccountError("Your current password is not right.")
        check_policy(new, user.email)
        self.throttle.login_succeeded(user.email)
        self.store.accounts.set_password(user.id, hash_password(new), sign_out=sign_out)

    # -- API tokens --------------------------------------------------------------------------------
    def create_api_token(self, user: User, name: str, scopes: Sequence[str]) -> tuple[ApiToken, str]:
        """A new token (shown once) and its record; ``NotVerified`` until the address is verified (a
        token made by whoever signed up with someone else's address would outlive their password)."""
        if not user.verified:
            raise NotVerified(TOKENS_NEED_VERIFIED)
        name = " ".join(name.split())[:60] or "token"
        chosen = [s for s in API_SCOPES if s in scopes]
        if not chosen:
            raise AccountError(f"Choose at least one scope: {', '.join(API_SCOPES)}.")
        token = API_TOKEN_PREFIX + new_token(32)
        return self.store.accounts.create_api_token(user.id, name, digest(token), token[:10], chosen), token

    def api_user(self, token: str) -> tuple[ApiToken, User] | None:
        """The live token and its user for an ``Authorization: Bearer`` value; None when unknown or
        revoked. ``NotVerified`` when the account's address is not verified, or was verified only after
        the token was made (a token of an older version, made before the address was proved)."""
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
            return None
        found = self.store.accounts.api_token_user(digest(token))
        if found is None:
            return None
        record, user = found
        if user.verified_at is None:
            raise NotVerified(TOKENS_NEED_VERIFIED)
        if record.created_at < user.verified_at:
            raise NotVerified(TOKEN_BEFORE_VERIFIED)
        return found
