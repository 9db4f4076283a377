"""Email addresses: one normal form, so an address is one account and one subscriber."""

from __future__ import annotations

import re

_ADDRESS_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class AddressError(ValueError):
    """Not an email address we can send to; the message is for the user."""


def normalize_email(text: str) -> str:
    """The address in lower case, or ``AddressError``.

    ASCII addresses with a dotted domain only: they are what every SMTP server accepts.
    Lower-casing the local part is not what RFC 5321 promises, but it is what every large
    provider does, and it keeps ``Ann@x.org`` and ``ann@x.org`` from becoming two accounts.
    """
    value = text.strip()
    if not value:
        raise AddressError("Enter your email address.")
    if len(value) > 254 or not _ADDRESS_RE.match(value) or ".." in value:
        raise AddressError("That does not look like an email address (name@example.org).")
    return value.lower()
