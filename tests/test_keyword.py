"""Keyword search on the real 2k sample: ranking sanity, syntax, filters before top-k, index sync."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest
import tantivy
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from paperwire.cli import cli
from paperwire.config import Settings
from paperwire.models import IndexEntry, Paper
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.search.indexes import LocalIndexes
from paperwire.search.keyword import KeywordIndex, QueryBudget
from paperwire.search.query import ParsedQuery, parse_query
from paperwire.store import Store
from paperwire.web import create_app


def ids_and_titles(rt: Runtime, q: str, **kw: object) -> list[tuple[str, str]]:
    res = search(rt.store, rt.indexes, SearchRequest(q, **kw), rt.search_policy)  # type: ignore[arg-type]
    return [(h.paper_id, h.paper.title if h.paper else "") for h in res.hits]


def test_gaussian_splatting_ranks_splatting_papers_first(sample_runtime: Runtime) -> None:
    top = ids_and_titles(sample_runtime, "gaussian splatting", limit=10, mode="keyword")
    assert len(top) == 10
    assert all("gaussian splat" in title.lower() for _, title in top[:5]), top


def test_exact_title_words_find_the_paper_first(sample_runtime: Runtime) -> None:
    top = ids_and_titles(sample_runtime, "UniMamba spatial-channel representation LiDAR", limit=3)
    assert top[0][0] == "2503.12009"


def test_author_search(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest('author:"Daniel Palanker"'),
                 sample_runtime.search_policy)
    assert [h.paper_id for h in res.hits] == ["2503.11677"]


def test_phrase_requires_adjacent_words(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest('"prosthetic vision"', limit=50),
                 sample_runtime.search_policy)
    assert res.hits and all("prosthetic vision" in (h.paper.abstract + " " + h.paper.title).lower()
                            for h in res.hits if h.paper)


def test_exclusion(sample_runtime: Runtime) -> None:
    store, indexes = sample_runtime.store, sample_runtime.indexes
    base = search(store, indexes, SearchRequest("gaussian splatting", limit=100), sample_runtime.search_policy)
    minus = search(store, indexes, SearchRequest("gaussian splatting -dynamic", limit=100),
                   sample_runtime.search_policy)
    assert minus.total < base.total
    assert all("dynamic" not in (h.paper.title + h.paper.abstract).lower() for h in minus.hits if h.paper)


def test_filters_apply_before_top_k(sample_runtime: Runtime) -> None:
    # a filter that keeps few papers still returns a full page of them, not the few that made a global top-k
    res = search(sample_runtime.store, sample_runtime.indexes,
                 SearchRequest("learning cat:cs.RO after:2026-01 before:2026-07", limit=20),
      sample_runtime.search_policy)
    assert len(res.hits) == min(20, res.total) and res.total > 0
    for h in res.hits:
        assert h.paper is not None and "cs.RO" in h.paper.categories
        assert h.paper.announced is not None and date(2026, 1, 1) <= h.paper.announced < date(2026, 7, 1)


def test_category_archive_and_case(sample_runtime: Runtime) -> None:
    lower = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("cat:cs.cv", limit=1),
                   sample_runtime.search_policy)
    upper = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("cat:cs.CV", limit=1),
                   sample_runtime.search_policy)
    archive = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("cat:cs", limit=1),
                     sample_runtime.search_policy)
    assert lower.total == upper.total > 0 and archive.total >= upper.total


def test_filter_only_query_sorts_newest_first(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("cat:cs.CL", limit=10),
                 sample_runtime.search_policy)
    days = [h.paper.announced for h in res.hits if h.paper]
    assert days == sorted(days, reverse=True)


def test_sort_newest(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("transformer", limit=10, sort="newest"),
                 sample_runtime.search_policy)
    days = [h.paper.announced for h in res.hits if h.paper]
    assert len(days) == 10 and days == sorted(days, reverse=True)


def test_pagination_is_consistent(sample_runtime: Runtime) -> None:
    both = ids_and_titles(sample_runtime, "language models", limit=20)
    first = ids_and_titles(sample_runtime, "language models", limit=10)
    second = ids_and_titles(sample_runtime, "language models", limit=10, offset=10)
    assert both == first + second


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "AND", "OR NOT", "(((", '"unclosed', ":::", "-", "the of and"])
def test_syntax_only_queries_never_crash(sample_runtime: Runtime, query: str) -> None:
    search(sample_runtime.store, sample_runtime.indexes, SearchRequest(query), sample_runtime.search_policy)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_a_clear_error(sample_runtime: Runtime, query: str) -> None:
    with pytest.raises(SearchError, match="empty"):
        search(sample_runtime.store, sample_runtime.indexes, SearchRequest(query), sample_runtime.search_policy)


def test_huge_query_is_a_clear_error(sample_runtime: Runtime) -> None:
    with pytest.raises(SearchError, match="too long"):
        search(sample_runtime.store, sample_runtime.indexes, SearchRequest("word " * 1000),
               sample_runtime.search_policy)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200).filter(lambda s: s.strip()))
def test_any_text_searches_without_error(sample_runtime: Runtime, text: str) -> None:
    search(sample_runtime.store, sample_runtime.indexes, SearchRequest(text), sample_runtime.search_policy)


def test_highlights_are_escaped_and_marked(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes,
                 SearchRequest("gaussian splatting", limit=3, highlight=True), sample_runtime.search_policy)
    hl = res.hits[0].highlights
    assert "<mark>" in hl["title"] and "<mark>" in hl["abstract"]


def test_index_follows_updates_and_inserts(runtime: Runtime) -> None:
    store = runtime.store
    store.papers.upsert_papers([Paper("2501.00001", "Quantum widgets", "About widgets.", ["A"], ["cs.ET"],
                                      announced=date(2025, 1, 2))])
    assert [h.paper_id for h in search(store, runtime.indexes, SearchRequest("widgets"),
                                       runtime.search_policy).hits] == ["2501.00001"]
    store.papers.upsert_papers([Paper("2501.00001", "Classical gadgets", "About gadgets.", ["A"], ["cs.ET"],
                                      announced=date(2025, 1, 2)),
                                Paper("2501.00002", "More widgets", "", ["B"], ["cs.ET"], announced=date(2025, 1, 3))])
    assert [h.paper_id for h in search(store, runtime.indexes, SearchRequest("widgets"),
                                       runtime.search_policy).hits] == ["2501.00002"]
    assert [h.paper_id for h in search(store, runtime.indexes, SearchRequest("gadgets"),
                                       runtime.search_policy).hits] == ["2501.00001"]
    assert runtime.indexes.keyword.num_docs() == 2


def test_a_second_process_index_catches_up_from_the_store(settings: Settings, store: Store, tmp_path: Path) -> None:
    store.papers.upsert_papers([Paper("2501.00001", "Quantum widgets", "", ["A"], ["cs.ET"],
                                      announced=date(2025, 1, 2))])
    other_host = LocalIndexes(store, settings.model_copy(update={"data_dir": tmp_path / "host2"}))
    assert other_host.sync() == 1
    assert other_host.sync() == 0
    hits, total = other_host.keyword.search(parse_query("widgets"))
    assert total == 1 and hits[0][0] == "2501.00001"


def test_the_query_budget_comes_from_the_settings(settings: Settings, store: Store, tmp_path: Path) -> None:
    assert LocalIndexes(store, settings.model_copy(update={"data_dir": tmp_path / "a"})).keyword.budget == QueryBudget()
    chosen = settings.model_copy(update={"data_dir": tmp_path / "b", "search_postings_budget": 0,
                                         "search_budget_candidates": 50})
    assert LocalIndexes(store, chosen).keyword.budget == QueryBudget(0, 50)


# author values as someone probing would write them: text mixed with our syntax and tantivy's
SYNTAX = st.sampled_from(['"', "\\", "title:", "abstract:", "id:", "cat:", "authors:", ":", "(", ")", "*", "^2",
                          "+", "-", "AND", "OR", "NOT", "[", "]", "{", "}", "IN", "'", "~2", " "])
PROBE = st.lists(st.one_of(st.text(max_size=10), SYNTAX), max_size=8).map("".join)
SMALL = KeywordIndex()
SMALL.write([IndexEntry(1, "2501.00001", "A model of everything", "Models and more models.", ["X Title", "Ada"],
                        ["cs.CL"], date(2025, 1, 2)),
             IndexEntry(2, "2501.00002", "Another title", "Nothing about it.", ['Jo "Quote" Smith'], ["cs.LG"])])


def fields_of(query: tantivy.Query) -> set[str]:
    """The names of the fields a tantivy query looks at (from its description)."""
    numbers = {int(n) for pair in re.findall(r"field=(\d+)|Field\((\d+)\)", repr(query)) for n in pair if n}
    names = ("id", "title", "text", "authors", "cat")
    by_number = {int(re.findall(r"field=(\d+)", repr(tantivy.Query.term_query(SMALL.schema, n, "x")))[0]): n
                 for n in names}
    return {by_number.get(n, f"field {n}") for n in numbers}


@example(author='x"title:model', excluded='y"abstract:everything')
@example(author='x" OR id:2501.00001 "', excluded="\\")
@settings(max_examples=200, deadline=None)
@given(author=PROBE, excluded=PROBE)
def test_an_author_filter_only_ever_looks_at_authors(author: str, excluded: str) -> None:
    """Whatever is typed as a name (author:x"title:model), the index searches the authors field only,
    and never raises."""
    typed = [parse_query(f'author:"{author.replace(chr(34), "")}"'), parse_query("author:" + "".join(author.split()))]
    # words (a value with no name in it, or what follows a closing quote) rank everywhere, by design
    for q in [ParsedQuery(authors=[author]), ParsedQuery(exclude_authors=[excluded])] + [q for q in typed
                                                                                         if not q.words]:
        assert fields_of(SMALL.build_query(q)) <= {"authors"}, (author, excluded, q)
        SMALL.search(q)
        SMALL.filter_keys(q)


def test_a_quote_in_an_author_does_not_open_the_title(sample_runtime: Runtime) -> None:
    """The review's query: before, it found every paper with "model" in its title."""
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest('author:x"title:model'),
                 sample_runtime.search_policy)
    assert res.total == 0 and res.hits == []


