"""Pages and the JSON API through an in-process client, on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.web import create_app
from paperwire.web.search import droppable
from tests.helpers.paths import KAGGLE


@pytest.fixture(scope="module")
def client(sample_runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(sample_runtime.settings, sample_runtime.store)
    with TestClient(app) as c:
        yield c


def test_home_is_trending_today_and_says_which_order_it_uses(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Trending papers" in r.text and "1 July 2026" in r.text
    assert "Ordered by newest: trending scores have not been computed yet" in r.text
    for tab in ('href="/" aria-current="page">Today', 'href="/trending/week">This week',
                'href="/trending/month">This month'):
        assert tab in r.text
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in r.text and 'property="og:title"' in r.text
    assert 'type="application/atom+xml"' in r.text


def test_trending_tabs(client: TestClient) -> None:
    week = client.get("/trending/week")
    assert week.status_code == 200 and "25 June – 1 July 2026" in week.text
    month = client.get("/trending/month")
    assert month.status_code == 200 and "2 June – 1 July 2026" in month.text
    assert client.get("/trending/today", follow_redirects=False).headers["location"] == "/"
    assert client.get("/trending/year").status_code == 404


def test_trending_by_category(client: TestClient) -> None:
    r = client.get("/trending/month", params={"cat": "cs.CL"})
    assert r.status_code == 200 and "Trending papers in cs.CL" in r.text and 'aria-current="true">cs.CL' in r.text
    assert 'href="/trending/week?cat=cs.CL"' in r.text


def test_daily_page_for_a_date(client: TestClient) -> None:
    r = client.get("/daily/2025-03-18")
    assert r.status_code == 200
    assert "2503.11677" in r.text and "Simulation of prosthetic vision" in r.text
    assert 'rel="next" href="/daily/' in r.text and 'rel="prev"' not in r.text.split("</nav>")[1]
    assert 'href="/week/2025-W12"' in r.text and 'href="/month/2025-03"' in r.text


def test_daily_redirects(client: TestClient) -> None:
    assert client.get("/daily", follow_redirects=False).headers["location"] == "/daily/2026-07-01"
    r = client.get("/daily", params={"date": "2025-03-18"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/daily/2025-03-18"
    assert client.get("/daily", params={"date": "nope"}).status_code == 422


def test_week_and_month_pages_navigate_to_periods_with_papers(client: TestClient) -> None:
    week = client.get("/week/2026-W20")
    assert week.status_code == 200 and "Papers of Week 20 of 2026" in week.text and "11–17 May 2026" in week.text
    assert 'rel="prev" href="/week/2026-W19"' in week.text and 'rel="next" href="/week/2026-W21"' in week.text
    month = client.get("/month/2026-05")
    assert month.status_code == 200 and "Papers of May 2026" in month.text
    assert 'rel="prev" href="/month/2026-04"' in month.text
    assert client.get("/month/2026-07").text.count('rel="next" href="/month/') == 0
    assert client.get("/week/2026-W99").status_code == 422
    assert client.get("/month/2026-13").status_code == 422


def test_listing_pages_page_through_and_refuse_pages_past_the_end(client: TestClient) -> None:
    first = client.get("/month/2026-05")
    assert 'href="/month/2026-05?page=2"' in first.text
    second = client.get("/month/2026-05", params={"page": 2})
    assert second.status_code == 200 and '<ol class="papers" start="26">' in second.text
    assert 'rel="canonical" href="http://127.0.0.1:8000/month/2026-05?page=2"' in second.text
    assert client.get("/month/2026-05", params={"page": 999}).status_code == 404


def test_categories_index_and_category_page(client: TestClient) -> None:
    index = client.get("/c")
    assert index.status_code == 200 and 'href="/c/cs.CL"' in index.text and "Computation and Language" in index.text
    page = client.get("/c/cs.CL")
    assert page.status_code == 200 and "Computation and Language (cs.CL)" in page.text
    assert 'href="/feeds/c/cs.CL.atom"' in page.text and "Trending this week" in page.text
    assert client.get("/c/cs.XX").status_code == 404  # unknown and empty
    known_empty = client.get("/c/nucl-ex")
    assert known_empty.status_code == 200 and "No papers" in known_empty.text


@pytest.mark.parametrize("path", ["/daily/not-a-date", "/daily/2025-13-45", "/?page=0", "/search?page=-1"])
def test_bad_page_parameters_are_422_pages(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]


def test_paper_page(client: TestClient) -> None:
    r = client.get("/paper/2503.11677")
    assert r.status_code == 200
    for text in ("Simulation of prosthetic vision", "Daniel Palanker", "https://arxiv.org/abs/2503.11677",
                 "https://arxiv.org/pdf/2503.11677", "cs.HC", 'href="/author/daniel-palanker"',
                 "Human-Computer Interaction", "@misc{park2025simulation,", "Copy BibTeX", "Similar papers",
                 "Nearest in meaning", "No repository known yet", 'href="/daily/2025-03-18"',
                 '<meta property="og:type" content="article">', 'name="citation_arxiv_id" content="2503.11677"',
                 '<link rel="canonical" href="http://127.0.0.1:8000/paper/2503.11677">'):
        assert text in r.text, text
    similar = r.text.split('id="similar-h"')[1].split('id="cite-h"')[0]
    assert similar.count('class="paper"') == 8 and "/paper/2503.11677" not in similar


def test_paper_page_renders_math_markup_for_katex(client: TestClient) -> None:
    r = client.get("/paper/2606.31946")
    assert '<p class="abstract math">' in r.text and "$4D$ $(3D + T)$" in r.text
    assert "/static/vendor/katex/katex.min.js?v=" in r.text and "/static/app.js?v=" in r.text
    assert "<script>" not in r.text  # everything from files: the CSP forbids inline scripts


def test_versioned_paper_url_redirects_to_canonical(client: TestClient) -> None:
    r = client.get("/paper/2503.11677v2", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/paper/2503.11677"


def test_unknown_paper_is_a_404_page(client: TestClient) -> None:
    r = client.get("/paper/2101.99999")
    assert r.status_code == 404 and "404" in r.text
    assert 'href="https://arxiv.org/abs/2101.99999"' in r.text  # a real id: it may be on arXiv
    other = client.get("/paper/not-an-id")
    assert other.status_code == 404 and "arxiv.org/abs/not-an-id" not in other.text


def test_search_page_with_highlights_and_paging(client: TestClient) -> None:
    r = client.get("/search", params={"q": "gaussian splatting"})
    assert r.status_code == 200
    assert "papers found" in r.text and "<mark>" in r.text and 'rel="next"' in r.text
    assert "sorted by relevance" in r.text and 'href="/feeds/search.atom?q=gaussian+splatting"' in r.text
    assert 'rel="canonical" href="http://127.0.0.1:8000/search?q=gaussian+splatting"' in r.text
    second = client.get("/search", params={"q": "gaussian splatting", "page": 2})
    assert '<ol class="papers" start="21">' in second.text


def test_search_filters_as_controls(client: TestClient) -> None:
    everything = client.get("/search", params={"q": "language model"})
    narrowed = client.get("/search", params={"q": "language model", "cat": "cs.CV", "from": "2026-01-01",
                                             "to": "2026-03-31", "sort": "newest"})
    assert narrowed.status_code == 200 and "sorted by newest" in narrowed.text
    assert '<option value="cs.CV" selected>' in narrowed.text and 'value="2026-01-01"' in narrowed.text
    total = int(everything.text.split("<strong>")[1].split("<")[0].replace(",", ""))
    part = int(narrowed.text.split("<strong>")[1].split("<")[0].replace(",", ""))
    assert 0 < part < total
    days = [d for d in narrowed.text.split('<time datetime="')[1:]]
    assert all("2026-01-01" <= d[:10] <= "2026-03-31" for d in days)
    assert client.get("/search", params={"q": "x", "from": "01/02/2026"}).status_code == 422


def test_search_sort_trending_says_what_it_does(client: TestClient) -> None:
    r = client.get("/search", params={"q": "diffusion", "sort": "trending"})
    assert r.status_code == 200 and "Ordered by this month&#39;s trending rank among the 500 most relevant" in r.text


def test_search_with_only_filters(client: TestClient) -> None:
    r = client.get("/search", params={"cat": "cs.RO"})
    assert r.status_code == 200 and "papers found" in r.text and "sorted by newest" in r.text


def test_author_search(client: TestClient) -> None:
    r = client.get("/search", params={"q": 'author:"Daniel Palanker"'})
    assert r.status_code == 200 and "Papers by Daniel Palanker" in r.text and "sorted by newest" in r.text
    assert "Simulation of prosthetic vision" in r.text and "Mostly in:" in r.text


def test_search_page_without_results_suggests_something(client: TestClient) -> None:
    r = client.get("/search", params={"q": "zzqxv flurbnitz"})
    assert r.status_code == 200 and "No papers match" in r.text and "Try fewer" in r.text
    r = client.get("/search", params={"q": "zzqxv splatting", "cat": "cs.CL"})
    assert "These do find papers:" in r.text and "the same words without the filters" in r.text
    assert "Clear the filters above" in r.text
    assert 'href="/search?q=zzqxv+splatting">' in r.text  # the words find papers outside cs.CL


def test_a_long_query_without_results_costs_a_bounded_number_of_searches(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's 132-word query that matches nothing ran one hybrid search per word for its suggestions."""
    indexes = client.app.state.runtime.indexes  # type: ignore[attr-defined]
    keyword, embedder = indexes.keyword, indexes.embedder
    assert embedder is not None
    calls = {"keyword": 0, "embed": 0}

    def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return method(*args, **kwargs)
        return call

    monkeypatch.setattr(keyword, "search", counted("keyword", keyword.search))
    monkeypatch.setattr(embedder, "embed_query", counted("embed", embedder.embed_query))
    words = " ".join(f"qqz{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(132))
    r = client.get("/search", params={"q": words, "cat": "cs.CL", "from": "2026-01-01"})
    assert r.status_code == 200 and "No papers match" in r.text
    # the search itself (hybrid: one query embedding, one keyword ranking), then at most one keyword count
    # per suggestion of its kind (without the filters); no word is left out of a query this long
    assert calls["embed"] == 1 and calls["keyword"] <= 4, calls
    calls.update(keyword=0, embed=0)
    r = client.get("/search", params={"q": "qqza qqzb qqzc qqzd qqze qqzf qqzg cat:cs.CL", "code": "1"})
    assert "No papers match" in r.text and calls["embed"] == 1 and calls["keyword"] <= 1 + 2 + 5, calls


def test_suggestions_leave_out_syntax_before_plain_words() -> None:
    assert droppable(["a", "b", "cat:cs.CL", "c", "-d", '"e', 'f"', "g"]) == [2, 4, 5, 6, 0]
    assert droppable(["a", "b"]) == [0, 1] and droppable(["a", "b", "c"], limit=2) == [0, 1]


def test_search_page_without_a_query_shows_the_form_and_examples(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 200 and 'name="q"' in r.text and "Some searches to try" in r.text


def test_error_pages_are_helpful_and_not_indexed(client: TestClient) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "We could not find that page" in r.text
    assert '<meta name="robots" content="noindex">' in r.text and 'href="/"' in r.text


def test_every_page_has_title_og_and_canonical(client: TestClient) -> None:
    for path in ("/", "/trending/week", "/daily/2025-03-18", "/week/2026-W20", "/month/2026-05", "/c", "/c/cs.CL",
                 "/paper/2503.11677", "/search", "/search?q=robot", "/api/docs", "/nope"):
        text = client.get(path).text
        assert text.count("<title>") == 1 and "· Paperwire</title>" in text, path
        assert '<link rel="canonical" href="http://127.0.0.1:8000/' in text, path
        for prop in ("og:title", "og:type", "og:url", "og:description", "og:site_name"):
            assert f'property="{prop}"' in text, (path, prop)


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


def test_api_search_takes_at_most_ten_categories(client: TestClient) -> None:
    """Each category is one more term in every search; the page keeps ten, the API now says so."""
    ten = [f"cs.{c}" for c in ("CL", "CV", "LG", "AI", "RO", "IR", "HC", "CR", "SE", "GR")]
    assert client.get("/api/v1/search", params={"q": "model", "cat": ten}).status_code == 200
    for cat in ([*ten, "cs.MA"], ["cs.CL"] * 500, ["x" * 41], ["cs.CL or anything"]):
        r = client.get("/api/v1/search", params={"q": "model", "cat": cat})
        error = r.json()["error"]
        assert r.status_code == 422 and error["code"] == "unprocessable_entity", cat[:2]
        assert error["details"][0]["where"].startswith("query.cat"), error
    for path in ("/search", "/feeds/search.atom"):  # the page and its feed keep the first ten, as before
        assert client.get(path, params={"q": "model", "cat": [*ten, "cs.MA"]}).status_code == 200, path
        assert client.get(path, params={"q": "model", "cat": ["x" * 41]}).status_code == 422, path


def test_api_daily(client: TestClient) -> None:
    body = client.get("/api/v1/daily", params={"date": "2025-03-18"}).json()
    assert body["kind"] == "day" and body["key"] == "2025-03-18" and body["total"] == len(body["papers"]) > 0
    assert body["next_period"] > "2025-03-18" and body["previous_period"] is None
    assert body["order"] == "newest" and body["next"] is None and body["prev"] is None
    assert client.get("/api/v1/daily").json()["key"] == "2026-07-01"
    assert client.get("/api/v1/daily", params={"date": "July"}).status_code == 422


def test_every_field_is_html_escaped(runtime: Runtime) -> None:
    evil = "<script>alert(1)</script>"
    runtime.store.papers.upsert_papers([Paper("2501.00001", f"Title {evil}", f"Abstract {evil}", [f"Eve {evil}"],
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


@pytest.mark.needs_data
def test_paper_page_with_versions_journal_and_doi(runtime: Runtime) -> None:
    """A Kaggle-format paper carries versions, a journal reference and a DOI: all shown, and cited."""
    from paperwire.importing import import_and_index

    import_and_index(runtime.store, runtime.indexes, [KAGGLE])
    with TestClient(create_app(runtime.settings, runtime.store)) as c:
        r = c.get("/paper/0704.0001")
        assert r.status_code == 200
        for text in ('href="https://arxiv.org/abs/0704.0001v1">v1</a>', 'href="https://arxiv.org/abs/0704.0001v2">v2</a>',
                     "2 Apr 2007", "Phys.Rev.D76:013009,2007", 'href="https://doi.org/10.1103/PhysRevD.76.013009"',
                     "High Energy Physics - Phenomenology", "@article{balazs2007calculation,",
                     "journal       = {Phys.Rev.D76:013009,2007}"):
            assert text in r.text, text
        api = c.get("/api/v1/papers/0704.0001").json()
        assert [v["version"] for v in api["versions"]] == [1, 2] and api["doi"] == "10.1103/PhysRevD.76.013009"
        hf = c.get("/api/papers/0704.0001").json()
        assert hf["publishedAt"] == "2007-04-02T19:18:42.000Z"  # the first version, as HF dates papers
