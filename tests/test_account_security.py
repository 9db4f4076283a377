"""The hardening of accounts ("[W2 2/6] Hardening"), as a library on both stores: whoever proves they own
an address wins over whoever signed up with it, resets and password changes end what they should, the
throttles count what an attacker does and spare who they should, sessions have an absolute lifetime."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from paperwire.accounts.service import (
    PASSWORD_THROTTLED,
    SIGNIN_FAILED,
    SIGNIN_THROTTLED,
    TOKEN_BEFORE_VERIFIED,
    TOKENS_NEED_VERIFIED,
    AccountError,
    Accounts,
    NotVerified,
    SignInError,
    Throttled,
    account_link_token,
)
from paperwire.config import Settings
from paperwire.models import User
from paperwire.security.keys import digest
from paperwire.store import Store, open_store
from tests.helpers.clock import Clock
from tests.helpers.community import PAPERS

SECRET = b"test-secret"
PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 29, 8, 0, tzinfo=UTC))


@pytest.fixture
def astore(db_url: str, clock: Clock) -> Iterator[Store]:
    s = open_store(db_url, clock=clock)
    s.migrate()
    s.papers.upsert_papers(PAPERS)
    yield s
    s.close()


@pytest.fixture
def accounts(astore: Store, tmp_path: Path, clock: Clock) -> Accounts:
    return Accounts(astore, Settings(data_dir=tmp_path, login_max_failures_per_account=5,
                                     login_max_failures_per_ip=8), SECRET, clock)


def member(accounts: Accounts, email: str = "ann@example.org", handle: str = "ann") -> User:
    """A verified account, as after following the sign-up email's link."""
    outcome = accounts.signup(email, handle, PASSWORD)
    assert outcome.user is not None
    user = accounts.store.accounts.update_user(outcome.user.id, verified=True)
    assert user is not None
    return user


def reset_link(accounts: Accounts, email: str) -> str:
    """The token of the reset link emailed to ``email`` now."""
    (key,) = accounts.request_reset(email)
    message = accounts.store.outbox.get_outbox(key)
    assert message is not None
    return account_link_token(SECRET, message.payload["token_id"])


def legacy_token(store: Store, user: User, token: str = "pw_made-by-an-older-version") -> str:
    """An API token written as an older Paperwire did, whatever the account's state."""
    store.accounts.create_api_token(user.id, "old", digest(token), token[:10], ["read", "write"])
    return token


def test_a_reset_revokes_every_api_token_and_ends_every_session(accounts: Accounts) -> None:
    ann = member(accounts)
    _, session, _ = accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.1")
    _, token = accounts.create_api_token(ann, "script", ["read", "write"])
    accounts.reset_password(reset_link(accounts, "ann@example.org"), "a brand new password")
    assert accounts.api_user(token) is None
    assert accounts.session(session) is None
    assert all(t.revoked_at is not None for t in accounts.store.accounts.list_api_tokens(ann.id))


def test_unverified_accounts_neither_make_nor_use_api_tokens(accounts: Accounts, clock: Clock) -> None:
    outcome = accounts.signup("ann@example.org", "ann", PASSWORD)
    assert outcome.user is not None
    with pytest.raises(NotVerified) as refused:
        accounts.create_api_token(outcome.user, "script", ["read"])
    assert str(refused.value) == TOKENS_NEED_VERIFIED
    old = legacy_token(accounts.store, outcome.user)  # made while unverified by an older version
    with pytest.raises(NotVerified, match="Verify your email"):
        accounts.api_user(old)
    message = accounts.store.outbox.get_outbox(outcome.mail_keys[0])
    assert message is not None
    clock.now += timedelta(minutes=5)  # the address's owner follows the link, believing the account theirs
    user = accounts.verify_email(account_link_token(SECRET, message.payload["token_id"]))
    assert user is not None and user.verified
    with pytest.raises(NotVerified) as still:  # verifying later does not bring it to life
        accounts.api_user(old)
    assert str(still.value) == TOKEN_BEFORE_VERIFIED
    _, fresh = accounts.create_api_token(user, "script", ["read"])
    found = accounts.api_user(fresh)
    assert found is not None and found[1].id == user.id


