"""The worker's digest and mail jobs on both backends, through the job runner, against a real aiosmtpd server:
``digest-daily`` and ``digest-weekly`` queue each period's digests once they are due, ``deliver-outbox`` sends
them; every confirmed subscriber gets exactly one message per period, running the jobs again sends nothing
more, an unconfirmed subscriber gets nothing; temporary failures are retried by a later run; with mail off
or the server unreachable the messages wait in the outbox."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperwire.digest.service import run_digests
from paperwire.models import Subscriber, Topic
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store
from paperwire.worker import JobRun, Worker
from tests.helpers.clock import Clock
from tests.helpers.community import PAPERS, mail_settings
from tests.helpers.net import free_port
from tests.helpers.smtp import Handler

MAIL_JOBS = ["trending", "digest-daily", "digest-weekly", "deliver-outbox"]
MONDAY = date(2026, 6, 29)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 29, 5, 0, tzinfo=UTC))  # a Monday, before the digests' hour (06:00 UTC)


@pytest.fixture
def clocked(db_url: str, clock: Clock) -> Iterator[Store]:
    store = open_store(db_url, clock=clock)
    store.migrate()
    store.papers.upsert_papers(PAPERS)
    yield store
    store.close()


def runtime_for(store: Store, db_url: str, tmp_path: Path, port: int, **more: Any) -> Runtime:
    rt = Runtime(mail_settings(db_url, tmp_path, port, semantic_search=False, **more), store)
    rt.indexes.sync()
    return rt


def confirmed(store: Store, email: str, frequency: str = "daily", topics: list[Topic] | None = None) -> Subscriber:
    return store.subscriptions.add_subscriber(email, frequency, topics or [], "confirmed", "web", "n")


def by_name(runs: list[JobRun]) -> dict[str, JobRun]:
    return {r.name: r for r in runs}


def test_digest_jobs_send_each_period_once(clocked: Store, clock: Clock, db_url: str, tmp_path: Path,
                                           smtp: tuple[Handler, int]) -> None:
    handler, port = smtp
    rt = runtime_for(clocked, db_url, tmp_path, port)
    ann = confirmed(clocked, "ann@example.org", topics=[Topic("query", "energy-based models")])
    bob = confirmed(clocked, "bob@example.org")
    wes = confirmed(clocked, "wes@example.org", "weekly")
    clocked.subscriptions.add_subscriber("pat@example.org", "daily", [], "pending", "web", "n")
    worker = Worker(rt, only=MAIL_JOBS, owner="w1")

    early = by_name(worker.run_once())  # 05:00: not yet
    assert {n: r.status for n, r in early.items()} == dict.fromkeys(MAIL_JOBS, "ok")
    assert early["digest-daily"].summary == "digest-daily: daily: nothing to build: due today from 06:00 UTC"
    assert early["deliver-outbox"].summary.startswith("deliver-outbox: sent 0,") and handler.messages == []

    clock.now = datetime(2026, 6, 29, 7, 0, tzinfo=UTC)
    runs = by_name(worker.run_once())
    assert {n: r.status for n, r in runs.items()} == dict.fromkeys(MAIL_JOBS, "ok")
    assert runs["digest-daily"].summary.startswith("digest-daily: daily:2026-06-29: 2 digests built")
    assert runs["digest-weekly"].summary.startswith("digest-weekly: weekly:2026-W27: 1 digests built")
    assert runs["deliver-outbox"].summary.startswith("deliver-outbox: sent 3, failed 0")
    assert handler.per_recipient() == {ann.email: 1, bob.email: 1, wes.email: 1}  # nothing for the pending one
    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in handler.messages}
    assert subjects[wes.email].startswith("Paperwire weekly digest") and subjects[ann.email].startswith(
        "Paperwire daily digest")
    # the trending job ran first in the same round: the digests carry its ranking, not the newest papers
    text = handler.to(bob.email)[0].part("plain")
    assert "Why: Trending today: announced today" in text and "New today" not in text
    assert "Matches your topic energy-based models" in handler.to(ann.email)[0].part("plain")

    clock.now += timedelta(minutes=45)  # every job is due again: nothing new to send
    again = by_name(worker.run_once())
    assert set(again) == set(MAIL_JOBS)
    assert "0 digests built" in again["digest-daily"].summary and "2 built before" in again["digest-daily"].summary
    assert again["deliver-outbox"].summary.startswith("deliver-outbox: sent 0,")
    assert handler.per_recipient() == {ann.email: 1, bob.email: 1, wes.email: 1}

    clock.now = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)  # Tuesday: a daily period, not a weekly one
    tuesday = by_name(worker.run_once(force=True))
    assert tuesday["digest-weekly"].summary == "digest-weekly: weekly: nothing to build: not a sending day (Tuesday)"
    assert tuesday["digest-daily"].summary.startswith("digest-daily: daily:2026-06-30: 2 digests built")
    assert handler.per_recipient() == {ann.email: 2, bob.email: 2, wes.email: 1}
    assert len({m.message["Message-ID"] for m in handler.messages}) == 5  # five distinct messages

    clock.now = datetime(2026, 7, 4, 9, 0, tzinfo=UTC)  # Saturday: no digest at all
    saturday = by_name(worker.run_once(force=True))
    assert saturday["digest-daily"].summary.endswith("not a sending day (Saturday)")
    assert len(handler.messages) == 5


def test_a_confirmed_subscriber_later_that_day_gets_that_days_digest(clocked: Store, clock: Clock, db_url: str,
                                                                    tmp_path: Path, smtp: tuple[Handler, int]) -> None:
    handler, port = smtp
    rt = runtime_for(clocked, db_url, tmp_path, port)
    confirmed(clocked, "ann@example.org")
    clock.now = datetime(2026, 6, 29, 6, 10, tzinfo=UTC)
    worker = Worker(rt, only=MAIL_JOBS, owner="w1")
    worker.run_once()
    late = confirmed(clocked, "late@example.org")
    clock.now += timedelta(minutes=31)
    runs = by_name(worker.run_once())
    assert runs["digest-daily"].summary.startswith("digest-daily: daily:2026-06-29: 1 digests built")
    assert handler.per_recipient() == {"ann@example.org": 1, late.email: 1}


def test_temporary_failures_are_retried_by_a_later_run(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    rt = Runtime(mail_rt.settings.model_copy(update={"mail_retry_seconds": 2}), mail_rt.store)
    rt.__dict__["indexes"] = mail_rt.indexes
    for email in ("busy@example.org", "fine@example.org"):
        confirmed(rt.store, email)
    handler.tempfail["busy@example.org"] = 1
    run_digests(rt, "daily", MONDAY, send=False)
    worker = Worker(rt, only=["deliver-outbox"], owner="w1")
    (first,) = worker.run_once(force=True)
    assert first.status == "ok" and first.summary.startswith("deliver-outbox: sent 1, failed 0, to retry 1")
    assert "451" in first.summary and handler.per_recipient() == {"fine@example.org": 1}
    (second,) = worker.run_once(force=True)  # the retry is not due yet
    assert second.summary.startswith("deliver-outbox: sent 0,")
    time.sleep(2.2)
    (third,) = worker.run_once(force=True)
    assert third.summary.startswith("deliver-outbox: sent 1,")
    assert handler.per_recipient() == {"fine@example.org": 1, "busy@example.org": 1}


def test_with_mail_off_or_the_server_down_messages_wait(mail_rt: Runtime, smtp: tuple[Handler, int],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    handler, _ = smtp
    confirmed(mail_rt.store, "ann@example.org")
    run_digests(mail_rt, "daily", MONDAY, send=False)

    off = Runtime(mail_rt.settings.model_copy(update={"smtp_host": ""}), mail_rt.store)
    worker = Worker(off, only=["deliver-outbox"], owner="w1")
    with caplog.at_level(logging.WARNING, logger="paperwire.worker"):
        (run,) = worker.run_once(force=True)
    assert run.status == "skipped" and run.error is None
    assert run.summary == ("skipped: mail is off: no SMTP server is set (PAPERWIRE_SMTP_HOST is empty); messages "
                           "wait in the outbox (1 now)")
    assert [r.getMessage() for r in caplog.records] == [f"job deliver-outbox {run.summary}"]
    info = next(j for j in mail_rt.store.jobs.list_jobs() if j.name == "deliver-outbox")
    assert (info.last_status, info.failures) == ("skipped", 0)
    assert info.next_run is not None and info.last_finished is not None
    assert info.next_run - info.last_finished == timedelta(minutes=5)  # its interval: no retry loop
    confirmed(mail_rt.store, "bob@example.org")
    (queued,) = Worker(off, only=["digest-daily"], owner="w0").run_once(force=True)
    assert "mail is off" in queued.summary  # nothing queued to go out all at once, stale, later
    assert [m.recipient for m in mail_rt.store.outbox.list_outbox(kind="digest")] == ["ann@example.org"]

    down = Runtime(mail_rt.settings.model_copy(update={"smtp_port": free_port()}), mail_rt.store)
    (failed,) = Worker(down, only=["deliver-outbox"], owner="w2").run_once(force=True)
    assert failed.status == "failed" and failed.error is not None and "cannot use SMTP server" in failed.error
    (message,) = mail_rt.store.outbox.list_outbox(kind="digest")
    assert (message.state, message.attempts) == ("pending", 0) and handler.messages == []  # it costs no attempt

    (sent,) = Worker(mail_rt, only=["deliver-outbox"], owner="w3").run_once(force=True)
    assert sent.summary.startswith("deliver-outbox: sent 1,") and handler.per_recipient() == {"ann@example.org": 1}


def test_the_commands_say_mail_is_off(mail_rt: Runtime, smtp: tuple[Handler, int], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from paperwire.cli import cli

    confirmed(mail_rt.store, "ann@example.org")
    run_digests(mail_rt, "daily", MONDAY, send=False)
    base = ["--db", mail_rt.settings.resolved_database_url(), "--data-dir", str(tmp_path / "data"), "digest"]
    result = CliRunner().invoke(cli, [*base, "deliver"], env={"PAPERWIRE_SMTP_HOST": ""}, catch_exceptions=False)
    assert result.exit_code == 1
    assert "mail is off: no SMTP server is set (PAPERWIRE_SMTP_HOST is empty)" in result.stdout
    assert [m.state for m in mail_rt.store.outbox.list_outbox()] == ["pending"] and smtp[0].messages == []


@pytest.mark.parametrize("trending_minutes", [30.0, 0.0])
def test_the_digest_job_refreshes_a_ranking_that_is_behind(clocked: Store, clock: Clock, db_url: str, tmp_path: Path,
                                                          smtp: tuple[Handler, int], trending_minutes: float) -> None:
    handler, port = smtp
    rt = runtime_for(clocked, db_url, tmp_path, port, schedule_trending_minutes=trending_minutes)
    confirmed(clocked, "ann@example.org")
    clock.now = datetime(2026, 6, 29, 7, 0, tzinfo=UTC)
    runs = by_name(Worker(rt, only=["digest-daily", "deliver-outbox"], owner="w1").run_once())
    text = handler.to("ann@example.org")[0].part("plain")
    if trending_minutes:  # the trending job never ran: the digest job computes the day's ranking first
        assert runs["digest-daily"].summary.endswith("; day trending ranking recomputed first (it was behind)")
        assert clocked.trending.trending_page("day").computed_at == clock.now
        assert "Why: Trending today: announced today" in text
    else:  # trending is switched off: nothing is computed behind the operator's back, the digest says "New"
        assert "recomputed" not in runs["digest-daily"].summary
        assert clocked.trending.trending_page("day").computed_at is None
        assert "Why: New today" in text and "Trending" not in text
