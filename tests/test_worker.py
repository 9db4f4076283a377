"""The worker in one process, on both backends: offline failures with backoff, skipped and crashing jobs,
retry arithmetic, rate-limited log lines, ``paperwire jobs``."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.models import CodeLink, SourceBatch
from paperwire.runtime import Runtime
from paperwire.schedule import NO_EMBEDDER, JobOutcome, JobSpec, job_statuses, retry_seconds, status_lines
from paperwire.store import Store, open_store
from paperwire.worker import RepeatFilter, Worker
from tests.helpers.clock import Clock
from tests.helpers.paths import ROOT

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused
OFFLINE = {
    "arxiv_oai_url": f"{CLOSED}/oai", "arxiv_rss_url": f"{CLOSED}/atom", "arxiv_api_url": f"{CLOSED}/api/query",
    "hf_url": CLOSED, "github_api_url": CLOSED, "http_retries": 1, "http_backoff_seconds": 0.0,
    "arxiv_min_interval_seconds": 0.0, "hf_min_interval_seconds": 0.0, "github_min_interval_seconds": 0.0,
    "hf_days_back": 0, "contact_email": "tests@example.org",
    "semantic_search": False,  # the embed job is tested with the model in test_embedding_pipeline
}


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 8, 1, 12, tzinfo=UTC))


@pytest.fixture
def clocked(db_url: str, clock: Clock) -> Iterator[Store]:
    store = open_store(db_url, clock=clock)
    store.migrate()
    store.papers.save_batch(SourceBatch(links=[CodeLink("2607.28624", "a/b", "https://github.com/a/b", "hf")]))
    yield store
    store.close()


def offline_settings(tmp_path: Path, db_url: str, **more: object) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", **{**OFFLINE, **more})  # type: ignore[arg-type]


def job(store: Store, name: str):  # type: ignore[no-untyped-def]
    return next(j for j in store.jobs.list_jobs() if j.name == name)


def test_offline_harvests_fail_with_backoff_and_the_other_jobs_run(clocked: Store, clock: Clock, tmp_path: Path,
                                                                   db_url: str) -> None:
    worker = Worker(Runtime(offline_settings(tmp_path, db_url), clocked), owner="w1")
    runs = {r.name: r for r in worker.run_once()}
    assert {n: r.status for n, r in runs.items()} == {
        "harvest-arxiv": "failed", "harvest-listing": "failed", "harvest-hf": "failed", "harvest-stars": "failed",
        "embed": "skipped", "trending": "ok", "digest-daily": "ok", "digest-weekly": "ok",
        "deliver-outbox": "skipped",  # a Saturday; mail is off (no SMTP server set): the messages wait
        "fetch-requested": "ok",  # nothing asked for
        "recommend-retrain": "skipped"}  # no papers stored: no background to fit
    assert runs["harvest-arxiv"].error == (f"GET {CLOSED}/oai? failed after 2 attempts: ConnectError: "
                                           "[Errno 111] Connection refused")
    arxiv = job(clocked, "harvest-arxiv")
    assert (arxiv.last_status, arxiv.failures, arxiv.attempts, arxiv.lease_owner) == ("failed", 1, 1, None)
    assert arxiv.next_run == clock.now + timedelta(seconds=300)  # first retry after worker_retry_seconds
    assert job(clocked, "trending").next_run == clock.now + timedelta(minutes=30)  # its interval
    embed = job(clocked, "embed")
    assert (embed.last_status, embed.last_summary) == ("skipped", NO_EMBEDDER)
    assert worker.run_once() == []  # nothing is due yet
    for expected in (600, 1200, 2400):  # each failure in a row doubles the wait
        clock.now += timedelta(seconds=expected // 2)
        runs = {r.name: r for r in worker.run_once()}
        assert [n for n, r in runs.items() if r.status == "failed"] == [
            "harvest-arxiv", "harvest-listing", "harvest-hf", "harvest-stars"]
        arxiv = job(clocked, "harvest-arxiv")
        assert arxiv.next_run == clock.now + timedelta(seconds=expected)
    assert (arxiv.failures, arxiv.attempts, arxiv.runs) == (4, 4, 4)
    # a shorter interval in the settings takes effect at the next start, not after the old one
    assert job(clocked, "harvest-hf").next_run == clock.now + timedelta(seconds=2400)
    Worker(Runtime(offline_settings(tmp_path, db_url, schedule_harvest_hf_minutes=10), clocked)).register()
    assert job(clocked, "harvest-hf").next_run == clock.now + timedelta(minutes=10)
    assert job(clocked, "harvest-arxiv").next_run == clock.now + timedelta(seconds=2400)  # left alone


def test_forced_runs_and_jobs_command(clocked: Store, clock: Clock, tmp_path: Path, db_url: str) -> None:
    settings = offline_settings(tmp_path, db_url, schedule_harvest_listing_minutes=0)
    worker = Worker(Runtime(settings, clocked), only=["harvest-arxiv", "trending"], owner="w1")
    worker.run_once()
    clock.now += timedelta(seconds=10)
    assert [r.name for r in worker.run_once(force=True)] == ["harvest-arxiv", "trending"]
    statuses = {s.name: s for s in job_statuses(clocked, settings, clock.now)}
    assert statuses["harvest-arxiv"].state == "failed" and statuses["harvest-listing"].state == "disabled"
    assert statuses["harvest-hf"].state == "never run" and statuses["trending"].state == "ok"
    lines = status_lines(list(statuses.values()), clock.now)
    assert lines[0].split() == ["JOB", "STATE", "EVERY", "LAST", "RUN", "NEXT", "RUN", "RUNS", "FAILED", "LEASE"]
    arxiv_line = next(i for i, line in enumerate(lines) if line.startswith("harvest-arxiv"))
    assert lines[arxiv_line].split()[:8] == ["harvest-arxiv", "failed", "12.0", "h", "0", "s", "ago", "in"]
    assert lines[arxiv_line + 1].startswith("    failed 2 times in a row: GET http://127.0.0.1:9/oai? failed")
    assert any(line.startswith("harvest-listing  disabled") for line in lines)
    # the command on the real clock, against the same database
    result = CliRunner().invoke(cli, ["--db", db_url, "--data-dir", str(tmp_path / "data"), "jobs", "--json"],
                                env={"PAPERWIRE_SCHEDULE_HARVEST_LISTING_MINUTES": "0"}, catch_exceptions=False)
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["harvest-arxiv"]["failing_in_a_row"] == 2 and rows["harvest-arxiv"]["runs"] == 2
    assert rows["harvest-arxiv"]["last_error"].startswith("GET http://127.0.0.1:9/oai? failed after 2 attempts")
    assert rows["trending"]["last_summary"].startswith("trending: papers ranked: day 0, week 0, month 0")
    assert rows["harvest-listing"]["enabled"] is False and rows["harvest-listing"]["next_run"] is None
    result = CliRunner().invoke(cli, ["--db", db_url, "--data-dir", str(tmp_path / "data"), "jobs"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "harvest-arxiv    failed" in result.stdout


def test_a_crashing_job_is_recorded_and_the_worker_goes_on(clocked: Store, clock: Clock, tmp_path: Path,
                                                         db_url: str) -> None:
    def boom(rt: Runtime) -> JobOutcome:
        raise RuntimeError("disk full")

    def fine(rt: Runtime) -> JobOutcome:
        return JobOutcome("trending: fine")

    worker = Worker(Runtime(offline_settings(tmp_path, db_url), clocked), owner="w1",
                    jobs=[JobSpec("embed", "crashes", boom, lambda s: s.schedule_embed_minutes),
                          JobSpec("trending", "works", fine, lambda s: s.schedule_trending_minutes)])
    runs = worker.run_once()
    assert [(r.name, r.status, r.error) for r in runs] == [
        ("embed", "failed", "RuntimeError: disk full"), ("trending", "ok", None)]
    assert job(clocked, "embed").last_error == "RuntimeError: disk full"


def test_an_idle_worker_keeps_retrying_until_stopped(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url)
    store.migrate()
    settings = offline_settings(tmp_path, db_url, worker_retry_seconds=1, worker_poll_seconds=0.2)
    worker = Worker(Runtime(settings, store), only=["harvest-listing", "trending"], owner="loop")
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            jobs = {j.name: j for j in store.jobs.list_jobs()}
            if "harvest-listing" in jobs and jobs["harvest-listing"].failures >= 3:
                break
            time.sleep(0.1)
    finally:
        worker.stop()
        thread.join(30)
    assert not thread.is_alive()
    jobs = {j.name: j for j in store.jobs.list_jobs()}
    assert jobs["harvest-listing"].failures >= 3  # retried after 1 s, then 2 s: still going
    assert jobs["trending"].runs == 1 and jobs["trending"].last_status == "ok"
    assert all(j.lease_owner is None for j in jobs.values())
    store.close()


def test_retry_waits_double_up_to_their_caps() -> None:
    s = Settings(data_dir=Path("/nonexistent"), worker_retry_seconds=300, worker_max_retry_seconds=3600)
    assert [retry_seconds(s, n, 86400) for n in range(1, 7)] == [300, 600, 1200, 2400, 3600, 3600]
    assert retry_seconds(s, 5, 1800) == 1800  # never later than the job's own interval


def test_repeated_lines_are_logged_once_per_period() -> None:
    now = [0.0]
    flt = RepeatFilter(3600, clock=lambda: now[0])
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    handler.addFilter(flt)
    logger = logging.getLogger("paperwire.test-repeat")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)  # whatever other tests left on the root logger
    try:
        for attempt in range(1, 4):
            logger.error("GET %s failed; retry %d in %.1f s", "http://x", attempt, attempt * 2.0)
            logger.info("a progress line %d", attempt)  # below WARNING: never held back
            now[0] += 600
        logger.error("another problem")
        now[0] = 4000
        logger.error("GET %s failed; retry %d in %.1f s", "http://x", 9, 1.0)
    finally:
        logger.removeHandler(handler)
    assert records == ["GET http://x failed; retry 1 in 2.0 s", "a progress line 1", "a progress line 2",
                       "a progress line 3", "another problem",
                       "GET http://x failed; retry 9 in 1.0 s (and 2 similar since the last one)"]


def test_worker_doc_explains_every_worker_setting_and_job() -> None:
    from paperwire.schedule import JOBS

    text = (ROOT / "docs" / "worker.md").read_text()
    names = [n for n in Settings.model_fields if n.startswith(("schedule_", "worker_"))]
    assert len(names) >= 13
    assert [n for n in names if f"PAPERWIRE_{n.upper()}" not in text] == []
    assert [s.name for s in JOBS if f"`{s.name}`" not in text] == []
