"""The JSON API under /api/v1: listings, search parameters, similar papers, categories, errors (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.runtime import Runtime
from paperwire.web import create_app


@pytest.fixture(scope="module")
def client(sample_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(sample_runtime.settings, sample_runtime.store)) as c:
        yield c


def test_paper_carries_signals_and_links(client: TestClient) -> None:
    body = client.get("/api/v1/papers/2503.11677").json()
    assert body["urls"]["html"] == "http://127.0.0.1:8000/paper/2503.11677"
    assert body["upvotes"] == 0 and body["code"] is None  # nothing collected yet: the truth, not a guess
    assert client.get("/api/v1/papers/2503.11677v3", follow_redirects=False).headers["location"] == \
        "/api/v1/papers/2503.11677"


def test_similar_papers(client: TestClient) -> None:
    body = client.get("/api/v1/papers/2503.11677/similar", params={"limit": 5}).json()
    assert body["id"] == "2503.11677" and body["method"] == "semantic" and "meaning" in body["note"]
    assert len(body["papers"]) == 5 and "2503.11677" not in [p["id"] for p in body["papers"]]
    scores = [p["score"] for p in body["papers"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] < 1.01
    # the paper is about prosthetic (retinal implant) vision: its neighbours are about vision and the eye
    titles = " ".join(p["title"].lower() for p in body["papers"])
    assert any(word in titles for word in ("vision", "visual", "retina", "eye", "face"))
    assert client.get("/api/v1/papers/2101.99999/similar").status_code == 404


def test_bibtex_endpoint(client: TestClient) -> None:
    r = client.get("/api/v1/papers/2503.11677/bibtex")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-bibtex")
    assert r.text.startswith("@misc{park2025simulation,")


def test_search_with_every_parameter(client: TestClient) -> None:
    params: dict[str, object] = {"q": "language", "limit": 5, "offset": 5, "sort": "newest", "cat": ["cs.CV", "cs.RO"],
                                 "after": "2025-06-01", "before": "2026-01-01", "highlight": "true"}
    body = client.get("/api/v1/search", params=params).json()
    assert body["sort"] == "newest" and body["order"] == "newest" and body["offset"] == 5 and body["limit"] == 5
    assert len(body["results"]) == 5 and body["total"] > 10
    days = [p["announced"] for p in body["results"]]
    assert days == sorted(days, reverse=True) and all("2025-06-01" <= d < "2026-01-01" for d in days)
    assert all({"cs.CV", "cs.RO"} & set(p["categories"]) for p in body["results"])
    assert all("<mark>" in (p["highlights"]["title"] + p["highlights"]["abstract"]) for p in body["results"])
    assert "offset=10" in body["next"] and "offset=0" in body["prev"] and "cat=cs.RO" in body["next"]
    coded = client.get("/api/v1/search", params={"q": "language", "has_code": "true", "limit": 50}).json()
    uncoded = client.get("/api/v1/search", params={"q": "language", "has_code": "false"}).json()
    everything = client.get("/api/v1/search", params={"q": "language", "mode": "keyword"}).json()
    assert 0 < coded["total"] < everything["total"]  # GitHub links found in the abstracts on import
    assert coded["total"] + uncoded["total"] == everything["total"]
    assert all("github.com" in p["abstract"].lower() or p.get("comment") for p in coded["results"])


def test_search_trending_sort_says_what_it_does(client: TestClient) -> None:
    relevance = client.get("/api/v1/search", params={"q": "robot", "limit": 100}).json()
    body = client.get("/api/v1/search", params={"q": "robot", "sort": "trending", "limit": 100}).json()
    assert body["sort"] == body["order"] == "trending"
    assert "this month's trending rank" in body["order_note"]
    # nothing is ranked in this store: the most relevant matches keep their relevance order
    assert [p["id"] for p in body["results"]] == [p["id"] for p in relevance["results"]]


def test_search_filters_without_words(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"cat": "cs.RO", "limit": 3}).json()
    assert body["total"] > 3 and all("cs.RO" in p["categories"] for p in body["results"])


@pytest.mark.parametrize(("path", "params", "kind", "key"), [
    ("/api/v1/weekly", {"week": "2026-W20"}, "week", "2026-W20"),
    ("/api/v1/monthly", {"month": "2026-05"}, "month", "2026-05"),
    ("/api/v1/weekly", {}, "week", "2026-W27"),
    ("/api/v1/monthly", {}, "month", "2026-07"),
])
def test_week_and_month_listings(client: TestClient, path: str, params: dict[str, str], kind: str, key: str) -> None:
    body = client.get(path, params={**params, "limit": 10}).json()
    assert body["kind"] == kind and body["key"] == key and len(body["papers"]) == min(10, body["total"])
    assert all(body["start"] <= p["announced"] <= body["end"] for p in body["papers"])
    if body["total"] > 10:
        nxt = client.get(body["next"].removeprefix("http://127.0.0.1:8000")).json()
        assert nxt["offset"] == 10 and {p["id"] for p in nxt["papers"]}.isdisjoint(p["id"] for p in body["papers"])


def test_listing_by_category_and_bad_periods(client: TestClient) -> None:
    body = client.get("/api/v1/monthly", params={"month": "2026-05", "category": "cs.RO"}).json()
    assert body["category"] == "cs.RO" and all("cs.RO" in p["categories"] for p in body["papers"])
    for path, params in (("/api/v1/weekly", {"week": "2026-20"}), ("/api/v1/monthly", {"month": "2026-13"}),
                         ("/api/v1/daily", {"category": "cs CL"}), ("/api/v1/daily", {"limit": 0})):
        r = client.get(path, params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == "unprocessable_entity"


def test_trending(client: TestClient) -> None:
    for period, start in (("today", "2026-07-01"), ("week", "2026-06-25"), ("month", "2026-06-02")):
        body = client.get("/api/v1/trending", params={"period": period}).json()
        assert body["kind"] == "trending" and body["key"] == period and body["start"] == start
        assert body["order"] == "newest" and "trending scores have not been computed yet" in body["order_note"]
    assert client.get("/api/v1/trending", params={"period": "year"}).status_code == 422


def test_categories(client: TestClient) -> None:
    body = client.get("/api/v1/categories").json()
    rows = {c["id"]: c for c in body["categories"]}
    assert body["total"] == len(rows) and rows["cs.CL"]["name"] == "Computation and Language"
    counts = [c["papers"] for c in body["categories"]]
    assert counts == sorted(counts, reverse=True) and rows["cs.CV"]["papers"] > rows["cs.RO"]["papers"]
    cat = client.get("/api/v1/categories/cs.RO", params={"limit": 5}).json()
    assert cat["kind"] == "category" and cat["total"] == rows["cs.RO"]["papers"] and len(cat["papers"]) == 5
    assert client.get("/api/v1/categories/cs.XX").status_code == 404


def test_errors_have_one_shape(client: TestClient) -> None:
    for path in ("/api/v1/papers/2101.99999", "/api/v1/nothing", "/api/v1/search?limit=abc",
                 "/api/v1/daily?date=2026-02-30"):
        r = client.get(path)
        error = r.json()["error"]
        assert r.status_code in (404, 422) and error["status"] == r.status_code and error["message"]
    assert client.post("/api/v1/search").json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("url", ["/api/daily_papers?submitter=%00", "/api/v1/search?q=a%00b", "/paper/2401%00",
                                 "/api/v1/papers/%00", "/search?q=%00"])
def test_nul_characters_are_a_clear_422(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 422 and "NUL" in r.text and r.headers["x-content-type-options"] == "nosniff"
    if url.startswith("/api/v1/"):
        assert r.json()["error"]["message"] == "NUL characters are not allowed in URLs"
    elif url.startswith("/api/"):
        assert r.json() == {"error": "NUL characters are not allowed in URLs"}
