"""A verified member and an API token, made through the library (for tests of what scripts do)."""

from __future__ import annotations

from paperwire.accounts.passwords import hash_password
from paperwire.accounts.service import Accounts
from paperwire.runtime import Runtime

PASSWORD = "correct horse battery staple"


def member_token(rt: Runtime, handle: str = "scripter", scopes: tuple[str, ...] = ("read", "write")) -> str:
    """A bearer token (``pw_…``) of a new verified member ``handle`` with ``scopes``."""
    user = rt.store.accounts.create_user(f"{handle}@example.org", handle, hash_password(PASSWORD))
    user = rt.store.accounts.update_user(user.id, verified=True) or user
    _, token = Accounts(rt.store, rt.settings, rt.secret_key).create_api_token(user, handle, scopes)
    return token
