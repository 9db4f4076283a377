"""The emails accounts send: verify an address, reset a password, "you already have an account",
"that name is taken".

``renderers(settings, secret)`` gives the mail engine one ``Render`` per kind; the links carry
``account_link_token`` of the stored token, never the stored digest itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from paperwire.accounts.service import account_link_token
from paperwire.config import Settings
from paperwire.mail.render import Notices, Render
from paperwire.models import Email, OutboxMessage, Paper, Subscriber

KINDS = ("account_verify", "account_reset", "account_exists", "account_name_taken")


def renderers(settings: Settings, secret: bytes) -> dict[str, Render]:
    """A renderer for each kind of account email."""
    notices = Notices(settings)
    site = settings.site_name

    def verify(message: OutboxMessage, _sub: Subscriber | None, _papers: Mapping[str, Paper]) -> Email:
        token = account_link_token(secret, message.payload["token_id"])
        return notices.render(
            f"Verify your email for {site}", f"Welcome, {message.payload['handle']}",
            ["Confirm that this address is yours to start upvoting, saving and submitting papers."],
            notices.url("/account/verify", token=token), "Verify my email",
            [f"The link works for {settings.verify_email_hours} hours. If you did not sign up, "
             "ignore this email and no account will be active."])

    def reset(message: OutboxMessage, _sub: Subscriber | None, _papers: Mapping[str, Paper]) -> Email:
        token = account_link_token(secret, message.payload["token_id"])
        return notices.render(
            f"Reset your {site} password", "Reset your password",
            [f"Someone asked to reset the password of the {site} account {message.payload['handle']}."],
            notices.url("/account/reset", token=token), "Choose a new password",
            [f"The link works once, for {settings.password_reset_minutes} minutes. If you did "
             "not ask for it, ignore this email: your password stays as it is."])

    def exists(message: OutboxMessage, _sub: Subscriber | None, _papers: Mapping[str, Paper]) -> Email:
        return notices.render(
            f"Your {site} account", "You already have an account",
            [f"Someone, probably you, tried to sign up to {site} with this address, which already "
             f"has the account {message.payload['handle']}."],
            notices.url("/signin"), "Sign in",
            [f"Forgot your password? Reset it at {notices.url('/account/reset')}."])

    def name_taken(message: OutboxMessage, _sub: Subscriber | None, _papers: Mapping[str, Paper]) -> Email:
        # told by email, not on the page: the page answers every sign-up alike (docs/accounts.md)
        return notices.render(
            f"Choose another name on {site}", "That name is taken",
            [f"Someone, probably you, tried to create a {site} account with this address and the public "
             f"name {message.payload['handle']}, which another member already has. No account was created."],
            notices.url("/signup"), "Sign up with another name",
            ["If it was not you, ignore this email."])

    return {"account_verify": verify, "account_reset": reset, "account_exists": exists,
            "account_name_taken": name_taken}
