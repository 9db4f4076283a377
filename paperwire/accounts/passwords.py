"""Password hashing: argon2id with OWASP's parameters.

OWASP's Password Storage Cheat Sheet recommends argon2id with at least
19 MiB of memory, 2 iterations and 1 degree of parallelism (m=19456 KiB,
t=2, p=1); with a 16-byte salt and a 32-byte hash. Hashes record their
parameters, so raising them later rehashes each password at its next
sign-in (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
# long enough for any passphrase or manager; bounded so nobody makes us hash megabytes
MAX_LENGTH = 1024

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# verifying against this when no account matches costs the same time as a real check
_DUMMY_HASH = HASHER.hash("paperwire-dummy-password")


class PasswordError(ValueError):
    """A password the policy refuses; the message is for the user."""


def check_policy(password: str, email: str = "") -> None:
    """Raise ``PasswordError`` for a password that is too short, too long, or the email itself."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"Use at most {MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.lower():
        raise PasswordError("Do not use your email address as your password.")


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string) of the password."""
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash when the stored one uses old parameters.

    ``stored_hash`` None (no such account) still spends a full verification, so response
    times do not tell which email addresses have accounts.
    """
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        HASHER.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    return True, hash_password(password) if HASHER.check_needs_rehash(stored_hash) else None
