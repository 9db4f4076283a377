"""Trending on the site, the JSON API and the feeds reads the stored rankings (both backends).

The store holds real Hugging Face daily lists, code links and star
snapshots (tests/helpers/world.py); ``recompute`` stores the rankings at a
fixed instant and every test compares what is served with
``Store.trending.trending_page`` — the order, the reasons, the category filter and
its total — or, when nothing was computed, with the honest fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.trending import recompute
from paperwire.web import create_app
from tests.helpers.world import NOW, SETTINGS, WEEK_TOP

ITEM_RE = re.compile(r'<h2 class="paper-title[^"]*"><a href="/paper/([^"]+)"')
REASON_RE = re.compile(r'<p class="trend-reason"><span class="visually-hidden">Trending because: </span>([^<]+)</p>')


@pytest.fixture
def client(web_settings: Settings, web_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings, web_store)) as c:
        yield c


def ranked(store: Store, window: str, limit: int = 25) -> list[str]:
    return [e.paper_id for e in store.trending.trending_page(window, limit=limit).entries]


def test_pages_follow_the_stored_ranking_with_reasons(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    week = client.get("/trending/week")
    assert week.status_code == 200
    assert ITEM_RE.findall(week.text) == ranked(web_store, "week")
    assert tuple(ITEM_RE.findall(week.text)[:3]) == WEEK_TOP
    assert "Ranked by trending score (stars gained, upvotes, freshness), computed 1 Aug 2026 12:00 UTC." in week.text
    reasons = REASON_RE.findall(week.text)
    assert reasons[0] == "+900 stars this week · 145 upvotes on Hugging Face · featured on Hugging Face yesterday"
    assert f"<strong>{web_store.trending.trending_page('week').total}</strong> papers" in week.text
    home = client.get("/")  # today: the day window's ranking
    assert ITEM_RE.findall(home.text) == ranked(web_store, "day")
    assert "+510 stars today" in REASON_RE.findall(home.text)[0]
    assert "Ordered by newest" not in home.text
    second = client.get("/trending/month", params={"page": 2})  # paging goes on in rank order
    page_two = web_store.trending.trending_page("month", 25, 25)
    assert ITEM_RE.findall(second.text) == [e.paper_id for e in page_two.entries]


def test_the_category_filter_pages_through_the_ranking_of_one_category(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    in_cv = [pid for pid in ranked(web_store, "week", 100) if pid in ("2607.28624", "2607.28625", "2607.27380")]
    page = client.get("/trending/week", params={"cat": "cs.CV"})
    assert ITEM_RE.findall(page.text) == in_cv and len(in_cv) == 3
    assert "<strong>3</strong> papers" in page.text
    assert web_store.trending.trending_page_in("week", "cs.CV", 2, 2).total == 3
    assert [e.paper_id for e in web_store.trending.trending_page_in("week", "cs.CV", 2, 2).entries] == in_cv[2:]
    # the side shows the categories of the ranked papers, with their counts
    assert re.search(r'href="\?cat=cs.CV"[^>]*>cs.CV <span class="n">3</span>', page.text)
    body = client.get("/api/v1/trending", params={"period": "week", "category": "cs.CL", "limit": 1}).json()
    assert body["total"] == 2 and [p["id"] for p in body["papers"]] == ["2607.28227"] and body["next"]
    rest = client.get(body["next"].removeprefix("http://testserver")).json()
    assert [p["id"] for p in rest["papers"]] == ["2607.26760"] and rest["papers"][0]["rank"] > 2
    assert client.get("/trending/week", params={"cat": "math.AG"}).text.count("<strong>0</strong> papers") == 1


def test_a_window_never_ranked_falls_back_to_newest_and_says_so(client: TestClient, web_store: Store) -> None:
    page = client.get("/trending/week")
    assert "Ordered by newest: trending scores have not been computed yet" in page.text
    assert "trend-reason" not in page.text
    body = client.get("/api/v1/trending", params={"period": "week"}).json()
    assert body["order"] == "newest" and body["computed_at"] is None and "rank" not in body["papers"][0]
    recompute(web_store, SETTINGS, NOW, windows=["day"])  # only today's: the week still falls back
    assert client.get("/api/v1/trending", params={"period": "today"}).json()["order"] == "trending"
    assert client.get("/api/v1/trending", params={"period": "week"}).json()["order"] == "newest"


def test_the_api_gives_rank_score_reasons_and_signals(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    body = client.get("/api/v1/trending", params={"period": "week", "limit": 5}).json()
    entries = web_store.trending.trending_page("week", limit=5).entries
    assert body["order"] == "trending" and body["computed_at"] == "2026-08-01T12:00:00+00:00"
    assert body["total"] == web_store.trending.trending_page("week").total
    assert [(p["id"], p["rank"]) for p in body["papers"]] == [(e.paper_id, e.rank) for e in entries]
    top = body["papers"][0]
    assert top["score"] == pytest.approx(entries[0].score, abs=1e-6)
    assert top["reasons"][0] == {"kind": "stars", "text": "+900 stars this week on yaoyao-jpg/PhiZero", "value": 900}
    assert top["summary"].startswith("+900 stars this week")
    # the signals are the stored ones: HF upvotes and the paper's own repository (not transformers)
    assert top["upvotes"] == top["hf_upvotes"] == 145 and top["community_upvotes"] == 0
    assert top["code"] == {"repo": "https://github.com/yaoyao-jpg/PhiZero", "stars": 910}


def test_feeds_list_the_ranking_in_rank_order(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    atom = ElementTree.fromstring(client.get("/feeds/trending.atom", params={"period": "week"}).content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = [e.find("a:link", ns).get("href") for e in atom.findall("a:entry", ns)]  # type: ignore[union-attr]
    assert [link.rsplit("/paper/", 1)[1] for link in links] == ranked(web_store, "week", 50)
    rss = ElementTree.fromstring(client.get("/feeds/trending.rss", params={"period": "week", "cat": "cs.CV"}).content)
    assert [i.findtext("link", "").rsplit("/", 1)[1] for i in rss.iter("item")] == [
        "2607.28624", "2607.28625", "2607.27380"]
    assert "Ranked by trending score" in (rss.findtext("channel/description") or "")


def test_the_paper_page_explains_its_places_and_draws_its_stars(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    page = client.get("/paper/2607.28624")
    assert page.status_code == 200
    assert "<li>#1 this week: +900 stars this week · 145 upvotes on Hugging Face" in page.text
    assert re.search(r"<li>#\d+ today: \+510 stars today", page.text)
    chart = re.search(r'<svg [^>]*class="sparkline".*?</svg>', page.text, re.S)
    assert chart and "GitHub stars of yaoyao-jpg/PhiZero" in chart.group(0)
    assert 'href="https://github.com/yaoyao-jpg/PhiZero"' in page.text and "910" in page.text
    assert "Sign in to upvote or save" in page.text  # anonymous: a link, no forms
    assert 'action="/upvote/' not in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "<script>" not in page.text  # the chart needs no script
    unranked = client.get("/paper/2607.11886")  # on the 07-15 list: only the month ranks it
    assert "this month:" in unranked.text and "this week:" not in unranked.text


def test_search_sorted_by_trending_follows_the_month_ranking(client: TestClient, web_store: Store) -> None:
    recompute(web_store, SETTINGS, NOW)
    params = {"q": "cat:cs", "limit": 50, "mode": "keyword"}
    relevance = [p["id"] for p in client.get("/api/v1/search", params=params).json()["results"]]
    body = client.get("/api/v1/search", params={**params, "sort": "trending"}).json()
    got = [p["id"] for p in body["results"]]
    month = web_store.trending.trending_ranks("month", relevance)
    assert len(month) >= 3 and sorted(got) == sorted(relevance)
    ranked_first = [pid for pid in got if pid in month]
    assert got[: len(ranked_first)] == ranked_first == sorted(month, key=month.__getitem__)
    assert got[len(ranked_first):] == [pid for pid in relevance if pid not in month]
    second = client.get("/api/v1/search", params={**params, "sort": "trending", "limit": 2, "offset": 2}).json()
    assert [p["id"] for p in second["results"]] == got[2:4]
