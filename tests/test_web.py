"""Pages and the JSON API through an in-process client, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.web import create_app


@pytest.fixture(scope="module")
def client(sample_runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(sample_runtime.settings, sample_runtime.store)
    with TestClient(app) as c:
        yield c


def test_home_shows_the_newest_day_with_navigation(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Papers of" in r.text and "Wednesday 01 July 2026" in r.text
    assert 'rel="prev" href="/daily/' in r.text
    assert '<link rel="canonical"' in r.text and 'property="og:title"' in r.text


def test_daily_page_for_a_date(client: TestClient) -> None:
    r = client.get("/daily/2025-03-18")
    assert r.status_code == 200
    assert "2503.11677" in r.text and "Simulation of prosthetic vision" in r.text
    assert 'rel="next" href="/daily/' in r.text


@pytest.mark.parametrize("path", ["/daily/not-a-date", "/daily/2025-13-45", "/?page=0", "/search?page=-1"])
def test_bad_page_parameters_are_422_pages(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]


def test_paper_page(client: TestClient) -> None:
    r = client.get("/paper/2503.11677")
    assert r.status_code == 200
    for text in ("Simulation of prosthetic vision", "Daniel Palanker", "https://arxiv.org/abs/2503.11677",
                 "https://arxiv.org/pdf/2503.11677", "cs.HC", 'href="/search?q=author:%22Daniel%20Palanker%22"'):
        assert text in r.text


def test_versioned_paper_url_redirects_to_canonical(client: TestClient) -> None:
    r = client.get("/paper/2503.11677v2", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/paper/2503.11677"


def test_unknown_paper_is_a_404_page(client: TestClient) -> None:
    r = client.get("/paper/2101.99999")
    assert r.status_code == 404 and "404" in r.text


def test_search_page_with_highlights_and_paging(client: TestClient) -> None:
    r = client.get("/search", params={"q": "gaussian splatting"})
    assert r.status_code == 200
    assert "papers found" in r.text and "<mark>" in r.text and 'rel="next"' in r.text


def test_search_page_without_results_suggests_something(client: TestClient) -> None:
    r = client.get("/search", params={"q": "zzqxv flurbnitz"})
    assert r.status_code == 200 and "No papers match" in r.text and "Try fewer" in r.text


def test_search_page_without_a_query_shows_the_form(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 200 and 'name="q"' in r.text


def test_api_paper(client: TestClient) -> None:
    r = client.get("/api/v1/papers/2503.11677")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "2503.11677" and body["authors"][-1] == "Daniel Palanker"
    assert body["categories"] == ["cs.HC", "cs.CV"] and body["announced"] == "2025-03-18"


def test_api_unknown_paper_is_a_json_404(client: TestClient) -> None:
    r = client.get("/api/v1/papers/2101.99999")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_api_search(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "gaussian splatting", "limit": 5})
    body = r.json()
    assert r.status_code == 200 and len(body["results"]) == 5 and body["total"] > 5
    assert {"id", "title", "score"} <= set(body["results"][0])


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 1000},
                                    {"q": "x", "offset": -1}, {"q": "x", "sort": "random"}, {},
                                    {"q": "w " * 2000}])
def test_api_search_bad_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    r = client.get("/api/v1/search", params=params)
    assert r.status_code == 422 and r.json()["error"]["status"] == 422


def test_api_daily(client: TestClient) -> None:
    body = client.get("/api/v1/daily", params={"date": "2025-03-18"}).json()
    assert body["date"] == "2025-03-18" and body["total"] == len(body["papers"]) > 0
    assert body["next"] > "2025-03-18" and body["previous"] is None
    assert client.get("/api/v1/daily").json()["date"] == "2026-07-01"
    assert client.get("/api/v1/daily", params={"date": "July"}).status_code == 422


def test_every_field_is_html_escaped(runtime: Runtime) -> None:
    evil = "<script>alert(1)</script>"
    runtime.store.upsert_papers([Paper("2501.00001", f"Title {evil}", f"Abstract {evil}", [f"Eve {evil}"],
                                       ["cs.CR"], comment=evil, announced=date(2025, 1, 2))])
    with TestClient(create_app(runtime.settings, runtime.store)) as c:
        for path in ("/", "/paper/2501.00001", "/search?q=title"):
            r = c.get(path)
            assert r.status_code == 200
            assert evil not in r.text and "&lt;script&gt;" in r.text


def test_empty_store_home(runtime: Runtime) -> None:
    with TestClient(create_app(runtime.settings, runtime.store)) as c:
        r = c.get("/")
        assert r.status_code == 200 and "No papers yet" in r.text
        assert c.get("/api/v1/daily").json()["total"] == 0
