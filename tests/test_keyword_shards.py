"""The keyword index in shards searched in parallel: each paper in one shard, pages merged from the shards'
best, the same matches and counts as one index, and a sharded index kept by the store's follower."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.models import IndexEntry, Paper
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchRequest, search
from paperwire.search.indexes import KEYWORD_VERSION
from paperwire.search.keyword import KeywordIndex, QueryBudget
from paperwire.search.query import parse_query
from paperwire.search.shards import merge_hits, shard_of
from tests.helpers.paths import SAMPLE, require_shared_data

QUERIES = ["gaussian splatting", "large language models reasoning", '"prosthetic vision"',
           'author:"Daniel Palanker"', "diffusion cat:cs.CV", "transformer attention -vision",
           "reinforcement learning after:2025-04-01 before:2025-06", "graph neural network -cat:cs.LG",
           "a survey of retrieval augmented generation for question answering over long documents"]


def test_a_paper_is_in_one_shard_chosen_by_its_key_alone() -> None:
    keys = [f"25{month:02d}.{n:05d}" for month in range(1, 13) for n in range(1, 400)]
    for shards in (2, 3, 8):
        where = [shard_of(key, shards) for key in keys]
        assert where == [shard_of(key, shards) for key in keys]  # the same on every call (and process: CRC-32)
        counts = [where.count(i) for i in range(shards)]
        assert min(counts) > 0.8 * len(keys) / shards  # spread evenly, so each shard reads a like share
    assert {shard_of(key, 1) for key in keys} == {0}
    assert shard_of("2501.00001", 3) == 2  # fixed by the hash: an index built by another release stays right


HITS = st.lists(st.tuples(st.integers(-5, 5).map(float), st.text("abc", min_size=1, max_size=3)), max_size=12)


@given(parts=st.lists(HITS.map(lambda hits: sorted(hits, key=lambda h: -h[0])), min_size=1, max_size=4),
       limit=st.integers(1, 20), offset=st.integers(0, 20))
def test_merging_the_shards_pages_is_the_page_of_all_their_hits(parts: list[list[tuple[float, str]]],
                                                                 limit: int, offset: int) -> None:
    everything = sorted((hit for part in parts for hit in part), key=lambda h: -h[0])  # stable: shard order
    assert merge_hits(parts, limit, offset) == everything[offset : offset + limit]


@pytest.fixture(scope="module")
def sample() -> list[IndexEntry]:
    """The 2k sample's papers as index entries."""
    require_shared_data()
    with gzip.open(SAMPLE, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    return [IndexEntry(seq, r["id"], r["title"], r.get("abstract", ""), r.get("authors", []),
                       r.get("categories", []), date.fromisoformat(r["announced"]) if r.get("announced") else None)
            for seq, r in enumerate(rows)]


@pytest.fixture(scope="module")
def indexes(sample: list[IndexEntry]) -> Iterator[tuple[KeywordIndex, KeywordIndex, list[KeywordIndex]]]:
    """The 2k sample as one index, as 3 shards, and each shard's papers alone in an index of its own."""
    one, sharded = KeywordIndex(None), KeywordIndex(None, shards=3)
    one.write(sample, replace=False)
    sharded.write(sample, replace=False)
    alone = [KeywordIndex(None) for _ in range(3)]
    for i, index in enumerate(alone):
        index.write([e for e in sample if shard_of(e.id, 3) == i], replace=False)
    yield one, sharded, alone


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_shards_find_the_same_papers_and_count_as_one_index(
        indexes: tuple[KeywordIndex, KeywordIndex, list[KeywordIndex]], sample: list[IndexEntry], text: str,
        sort: str) -> None:
    one, sharded, _ = indexes
    announced = {e.id: e.announced for e in sample}
    query = parse_query(text)
    whole = one.search_page(query, 3000, sort=sort)
    split = sharded.search_page(query, 3000, sort=sort)
    assert whole.total > 0 and split.total == whole.total
    assert sorted(key for key, _ in split.hits) == sorted(key for key, _ in whole.hits)
    assert sharded.num_docs() == one.num_docs() == 2020
    if sort == "newest":  # newest first across the shards (papers of one day may come in another order)
        days = [announced[key] for key, _ in split.hits]
        assert days == sorted(days, reverse=True)
        assert days == [announced[key] for key, _ in whole.hits]
    # paging through the shards' merged pages gives the whole list, each match once
    paged = [hit for offset in range(0, 60, 12) for hit in sharded.search_page(query, 12, offset, sort=sort).hits]
    assert paged == split.hits[:60]


@pytest.mark.parametrize("text", QUERIES)
def test_a_sharded_page_is_the_best_of_each_shards_own_search(
        indexes: tuple[KeywordIndex, KeywordIndex, list[KeywordIndex]], text: str) -> None:
    """Each shard scores with its own statistics: the merged page is exactly what searching each shard's
    papers alone and keeping the best gives, scores included, on every page."""
    _, sharded, alone = indexes
    query = parse_query(text)
    for limit, offset in ((10, 0), (7, 7), (25, 50)):
        own = [alone_index.search_page(query, offset + limit).hits for alone_index in alone]
        expected = sorted((hit for hits in own for hit in hits), key=lambda h: -h[1])[offset : offset + limit]
        page = sharded.search_page(query, limit, offset)
        assert [score for _, score in page.hits] == [score for _, score in expected]
        assert set(page.hits) <= {hit for hits in own for hit in hits}
        assert page.total == sum(alone_index.search_page(query, 1).total for alone_index in alone)


def test_shards_rank_like_one_index(indexes: tuple[KeywordIndex, KeywordIndex, list[KeywordIndex]]) -> None:
    """Per-shard statistics move scores, not much the ranking: even with shards of under 700 papers (their
    statistics differ most) most of each top 10 is the same, and one index's best is in the shards' top 5."""
    one, sharded, _ = indexes
    shared = []
    for text in QUERIES:
        a = [key for key, _ in one.search(parse_query(text), 10)[0]]
        b = [key for key, _ in sharded.search(parse_query(text), 10)[0]]
        shared.append(len(set(a) & set(b)) / max(1, len(a)))
        assert a[0] in b[:5], text
    assert sum(shared) / len(shared) >= 0.8


def test_an_over_budget_query_over_shards_pages_through_every_match_once(
        indexes: tuple[KeywordIndex, KeywordIndex, list[KeywordIndex]]) -> None:
    _, sharded, _ = indexes
    query = parse_query("a method for learning models of data with neural networks and large datasets")
    full = sharded.search_page(query, 3000)
    sharded.budget = QueryBudget(max_postings=500, candidates=30, min_terms=2)
    try:
        first = sharded.first_pass(query, 10)
        assert first is not None and len(first.keys) == 30 and first.total <= full.total
        shown = [key for offset in range(0, 90, 15) for key, _ in sharded.search_page(query, 15, offset).hits]
        assert len(shown) == len(set(shown)) == 90
        assert not sharded.search_page(query, 10).total_exact
        # the candidates get the scores of a full search over the same shards
        scores = dict(full.hits)
        page = dict(sharded.search_page(query, 30).hits)
        assert page == pytest.approx({key: scores[key] for key in page}, rel=1e-6)
    finally:
        sharded.budget = QueryBudget()


def test_a_sharded_index_follows_the_store_and_replaces_an_updated_paper(runtime: Runtime) -> None:
    """search_index_shards = 2: its own directory, built from the store; an updated paper is replaced in
    its shard, not added twice; the identity lookup (exact title) reads the shards."""
    from paperwire.search.indexes import LocalIndexes

    settings = runtime.settings.model_copy(update={"search_index_shards": 2})
    indexes = LocalIndexes(runtime.store, settings)
    papers = [Paper(f"2501.{n:05d}", f"Tessellated widgets number {n}", "Widgets tessellate planes.", ["A"],
                    ["cs.CG"], announced=date(2025, 1, 2)) for n in range(1, 41)]
    runtime.store.papers.upsert_papers(papers)
    assert indexes.sync() == 40
    assert indexes.keyword.shards.count == 2 and indexes.keyword.num_docs() == 40
    assert (indexes.dir / f"keyword-v{KEYWORD_VERSION}-2shards" / "shard-1").is_dir()
    assert all(index.searcher().num_docs > 5 for index in indexes.keyword.shards.indexes)
    runtime.store.papers.upsert_papers([Paper("2501.00007", "Ropes and pulleys", "Mechanics.", ["B"], ["physics"],
                                              announced=date(2025, 1, 3))])
    assert indexes.sync() == 1
    assert indexes.keyword.num_docs() == 40
    hits, total = indexes.keyword.search(parse_query("pulleys"))
    assert [key for key, _ in hits] == ["2501.00007"] and total == 1
    assert indexes.keyword.search(parse_query("tessellated widgets"), 100)[1] == 39
    result = search(runtime.store, indexes, SearchRequest("Tessellated widgets number 23", mode="keyword"),
                    runtime.search_policy)
    assert result.hits[0].paper_id == "2501.00023"


def test_a_search_as_the_process_exits_runs_the_shards_in_turn() -> None:
    """At interpreter exit the thread pool takes no more work; a late request still gets its page."""
    index = KeywordIndex(None, shards=3)
    index.write([IndexEntry(i, f"2501.{i:05d}", f"Widgets {i}", "Widgets and gadgets." * (i % 4 + 1))
                 for i in range(1, 31)], replace=False)
    before = index.search_page(parse_query("widgets gadgets"), 10, 5)
    assert index.shards._pool is not None
    index.shards._pool.shutdown()
    assert index.search_page(parse_query("widgets gadgets"), 10, 5) == before and before.total == 30
