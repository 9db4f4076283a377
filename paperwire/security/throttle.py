"""Throttling that holds across processes: counters live in the store (``throttle`` table).

Sign-in failures (and wrong current passwords) are counted per email address
(whether or not an account exists, so a refusal tells nothing about accounts)
and per client address, over the last hour. An address past its limit is
locked: every password is refused. A client past its limit only gets its
*failures* refused as throttled: the client address may be a proxy or a NAT
that many people share, and one of them guessing must not lock out the
others (docs/accounts.md, "Throttling"). Emails sent on a visitor's request
(confirmations, resets) are counted per recipient, so nobody can use the
site to flood an inbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store.core import utcnow

WINDOW = timedelta(hours=1)
KEEP = timedelta(days=1)


def _key(kind: str, value: str) -> str:
    # addresses are kept as digests: the table needs to tell them apart, not to read them
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]}"


class Throttle:
    """Limits on sign-in failures and on emails, shared by every process of the site."""

    def __init__(self, store: Store, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    def account_locked(self, email: str) -> bool:
        """True when this address had too many failures in the last hour: no password is checked."""
        account = _key("login-account", email)
        count = self.store.accounts.count_events([account], self.clock() - WINDOW)[account]
        return count >= self.settings.login_max_failures_per_account

    def client_over_limit(self, ip: str | None) -> bool:
        """True when this client had too many failures in the last hour (its failures are then refused
        as throttled; a right password still works)."""
        client = _key("login-ip", ip or "-")
        return self.store.accounts.count_events([client], self.clock() - WINDOW)[client] >= \
            self.settings.login_max_failures_per_ip

    def login_failed(self, email: str, ip: str | None) -> None:
        """Count a failed sign-in against the address and the client."""
        self.store.accounts.record_event([_key("login-account", email), _key("login-ip", ip or "-")],
                                         self.clock() - KEEP)

    def login_succeeded(self, email: str) -> None:
        """A correct password, or a password reset, clears the address's failures (the client's stay
        counted)."""
        self.store.accounts.clear_events(_key("login-account", email))

    def allow(self, kind: str, value: str, limit: int) -> bool:
        """Whether one more ``kind`` event for ``value`` fits in ``limit`` an hour; counts it when it does."""
        scope = _key(kind, value)
        if self.store.accounts.count_events([scope], self.clock() - WINDOW)[scope] >= limit:
            return False
        self.store.accounts.record_event([scope], self.clock() - KEEP)
        return True

    def retry_after(self, kind: str, value: str) -> float:
        """Seconds until the oldest ``kind`` event of ``value`` in the last hour has left it (one more then
        fits); 0 when there is none."""
        now = self.clock()
        oldest = self.store.accounts.oldest_event(_key(kind, value), now - WINDOW)
        # events are stored to the second and an event exactly an hour old still counts: one second more
        return max(0.0, (oldest + WINDOW - now).total_seconds() + 1) if oldest else 0.0

    def mail_allowed(self, address: str) -> bool:
        """Whether one more email may go to ``address`` this hour; counts it when it may."""
        return self.allow("mail", address, self.settings.mail_max_per_address_hour)
