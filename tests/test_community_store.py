"""Accounts, community and outbox storage on both backends (real SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperwire.digest.models import OutboxMessage, Topic
from paperwire.store import Store, open_store
from paperwire.store.base_accounts import AlreadyExists
from tests.helpers.clock import Clock
from tests.helpers.community import PAPERS


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 29, 8, 0, tzinfo=UTC))


@pytest.fixture
def cstore(db_url: str, clock: Clock) -> Store:
    s = open_store(db_url, clock=clock)
    s.migrate()
    s.upsert_papers(PAPERS)
    yield s  # type: ignore[misc]
    s.close()


def _message(key: str, sid: int | None = None, kind: str = "digest") -> OutboxMessage:
    return OutboxMessage(key=key, kind=kind, recipient="a@example.org", payload={"n": 1}, message_id=f"<{key}@x>",
                         subscriber_id=sid)


def test_users_are_unique_by_email_and_handle_in_any_case(cstore: Store) -> None:
    user = cstore.create_user("ann@example.org", "Ann", "hash")
    assert user.id > 0 and not user.verified and cstore.get_user_by_handle("ANN") == user
    with pytest.raises(AlreadyExists) as exc:
        cstore.create_user("ann@example.org", "other", "hash")
    assert exc.value.field == "email"
    with pytest.raises(AlreadyExists) as exc:
        cstore.create_user("bob@example.org", "aNN", "hash")
    assert exc.value.field == "handle"
    assert [u.email for u in cstore.list_users()] == ["ann@example.org"]


def test_sessions_expire_and_end_with_a_disabled_account(cstore: Store, clock: Clock) -> None:
    user = cstore.create_user("ann@example.org", "ann", "hash")
    cstore.create_session(user.id, "digest-1", "csrf", clock.now + timedelta(days=1), "1.2.3.4", "ua")
    found = cstore.get_session("digest-1")
    assert found is not None and found[1].id == user.id and found[0].csrf_token == "csrf"
    clock.now += timedelta(days=2)
    assert cstore.get_session("digest-1") is None
    cstore.create_session(user.id, "digest-2", "csrf", clock.now + timedelta(days=1), None, None)
    cstore.update_user(user.id, disabled=True)
    assert cstore.get_session("digest-2") is None
    cstore.update_user(user.id, disabled=False)
    assert cstore.get_session("digest-2") is None  # ended, not just hidden


def test_password_change_ends_every_session(cstore: Store, clock: Clock) -> None:
    user = cstore.create_user("ann@example.org", "ann", "hash")
    for i in range(3):
        cstore.create_session(user.id, f"s{i}", "c", clock.now + timedelta(days=1), None, None)
    cstore.set_password(user.id, "new-hash")
    assert all(cstore.get_session(f"s{i}") is None for i in range(3))
    assert cstore.get_user(user.id).password_hash == "new-hash"  # type: ignore[union-attr]


def test_emailed_tokens_are_single_use_expire_and_revoke_their_siblings(cstore: Store, clock: Clock) -> None:
    user = cstore.create_user("ann@example.org", "ann", "hash")
    cstore.create_account_token("id1", "h1", user.id, "reset", clock.now + timedelta(minutes=30))
    cstore.create_account_token("id2", "h2", user.id, "reset", clock.now + timedelta(minutes=30))
    cstore.create_account_token("id3", "h3", user.id, "verify", clock.now + timedelta(minutes=30))
    assert cstore.get_account_token("h1", "verify") is None  # wrong purpose
    used = cstore.use_account_token("h1", "reset")
    assert used is not None and used.user_id == user.id
    assert cstore.use_account_token("h1", "reset") is None  # once only
    assert cstore.use_account_token("h2", "reset") is None  # the other reset link died with it
    clock.now += timedelta(minutes=31)
    assert cstore.use_account_token("h3", "verify") is None  # expired


def test_api_tokens(cstore: Store) -> None:
    user = cstore.create_user("ann@example.org", "ann", "hash")
    token = cstore.create_api_token(user.id, "script", "tokhash", "pw_abcdefg", ["read"])
    found = cstore.api_token_user("tokhash")
    assert found is not None and found[0].scopes == ["read"] and found[1].id == user.id
    assert found[0].last_used is None and cstore.list_api_tokens(user.id)[0].last_used is not None
    assert not cstore.revoke_api_token(user.id + 1, token.id)
    assert cstore.revoke_api_token(user.id, token.id)
    assert cstore.api_token_user("tokhash") is None


def test_throttle_counts_per_scope_in_a_window(cstore: Store, clock: Clock) -> None:
    for _ in range(3):
        cstore.record_event(["a", "b"], clock.now - timedelta(days=1))
    cstore.record_event(["a"], clock.now - timedelta(days=1))
    assert cstore.count_events(["a", "b", "c"], clock.now - timedelta(hours=1)) == {"a": 4, "b": 3, "c": 0}
    clock.now += timedelta(hours=2)
    assert cstore.count_events(["a"], clock.now - timedelta(hours=1)) == {"a": 0}
    cstore.record_event(["a"], clock.now - timedelta(minutes=30))  # and forgets what is older
    assert cstore.count_events(["a"], clock.now - timedelta(days=30)) == {"a": 1}
    cstore.clear_events("a")
    assert cstore.count_events(["a"], clock.now - timedelta(days=30)) == {"a": 0}


def test_upvotes_library_and_community_activity(cstore: Store, clock: Clock) -> None:
    ann = cstore.create_user("ann@example.org", "ann", "h")
    bob = cstore.create_user("bob@example.org", "bob", "h")
    version = cstore.community_version()
    assert cstore.set_upvote(ann.id, "2606.00001", True)
    assert not cstore.set_upvote(ann.id, "2606.00001", True)  # one per user
    assert cstore.set_upvote(bob.id, "2606.00001", True) and cstore.set_saved(bob.id, "2606.00002", True)
    assert cstore.community_version() == version + 3
    assert cstore.upvote_counts(["2606.00001", "2606.00002"]) == {"2606.00001": 2}
    assert cstore.viewer_marks(bob.id, ["2606.00001", "2606.00002", "2606.00003"]) == {
        "2606.00001": (True, False), "2606.00002": (False, True), "2606.00003": (False, False)}
    assert [pid for pid, _ in cstore.library(bob.id)] == ["2606.00002"] and cstore.count_library(bob.id) == 1
    activity = cstore.community_activity(clock.now - timedelta(hours=1), clock.now + timedelta(hours=1))
    assert activity["2606.00001"].upvotes == 2 and activity["2606.00002"].saves == 1
    cstore.update_user(bob.id, disabled=True)  # a disabled account's votes stop counting
    assert cstore.upvote_counts(["2606.00001"]) == {"2606.00001": 1}
    assert cstore.set_upvote(ann.id, "2606.00001", False)
    assert cstore.upvote_counts(["2606.00001"]) == {}
    with pytest.raises(Exception):  # noqa: B017 - either driver's integrity error
        cstore.set_upvote(ann.id, "2101.99999", True)  # no such paper


def test_submissions_merge_duplicates_and_can_be_hidden(cstore: Store) -> None:
    ann = cstore.create_user("ann@example.org", "ann", "h")
    bob = cstore.create_user("bob@example.org", "bob", "h")
    first, created = cstore.add_submission("2606.00001", ann.id, "https://arxiv.org/abs/2606.00001v2")
    assert created and first.handle == "ann" and first.times == 1
    again, created = cstore.add_submission("2606.00001", bob.id, "2606.00001")
    assert not created and again.handle == "ann" and again.times == 2
    assert [s.paper_id for s in cstore.list_submissions()] == ["2606.00001"]
    assert cstore.set_submission_hidden("2606.00001", True, "spam")
    assert cstore.list_submissions() == [] and cstore.submissions_for(["2606.00001"]) == {}
    hidden = cstore.list_submissions(include_hidden=True)[0]
    assert hidden.hidden_reason == "spam" and hidden.hidden_at is not None
    assert not cstore.set_submission_hidden("2606.00002", True)


def test_subscribers(cstore: Store) -> None:
    topics = [Topic("query", '"energy-based models"'), Topic("category", "cs.LG")]
    sub = cstore.add_subscriber("ann@example.org", "daily", topics, "pending", "web", "n1")
    assert sub.topics == topics and sub.confirmed_at is None
    with pytest.raises(AlreadyExists):
        cstore.add_subscriber("ann@example.org", "weekly", [], "pending", "web", "n2")
    confirmed = cstore.update_subscriber(sub.id, state="confirmed")
    assert confirmed is not None and confirmed.confirmed_at is not None
    added, known = cstore.import_subscribers([("ann@example.org", "weekly", [], "x"), ("bob@example.org", "weekly",
                                                                                         [], "y")], "import:a.csv")
    assert added == 1 and known == ["ann@example.org"]
    bob = cstore.get_subscriber_by_email("bob@example.org")
    assert bob is not None and bob.state == "confirmed" and bob.source == "import:a.csv"
    assert [s.email for s in cstore.list_subscribers("confirmed", "weekly")] == ["bob@example.org"]


def test_outbox_claims_leases_and_outcomes(cstore: Store, clock: Clock) -> None:
    sub = cstore.add_subscriber("ann@example.org", "daily", [], "confirmed", "web", "n")
    assert cstore.enqueue(_message("k1", sub.id)) and not cstore.enqueue(_message("k1", sub.id))
    cstore.enqueue(_message("k2", sub.id))
    first = cstore.claim_outbox("A", 1, 60)
    assert [m.key for m in first] == ["k1"] and first[0].state == "sending" and first[0].attempts == 1
    assert [m.key for m in cstore.claim_outbox("B", 5, 60)] == ["k2"]
    assert cstore.claim_outbox("C", 5, 60) == []  # both held
    assert cstore.finish_outbox([("k1", "sent", None, None)], "B") == 0  # not B's
    assert cstore.finish_outbox([("k1", "sent", None, None)], "A") == 1
    clock.now += timedelta(seconds=61)  # B died: its lease ran out
    retaken = cstore.claim_outbox("C", 5, 60)
    assert [m.key for m in retaken] == ["k2"] and retaken[0].attempts == 2
    assert cstore.finish_outbox([("k2", "sent", None, None)], "B") == 0  # B's outcome arrives too late
    assert cstore.renew_outbox(["k2"], "B", 60) == set() and cstore.renew_outbox(["k2"], "C", 60) == {"k2"}
    assert cstore.release_outbox(["k2"], "C", clock.now + timedelta(minutes=5), "server down") == 1
    again = cstore.get_outbox("k2")
    assert again is not None and again.state == "pending" and again.attempts == 1
    assert cstore.claim_outbox("C", 5, 60) == []  # not before next_attempt
    assert cstore.outbox_counts() == {"sent": 1, "pending": 1}
    assert cstore.get_outbox("k1").sent_at is not None  # type: ignore[union-attr]


def test_digests_are_queued_once_and_remember_their_papers(cstore: Store) -> None:
    a = cstore.add_subscriber("a@example.org", "daily", [], "confirmed", "web", "n")
    b = cstore.add_subscriber("b@example.org", "daily", [], "confirmed", "web", "n")
    digests = [(_message("digest:a", a.id), ["2606.00001", "2606.00002"]), (_message("digest:b", b.id), ["2606.00001"])]
    assert cstore.enqueue_digests(digests) == ["digest:a", "digest:b"]
    assert cstore.enqueue_digests(digests) == []
    assert cstore.outbox_keys(["digest:a", "digest:c"]) == {"digest:a"}
    assert cstore.already_sent(["2606.00001", "2606.00003"]) == {(a.id, "2606.00001"), (b.id, "2606.00001")}
    claimed = cstore.claim_outbox("A", 10, 60)
    cstore.finish_outbox([(m.key, "failed", "550", None) for m in claimed if m.key == "digest:b"], "A")
    assert cstore.already_sent(["2606.00001"]) == {(a.id, "2606.00001")}  # a failed digest sent nothing


def test_leaving_cancels_pending_digests(cstore: Store) -> None:
    a = cstore.add_subscriber("a@example.org", "daily", [], "confirmed", "web", "n")
    cstore.enqueue_digests([(_message("digest:a", a.id), ["2606.00001"])])
    cstore.update_subscriber(a.id, state="unsubscribed")
    message = cstore.get_outbox("digest:a")
    assert message is not None and message.state == "cancelled"
    assert cstore.already_sent(["2606.00001"]) == set()


def test_the_secret_key_is_made_once(cstore: Store) -> None:
    first = cstore.state_setdefault("secret_key", "one")
    assert first == "one" and cstore.state_setdefault("secret_key", "two") == "one"
