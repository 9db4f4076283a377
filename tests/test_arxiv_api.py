"""The arXiv query API, replayed from arxiv.py's real recordings: ids, paging, the 400 error feed."""

from __future__ import annotations

import pytest

from paperwire.config import Settings
from paperwire.ingest.arxiv_api import ArxivApiError, parse_feed, search
from paperwire.ingest.harvest import run_ids
from paperwire.store import Store
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES_SHARED
from tests.helpers.replay import ReplayServer, load_arxivpy

pytestmark = pytest.mark.needs_data  # every test replays the recorded arXiv API
API = FIXTURES_SHARED / "arxiv-api"


@pytest.fixture
def api(replay: ReplayServer) -> ReplayServer:
    for path in sorted(API.glob("arxivpy_*.json")):
        route, recorded = load_arxivpy(path)
        replay.add(route, recorded)
    return replay


def test_parse_entry_fields() -> None:
    bodies = API / "derived_xml_bodies"
    page = parse_feed((bodies / "arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76.xml").read_bytes())
    (p,) = page.papers
    assert p.id == "astro-ph/0601001" and p.version == 1 and p.categories == ["astro-ph"]
    assert p.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert p.journal_ref == "ActaAstron.56:1-50,2006" and p.comment and p.comment.startswith("62 pages")
    assert p.abstract.startswith("We derive the frequencies") and p.submitted and p.submitted.year == 2006


def test_error_feed_is_raised_with_arxivs_message() -> None:
    with pytest.raises(ArxivApiError, match="incorrect id format for abc"):
        parse_feed((API / "derived_xml_bodies" / "arxivpy_id_abc_s0_m100_b79c8dcf6bc3.xml").read_bytes())


def test_fetch_ids_stores_papers_and_reports_missing(store: Store, api: ReplayServer, fake_time: FakeTime) -> None:
    settings = Settings(arxiv_api_url=api.url + "/api/query")
    with make_client(fake_time, min_interval=3.0) as client:
        report = run_ids(store, settings, ["0808.05394", "1707.08567"], client=client)
    assert report.papers.inserted == 1 and store.papers.get_paper("1707.08567") is not None
    assert not report.ok and report.errors == ["not found on arXiv: 0808.05394"]
    with make_client(fake_time) as client:
        ok = run_ids(store, settings, ["quant-ph/0201082v1"], client=client)
    assert ok.ok and store.papers.get_paper("quant-ph/0201082") is not None


def test_http_400_error_feed_fails_clearly(store: Store, api: ReplayServer, fake_time: FakeTime) -> None:
    with make_client(fake_time) as client:
        report = run_ids(store, Settings(arxiv_api_url=api.url + "/api/query"), ["abc"], client=client)
    assert not report.ok and "arXiv API error: incorrect id format for abc" in report.errors[0]
    assert fake_time.sleeps == []  # a 400 is not retried
    assert store.stats().papers == 0


def test_search_pages_through_results(api: ReplayServer, fake_time: FakeTime) -> None:
    with make_client(fake_time, min_interval=3.0) as client:
        pages = list(search(client, api.url + "/api/query", "testing", limit=60, page_size=10))
    assert [p.start for p in pages] == [0, 10, 20, 30, 40, 50]
    ids = [paper.id for page in pages for paper in page.papers]
    assert len(ids) == 60 and pages[0].total == 214881
    assert fake_time.sleeps == [3.0] * 5
