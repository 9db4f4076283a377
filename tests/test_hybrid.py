"""Hybrid and semantic search through the one search function, on the embedded 2k sample."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.search import hybrid
from paperwire.search.engine import SearchRequest, search
from paperwire.search.keyword import QueryBudget
from paperwire.search.query import ParsedQuery, parse_query
from tests.helpers.paths import ROOT, SAMPLE


def hits(rt: Runtime, query: str, **kw: object) -> list[str]:
    res = search(rt.store, rt.indexes, SearchRequest(query, **kw), rt.search_policy)  # type: ignore[arg-type]
    return [h.paper_id for h in res.hits]


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_filters_apply_before_top_k(sample_runtime: Runtime, mode: str) -> None:
    query = "robot manipulation policy learning"
    res = search(sample_runtime.store, sample_runtime.indexes,
                 SearchRequest(f"{query} cat:cs.RO after:2026-01 before:2026-07", limit=10, mode=mode),
                 sample_runtime.search_policy)
    assert res.mode == mode
    for h in res.hits:
        assert h.paper is not None and "cs.RO" in h.paper.categories
        assert h.paper.announced is not None and date(2026, 1, 1) <= h.paper.announced < date(2026, 7, 1)
    if mode == "semantic":
        # exactly the best of the allowed papers by brute force over their stored vectors, although
        # the unfiltered top 10 holds almost none of them: filtering happened before top-k
        import numpy as np

        vectors, embedder = sample_runtime.indexes.vectors, sample_runtime.embedder
        assert vectors is not None and embedder is not None
        q = embedder.embed_query(query)
        allowed = [p.id for p in sample_runtime.store.papers.list_papers(date(2026, 1, 1), date(2026, 6, 30), "cs.RO",
                                                                   limit=1000)]
        scored = sorted(((float(np.dot(vectors.index.vector_of(p), q)), p) for p in allowed), reverse=True)
        floor = sample_runtime.settings.semantic_min_similarity
        expected = [p for s, p in scored if s >= floor][:10]
        assert [h.paper_id for h in res.hits] == expected and len(expected) >= 5
        unfiltered = hits(sample_runtime, query, mode="semantic", limit=10)
        assert len(set(unfiltered) & set(allowed)) < len(expected)
    else:
        assert len(res.hits) == 10


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_author_phrase_and_exclusion_filters(sample_runtime: Runtime, mode: str) -> None:
    assert hits(sample_runtime, 'author:"Daniel Palanker" vision', mode=mode) == ["2503.11677"]
    res = search(sample_runtime.store, sample_runtime.indexes,
                 SearchRequest("gaussian splatting -dynamic", limit=30, mode=mode), sample_runtime.search_policy)
    assert res.hits and all("dynamic" not in (h.paper.title + " " + h.paper.abstract).lower()
                            for h in res.hits if h.paper)


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_nonsense_finds_nothing(sample_runtime: Runtime, mode: str) -> None:
    assert hits(sample_runtime, "zzqxv flurbnitz", mode=mode) == []


def test_paraphrase_needs_the_semantic_side(sample_runtime: Runtime) -> None:
    # a vague description sharing few words with its paper: the hybrid ranking puts it first
    query = "making faces recognisable for people with retinal implants"
    assert hits(sample_runtime, query, mode="hybrid", limit=3)[0] == "2503.11677"
    assert hits(sample_runtime, query, mode="semantic", limit=3)[0] == "2503.11677"


def test_ranks_record_both_sides(sample_runtime: Runtime) -> None:
    res = search(sample_runtime.store, sample_runtime.indexes, SearchRequest("gaussian splatting", limit=5),
                 sample_runtime.search_policy)
    assert res.mode == "hybrid"
    assert all(set(h.ranks) <= {"keyword", "semantic"} and h.ranks for h in res.hits)
    assert any(set(h.ranks) == {"keyword", "semantic"} for h in res.hits)


@pytest.mark.slow
def test_known_items_hybrid_never_loses_to_either_side(sample_runtime: Runtime) -> None:
    items = [json.loads(line) for line in (ROOT / "benchmarks" / "known_items.jsonl").read_text().splitlines()]
    mrr = {}
    for mode in ("keyword", "semantic", "hybrid"):
        total = 0.0
        for item in items:
            found = hits(sample_runtime, item["query"], mode=mode, limit=10)
            total += 1 / (found.index(item["id"]) + 1) if item["id"] in found else 0.0
        mrr[mode] = total / len(items)
    assert mrr["hybrid"] >= max(mrr["keyword"], mrr["semantic"]), mrr
    assert mrr["hybrid"] > 0.95, mrr


@pytest.mark.needs_data
def test_without_embeddings_hybrid_answers_with_keywords(settings: Settings, tmp_path: Path) -> None:
    from paperwire.importing import import_and_index

    rt = Runtime(settings.model_copy(update={"semantic_search": False}))
    import_and_index(rt.store, rt.indexes, [SAMPLE])
    res = search(rt.store, rt.indexes, SearchRequest("gaussian splatting"), rt.search_policy)
    assert res.mode == "keyword" and res.hits
    rt.close()


def test_cli_modes_and_similar(sample_runtime: Runtime) -> None:
    from paperwire.cli import cli

    s = sample_runtime.settings
    base = ["--db", s.resolved_database_url(), "--data-dir", str(s.data_dir)]
    result = CliRunner().invoke(cli, [*base, "search", "retinal implant face perception", "--mode", "semantic",
                                      "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["id"] == "2503.11677" and "semantic" in rows[0]["ranks"]
    result = CliRunner().invoke(cli, [*base, "similar", "2503.11677", "--json", "--limit", "4"])
    assert result.exit_code == 0, result.output
    similar = json.loads(result.stdout)
    assert len(similar) == 4 and "2503.11677" not in [r["id"] for r in similar]
    assert CliRunner().invoke(cli, [*base, "similar", "2101.99999"]).exit_code == 1


@pytest.mark.parametrize("budget", [0, 2000])  # one pass; and a budget that splits the long queries
def test_the_keyword_side_beside_the_semantic_one_gives_the_same_ranking(sample_runtime: Runtime, budget: int,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    keyword = sample_runtime.indexes.keyword
    vectors = sample_runtime.indexes.vectors
    assert vectors is not None and sample_runtime.indexes.embedder is not None
    monkeypatch.setattr(keyword, "budget", QueryBudget(budget, candidates=200, min_terms=2))
    queries = ["graph neural networks for molecules",
               "a method that learns to rank retrieved passages with a language model and few labels"]
    for text in queries:
        pq = parse_query(text)
        assert keyword.postings(pq) > 0

        def ranked(overlap_from: int, pq: ParsedQuery = pq) -> hybrid.Ranking:
            monkeypatch.setattr(hybrid, "OVERLAP_POSTINGS", overlap_from)
            return hybrid.rank(pq, keyword, vectors.index, sample_runtime.indexes.embedder, "hybrid", 0, 10)

        beside, after = ranked(0), ranked(10**12)
        assert beside == after and beside.hits
        if budget and len(text.split()) > 5:
            assert keyword.first_pass(pq, hybrid.MIN_POOL) is not None  # the split path was taken


def test_a_broken_model_beside_a_running_keyword_side_still_answers_with_keywords(
        sample_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    keyword, vectors = sample_runtime.indexes.keyword, sample_runtime.indexes.vectors
    assert vectors is not None

    class Broken:
        def embed_query(self, text: str) -> object:
            raise OSError("model file truncated")

    monkeypatch.setattr(hybrid, "OVERLAP_POSTINGS", 0)  # the keyword side runs in its thread
    pq = parse_query("graph neural networks for molecules")
    got = hybrid.rank(pq, keyword, vectors.index, Broken(), "hybrid", 0, 10)  # type: ignore[arg-type]
    assert got.mode == "keyword" and got.hits == keyword.search_page(pq, 10).hits
