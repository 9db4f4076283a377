"""Accounts and the community as a library: passwords, sign-up, sign-in, throttling, resets, API tokens,
submissions (fetched through the replayed arXiv API), upvotes and libraries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from paperwire.accounts.passwords import HASHER, PasswordError, hash_password, verify_password
from paperwire.accounts.service import SIGNIN_FAILED, SIGNIN_THROTTLED, AccountError, Accounts, SignInError
from paperwire.community import service as community
from paperwire.community.service import CommunityError, parse_paper_ref
from paperwire.config import Settings
from paperwire.ingest.fetch_queue import drain
from paperwire.security.keys import digest
from paperwire.store import Store, open_store
from tests.helpers.clock import Clock
from tests.helpers.community import PAPERS
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import ReplayServer, load_arxivpy

SECRET = b"test-secret"


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


def verified(accounts: Accounts, email: str = "ann@example.org", handle: str = "ann") -> int:
    outcome = accounts.signup(email, handle, "correct horse battery")
    assert outcome.user is not None
    accounts.store.accounts.update_user(outcome.user.id, verified=True)
    return outcome.user.id


def test_argon2id_with_owasp_parameters() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, "correct horse battery") == (True, None)
    assert verify_password(stored, "wrong") == (False, None)
    assert verify_password(None, "anything") == (False, None)  # no account: same work, same answer
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw-123456")
    ok, rehashed = verify_password(weaker, "pw-123456")
    assert ok and rehashed is not None and not HASHER.check_needs_rehash(rehashed)


def test_signup_queues_a_verification_email_and_verifying_works_once(accounts: Accounts) -> None:
    outcome = accounts.signup("  Ann@Example.ORG ", "ann", "correct horse battery")
    assert outcome.user is not None and outcome.user.email == "ann@example.org" and not outcome.user.verified
    (key,) = outcome.mail_keys
    message = accounts.store.outbox.get_outbox(key)
    assert message is not None and message.kind == "account_verify" and "token" not in message.payload
    from paperwire.accounts.service import account_link_token

    token = account_link_token(SECRET, message.payload["token_id"])
    assert accounts.store.accounts.get_account_token(digest(token), "verify") is not None  # only the digest is stored
    user = accounts.verify_email(token)
    assert user is not None and user.verified
    assert accounts.verify_email(token) is None


def test_signup_with_a_known_address_answers_alike_and_tells_the_owner(accounts: Accounts) -> None:
    accounts.signup("ann@example.org", "ann", "correct horse battery")
    again = accounts.signup("ann@example.org", "someone", "another password")
    assert again.user is None and len(again.mail_keys) == 1  # the caller shows the same page either way
    message = accounts.store.outbox.get_outbox(again.mail_keys[0])
    assert message is not None and message.kind == "account_exists" and message.payload["handle"] == "ann"


@pytest.mark.parametrize(("email", "handle", "password", "problem"), [
    ("not-an-email", "ann", "correct horse", "email address"),
    ("ann@example.org", "a", "correct horse", "name"),
    ("ann@example.org", "admin", "correct horse", "reserved"),
    ("ann@example.org", "ann", "short", "at least 8"),
    ("ann@example.org", "ann", "x" * 1025, "at most"),
    ("ann@example.org", "ann", "ANN@example.org", "email address as your password"),
])
def test_signup_refuses_bad_input(accounts: Accounts, email: str, handle: str, password: str, problem: str) -> None:
    with pytest.raises((AccountError, PasswordError, ValueError), match=problem):
        accounts.signup(email, handle, password)


def test_sign_in_errors_do_not_tell_accounts_apart(accounts: Accounts) -> None:
    verified(accounts)
    messages = []
    for email, password in (("ann@example.org", "wrong password"), ("nobody@example.org", "wrong password")):
        with pytest.raises(SignInError) as exc:
            accounts.sign_in(email, password, "10.0.0.1")
        messages.append(str(exc.value))
    assert messages == [SIGNIN_FAILED, SIGNIN_FAILED]
    user, token, session = accounts.sign_in("ANN@example.org", "correct horse battery", "10.0.0.1")
    found = accounts.session(token)
    assert found is not None and found[1].id == user.id and found[0].csrf_token == session.csrf_token
    accounts.sign_out(token)
    assert accounts.session(token) is None


def test_disabled_accounts_cannot_sign_in(accounts: Accounts) -> None:
    uid = verified(accounts)
    accounts.store.accounts.update_user(uid, disabled=True)
    with pytest.raises(SignInError, match="Wrong email or password"):
        accounts.sign_in("ann@example.org", "correct horse battery", "10.0.0.1")


def test_throttling_per_account_then_per_address(accounts: Accounts, clock: Clock) -> None:
    verified(accounts)
    for i in range(5):  # 5 failures for the account, from different addresses
        with pytest.raises(SignInError, match="Wrong"):
            accounts.sign_in("ann@example.org", "wrong", f"10.0.0.{i}")
    with pytest.raises(SignInError) as exc:  # now even the right password is refused
        accounts.sign_in("ann@example.org", "correct horse battery", "10.9.9.9")
    assert str(exc.value) == SIGNIN_THROTTLED
    for _ in range(5):  # the same for an address without an account: the limit reveals nothing
        with pytest.raises(SignInError, match="Wrong"):
            accounts.sign_in("nobody@example.org", "wrong", "10.1.1.1")
    with pytest.raises(SignInError, match="Too many"):
        accounts.sign_in("nobody@example.org", "wrong", "10.1.1.1")
    clock.now += timedelta(minutes=61)
    accounts.sign_in("ann@example.org", "correct horse battery", "10.9.9.9")  # an hour later it works
    for i in range(8):  # one client trying many accounts hits the per-address limit
        with pytest.raises(SignInError):
            accounts.sign_in(f"user{i}@example.org", "wrong", "10.7.7.7")
    with pytest.raises(SignInError, match="Too many"):  # its failures are refused as throttled
        accounts.sign_in("user9@example.org", "wrong", "10.7.7.7")
    # (a right password from it still works: test_account_security.py)


def test_the_throttle_is_shared_by_processes(accounts: Accounts, db_url: str, tmp_path: Path, clock: Clock) -> None:
    verified(accounts)
    for _ in range(5):
        with pytest.raises(SignInError):
            accounts.sign_in("ann@example.org", "wrong", "10.0.0.1")
    other = open_store(db_url, clock=clock)  # another process's connection to the same database
    try:
        elsewhere = Accounts(other, accounts.settings, SECRET, clock)
        with pytest.raises(SignInError, match="Too many"):
            elsewhere.sign_in("ann@example.org", "correct horse battery", "10.0.0.2")
    finally:
        other.close()


def test_password_reset_is_single_use_and_expires(accounts: Accounts, clock: Clock) -> None:
    from paperwire.accounts.service import account_link_token

    uid = verified(accounts)
    _, old_session, _ = accounts.sign_in("ann@example.org", "correct horse battery", "10.0.0.1")
    assert accounts.request_reset("nobody@example.org") == []  # nothing sent, nothing said
    (key,) = accounts.request_reset("ann@example.org")
    message = accounts.store.outbox.get_outbox(key)
    assert message is not None
    token = account_link_token(SECRET, message.payload["token_id"])
    assert accounts.reset_link_valid(token)
    accounts.reset_password(token, "a brand new password")
    assert accounts.session(old_session) is None  # every session ended
    with pytest.raises(AccountError, match="invalid, expired or already used"):
        accounts.reset_password(token, "yet another password")
    accounts.sign_in("ann@example.org", "a brand new password", "10.0.0.1")
    (key,) = accounts.request_reset("ann@example.org")
    late = account_link_token(SECRET, accounts.store.outbox.get_outbox(key).payload["token_id"])  # type: ignore[union-attr]
    clock.now += timedelta(minutes=31)
    assert not accounts.reset_link_valid(late)
    with pytest.raises(AccountError):
        accounts.reset_password(late, "too late password")
    assert accounts.store.accounts.get_user(uid) is not None


def test_mail_to_one_address_is_limited(accounts: Accounts) -> None:
    verified(accounts)
    sent = [accounts.request_reset("ann@example.org") for _ in range(7)]
    # mail_max_per_address_hour = 5, and the sign-up's verification email was the first
    assert [len(k) for k in sent] == [1, 1, 1, 1, 0, 0, 0]


def test_api_tokens_have_scopes(accounts: Accounts) -> None:
    uid = verified(accounts)
    user = accounts.store.accounts.get_user(uid)
    assert user is not None
    record, token = accounts.create_api_token(user, "  my   script ", ["read", "bogus"])
    assert token.startswith("pw_") and record.scopes == ["read"] and record.name == "my script"
    found = accounts.api_user(token)
    assert found is not None and found[1].id == uid
    assert accounts.api_user(token + "x") is None and accounts.api_user("not-a-token") is None
    with pytest.raises(AccountError):
        accounts.create_api_token(user, "x", [])


@pytest.mark.parametrize("text", ["2606.00001", "2606.00001v3", "arXiv:2606.00001", "https://arxiv.org/abs/2606.00001",
                                  "http://arxiv.org/pdf/2606.00001v2.pdf", "https://huggingface.co/papers/2606.00001",
                                  "https://doi.org/10.48550/arXiv.2606.00001", "  2606.00001  "])
def test_paper_references(text: str) -> None:
    assert parse_paper_ref(text) == "2606.00001"


@pytest.mark.parametrize("text", ["", "hello", "https://example.org/abs/2606.00001", "2606.0001",
                                  "javascript:alert(1)"])
def test_bad_paper_references(text: str) -> None:
    with pytest.raises(CommunityError):
        parse_paper_ref(text)


def test_upvotes_need_a_verified_account_and_an_existing_paper(accounts: Accounts) -> None:
    store = accounts.store
    outcome = accounts.signup("bob@example.org", "bob", "correct horse battery")
    assert outcome.user is not None
    with pytest.raises(CommunityError, match="Verify") as exc:
        community.upvote(store, outcome.user, "2606.00001")
    assert exc.value.status == 403
    user = store.accounts.update_user(outcome.user.id, verified=True)
    assert user is not None
    assert community.upvote(store, user, "2606.00001") == 1
    assert community.upvote(store, user, "2606.00001") == 1  # one per user
    assert community.upvote(store, user, "2606.00001", on=False) == 0
    with pytest.raises(CommunityError) as missing:
        community.upvote(store, user, "2101.99999")
    assert missing.value.status == 404
    assert community.save(store, user, "2606.00002") and not community.save(store, user, "2606.00002")
    marks = community.paper_community(store, ["2606.00002"], user)["2606.00002"]
    assert marks.saved and not marks.upvoted


@pytest.fixture
def arxiv(replay: ReplayServer) -> ReplayServer:
    for path in sorted((FIXTURES_SHARED / "arxiv-api").glob("arxivpy_id_*.json")):
        route, recorded = load_arxivpy(path)
        replay.add(route, recorded)
        if "id_list=0000.0000" in route:  # arXiv's real empty answer, for a well-formed id it does not have
            replay.add(route.replace("0000.0000", "2501.99999"), recorded)
    return replay


@pytest.mark.needs_data
def test_submitting_queues_the_fetch_and_the_worker_records_it(accounts: Accounts, arxiv: ReplayServer,
                                                               tmp_path: Path) -> None:
    store = accounts.store
    settings = Settings(data_dir=tmp_path, arxiv_api_url=arxiv.url + "/api/query", http_retries=0,
                        arxiv_min_interval_seconds=0)
    ann = store.accounts.get_user(verified(accounts))
    bob = store.accounts.get_user(verified(accounts, "bob@example.org", "bob"))
    assert ann is not None and bob is not None
    first = community.submit(store, settings, ann, "https://arxiv.org/abs/1707.08567v1")
    # nothing asked of arXiv while the member waits: the id is queued
    assert first.paper is None and first.fetch is not None and first.fetch.state == "pending"
    assert arxiv.requests("/api/query") == [] and store.papers.get_paper("1707.08567") is None
    second = community.submit(store, settings, bob, "arXiv:1707.08567")  # asked again: the same request
    assert second.fetch is not None and second.fetch.created_at == first.fetch.created_at

    report = drain(store, settings)  # the worker's job
    assert (report.claimed, report.done, report.not_found, report.requests) == (1, 1, 0, 1)
    completed = community.complete_submissions(store)
    assert (completed.recorded, completed.not_found) == (2, 0)
    sub = store.community.submissions_for(["1707.08567"])["1707.08567"]
    assert (sub.handle, sub.times, sub.source_url) == ("ann", 2, "https://arxiv.org/abs/1707.08567v1")  # first asked
    assert store.community.upvote_counts(["1707.08567"]) == {"1707.08567": 2}  # submitting upvotes
    assert community.complete_submissions(store).recorded == 0  # handled once

    community.submit(store, settings, ann, "2501.99999")
    assert drain(store, settings).not_found == 1
    assert community.complete_submissions(store).not_found == 1
    fetches = store.fetches.get_many(["1707.08567", "2501.99999"])
    assert {k: f.state for k, f in fetches.items()} == {"1707.08567": "done", "2501.99999": "not-found"}
    assert sorted(w.state for w in store.fetches.waiting_for(ann.id, "submission")) == ["done", "not-found"]
    third = community.submit(store, settings, bob, "1707.08567")  # stored now: submitted at once
    assert third.paper is not None and not third.created and len(arxiv.requests("/api/query")) == 2


def test_a_failing_arxiv_leaves_submissions_queued_then_failed(accounts: Accounts, replay: ReplayServer,
                                                               tmp_path: Path, clock: Clock) -> None:
    settings = Settings(data_dir=tmp_path, arxiv_api_url=replay.url + "/nowhere", http_retries=0,
                        arxiv_min_interval_seconds=0, fetch_max_attempts=2)
    store = accounts.store
    user = store.accounts.get_user(verified(accounts))
    assert user is not None
    community.submit(store, settings, user, "2501.12345")
    first = drain(store, settings)
    assert (first.claimed, first.retrying, first.failed) == (1, 1, 0) and "HTTP 404" in first.errors[0]
    fetch = store.fetches.get("2501.12345")
    assert fetch is not None and fetch.state == "pending" and fetch.next_attempt == clock.now + timedelta(minutes=1)
    assert drain(store, settings).claimed == 0  # not due yet: arXiv is not asked again at once
    clock.now += timedelta(minutes=1)
    assert drain(store, settings).failed == 1
    assert community.complete_submissions(store).failed == 1
    assert [w.state for w in store.fetches.waiting_for(user.id, "submission")] == ["failed"]
    community.submit(store, settings, user, "2501.12345")  # asking again queues it again
    again = store.fetches.get("2501.12345")
    assert again is not None and (again.state, again.attempts) == ("pending", 0)


def test_submissions_per_hour_are_limited_per_account(accounts: Accounts, tmp_path: Path, clock: Clock) -> None:
    settings = Settings(data_dir=tmp_path, submissions_per_hour=3)
    store = accounts.store
    ann = store.accounts.get_user(verified(accounts))
    bob = store.accounts.get_user(verified(accounts, "bob@example.org", "bob"))
    assert ann is not None and bob is not None
    for pid in ["2606.00001", "2606.00002", "2501.00003"]:
        community.submit(store, settings, ann, pid)
        clock.now += timedelta(minutes=10)
    with pytest.raises(community.SubmitLimited) as limited:
        community.submit(store, settings, ann, "2501.00004")
    # the first submission leaves the hour in 30 minutes: Retry-After says so, and is true
    assert limited.value.status == 429 and 30 * 60 <= limited.value.retry_after <= 30 * 60 + 1
    assert "Try again in 31 minutes" in str(limited.value)
    assert store.fetches.get("2501.00004") is None  # refused before anything was queued
    community.submit(store, settings, bob, "2501.00004")  # another account has its own count
    clock.now += timedelta(seconds=limited.value.retry_after - 2)
    with pytest.raises(community.SubmitLimited):
        community.submit(store, settings, ann, "2501.00004")
    clock.now += timedelta(seconds=2)
    assert community.submit(store, settings, ann, "2501.00004").fetch is not None

