"""Accounts, community and outbox storage on both backends (real SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperwire.models import OutboxMessage, Topic
from paperwire.store import AlreadyExists, Store, open_store
from tests.helpers.clock import Clock
from tests.helpers.community import PAPERS


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 29, 8, 0, tzinfo=UTC))


@pytest.fixture
def cstore(db_url: str, clock: Clock) -> Store:
    s = open_store(db_url, clock=clock)
    s.migrate()
    s.papers.upsert_papers(PAPERS)
    yield s  # type: ignore[misc]
    s.close()


def _message(key: str, sid: int | None = None, kind: str = "digest") -> OutboxMessage:
    return OutboxMessage(key=key, kind=kind, recipient="a@example.org", payload={"n": 1}, message_id=f"<{key}@x>",
                         subscriber_id=sid)


def test_users_are_unique_by_email_and_handle_in_any_case(cstore: Store) -> None:
    user = cstore.accounts.create_user("ann@example.org", "Ann", "hash")
    assert user.id > 0 and not user.verified and cstore.accounts.get_user_by_handle("ANN") == user
    with pytest.raises(AlreadyExists) as exc:
        cstore.accounts.create_user("ann@example.org", "other", "hash")
    assert exc.value.field == "email"
    with pytest.raises(AlreadyExists) as exc:
        cstore.accounts.create_user("bob@example.org", "aNN", "hash")
    assert exc.value.field == "handle"
    assert [u.email for u in cstore.accounts.list_users()] == ["ann@example.org"]


def test_sessions_expire_and_end_with_a_disabled_account(cstore: Store, clock: Clock) -> None:
    user = cstore.accounts.create_user("ann@example.org", "ann", "hash")
    cstore.accounts.create_session(user.id, "digest-1", "csrf", clock.now + timedelta(days=1), "1.2.3.4", "ua")
    found = cstore.accounts.get_session("digest-1")
    assert found is not None and found[1].id == user.id and found[0].csrf_token == "csrf"
    clock.now += timedelta(days=2)
    assert cstore.accounts.get_session("digest-1") is None
    cstore.accounts.create_session(user.id, "digest-2", "csrf", clock.now + timedelta(days=1), None, None)
    cstore.accounts.update_user(user.id, disabled=True)
    assert cstore.accounts.get_session("digest-2") is None
    cstore.accounts.update_user(user.id, disabled=False)
    assert cstore.accounts.get_session("digest-2") is None  # ended, not just hidden


def test_password_change_ends_every_session(cstore: Store, clock: Clock) -> None:
    user = cstore.accounts.create_user("ann@example.org", "ann", "hash")
    for i in range(3):
        cstore.accounts.create_session(user.id, f"s{i}", "c", clock.now + timedelta(days=1), None, None)
    cstore.accounts.set_password(user.id, "new-hash")
    assert all(cstore.accounts.get_session(f"s{i}") is None for i in range(3))
    assert cstore.accounts.get_user(user.id).password_hash == "new-hash"  # type: ignore[union-attr]


def test_emailed_tokens_are_single_use_expire_and_revoke_their_siblings(cstore: Store, clock: Clock) -> None:
    user = cstore.accounts.create_user("ann@example.org", "ann", "hash")
    cstore.accounts.create_account_token("id1", "h1", user.id, "reset", clock.now + timedelta(minutes=30))
    cstore.accounts.create_account_token("id2", "h2", user.id, "reset", clock.now + timedelta(minutes=30))
    cstore.accounts.create_account_token("id3", "h3", user.id, "verify", clock.now + timedelta(minutes=30))
    assert cstore.accounts.get_account_token("h1", "verify") is None  # wrong purpose
    used = cstore.accounts.use_account_token("h1", "reset")
    assert used is not None and used.user_id == user.id
    assert cstore.accounts.use_account_token("h1", "reset") is None  # once only
    assert cstore.accounts.use_account_token("h2", "reset") is None  # the other reset link died with it
    clock.now += timedelta(minutes=31)
    assert cstore.accounts.use_account_token("h3", "verify") is None  # expired


def test_api_tokens(cstore: Store) -> None:
    user = cstore.accounts.create_user("ann@example.org", "ann", "hash")
    token = cstore.accounts.create_api_token(user.id, "script", "tokhash", "pw_abcdefg", ["read"])
    found = cstore.accounts.api_token_user("tokhash")
    assert found is not None and found[0].scopes == ["read"] and found[1].id == user.id
    assert found[0].last_used is None and cstore.accounts.list_api_tokens(user.id)[0].last_used is not None
    assert not cstore.accounts.revoke_api_token(user.id + 1, token.id)
    assert cstore.accounts.revoke_api_token(user.id, token.id)
    assert cstore.accounts.api_token_user("tokhash") is None


def test_throttle_counts_per_scope_in_a_window(cstore: Store, clock: Clock) -> None:
    for _ in range(3):
        cstore.accounts.record_event(["a", "b"], clock.now - timedelta(days=1))
    cstore.accounts.record_event(["a"], clock.now - timedelta(days=1))
    assert cstore.accounts.count_events(["a", "b", "c"], clock.now - timedelta(hours=1)) == {"a": 4, "b": 3, "c": 0}
    clock.now += timedelta(hours=2)
    assert cstore.accounts.count_events(["a"], clock.now - timedelta(hours=1)) == {"a": 0}
    cstore.accounts.record_event(["a"], clock.now - timedelta(minutes=30))  # and forgets what is older
    assert cstore.accounts.count_events(["a"], clock.now - timedelta(days=30)) == {"a": 1}
    cstore.accounts.clear_events("a")
    assert cstore.accounts.count_events(["a"], clock.now - timedelta(days=30)) == {"a": 0}


def test_upvotes_library_and_community_activity(cstore: Store, clock: Clock) -> None:
    ann = cstore.accounts.create_user("ann@example.org", "ann", "h")
    bob = cstore.accounts.create_user("bob@example.org", "bob", "h")
    version = cstore.community.community_version()
    assert cstore.community.set_upvote(ann.id, "2606.00001", True)
    assert not cstore.community.set_upvote(ann.id, "2606.00001", True)  # one per user
    assert cstore.community.set_upvote(bob.id, "2606.00001", True)
    assert cstore.library.set_saved(bob.id, "2606.00002", True)
    assert cstore.community.community_version() == version + 3
    assert cstore.community.upvote_counts(["2606.00001", "2606.00002"]) == {"2606.00001": 2}
    assert cstore.community.viewer_marks(bob.id, ["2606.00001", "2606.00002", "2606.00003"]) == {
        "2606.00001": (True, False), "2606.00002": (False, True), "2606.00003": (False, False)}
    assert [pid for pid, _ in cstore.community.library(bob.id)] == ["2606.00002"]
    assert cstore.community.count_library(bob.id) == 1
    activity = cstore.community.community_activity(clock.now - timedelta(hours=1), clock.now + timedelta(hours=1))
    assert activity["2606.00001"].upvotes == 2 and activity["2606.00002"].saves == 1
    cstore.accounts.update_user(bob.id, disabled=True)  # a disabled account's votes stop counting
    assert cstore.community.upvote_counts(["2606.00001"]) == {"2606.00001": 1}
    assert cstore.community.set_upvote(ann.id, "2606.00001", False)
    assert cstore.community.upvote_counts(["2606.00001"]) == {}
    with pytest.raises(Exception):  # noqa: B017 - either driver's integrity error
        cstore.community.set_upvote(ann.id, "2101.99999", True)  # no such paper


def test_submissions_merge_duplicates_and_can_be_hidden(cstore: Store) -> None:
    ann = cstore.accounts.create_user("ann@example.org", "ann", "h")
    bob = cstore.accounts.create_user("bob@example.org", "bob", "h")
    first, created = cstore.community.add_submission("2606.00001", ann.id, "https://arxiv.org/abs/2606.00001v2")
    assert created and first.handle == "ann" and first.times == 1
    again, created = cstore.community.add_submission("2606.00001", bob.id, "2606.00001")
    assert not created and again.handle == "ann" and again.times == 2
    assert [s.paper_id for s in cstore.community.list_submissions()] == ["2606.00001"]
    assert cstore.community.set_submission_hidden("2606.00001", True, "spam")
    assert cstore.community.list_submissions() == [] and cstore.community.submissions_for(["2606.00001"]) == {}
    hidden = cstore.community.list_submissions(include_hidden=True)[0]
    assert hidden.hidden_reason == "spam" and hidden.hidden_at is not None
    assert not cstore.community.set_submission_hidden("2606.00002", True)


def test_subscribers(cstore: Store) -> None:
    topics = [Topic("query", '"energy-based models"'), Topic("category", "cs.LG")]
    sub = cstore.subscriptions.add_subscriber("ann@example.org", "daily", topics, "pending", "web", "n1")
    assert sub.topics == topics and sub.confirmed_at is None
    with pytest.raises(AlreadyExists):
        cstore.subscriptions.add_subscriber("ann@example.org", "weekly", [], "pending", "web", "n2")
    confirmed = cstore.subscriptions.update_subscriber(sub.id, state="confirmed")
    assert confirmed is not None and confirmed.confirmed_at is not None
    added, known = cstore.subscriptions.import_subscribers([("ann@example.org", "weekly", [], "x"),
                                                            ("bob@example.org", "weekly", [], "y")], "import:a.csv")
    assert added == 1 and known == ["ann@example.org"]
    bob = cstore.subscriptions.get_subscriber_by_email("bob@example.org")
    assert bob is not None and bob.state == "confirmed" and bob.source == "import:a.csv"
    assert [s.email for s in cstore.subscriptions.list_subscribers("confirmed", "weekly")] == ["bob@example.org"]


def test_outbox_claims_leases_and_outcomes(cstore: Store, clock: Clock) -> None:
    sub = cstore.subscriptions.add_subscriber("ann@example.org", "daily", [], "confirmed", "web", "n")
    assert cstore.outbox.enqueue(_message("k1", sub.id)) and not cstore.outbox.enqueue(_message("k1", sub.id))
    cstore.outbox.enqueue(_message("k2", sub.id))
    first = cstore.outbox.claim_outbox("A", 1, 60)
    assert [m.key for m in first] == ["k1"] and first[0].state == "sending" and first[0].attempts == 1
    assert [m.key for m in cstore.outbox.claim_outbox("B", 5, 60)] == ["k2"]
    assert cstore.outbox.claim_outbox("C", 5, 60) == []  # both held
    assert cstore.outbox.finish_outbox([("k1", "sent", None, None)], "B") == 0  # not B's
    assert cstore.outbox.finish_outbox([("k1", "sent", None, None)], "A") == 1
    clock.now += timedelta(seconds=61)  # B died: its lease ran out
    retaken = cstore.outbox.claim_outbox("C", 5, 60)
    assert [m.key for m in retaken] == ["k2"] and retaken[0].attempts == 2
    assert cstore.outbox.finish_outbox([("k2", "sent", None, None)], "B") == 0  # B's outcome arrives too late
    assert cstore.outbox.renew_outbox(["k2"], "B", 60) == set()
    assert cstore.outbox.renew_outbox(["k2"], "C", 60) == {"k2"}
    assert cstore.outbox.release_outbox(["k2"], "C", clock.now + timedelta(minutes=5), "server down") == 1
    again = cstore.outbox.get_outbox("k2")
    assert again is not None and again.state == "pending" and again.attempts == 1
    assert cstore.outbox.claim_outbox("C", 5, 60) == []  # not before next_attempt
    assert cstore.outbox.outbox_counts() == {"sent": 1, "pending": 1}
    assert cstore.outbox.get_outbox("k1").sent_at is not None  # type: ignore[union-attr]


def test_digests_are_queued_once_and_remember_their_papers(cstore: Store) -> None:
    a = cstore.subscriptions.add_subscriber("a@example.org", "daily", [], "confirmed", "web", "n")
    b = cstore.subscriptions.add_subscriber("b@example.org", "daily", [], "confirmed", "web", "n")
    digests = [(_message("digest:a", a.id), ["2606.00001", "2606.00002"]), (_message("digest:b", b.id), ["2606.00001"])]
    assert cstore.outbox.enqueue_digests(digests) == ["digest:a", "digest:b"]
    assert cstore.outbox.enqueue_digests(digests) == []
    assert cstore.outbox.outbox_keys(["digest:a", "digest:c"]) == {"digest:a"}
    assert cstore.outbox.already_sent(["2606.00001", "2606.00003"]) == {(a.id, "2606.00001"), (b.id, "2606.00001")}
    claimed = cstore.outbox.claim_outbox("A", 10, 60)
    cstore.outbox.finish_outbox([(m.key, "failed", "550", None) for m in claimed if m.key == "digest:b"], "A")
    assert cstore.outbox.already_sent(["2606.00001"]) == {(a.id, "2606.00001")}  # a failed digest sent nothing


def test_leaving_cancels_pending_digests(cstore: Store) -> None:
    a = cstore.subscriptions.add_subscriber("a@example.org", "daily", [], "confirmed", "web", "n")
    cstore.outbox.enqueue_digests([(_message("digest:a", a.id), ["2606.00001"])])
    cstore.subscriptions.update_subscriber(a.id, state="unsubscribed")
    message = cstore.outbox.get_outbox("digest:a")
    assert message is not None and message.state == "cancelled"
    assert cstore.outbox.already_sent(["2606.00001"]) == set()


def test_the_secret_key_is_made_once(cstore: Store) -> None:
    first = cstore.state_setdefault("secret_key", "one")
    assert first == "one" and cstore.state_setdefault("secret_key", "two") == "one"