def test_a_reset_hands_a_squatted_account_to_the_owner_of_the_address(accounts: Accounts) -> None:
    store = accounts.store
    # a squatter signs up with the victim's address, never verifies it, and makes themselves at home
    outcome = accounts.signup("victim@example.org", "squatter", "squatter's password")
    assert outcome.user is not None
    squatter = store.accounts.update_user(outcome.user.id, library_public=True)
    assert squatter is not None
    _, squatter_session, _ = accounts.sign_in("victim@example.org", "squatter's password", "10.6.6.6")
    old = legacy_token(store, squatter)
    # the victim asks for a reset: the link must make them choose a name of their own
    link = reset_link(accounts, "victim@example.org")
    target = accounts.reset_target(link)
    assert target is not None and not target.verified
    with pytest.raises(AccountError, match="Choose a name"):
        accounts.reset_password(link, "the victim's password")
    member(accounts, "bob@example.org", "bob")
    with pytest.raises(AccountError, match="taken"):
        accounts.reset_password(link, "the victim's password", "Bob")
    victim = accounts.reset_password(link, "the victim's password", "victim")
    assert (victim.id, victim.handle, victim.verified, victim.library_public) == (squatter.id, "victim", True, False)
    assert accounts.session(squatter_session) is None
    assert store.accounts.list_api_tokens(victim.id) == []
    assert store.accounts.api_token_user(digest(old)) is None
    with pytest.raises(SignInError, match="Wrong"):
        accounts.sign_in("victim@example.org", "squatter's password", "10.6.6.6")
    accounts.sign_in("victim@example.org", "the victim's password", "10.0.0.1")
    assert store.accounts.get_user_by_handle("squatter") is None  # the name is free again
    assert not accounts.reset_link_valid(link)


def test_a_reset_of_a_verified_account_keeps_its_name(accounts: Accounts) -> None:
    ann = member(accounts)
    user = accounts.reset_password(reset_link(accounts, "ann@example.org"), "a brand new password", "ignored")
    assert user.handle == "ann" and user.id == ann.id


def test_a_reset_lifts_the_sign_in_lock_of_the_account(accounts: Accounts) -> None:
    member(accounts)
    for i in range(5):
        with pytest.raises(SignInError, match="Wrong"):
            accounts.sign_in("ann@example.org", "guess", f"10.0.0.{i}")
    with pytest.raises(SignInError, match="Too many"):
        accounts.sign_in("ann@example.org", PASSWORD, "10.9.9.9")
    accounts.reset_password(reset_link(accounts, "ann@example.org"), "a brand new password")
    accounts.sign_in("ann@example.org", "a brand new password", "10.9.9.9")


def test_no_reset_link_is_stored_when_its_email_is_not_sent(accounts: Accounts) -> None:
    member(accounts)  # its verification email was the first of 5 this hour

    def stored_links() -> int:
        return len(accounts.store.tables.read_rows("account_tokens", None, 1000)[1])

    for _ in range(4):
        assert len(accounts.request_reset("ann@example.org")) == 1
    before = stored_links()
    assert accounts.request_reset("ann@example.org") == []
    assert stored_links() == before


def test_a_session_ends_after_session_max_days_even_when_used_every_day(accounts: Accounts, clock: Clock) -> None:
    member(accounts)
    _, token, _ = accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.1")
    alive = 0
    for _ in range(40):
        clock.now += timedelta(days=1)
        if accounts.session(token) is None:
            break
        alive += 1
    assert alive == accounts.settings.session_max_days - 1 == 29


def test_lowering_session_max_days_ends_older_sessions_at_once(accounts: Accounts, clock: Clock) -> None:
    member(accounts)
    _, token, _ = accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.1")  # under the default, 30 days
    clock.now += timedelta(days=8)
    assert accounts.session(token) is not None
    stricter = Accounts(accounts.store, accounts.settings.model_copy(update={"session_max_days": 7}), SECRET, clock)
    assert stricter.session(token) is None
    assert accounts.session(token) is None  # ended, not only hidden


