"""Delivery through a real aiosmtpd server on 127.0.0.1: double opt-in, digests and their headers,
exactly once across runs, temporary failures, rejections, dropped connections, an unreachable server,
connection reuse and the rate limit."""

from __future__ import annotations

import time
from datetime import date

import pytest

from paperwire.digest.service import deliver_outbox, run_digests
from paperwire.digest.subscriptions import Subscriptions
from paperwire.digest.tokens import make_token
from paperwire.models import Subscriber, Topic
from paperwire.runtime import Runtime
from tests.helpers.community import BASE, token_of
from tests.helpers.net import free_port
from tests.helpers.smtp import Handler

MONDAY = date(2026, 6, 29)


def confirmed(rt: Runtime, email: str, topics: list[Topic] | None = None, frequency: str = "daily") -> Subscriber:
    return rt.store.subscriptions.add_subscriber(email, frequency, topics or [], "confirmed", "web", "n")


def with_settings(rt: Runtime, **changes: object) -> Runtime:
    fresh = Runtime(rt.settings.model_copy(update=changes), rt.store)
    fresh.__dict__["indexes"] = rt.indexes
    return fresh


def test_double_opt_in_sends_nothing_before_confirmation(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    subs = Subscriptions(mail_rt.store, mail_rt.settings, mail_rt.secret_key)
    outcome = subs.subscribe("ann@example.org", "daily", [Topic("query", "energy-based models")])
    assert outcome.subscriber.state == "pending"
    run = run_digests(mail_rt, "daily", MONDAY)
    assert run.builds[0].subscribers == 0 and run.delivery is not None and run.delivery.sent == 1
    (confirmation,) = handler.to("ann@example.org")  # the confirmation, and nothing else
    assert confirmation.message["Subject"] == "Confirm your Paperwire subscription"
    assert "List-Unsubscribe" not in confirmation.message
    assert "/subscriptions/manage?token=" in confirmation.part("plain")  # the manage link is in every email
    token = token_of(confirmation.part("plain"))
    assert subs.confirm(token) is not None
    run_digests(mail_rt, "daily", MONDAY)
    assert [m.message["Subject"] for m in handler.to("ann@example.org")][1].startswith("Paperwire daily digest")


def test_confirmation_links_expire_and_are_per_subscriber(mail_rt: Runtime) -> None:
    subs = Subscriptions(mail_rt.store, mail_rt.settings, mail_rt.secret_key)
    a = subs.subscribe("a@example.org", "daily", []).subscriber
    b = subs.subscribe("b@example.org", "daily", []).subscriber
    unsubscribe_a = make_token(mail_rt.secret_key, "unsubscribe", a)
    assert subs.confirm(unsubscribe_a) is None  # an unsubscribe link is no confirmation
    forged = f"{b.id}." + unsubscribe_a.split(".", 1)[1]
    assert subs.confirm(forged) is None and subs.unsubscribe(forged) is None
    assert mail_rt.store.subscriptions.get_subscriber(b.id).state == "pending"  # type: ignore[union-attr]


def test_a_digest_arrives_with_its_headers_and_reasons(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    topics = [Topic("query", "energy-based models"), Topic("author", "Ada Lovelace")]
    sub = confirmed(mail_rt, "ann@example.org", topics)
    run = run_digests(mail_rt, "daily", MONDAY)
    assert run.delivery is not None and run.delivery.sent == 1 and run.ok
    (received,) = handler.to("ann@example.org")
    message = received.message
    assert received.mail_from == "paperwire@localhost" and message["From"] == "Paperwire <paperwire@localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = " ".join(message["List-Unsubscribe"].split())
    assert header.startswith(f"<{BASE}/unsubscribe?token={sub.id}.0.") and ", <mailto:paperwire@localhost?" in header
    assert message["Message-ID"] == mail_rt.store.outbox.get_outbox(f"digest:{sub.id}:daily:2026-06-29").message_id  # type: ignore[union-attr]
    text, html = received.part("plain"), received.part("html")
    assert "Energy-Based Models for Protein Design" in text
    assert "Why: New today" in text and "\r\nNEW\r\n" in text  # no ranking computed yet: newest, said so
    assert "Matches your topic energy-based models" in text and "By Ada Lovelace, whom you follow" in text
    assert "Matches your topic <em>energy-based models</em>" in html and f"{BASE}/paper/2606.00001" in html
    assert "α-helix" in text  # math as plain text
    assert "2605.00001" not in text  # outside the period


def test_no_double_send_across_runs(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    for i in range(5):
        confirmed(mail_rt, f"s{i}@example.org", [Topic("category", "cs.LG")])
    first = run_digests(mail_rt, "daily", MONDAY)
    second = run_digests(mail_rt, "daily", MONDAY)
    assert first.delivery is not None and first.delivery.sent == 5
    assert second.builds[0].built == 0 and second.builds[0].already == 5
    assert second.delivery is not None and second.delivery.sent == 0
    assert set(handler.per_recipient().values()) == {1}
    run_digests(mail_rt, "daily", date(2026, 6, 30))  # Tuesday: papers not sent on Monday only
    tuesday = [m for m in handler.messages if "30 Jun 2026" in m.message["Subject"]]
    monday_ids = {w for m in handler.messages if "29 Jun" in m.message["Subject"] for w in m.part("plain").split()}
    assert tuesday and not any(f"{BASE}/paper/2606.00001" in m.part("plain") for m in tuesday)
    assert f"{BASE}/paper/2606.00001" in monday_ids


def test_not_a_sending_day(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    confirmed(mail_rt, "w@example.org", frequency="weekly")
    run = run_digests(mail_rt, None, date(2026, 7, 4))  # a Saturday
    assert run.builds == [] and run.not_due == ["daily", "weekly"]
    forced = run_digests(mail_rt, "weekly", date(2026, 7, 4), any_day=True)
    assert forced.builds[0].built == 1 and smtp[0].to("w@example.org")


def test_temporary_failures_are_retried(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    sub = confirmed(mail_rt, "busy@example.org")
    handler.tempfail["busy@example.org"] = 2
    run = run_digests(mail_rt, "daily", MONDAY)  # mail_retry_seconds=0 here: retries are due at once
    assert run.delivery is not None and (run.delivery.retrying, run.delivery.sent) == (2, 1)
    assert "451" in run.delivery.errors[0]
    assert len(handler.to("busy@example.org")) == 1
    message = mail_rt.store.outbox.get_outbox(f"digest:{sub.id}:daily:2026-06-29")
    assert message is not None and message.state == "sent" and message.attempts == 3


def test_backoff_delays_the_retry(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    smtp[0].tempfail["busy@example.org"] = 1
    confirmed(mail_rt, "busy@example.org")
    rt = with_settings(mail_rt, mail_retry_seconds=3600)
    run_digests(rt, "daily", MONDAY)
    assert deliver_outbox(rt).sent == 0  # due in an hour, not now
    (pending,) = rt.store.outbox.list_outbox(state="pending")
    assert pending.next_attempt is not None and pending.next_attempt.timestamp() > time.time() + 3500


def test_giving_up_after_the_last_attempt(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    smtp[0].tempfail["busy@example.org"] = 10
    confirmed(mail_rt, "busy@example.org")
    rt = with_settings(mail_rt, mail_max_attempts=2)
    run = run_digests(rt, "daily", MONDAY)
    assert run.delivery is not None and (run.delivery.retrying, run.delivery.failed) == (1, 1)
    assert rt.store.outbox.outbox_counts() == {"failed": 1} and smtp[0].messages == []
    assert rt.store.subscriptions.get_subscriber_by_email("busy@example.org").state == "confirmed"  # type: ignore[union-attr]


def test_a_refused_recipient_is_recorded_and_bounced(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    handler.reject.add("gone@example.org")
    gone = confirmed(mail_rt, "gone@example.org")
    confirmed(mail_rt, "here@example.org")
    run = run_digests(mail_rt, "daily", MONDAY)
    assert run.delivery is not None and (run.delivery.sent, run.delivery.failed) == (1, 1)
    failed = mail_rt.store.outbox.get_outbox(f"digest:{gone.id}:daily:2026-06-29")
    assert failed is not None and failed.state == "failed" and "550" in (failed.last_error or "")
    assert mail_rt.store.subscriptions.get_subscriber(gone.id).state == "bounced"  # type: ignore[union-attr]
    assert deliver_outbox(mail_rt).sent == 0  # a permanent failure is not retried
    run_digests(mail_rt, "daily", date(2026, 6, 30))
    assert handler.to("gone@example.org") == []


def test_a_dropped_connection_is_retried_on_a_new_one(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    handler.drop = 1
    for i in range(4):
        confirmed(mail_rt, f"s{i}@example.org")
    rt = with_settings(mail_rt, smtp_connections=1)
    run = run_digests(rt, "daily", MONDAY)
    assert run.delivery is not None and (run.delivery.sent, run.delivery.retrying) == (4, 1)
    assert "SMTPServerDisconnected" in run.delivery.errors[0]
    assert sorted(handler.per_recipient().values()) == [1, 1, 1, 1] and handler.connections == 2


def test_an_unreachable_server_costs_no_attempt(mail_rt: Runtime) -> None:
    confirmed(mail_rt, "ann@example.org")
    rt = with_settings(mail_rt, smtp_port=free_port())
    run = run_digests(rt, "daily", MONDAY)
    assert not run.ok and run.delivery is not None and run.delivery.unreachable is not None
    (message,) = rt.store.outbox.list_outbox()
    assert message.state == "pending" and message.attempts == 0 and "cannot use SMTP server" in message.last_error


def test_connections_are_reused(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    for i in range(9):
        confirmed(mail_rt, f"s{i}@example.org")
    rt = with_settings(mail_rt, smtp_connections=1, smtp_messages_per_connection=4)
    assert run_digests(rt, "daily", MONDAY).delivery.sent == 9  # type: ignore[union-attr]
    assert handler.connections == 3


def test_the_rate_is_limited(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    for i in range(6):
        confirmed(mail_rt, f"s{i}@example.org")
    rt = with_settings(mail_rt, smtp_rate_per_second=10, smtp_connections=3)
    run = run_digests(rt, "daily", MONDAY, send=False)
    assert run.builds[0].built == 6
    started = time.monotonic()
    assert deliver_outbox(rt).sent == 6
    assert time.monotonic() - started >= 0.45  # 6 messages at 10 a second: 5 gaps of 0.1 s


def test_unsubscribing_before_the_send_cancels_the_digest(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    sub = confirmed(mail_rt, "ann@example.org")
    run_digests(mail_rt, "daily", MONDAY, send=False)
    subs = Subscriptions(mail_rt.store, mail_rt.settings, mail_rt.secret_key)
    assert subs.unsubscribe(make_token(mail_rt.secret_key, "unsubscribe", sub)) is not None
    assert deliver_outbox(mail_rt).sent == 0 and smtp[0].messages == []
    assert mail_rt.store.outbox.outbox_counts() == {"cancelled": 1}


@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_tls_modes_insist_on_tls(mail_rt: Runtime, smtp: tuple[Handler, int], tls: str) -> None:
    confirmed(mail_rt, "ann@example.org")
    rt = with_settings(mail_rt, smtp_tls=tls, smtp_timeout_seconds=2)
    run = run_digests(rt, "daily", MONDAY)  # the test server speaks no TLS: nothing may go out in the clear
    assert run.delivery is not None and run.delivery.sent == 0 and smtp[0].messages == []
    assert rt.store.outbox.list_outbox()[0].state == "pending"
