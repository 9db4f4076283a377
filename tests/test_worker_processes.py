"""Real worker processes on one database (both backends): a job never runs twice at once, a killed worker's
job is run again after its lease expires, SIGTERM stops gracefully, and ``paperwire run`` serves offline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from paperwire.store import JobInfo, Store, open_store
from tests.helpers.net import free_port
from tests.helpers.paths import FIXTURES_SHARED, ROOT
from tests.helpers.processes import wait_ready
from tests.helpers.replay import ReplayServer, file_response

pytestmark = pytest.mark.slow
ONLY_HF = {  # the HF harvest alone, every 3 seconds, without real waits between requests
    "PAPERWIRE_SCHEDULE_HARVEST_ARXIV_MINUTES": "0", "PAPERWIRE_SCHEDULE_HARVEST_LISTING_MINUTES": "0",
    "PAPERWIRE_SCHEDULE_HARVEST_STARS_MINUTES": "0", "PAPERWIRE_SCHEDULE_EMBED_MINUTES": "0",
    "PAPERWIRE_SCHEDULE_TRENDING_MINUTES": "0", "PAPERWIRE_SCHEDULE_HARVEST_HF_MINUTES": "0.05",
    "PAPERWIRE_HF_DAYS_BACK": "0", "PAPERWIRE_HF_FILL_FROM_ARXIV": "false", "PAPERWIRE_HF_MIN_INTERVAL_SECONDS": "0",
    "PAPERWIRE_HTTP_RETRIES": "0", "PAPERWIRE_HTTP_TIMEOUT_SECONDS": "120", "PAPERWIRE_WORKER_POLL_SECONDS": "0.5",
    "PAPERWIRE_LOG_LEVEL": "INFO",
}


@pytest.fixture
def today() -> str:
    """Today's date (UTC) when the test starts: without --from, 'harvest hf' reads today's list (a date
    taken when the module was imported went stale when a test run passed midnight)."""
    return datetime.now(UTC).date().isoformat()


@pytest.fixture
def hf(replay: ReplayServer, today: str) -> ReplayServer:
    replay.add(f"/api/daily_papers?date={today}",
               file_response(FIXTURES_SHARED / "hf-papers" / "daily_papers_date=2026-07-31.json", "application/json"))
    return replay


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    s.migrate()
    yield s
    s.close()


def start(db_url: str, data_dir: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "paperwire", "--db", db_url, "--data-dir", str(data_dir), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def hf_job(store: Store) -> JobInfo | None:
    return next((j for j in store.jobs.list_jobs() if j.name == "harvest-hf"), None)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return out, err


@pytest.mark.needs_data
def test_two_workers_never_run_a_job_at_the_same_time(db_url: str, tmp_path: Path, hf: ReplayServer,
                                                      store: Store, today: str) -> None:
    hf.route(f"/api/daily_papers?date={today}").delay = 1.5  # each run takes 1.5 s
    env = {**ONLY_HF, "PAPERWIRE_HF_URL": hf.url}
    workers = [start(db_url, tmp_path / f"data{i}", env, "worker") for i in range(2)]
    try:
        wait_until(lambda: (hf_job(store) or JobInfo("", 0, None, None, None, None, None, None, None, 0, 0, 0)).runs
                   >= 3, 60, "three runs of the job")
    finally:
        outputs = [stop(w) for w in workers]
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
        assert "stopped" in err
    job = hf_job(store)
    assert job is not None and job.lease_owner is None and job.failures == 0
    assert hf.max_in_flight == 1  # never two runs at once
    assert len(hf.requests()) in (job.runs, job.runs + 1)  # one request per run (the last may be cut short)
    assert store.signals.hf_daily(datetime.now(UTC).date())[0].upvotes == 145


@pytest.mark.needs_data
def test_a_killed_workers_job_runs_again_after_its_lease_expires(db_url: str, tmp_path: Path, hf: ReplayServer,
                                                                 store: Store, today: str) -> None:
    route = hf.route(f"/api/daily_papers?date={today}")
    route.delay = 120.0  # the first run hangs: its worker is killed meanwhile
    env = {**ONLY_HF, "PAPERWIRE_HF_URL": hf.url, "PAPERWIRE_WORKER_LEASE_SECONDS": "3",
           "PAPERWIRE_SCHEDULE_HARVEST_HF_MINUTES": "60"}
    first = start(db_url, tmp_path / "data", env, "worker")
    try:
        assert hf.wait_for(lambda seen: len(seen) == 1, 60), "the first worker never ran the job"
        time.sleep(1.5)  # past the first lease renewal (every second)
        held = hf_job(store)
        assert held is not None and held.lease_owner is not None and f":{first.pid}:" in held.lease_owner
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    route.delay = 0.0
    second = start(db_url, tmp_path / "data", env, "worker")
    try:
        wait_until(lambda: (hf_job(store) or held).runs == 1, 60, "the job to be run again")
    finally:
        _, err = stop(second)
    job = hf_job(store)
    assert job is not None and held.lease_expires is not None and job.last_started is not None
    assert job.last_started >= held.lease_expires  # not before the dead worker's lease ran out
    assert (job.last_status, job.failures, job.attempts, job.lease_owner) == ("ok", 0, 0, None)
    assert f":{second.pid}:" in err and "job harvest-hf done" in err
    assert len(hf.requests()) == 2


@pytest.mark.needs_data
def test_sigterm_interrupts_a_long_job_after_the_grace_period_and_leaves_it_due(
        db_url: str, tmp_path: Path, hf: ReplayServer, store: Store, today: str) -> None:
    hf.route(f"/api/daily_papers?date={today}").delay = 120.0
    env = {**ONLY_HF, "PAPERWIRE_HF_URL": hf.url, "PAPERWIRE_WORKER_STOP_GRACE_SECONDS": "1"}
    worker = start(db_url, tmp_path / "data", env, "worker")
    try:
        assert hf.wait_for(lambda seen: len(seen) == 1, 60)
        before = hf_job(store)
    finally:
        began = time.monotonic()
        _, err = stop(worker)
    assert worker.returncode == 0 and time.monotonic() - began < 15
    assert "job harvest-hf interrupted" in err and "left due for the next start" in err
    job = hf_job(store)
    assert before is not None and job is not None
    assert (job.lease_owner, job.runs, job.attempts, job.next_run) == (None, 0, 0, before.next_run)


def test_run_serves_the_site_while_the_offline_worker_fails_and_retries(db_url: str, tmp_path: Path,
                                                                        store: Store) -> None:
    port = free_port()
    env = {**ONLY_HF, "PAPERWIRE_HF_URL": "http://127.0.0.1:9", "PAPERWIRE_WORKER_RETRY_SECONDS": "1",
           "PAPERWIRE_SCHEDULE_TRENDING_MINUTES": "60"}
    proc = start(db_url, tmp_path / "data", env, "run", "--port", str(port))
    try:
        wait_ready(port, proc)  # type: ignore[arg-type]
        wait_until(lambda: (hf_job(store) is not None and hf_job(store).failures >= 2), 60,  # type: ignore[union-attr]
                   "two failed harvests")
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        trending = next(j for j in store.jobs.list_jobs() if j.name == "trending")
        assert trending.last_status == "ok"
    finally:
        _out, err = stop(proc, signal.SIGINT)
    assert proc.returncode == 0, err
    assert "ConnectError" in err and "next try in" in err
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    assert all(j.lease_owner is None for j in store.jobs.list_jobs())
