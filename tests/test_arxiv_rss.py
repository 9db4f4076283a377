"""arXiv's announcement feed: the real cs.AI feed, the real truncated one, and the listing harvest."""

from __future__ import annotations

from datetime import date

import pytest

from paperwire.config import Settings
from paperwire.ingest.arxiv_rss import parse_listing
from paperwire.ingest.harvest import run_listing
from paperwire.models import Paper
from paperwire.store import Store
from tests.helpers.clock import FakeTime
from tests.helpers.net import make_client
from tests.helpers.paths import FIXTURES, FIXTURES_SHARED
from tests.helpers.replay import ReplayServer, file_response

pytestmark = pytest.mark.needs_data  # every test reads the recorded feeds
RSS = FIXTURES_SHARED / "arxiv-rss"
REPAIRED = RSS / "DERIVED_cs.AI_2025-08-20_repaired_86entries.xml"
TRUNCATED = RSS / "zotero-arxiv-daily_cs.AI_2025-08-20_truncated_real.xml"
ATOM = "application/atom+xml"


def test_parse_feed() -> None:
    listing = parse_listing(REPAIRED.read_bytes())
    assert len(listing.entries) == 86 and listing.rejected == []
    kinds = [e.announce_type for e in listing.entries]
    assert kinds.count("new") == 41 and kinds.count("cross") == 45
    first = listing.entries[0].paper
    assert first.id == "2508.13167" and first.version == 1 and first.announced == date(2025, 8, 20)
    assert first.categories == ["cs.AI", "cs.CL"] and first.authors[:2] == ["Weizhen Li", "Jianbo Lin"]
    assert first.abstract.startswith("Recent advances in large language models")
    assert "Announce Type" not in first.abstract
    assert first.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    cross = listing.entries[-1].paper
    assert cross.categories[0] == "cs.LG" and cross.announced == date(2025, 8, 20)


def _settings(replay: ReplayServer) -> Settings:
    return Settings(arxiv_rss_url=replay.url + "/atom", listing_categories="cs.AI")


def test_listing_harvest_stores_same_day_papers_and_code_links(store: Store, replay: ReplayServer,
                                                               fake_time: FakeTime) -> None:
    replay.add("/atom/cs.AI", file_response(REPAIRED, ATOM))
    with make_client(fake_time) as client:
        report = run_listing(store, _settings(replay), client=client)
    assert report.ok and report.papers.inserted == 86 and report.links > 0
    assert store.papers.count_papers(date(2025, 8, 20), date(2025, 8, 20)) == 86
    assert store.get_state("harvest.listing.cs.AI") == "2025-08-20"
    linked = {link.paper_id for link in store.papers.code_links()}
    assert linked and all(store.papers.get_paper(pid) for pid in linked)
    again = run_listing(store, _settings(replay), client=make_client(fake_time))
    assert again.ok and again.papers.unchanged == 86 and again.links == 0


def test_listing_keeps_what_the_feed_lacks(store: Store, replay: ReplayServer, fake_time: FakeTime) -> None:
    store.papers.upsert_papers([Paper("2508.13167", "Old title", "old", ["A"], ["cs.AI"], comment="12 pages",
                                      doi="10.1/x", version=1)])
    replay.add("/atom/cs.AI", file_response(REPAIRED, ATOM))
    run_listing(store, _settings(replay), client=make_client(fake_time))
    paper = store.papers.get_paper("2508.13167")
    assert paper is not None and paper.title.startswith("Chain-of-Agents")
    assert (paper.comment, paper.doi, paper.announced) == ("12 pages", "10.1/x", date(2025, 8, 20))


def test_truncated_real_feed_fails_and_commits_nothing(store: Store, replay: ReplayServer,
                                                       fake_time: FakeTime) -> None:
    replay.add("/atom/cs.AI", file_response(TRUNCATED, ATOM))
    replay.add("/atom/cs.CL", file_response(FIXTURES / "external-entity.xml", ATOM))
    with make_client(fake_time) as client:
        report = run_listing(store, _settings(replay), ["cs.AI", "cs.CL"], client=client)
    assert not report.ok and len(report.errors) == 2
    assert "cs.AI: arXiv announcement feed is not well-formed XML (line 1233" in report.errors[0]
    assert "nothing from this feed was saved" in report.errors[0] and "unsafe XML" in report.errors[1]
    assert store.stats().papers == 0 and store.papers.code_links() == []
    assert "FAILED" in report.line()
