"""The Store interface on both backends: papers, listings, state, jobs and leases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from paperwire.models import Paper
from paperwire.store import Store, open_store
from paperwire.store.postgres import split_schema
from tests.helpers.clock import Clock
from tests.helpers.db import PG_BASE, drop, new_url


def paper(pid: str, day: str, cats: list[str] | None = None, title: str = "T", version: int = 0) -> Paper:
    return Paper(pid, title, "abstract", ["A. Author"], cats or ["cs.CL"], announced=date.fromisoformat(day),
                 version=version)


def test_migrations_are_named_recorded_and_idempotent(store: Store) -> None:
    from paperwire.store.migrations import MIGRATIONS

    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert store.migrate() == []
    assert len(store.instance_id()) == 32


def test_roundtrip_keeps_every_field(store: Store) -> None:
    from paperwire.models import Version

    p = Paper("2501.00001", "Title <b>&", "Abstract $\\alpha$", ["Zoë Ünal", "B"], ["cs.CL", "cs.AI"], ["I.2.7"],
              "12 pages", "J. Ref", "10.1/x", "http://creativecommons.org/licenses/by/4.0/", "R-1",
              date(2025, 1, 2), datetime(2025, 1, 1, 10, tzinfo=UTC), datetime(2025, 2, 1, 9, tzinfo=UTC), 2,
              [Version(1, datetime(2025, 1, 1, 10, tzinfo=UTC)), Version(2, datetime(2025, 2, 1, 9, tzinfo=UTC))],
              True, "test")
    store.papers.upsert_papers([p])
    assert store.papers.get_paper("2501.00001") == p


def test_listing_by_day_category_and_neighbours(store: Store) -> None:
    store.papers.upsert_papers([
        paper("2501.00001", "2025-01-02", ["cs.CL"]), paper("2501.00002", "2025-01-02", ["cs.CV", "cs.CL"]),
        paper("2501.00003", "2025-01-06", ["cs.CV"]), paper("2501.00004", "2025-01-08", ["cs.LG"]),
    ])
    day = date(2025, 1, 2)
    assert [p.id for p in store.papers.list_papers(day, day)] == ["2501.00002", "2501.00001"]
    assert store.papers.count_papers(day, day) == 2
    assert [p.id for p in store.papers.list_papers(category="cs.CL")] == ["2501.00002", "2501.00001"]
    assert store.papers.count_papers(category="cs.CV") == 2
    assert store.papers.announced_days(date(2025, 1, 6)) == (date(2025, 1, 2), date(2025, 1, 8))
    assert store.papers.announced_days(date(2025, 1, 2)) == (None, date(2025, 1, 6))
    assert store.papers.latest_day() == date(2025, 1, 8)
    assert [p.id for p in store.papers.list_papers(limit=2, offset=1)] == ["2501.00003", "2501.00002"]


def test_stats(store: Store) -> None:
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02"), paper("2502.00001", "2025-02-03", ["cs.CV"])])
    stats = store.stats()
    assert stats.papers == 2
    assert stats.by_category == {"cs.CL": 1, "cs.CV": 1}
    assert stats.by_month == {"2025-01": 1, "2025-02": 1}
    assert (stats.first_announced, stats.last_announced) == (date(2025, 1, 2), date(2025, 2, 3))


def test_stats_count_primary_categories_only_most_first(store: Store) -> None:
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.LG", "cs.CL"]),
                                paper("2501.00002", "2025-01-02", ["cs.LG", "stat.ML"]),
                                paper("2501.00003", "2025-01-02", ["cs.CL"]),
                                Paper("2501.00004", "T", "abstract", ["A"], [], announced=date(2025, 1, 2))])
    assert list(store.stats().by_category.items()) == [("cs.LG", 2), ("(none)", 1), ("cs.CL", 1)]
    store.papers.upsert_papers([paper("2501.00002", "2025-01-02", ["stat.ML", "cs.LG"], title="Moved")])
    assert store.stats().by_category == {"cs.LG": 1, "cs.CL": 1, "stat.ML": 1, "(none)": 1}


def test_change_counter_follows_updates(store: Store) -> None:
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02"), paper("2501.00002", "2025-01-02")])
    mark = store.papers.max_seq()
    assert [e.id for e in store.papers.changed_since(0, 10)] == ["2501.00001", "2501.00002"]
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", title="New title")])
    changed = store.papers.changed_since(mark, 10)
    assert [(e.id, e.title) for e in changed] == [("2501.00001", "New title")]
    assert store.papers.max_seq() == changed[-1].seq > mark
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", title="New title")])  # no change, no new seq
    assert store.papers.max_seq() == changed[-1].seq


def test_categories_follow_updates(store: Store) -> None:
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.CL"])])
    store.papers.upsert_papers([paper("2501.00001", "2025-01-02", ["cs.CV"], title="changed")])
    assert store.papers.count_papers(category="cs.CL") == 0
    assert store.papers.count_papers(category="cs.CV") == 1


def test_iter_papers_pages_through_everything(store: Store) -> None:
    store.papers.upsert_papers([paper(f"2501.{i:05d}", "2025-01-02") for i in range(1, 26)])
    assert [p.id for p in store.papers.iter_papers(batch=7)] == [f"2501.{i:05d}" for i in range(1, 26)]


def test_state(store: Store) -> None:
    assert store.get_state("harvest") is None
    store.set_state("harvest", "token-1")
    store.set_state("harvest", "token-2")
    assert store.get_state("harvest") == "token-2"


def test_write_failure_rolls_back_the_whole_batch(store: Store) -> None:
    good = paper("2501.00001", "2025-01-02")
    broken = paper("2501.00002", "2025-01-02")
    broken.title = None  # type: ignore[assignment]  # violates NOT NULL inside the transaction
    with pytest.raises(Exception):  # noqa: B017 - the driver's own IntegrityError type differs per backend
        store.papers.upsert_papers([good, broken])
    assert store.stats().papers == 0


def test_jobs_lease_once_and_retry_after_a_crash(db_url: str) -> None:
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    store = open_store(db_url, clock=clock)
    other = open_store(db_url, clock=clock)
    try:
        store.migrate()
        store.jobs.ensure_job("harvest", 3600)
        assert store.jobs.claim_job("worker-a", lease_seconds=60) == "harvest"
        assert other.jobs.claim_job("worker-b", lease_seconds=60) is None  # held
        clock.now += timedelta(seconds=30)
        assert store.jobs.renew_lease("harvest", "worker-a", 60)
        clock.now += timedelta(seconds=61)  # worker-a crashed: its lease ran out
        assert other.jobs.claim_job("worker-b", lease_seconds=60) == "harvest"
        assert not store.jobs.renew_lease("harvest", "worker-a", 60)
        store.jobs.finish_job("harvest", "worker-a")  # a stale holder cannot record an outcome
        other.jobs.finish_job("harvest", "worker-b", error="boom", retry_seconds=120)
        job = store.jobs.list_jobs()[0]
        assert (job.last_status, job.last_error, job.failures, job.runs, job.lease_owner) == (
            "failed", "boom", 1, 1, None)
        assert job.next_run == clock.now + timedelta(seconds=120)
        assert store.jobs.claim_job("worker-a", 60) is None  # not due yet
        clock.now += timedelta(seconds=121)
        assert store.jobs.claim_job("worker-a", 60) == "harvest"
        store.jobs.finish_job("harvest", "worker-a")
        job = store.jobs.list_jobs()[0]
        assert (job.last_status, job.attempts, job.next_run) == ("ok", 0, clock.now + timedelta(hours=1))
        assert store.jobs.claim_named_job("harvest", "cli", 60, force=True)
        assert not other.jobs.claim_named_job("harvest", "cli2", 60, force=True)
    finally:
        store.close()
        other.close()


@pytest.mark.postgres
def test_statistics_refresh_gives_way_to_another_analysis_holding_the_lock(tmp_path: Path) -> None:
    # An import, harvest or embedding run has committed its rows; a refresh that cannot get its lock
    # within the lock timeout must not turn that into a failure.
    url = new_url("postgres", tmp_path)
    store = open_store(url, busy_timeout_ms=200)
    store.migrate()
    schema = split_schema(url)[1]
    try:
        with psycopg.connect(PG_BASE) as other, other.transaction():
            other.execute(f'LOCK TABLE "{schema}".papers IN SHARE UPDATE EXCLUSIVE MODE')  # as ANALYZE holds
            assert store.papers.refresh_statistics(10_000) == []
        assert store.papers.refresh_statistics(10_000)[0] == "papers"  # the lock released: it runs
    finally:
        store.close()
        drop(url)
