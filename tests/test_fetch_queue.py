"""The fetch queue and arXiv's pacing, against a fake arXiv on 127.0.0.1 that counts how it is treated:
submissions never wait on arXiv (the site stays up while arXiv answers 503), the worker fetches what was
asked for in batches, and every arXiv request of an instance — threads, stores, processes — takes its
turn: one at a time, ``arxiv_min_interval_seconds`` apart, a ``Retry-After`` waited out by all."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperwire.accounts.service import Accounts
from paperwire.community import service as community
from paperwire.config import Settings
from paperwire.ingest.fetch_queue import drain, request_fetch
from paperwire.ingest.harvest import ARXIV_PACE_KEY, arxiv_client
from paperwire.ingest.http import HttpClient, HttpConfig
from paperwire.ingest.pacing import Pacer, default_owner, holder_is_gone
from paperwire.store import Store, open_store
from paperwire.web import create_app
from tests.helpers.fake_arxiv import FakeArxiv
from tests.helpers.live import live_server
from tests.helpers.processes import paperwire

SECRET = b"test-secret"
SLACK = 0.02  # clocks read a little apart on the two sides of a socket


def in_threads(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the callables at once, one thread each; their results (re-raising the first failure)."""
    with ThreadPoolExecutor(len(jobs)) as pool:
        return [f.result() for f in [pool.submit(job) for job in jobs]]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds (checked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def fetch_settings(tmp_path: Path, db_url: str, arxiv: FakeArxiv, **more: Any) -> Settings:
    values: dict[str, Any] = {"database_url": db_url, "data_dir": tmp_path / "data", "index_refresh_seconds": 0,
                              "arxiv_api_url": arxiv.api_url, "arxiv_min_interval_seconds": 0.3}
    return Settings(**{**values, **more})


# -- the queue in the store -------------------------------------------------------------------------
def test_requests_are_one_per_id_and_claims_hold_a_lease(store: Store) -> None:
    user = store.accounts.create_user("ann@example.org", "ann", "hash")
    first = request_fetch(store, ["2501.00001v2", "2501.00002"], "submission", user.id, "2501.00001v2")
    assert {k: v.state for k, v in first.items()} == {"2501.00001": "pending", "2501.00002": "pending"}
    again = request_fetch(store, ["2501.00001"], "search")  # asked again, for another reason: the same fetch
    assert again["2501.00001"].reason == "submission" and store.fetches.counts() == {"pending": 2}
    with pytest.raises(ValueError, match="not an arXiv id"):
        request_fetch(store, ["../etc/passwd"], "search")
    with pytest.raises(ValueError, match="unknown fetch reason"):
        request_fetch(store, ["2501.00003"], "curiosity")

    assert store.fetches.claim("w1", 1, 600) == ["2501.00001"]
    assert store.fetches.claim("w2", 10, 600) == ["2501.00002"]  # a claimed id is nobody else's
    assert store.fetches.claim("w3", 10, 600) == []
    store.fetches.finish("w2", missing=["2501.00002"])
    store.fetches.finish("w3", done=["2501.00001"])  # not w3's claim: nothing recorded
    assert store.fetches.get("2501.00001").state == "fetching"  # type: ignore[union-attr]
    # w1 died: once its lease has expired the id is claimed again
    later = open_store(store.url, clock=lambda: store.clock() + timedelta(seconds=601))
    try:
        assert later.fetches.claim("w4", 10, 600) == ["2501.00001"]
        assert later.fetches.get("2501.00001").attempts == 2  # type: ignore[union-attr]
    finally:
        later.close()


# -- pacing: one arXiv request at a time, min_interval apart ----------------------------------------------
def test_arxiv_clients_of_one_process_take_turns(tmp_path: Path) -> None:
    with FakeArxiv(delay=0.1) as arxiv:
        settings = Settings(data_dir=tmp_path, arxiv_api_url=arxiv.api_url, arxiv_min_interval_seconds=0.3)

        def fetch_three(first: int) -> None:
            with arxiv_client(settings) as client:  # a client of its own, as each harvest makes
                for i in range(first, first + 3):
                    assert client.get(arxiv.api_url, {"id_list": f"2501.0000{i}"}).status == 200

        in_threads(lambda: fetch_three(1), lambda: fetch_three(4))
    assert len(arxiv.hits) == 6 and arxiv.max_in_flight == 1
    assert min(arxiv.gaps()) >= 0.3 - SLACK


def test_two_stores_on_one_database_take_turns_at_arxiv(db_url: str, store: Store) -> None:
    # two processes' worth: each thread its own Store and its own pacer; only the database is shared
    with FakeArxiv(delay=0.1) as arxiv:

        def fetch_three(first: int) -> None:
            own = open_store(db_url)
            try:
                pacer = Pacer(0.3, own.pacing)
                with HttpClient(HttpConfig(min_interval=0.3, retries=0), pacer=pacer, pace_key=ARXIV_PACE_KEY) as http:
                    for i in range(first, first + 3):
                        assert http.get(arxiv.api_url, {"id_list": f"2501.0000{i}"}).status == 200
            finally:
                own.close()

        in_threads(lambda: fetch_three(1), lambda: fetch_three(4))
    assert len(arxiv.hits) == 6 and arxiv.max_in_flight == 1
    assert min(arxiv.gaps()) >= 0.3 - SLACK


def test_a_turn_held_by_a_killed_process_is_taken_over_on_its_host(store: Store) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    here = default_owner().rsplit("|", 2)[0]
    killed, elsewhere = f"{here}|{int(ended.stdout)}|dead", f"other-host/|{int(ended.stdout)}|far"
    assert holder_is_gone(killed) and not holder_is_gone(elsewhere) and not holder_is_gone(default_owner())
    assert store.pacing.take_turn(ARXIV_PACE_KEY, killed, 600, holder_is_gone) == 0  # then it was killed
    assert 0 < store.pacing.take_turn(ARXIV_PACE_KEY, "me", 600, lambda holder: False) <= 0.25  # held: ask again
    assert store.pacing.take_turn(ARXIV_PACE_KEY, "me", 600, holder_is_gone) == 0  # its holder is gone
    store.pacing.end_turn(ARXIV_PACE_KEY, "me", 600)
    assert store.pacing.take_turn(ARXIV_PACE_KEY, elsewhere, 600, holder_is_gone) > 590  # the gap holds


@pytest.mark.slow
def test_harvests_in_two_processes_keep_arxivs_rate_and_wait_out_retry_after(db_url: str, store: Store,
                                                                               tmp_path: Path) -> None:
    # two 'paperwire harvest ids' at once, one batch each (the default interval, 3 s); arXiv answers the
    # first request 503 with Retry-After: 4, which the other process must wait out too
    with FakeArxiv(delay=0.1, fail_first=1, retry_after=4) as arxiv:
        procs = [paperwire(db_url, tmp_path / "data", "harvest", "ids", "--base-url", arxiv.api_url,
                           *[f"2501.0{n}00{i}" for i in range(3)]) for n in (1, 2)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    assert len(arxiv.hits) == 3 and arxiv.max_in_flight == 1  # one batch each, one retry
    first, second = arxiv.gaps()
    assert arxiv.hits[0].status == 503 and first >= 4.0 - SLACK and second >= 3.0 - SLACK
    assert store.papers.get_paper("2501.01002") is not None and store.papers.get_paper("2501.02002") is not None


# -- submissions through the queue ----------------------------------------------------------------------
def member_token(store: Store, settings: Settings, handle: str) -> str:
    """A verified member's API token that may write."""
    user = store.accounts.create_user(f"{handle}@example.org", handle, "hash")
    store.accounts.update_user(user.id, verified=True)
    verified = store.accounts.get_user(user.id)
    assert verified is not None
    _, token = Accounts(store, settings, SECRET).create_api_token(verified, "script", ["read", "write"])
    return token


def test_submissions_never_wait_on_arxiv_and_the_site_stays_up(db_url: str, store: Store, tmp_path: Path) -> None:
    # arXiv answers 503 and asks to come back in 30 s; six members submit at once on a site with four
    # handler threads (the default): before the queue, each submission waited out arXiv in a handler thread
    with FakeArxiv(mode="unavailable", retry_after=30) as arxiv:
        settings = fetch_settings(tmp_path, db_url, arxiv)
        tokens = [member_token(store, settings, f"member{i}") for i in range(6)]
        with live_server(create_app(settings, store)) as base, httpx.Client(base_url=base, timeout=10) as web:

            def submit(i: int) -> httpx.Response:
                return web.post("/api/v1/submissions", json={"paper": f"https://arxiv.org/abs/2501.0000{i}"},
                                headers={"Authorization": f"Bearer {tokens[i]}"})

            pending = ThreadPoolExecutor(6)
            futures = [pending.submit(submit, i) for i in range(6)]
            # give them time to be answered, or (as before the queue) to take every handler thread
            wait_until(lambda: all(f.done() for f in futures), timeout=3)
            # the site answers (the 5 s timeout is generous: it answers at once)
            assert web.get("/healthz", timeout=5).status_code == 200
            assert web.get("/submissions", timeout=5).status_code == 200
            answers = [f.result(timeout=30) for f in futures]
            pending.shutdown()
            assert [a.status_code for a in answers] == [202] * 6
            body = answers[0].json()
            assert body["state"] == "pending" and body["fetch"]["poll"] == "/api/v1/fetches/2501.00000"
            assert answers[0].headers["location"] == "/api/v1/fetches/2501.00000"
            polled = web.get("/api/v1/fetches/2501.00000", headers={"Authorization": f"Bearer {tokens[0]}"})
            assert polled.status_code == 200 and polled.json()["state"] == "pending"
    assert arxiv.hits == []  # nothing was asked of arXiv while anyone waited
    assert store.fetches.counts() == {"pending": 6} and store.community.list_submissions() == []


def test_two_workers_drain_one_request_at_a_time_and_wait_out_retry_after(db_url: str, store: Store,
                                                                          tmp_path: Path) -> None:
    # two workers (each its own store, as two processes would have) drain six queued submissions, two ids
    # per request; arXiv answers the first request 503 with Retry-After: 1
    with FakeArxiv(fail_first=1, retry_after=1) as arxiv:
        settings = fetch_settings(tmp_path, db_url, arxiv, arxiv_api_batch=2)
        member = store.accounts.create_user("ann@example.org", "ann", "hash")
        store.accounts.update_user(member.id, verified=True)
        ann = store.accounts.get_user(member.id)
        assert ann is not None
        for i in range(6):
            assert community.submit(store, settings, ann, f"2501.0000{i}").fetch is not None

        def worker(owner: str) -> int:
            own = open_store(db_url)
            try:
                return drain(own, settings, owner=owner).done
            finally:
                own.close()

        done = in_threads(lambda: worker("w1"), lambda: worker("w2"))
    assert sum(done) == 6 and store.fetches.counts() == {"done": 6}
    assert arxiv.max_in_flight == 1 and len(arxiv.hits) == 4  # three batches and one retry
    assert arxiv.hits[0].status == 503 and arxiv.gaps()[0] >= 1.0 - SLACK  # everyone waited out Retry-After
    assert min(arxiv.gaps()) >= 0.3 - SLACK
    assert sorted(arxiv.asked()) == sorted([f"2501.0000{i}" for i in range(6)] + arxiv.hits[0].ids)
    assert community.complete_submissions(store).recorded == 6
    assert {s.paper_id for s in store.community.list_submissions(user_id=ann.id)} == {
        f"2501.0000{i}" for i in range(6)}
    assert store.community.upvote_counts([f"2501.0000{i}" for i in range(6)]) == {
        f"2501.0000{i}": 1 for i in range(6)}
