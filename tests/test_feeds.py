"""RSS and Atom feeds: every feed parses with feedparser (no bozo), GUIDs are stable, dates are right."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime

import feedparser
import pytest
from fastapi.testclient import TestClient

from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.web import create_app
from paperwire.web.feeds import FeedInfo, atom, rss

FEEDS = [
    "/feeds/trending.{fmt}", "/feeds/trending.{fmt}?period=week", "/feeds/trending.{fmt}?period=month&cat=cs.CL",
    "/feeds/daily.{fmt}", "/feeds/daily.{fmt}?date=2025-03-18", "/feeds/c/cs.CL.{fmt}", "/feeds/c/eess.IV.{fmt}",
    "/feeds/search.{fmt}?q=gaussian+splatting", '/feeds/search.{fmt}?q=author:"Daniel Palanker"',
    "/feeds/search.{fmt}?q=robot&cat=cs.RO&from=2025-06-01&to=2025-12-31", "/feeds/search.{fmt}?q=zzqxv+flurbnitz",
]


@pytest.fixture(scope="module")
def client(sample_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(sample_runtime.settings, sample_runtime.store)) as c:
        yield c


def parse(client: TestClient, url: str) -> feedparser.FeedParserDict:
    r = client.get(url)
    assert r.status_code == 200, (url, r.text[:300])
    parsed = feedparser.parse(r.content, response_headers={"content-type": r.headers["content-type"]})
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return parsed


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("template", FEEDS)
def test_every_feed_is_valid(client: TestClient, template: str, fmt: str) -> None:
    url = template.format(fmt=fmt)
    parsed = parse(client, url)
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
    assert parsed.feed.title.endswith("· Paperwire") and parsed.feed.link.startswith("http://127.0.0.1:8000/")
    for entry in parsed.entries:
        assert entry.id.startswith("https://arxiv.org/abs/")
        assert entry.link == "http://127.0.0.1:8000/paper/" + entry.id.removeprefix("https://arxiv.org/abs/")
        assert entry.title and entry.summary and entry.published_parsed
        assert entry.get("authors") or entry.get("author") is not None


def test_feeds_have_the_papers_of_their_listing(client: TestClient) -> None:
    daily = parse(client, "/feeds/daily.atom?date=2025-03-18")
    listing = client.get("/api/v1/daily", params={"date": "2025-03-18"}).json()
    assert [e.id.rsplit("/", 1)[1] for e in daily.entries] == [p["id"] for p in listing["papers"]]
    search = parse(client, "/feeds/search.rss?q=gaussian+splatting")
    days = [e.published_parsed for e in search.entries]
    assert len(days) == 50 and days == sorted(days, reverse=True)  # newest first, the 50 newest
    assert parse(client, "/feeds/search.atom?q=zzqxv+flurbnitz").entries == []


def test_entry_dates_guids_and_categories(client: TestClient) -> None:
    for fmt in ("rss", "atom"):
        parsed = parse(client, f"/feeds/daily.{fmt}?date=2025-03-18")
        entry = next(e for e in parsed.entries if e.id.endswith("/2503.11677"))
        assert entry.published_parsed[:6] == (2025, 3, 18, 0, 0, 0)
        assert {t.term for t in entry.tags} == {"cs.HC", "cs.CV"}
        if fmt == "atom":
            assert [a.name for a in entry.authors][::4] == ["Jungyeon Park", "Daniel Palanker"]
        else:
            assert entry.author == ("Jungyeon Park, Anna Kochnev Goldstein, Yueming Zhou, Nathan Jensen and "
                                    "Daniel Palanker")
        updated = parsed.feed.get("updated_parsed")
        assert updated is not None and calendar.timegm(updated) >= calendar.timegm(entry.published_parsed)


def test_feed_bytes_are_stable(client: TestClient) -> None:
    first = client.get("/feeds/trending.atom?period=week").content
    assert client.get("/feeds/trending.atom?period=week").content == first  # no wall-clock dates inside


def test_unknown_feeds(client: TestClient) -> None:
    assert client.get("/feeds/trending.json").status_code == 404
    assert client.get("/feeds/c/cs.XX.atom").status_code == 404
    assert client.get("/feeds/daily.atom?date=yesterday").status_code == 422
    assert client.get("/feeds/trending.rss?period=year").status_code == 422


def test_feeds_survive_hostile_text() -> None:
    authors = ["O'Brien <ob@example.org>", "", *(f"A{i}" for i in range(60))]
    nasty = Paper("2501.00001", "Ctrl\x01chars & <tags> ]]> \ufffe", "Abstract with \x0b vertical tab, é ü 中文 $x<y$",
                  authors, ["cs.CL"], announced=date(2025, 1, 2),
                  updated=datetime(2025, 1, 5, 12, tzinfo=UTC))
    info = FeedInfo("T & <b>", "D", "https://h/x", "https://h/feed", "Paperwire", "https://h/")
    for body in (rss([nasty], info, "https://h/paper/"), atom([nasty], info, "https://h/paper/")):
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.get("bozo_exception")
        entry = parsed.entries[0]
        assert entry.title == "Ctrlchars & <tags> ]]>" and "中文 $x<y$" in entry.summary
        names = [a.get("name", "") for a in entry.authors]
        assert names[0].startswith("O'Brien") and len(names) in (1, 49)  # RSS: one byline; Atom: 50 minus empty
    empty = feedparser.parse(atom([], info, "https://h/paper/"))
    assert not empty.bozo and empty.feed.updated_parsed[:3] == (1970, 1, 1)
    updated = feedparser.parse(atom([nasty], info, "https://h/paper/")).entries[0].updated_parsed
    assert updated[:4] == (2025, 1, 5, 12)