def test_a_lower_bound_count_reads_at_least_on_the_page_the_api_and_the_cli(settings: Settings, store: Store) -> None:
    tiny = settings.model_copy(update={"search_postings_budget": 5, "search_budget_candidates": 50})
    rt = Runtime(tiny, store)
    rt.store.papers.upsert_papers(
        [Paper(f"2501.{i:05d}", f"Models {i}", "Models of learning." if i <= 25 else "Models, nothing more.",
               ["A. Author"], ["cs.LG"], announced=date(2025, 1, 2)) for i in range(1, 41)]
        + [Paper("2501.00041", "Tessellation", "Tessellation of graphs.", ["B. Author"], ["cs.CG"],
                 announced=date(2025, 1, 3))])
    rt.indexes.sync()
    long_query, short_query = "models learning data graphs tessellation", "tessellation"
    over = search(rt.store, rt.indexes, SearchRequest(long_query, mode="keyword"), rt.search_policy)
    # "models" (the commonest) is dropped from the first pass; the count is then its frequency, 40 of the
    # 41 papers that match: a lower bound
    assert over.hits[0].paper_id == "2501.00041" and not over.total_exact and over.total == 40
    fits = search(rt.store, rt.indexes, SearchRequest(short_query, mode="keyword"), rt.search_policy)
    assert fits.total_exact and fits.total == 1

    client = TestClient(create_app(tiny, rt.store))
    page = client.get("/search", params={"q": long_query, "mode": "keyword"}).text
    assert re.search(r"at least</span> <strong>40</strong> papers found", page)
    assert "at least" not in client.get("/search", params={"q": short_query, "mode": "keyword"}).text
    api = client.get("/api/v1/search", params={"q": long_query, "mode": "keyword"}).json()
    assert api["total"] == 40 and api["total_exact"] is False
    assert client.get("/api/v1/search", params={"q": short_query}).json()["total_exact"] is True

    args = ["--db", tiny.resolved_database_url(), "--data-dir", str(tiny.data_dir), "search", "--mode", "keyword"]
    budget = {"PAPERWIRE_SEARCH_POSTINGS_BUDGET": "5", "PAPERWIRE_SEARCH_BUDGET_CANDIDATES": "50"}
    done = CliRunner().invoke(cli, [*args, long_query], env=budget)
    assert done.exit_code == 0 and "at least 40 matching papers" in done.output, done.output
    done = CliRunner().invoke(cli, [*args, short_query], env=budget)
    assert done.exit_code == 0 and "1 matching paper\n" in done.output and "at least" not in done.output


