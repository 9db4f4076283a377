"""Ranking by mode: keyword (BM25), semantic (embedding cosine) or hybrid (both, fused).

Hybrid takes the top candidates of each side — both already restricted by
the query's filters — and fuses them with the configured fusion function
(``paperwire.search.fusion``; the choice and its weights are measured in
docs/benchmarks.md). Pages are cut from the fused list; the candidate pool
grows with the page asked for, so deep pages stay consistent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from paperwire.config import Settings
from paperwire.search.fusion import by_length, get_fusion
from paperwire.search.keyword import FirstPass, KeywordIndex, KeywordPage
from paperwire.search.query import ParsedQuery
from paperwire.search.vectors import VectorIndex

log = logging.getLogger(__name__)
MODES = ("hybrid", "keyword", "semantic")
MIN_POOL = 100
# the postings (in ``text``) from which a hybrid query's keyword side runs beside its semantic side: about
# 5 ms of keyword work; at 75k most queries stay below it, at 2.7M most pass it
OVERLAP_POSTINGS = 500_000


class QueryEmbedder(Protocol):
    """What ranking needs of the embedding model."""

    def embed_query(self, text: str) -> np.ndarray: ...


@dataclass
class FusionConfig:
    """Which fusion function, with which weights (keyword, semantic) and options.

    ``weights`` are for long, descriptive queries; ``short_semantic_weight`` (when set) is the semantic
    weight for queries of a few words, and queries in between get a weight on the line between
    (``fusion.by_length``)."""

    name: str = "convex"
    # chosen on the SciFact training split's tune half (benchmarks/tune_fusion.py, docs/benchmarks.md)
    weights: tuple[float, float] = (0.6, 0.4)
    norm: str = "minmax"
    short_semantic_weight: float | None = None
    rrf_k: float = 60.0
    # below this cosine a paper is not "a match" for the query: nonsense or off-topic queries score
    # 0.2-0.26 against the whole corpus, on-topic ones 0.35 and up (docs/benchmarks.md)
    min_similarity: float = 0.3

    def weights_for(self, words: int | None) -> list[float]:
        """(keyword, semantic) weights for a query of ``words`` words (None: the long-query weights)."""
        if words is None or self.short_semantic_weight is None:
            return list(self.weights)
        semantic = by_length(words, self.short_semantic_weight, self.weights[1])
        return [1 - semantic, semantic]

    def fuse(self, keyword: Sequence[tuple[str, float]], dense: Sequence[tuple[str, float]],
             words: int | None = None) -> list[tuple[str, float]]:
        """The two candidate lists fused, weighted for a query of ``words`` words."""
        fusion = get_fusion(self.name)
        if self.name == "rrf":
            return fusion([keyword, dense], weights=self.weights_for(words), k=self.rrf_k)
        return fusion([keyword, dense], weights=self.weights_for(words), norm=self.norm)

    @classmethod
    def from_settings(cls, settings: Settings) -> FusionConfig:
        """The fusion the settings choose (``search_fusion``, ``search_semantic_weight``, …)."""
        return cls(settings.search_fusion, (1 - settings.search_semantic_weight, settings.search_semantic_weight),
                   settings.search_fusion_norm, settings.search_semantic_weight_short,
                   min_similarity=settings.semantic_min_similarity)


@dataclass
class Ranking:
    """Ranked keys for one page, the size of the whole result, per-side ranks, and the mode used."""

    hits: list[tuple[str, float]]
    total: int
    mode: str
    ranks: dict[str, dict[str, int]] = field(default_factory=dict)
    total_exact: bool = True
    """False when ``total`` is a lower bound (an over-budget keyword query, ``KeywordPage``)."""


def dense_candidates(pq: ParsedQuery, keyword: KeywordIndex, vectors: VectorIndex, embedder: QueryEmbedder,
                     k: int, min_similarity: float = 0.0) -> list[tuple[str, float]]:
    """The k nearest papers to the query text among those every filter allows, above ``min_similarity``."""
    allowed, excluded = keyword.filter_keys(pq)
    keep = vectors.mask(pq, allowed, excluded)
    query = embedder.embed_query(pq.text)
    return [(key, score) for key, score in vectors.search(query, k, keep) if score >= min_similarity]


def rank(pq: ParsedQuery, keyword: KeywordIndex, vectors: VectorIndex | None, embedder: QueryEmbedder | None,
         mode: str, offset: int, limit: int, sort: str = "relevance",
         fusion: FusionConfig | None = None) -> Ranking:
    """Rank for one page. Without vectors (nothing embedded yet) hybrid falls back to keyword."""
    semantic_ready = vectors is not None and embedder is not None and len(vectors) > 0
    if mode == "hybrid" and (not semantic_ready or not pq.text):
        mode = "keyword"  # nothing to embed, or no embeddings: keyword ranking is all there is
    if mode == "keyword" or (sort == "newest" and mode != "semantic") or not pq.has_terms:
        return _keyword_ranking(keyword.search_page(pq, limit, offset, sort), offset)
    if not semantic_ready or vectors is None or embedder is None:
        raise LookupError("semantic search needs embeddings: run 'paperwire embed'")
    pool = max(MIN_POOL, offset + limit)
    fusion = fusion or FusionConfig()
    # a costly keyword side (its first pass, or its whole search when one pass does) runs in a thread of
    # its own (tantivy lets go of the GIL) while the query is embedded and the vectors scanned; a cheap one
    # runs after, as the two threads' contention cost more than the overlap saved (docs/benchmarks.md)
    overlap = mode == "hybrid" and keyword.postings(pq) >= OVERLAP_POSTINGS
    with ThreadPoolExecutor(1, thread_name_prefix="keyword-side") as worker:
        lexical_job = worker.submit(_keyword_side, keyword, pq, pool) if overlap else None
        try:
            dense = dense_candidates(pq, keyword, vectors, embedder, pool, fusion.min_similarity)
        except (OSError, RuntimeError) as exc:  # a broken model file: keyword search still answers
            if mode == "semantic":
                raise LookupError(f"semantic search is unavailable: {exc}") from exc
            log.error("semantic ranking failed, answering with keyword ranking: %s", exc)
            return _keyword_ranking(keyword.search_page(pq, limit, offset, sort), offset)
        ranks = {key: {"semantic": i + 1} for i, (key, _) in enumerate(dense)}
        if mode == "semantic":
            return Ranking(dense[offset : offset + limit], len(dense), "semantic", ranks)
        lexical = lexical_job.result() if lexical_job is not None else _keyword_side(keyword, pq, pool)
    if not isinstance(lexical, KeywordPage):
        # over the budget: the semantic candidates join the second pass, so each gets its full BM25 even
        # when the first pass missed it
        lexical = keyword.search_page(pq, pool, 0, "relevance", also=[key for key, _ in dense], first=lexical)
    for i, (key, _) in enumerate(lexical.hits):
        ranks.setdefault(key, {})["keyword"] = i + 1
    fused = fusion.fuse(lexical.hits, dense, len(pq.words))
    return Ranking(fused[offset : offset + limit], max(lexical.total, len(fused)), "hybrid", ranks,
                   lexical.total_exact)


def _keyword_side(keyword: KeywordIndex, pq: ParsedQuery, pool: int) -> KeywordPage | FirstPass:
    """What the keyword side can do before the semantic candidates are known: the whole page of a query
    that takes one pass, the first pass of one over the budget."""
    first = keyword.first_pass(pq, pool)
    return keyword.search_page(pq, pool, 0, "relevance", first=None) if first is None else first


def _keyword_ranking(page: KeywordPage, offset: int) -> Ranking:
    ranks = {key: {"keyword": offset + i + 1} for i, (key, _) in enumerate(page.hits)}
    return Ranking(page.hits, page.total, "keyword", ranks, page.total_exact)
