"""Hugging Face daily papers: real answers of several dates, replayed; upvotes, links, missing papers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.ingest.harvest import run_hf
from paperwire.ingest.hf import parse_daily
from paperwire.ingest.report import HarvestReport
from paperwire.models import Paper
from paperwire.store import Store, open_store
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import Recorded, ReplayServer, file_response, load_arxivpy

pytestmark = pytest.mark.needs_data  # every test reads the recorded HF daily lists
HF = FIXTURES_SHARED / "hf-papers"
DAYS = ["2025-03-04", "2025-06-02", "2026-07-15", "2026-07-31"]


def hf_file(day: str) -> Path:
    return HF / f"daily_papers_date={day}.json"


@pytest.fixture
def hf(replay: ReplayServer) -> ReplayServer:
    for day in DAYS:
        replay.add(f"/api/daily_papers?date={day}", file_response(hf_file(day), "application/json"))
    return replay


def test_parse_every_recorded_date() -> None:
    counts = {day: len(parse_daily(hf_file(day).read_bytes(), date.fromisoformat(day)).entries) for day in DAYS}
    assert counts == {"2025-03-04": 13, "2025-06-02": 20, "2026-07-15": 2, "2026-07-31": 34}
    daily = parse_daily(hf_file("2025-06-02").read_bytes(), date(2025, 6, 2))
    e = daily.entries[0]
    assert (e.paper_id, e.upvotes, e.num_comments) == ("2505.24864", 35, 1)
    assert e.ai_summary and e.ai_summary.startswith("Prolonged reinforcement learning")
    assert e.ai_keywords[:2] == ["reinforcement learning", "RL"]
    assert e.submitted_on_daily is not None and e.submitted_on_daily.isoformat().startswith("2025-06-02T03:18:21")
    late = parse_daily(hf_file("2026-07-31").read_bytes(), date(2026, 7, 31)).entries[0]
    assert (late.github_repo, late.github_stars, late.project_page) == (
        "https://github.com/yaoyao-jpg/PhiZero", 2, "https://phi-zero.github.io/")
    old = parse_daily(hf_file("2025-03-04").read_bytes(), date(2025, 3, 4)).entries[0]
    # no submittedOnDailyAt in 2025-03: the item's own publishedAt says when it was posted
    assert old.submitted_on_daily is not None and old.submitted_on_daily.isoformat().startswith("2025-03-03T23:29")


def test_a_bad_item_is_rejected_alone() -> None:
    items = json.loads(hf_file("2026-07-15").read_text())
    items[0]["paper"]["upvotes"] = "many"
    daily = parse_daily(json.dumps(items).encode(), date(2026, 7, 15))
    assert len(daily.entries) == 1 and "upvotes" in daily.rejected[0]


def _run(store: Store, hf: ReplayServer, fake_time: FakeTime, start: str, end: str,
         fill: bool = False) -> HarvestReport:
    settings = Settings(hf_url=hf.url, arxiv_api_url=hf.url + "/api/query", hf_fill_from_arxiv=fill)
    with make_client(fake_time) as client, make_client(fake_time, retries=0) as api:
        return run_hf(store, settings, date.fromisoformat(start), date.fromisoformat(end), client=client,
                      api_client=api if fill else None)


def test_harvest_several_dates(store: Store, hf: ReplayServer, fake_time: FakeTime) -> None:
    store.papers.upsert_papers([Paper("2607.28624", "PhiZero", "abstract", ["A"], ["cs.LG"], version=1)])
    report = _run(store, hf, fake_time, "2026-07-31", "2026-07-31")
    assert report.ok and report.hf_entries == 34
    top = store.signals.hf_daily(date(2026, 7, 31))
    assert [e.upvotes for e in top] == sorted((e.upvotes for e in top), reverse=True)
    entry = store.signals.hf_entries("2607.28624")[0]
    assert (entry.upvotes, entry.github_stars, entry.daily_date) == (145, 2, date(2026, 7, 31))
    links = store.papers.code_links("2607.28624")
    assert [(link.repo, link.source) for link in links] == [("yaoyao-jpg/phizero", "hf")]
    assert store.signals.get_repository("yaoyao-jpg/PhiZero") is not None
    # papers not in the store were added from HF's metadata (version 0: arXiv's record replaces it later)
    added = store.papers.get_paper("2607.28568")
    assert added is not None and added.source == "hf" and added.version == 0 and added.title
    stored = store.papers.get_paper("2607.28624")
    assert stored is not None and stored.title == "PhiZero"  # a stored paper is not overwritten by HF


def test_refetch_updates_upvotes_and_keeps_snapshots(db_url: str, hf: ReplayServer, fake_time: FakeTime) -> None:
    now = [datetime(2026, 7, 15, 8, tzinfo=UTC)]
    store = open_store(db_url, clock=lambda: now[0])
    try:
        store.migrate()
        _run(store, hf, fake_time, "2026-07-15", "2026-07-15")
        items = json.loads(hf_file("2026-07-15").read_text())
        items[0]["paper"]["upvotes"] += 10  # HAND-MADE: the same list four hours later
        hf.add("/api/daily_papers?date=2026-07-15", Recorded(200, [], json.dumps(items).encode()))
        now[0] += timedelta(hours=4)
        _run(store, hf, fake_time, "2026-07-15", "2026-07-15")
        pid = items[0]["paper"]["id"]
        entry = store.signals.hf_entries(pid)[0]
        assert entry.upvotes == 34 and entry.first_seen == datetime(2026, 7, 15, 8, tzinfo=UTC)
        assert store.signals.hf_upvote_snapshots(pid) == [(datetime(2026, 7, 15, 8, tzinfo=UTC), 24),
                                                          (datetime(2026, 7, 15, 12, tzinfo=UTC), 34)]
    finally:
        store.close()


def test_missing_papers_come_from_the_arxiv_api_when_it_has_them(store: Store, hf: ReplayServer,
                                                                 fake_time: FakeTime) -> None:
    # HAND-MADE list: one real item whose paper id is one the recorded arXiv API answers hold
    items = json.loads(hf_file("2026-07-15").read_text())[:1]
    items[0]["paper"]["id"] = "1707.08567"
    hf.add("/api/daily_papers?date=2026-07-16", Recorded(200, [], json.dumps(items).encode()))
    route, recorded = load_arxivpy(FIXTURES_SHARED / "arxiv-api" / "arxivpy_id_1707.08567_s0_m100_6a1afebfc6a3.json")
    hf.add(route, recorded)
    report = _run(store, hf, fake_time, "2026-07-16", "2026-07-16", fill=True)
    paper = store.papers.get_paper("1707.08567")
    assert report.ok and paper is not None and paper.source == "arxiv-api" and paper.categories == ["cs.IT"]


def test_failed_lookup_falls_back_and_a_failed_day_is_reported(store: Store, hf: ReplayServer,
                                                               fake_time: FakeTime) -> None:
    hf.add("/api/daily_papers?date=2026-07-14", Recorded(200, [], b"<html>maintenance</html>"))  # HAND-MADE
    report = _run(store, hf, fake_time, "2026-07-14", "2026-07-15", fill=True)
    assert not report.ok and "2026-07-14 are not valid JSON" in report.errors[0]
    assert len(store.signals.hf_daily(date(2026, 7, 15))) == 2 and store.signals.hf_daily(date(2026, 7, 14)) == []
    assert store.papers.get_paper("2607.11886") is not None  # the API had no answer: HF's metadata was used