def test_a_client_past_its_limit_still_signs_in_with_the_right_password(accounts: Accounts) -> None:
    member(accounts)
    for i in range(8):  # one client (a proxy everyone shares, say) with 8 failures on many addresses
        with pytest.raises(SignInError, match="Wrong"):
            accounts.sign_in(f"user{i}@example.org", "guess", "10.7.7.7")
    with pytest.raises(SignInError) as refused:  # its failures are now refused as throttled...
        accounts.sign_in("ann@example.org", "guess", "10.7.7.7")
    assert str(refused.value) == SIGNIN_THROTTLED
    user, _, _ = accounts.sign_in("ann@example.org", PASSWORD, "10.7.7.7")  # ...never a right password
    assert user.email == "ann@example.org"


def test_wrong_current_passwords_count_like_failed_sign_ins(accounts: Accounts) -> None:
    ann = member(accounts)
    for _ in range(5):  # someone holding ann's session guesses her password to change it
        with pytest.raises(AccountError, match="current password is not right"):
            accounts.change_password(ann, "guess", "the thief's password", "10.6.6.6")
    with pytest.raises(Throttled) as refused:
        accounts.change_password(ann, PASSWORD, "the thief's password", "10.6.6.6")
    assert str(refused.value) == PASSWORD_THROTTLED
    with pytest.raises(SignInError, match="Too many"):  # the same counter as sign-in
        accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.1")


def test_a_password_change_can_keep_or_end_the_other_sessions_and_tokens(accounts: Accounts) -> None:
    ann = member(accounts)
    _, laptop, _ = accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.1")
    _, token = accounts.create_api_token(ann, "script", ["read"])
    accounts.change_password(ann, PASSWORD, "second password", "10.0.0.2", sign_out=False)
    assert accounts.session(laptop) is not None and accounts.api_user(token) is not None
    ann = accounts.store.accounts.get_user(ann.id)  # type: ignore[assignment]
    accounts.change_password(ann, "second password", "third password", "10.0.0.2")  # the default: sign out
    assert accounts.session(laptop) is None and accounts.api_user(token) is None


def test_a_rehash_at_sign_in_signs_nobody_out(accounts: Accounts) -> None:
    ann = member(accounts)
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    accounts.store.accounts.set_password(ann.id, weaker, sign_out=False)
    _, laptop, _ = accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.1")  # rehashed now
    _, token = accounts.create_api_token(ann, "script", ["read"])
    accounts.store.accounts.set_password(ann.id, weaker, sign_out=False)
    accounts.sign_in("ann@example.org", PASSWORD, "10.0.0.2")  # and again: the laptop stays signed in
    assert accounts.session(laptop) is not None and accounts.api_user(token) is not None
    stored = accounts.store.accounts.get_user(ann.id)
    assert stored is not None and stored.password_hash != weaker


def test_sign_up_with_a_taken_name_is_answered_by_email(accounts: Accounts) -> None:
    member(accounts)
    outcome = accounts.signup("zed@example.org", "ANN", PASSWORD)  # a new address, a taken name
    assert outcome.user is None and accounts.store.accounts.get_user_by_email("zed@example.org") is None
    (key,) = outcome.mail_keys
    message = accounts.store.outbox.get_outbox(key)
    assert message is not None and message.kind == "account_name_taken" and message.recipient == "zed@example.org"
    assert message.payload == {"handle": "ANN"}
    known = accounts.signup("ann@example.org", "zed", PASSWORD)  # a known address, a free name
    message = accounts.store.outbox.get_outbox(known.mail_keys[0])
    assert message is not None and message.kind == "account_exists" and message.payload["handle"] == "ann"


def test_sign_in_failures_still_do_not_tell_accounts_apart(accounts: Accounts) -> None:
    member(accounts)
    for email in ("ann@example.org", "nobody@example.org"):
        with pytest.raises(SignInError) as exc:
            accounts.sign_in(email, "guess", "10.0.0.1")
        assert str(exc.value) == SIGNIN_FAILED