def test_the_writer_memory_sets_how_many_segments_a_large_write_leaves() -> None:
    """A writer thread writes a segment out each time its memory fills, and each segment costs every search
    a little (docs/benchmarks.md: 2 segments a shard instead of 7 at 2.84M papers, keyword p95 -16 %), so a
    large write may fill 2 GB by default (``search_index_memory_mb``). Above tantivy's most per thread the
    budget is capped, not refused."""
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(5000)]
    docs = [IndexEntry(i, f"p{i}", " ".join(rng.choices(vocabulary, k=8)), " ".join(rng.choices(vocabulary, k=250)))
            for i in range(12_000)]
    segments = {}
    for heap in (15_000_000, 400_000_000, 20_000_000_000):
        index = KeywordIndex(None, heap_bytes=heap, threads=1)
        assert index.write(docs, replace=False) == 12_000
        segments[heap] = index.shards.indexes[0].searcher().num_segments
        assert index.search(parse_query("w17 w4242"), 5)[1] > 0
    assert segments[15_000_000] >= 2 and segments[400_000_000] == segments[20_000_000_000] == 1


def test_the_indexes_take_the_writer_memory_from_the_settings(settings: Settings, store: Store,
                                                              tmp_path: Path) -> None:
    assert LocalIndexes(store, settings.model_copy(update={"data_dir": tmp_path})).keyword.heap_bytes == 2_000_000_000
    chosen = settings.model_copy(update={"data_dir": tmp_path / "b", "search_index_memory_mb": 128})
    assert LocalIndexes(store, chosen).keyword.heap_bytes == 128_000_000
