"""The one search function behind the CLI, the web pages, the API and digests."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from paperwire.config import Settings
from paperwire.models import SearchHit, SearchResults
from paperwire.search.analysis import analyze
from paperwire.search.highlight import highlight, snippet
from paperwire.search.hybrid import MODES, FusionConfig, Ranking, rank
from paperwire.search.identity import identify
from paperwire.search.indexes import LocalIndexes
from paperwire.search.query import ParsedQuery, parse_query
from paperwire.search.vectors import VectorIndex
from paperwire.store import Store

SORTS = ("relevance", "newest", "trending")
# A search sorted by trending reorders its most relevant matches: every match of a broad query would be
# hundreds of thousands of papers, and a paper far down the relevance list is not what was asked for.
TRENDING_CANDIDATES = 500
TRENDING_WINDOW = "month"  # the widest window: the most papers have a rank there


@dataclass(frozen=True, slots=True)
class SearchPolicy:
    """What bounds and blends every search, passed explicitly: the query and page limits, and how
    keyword and semantic rankings are fused. ``Runtime.search_policy`` builds it from the settings."""

    max_query_chars: int
    max_limit: int
    fusion: FusionConfig

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchPolicy:
        """The policy the settings describe (``max_query_chars``, ``search_max_limit``, the fusion settings)."""
        return cls(settings.max_query_chars, settings.search_max_limit, FusionConfig.from_settings(settings))


class SearchError(ValueError):
    """A search that cannot run as asked; the message is meant for the user."""


@dataclass
class SearchRequest:
    """A search as a user asks for it: the query text plus optional form filters."""

    query: str
    limit: int = 20
    offset: int = 0
    mode: str = "hybrid"
    sort: str = "relevance"
    categories: list[str] = field(default_factory=list)
    after: date | None = None
    before: date | None = None
    has_code: bool | None = None
    highlight: bool = False


def merge_filters(pq: ParsedQuery, request: SearchRequest) -> ParsedQuery:
    """Add the request's form filters to what the query text says."""
    pq.categories.extend(c for c in request.categories if c not in pq.categories)
    if request.after and (pq.after is None or request.after > pq.after):
        pq.after = request.after
    if request.before and (pq.before is None or request.before < pq.before):
        pq.before = request.before
    if request.has_code is not None:
        pq.has_code = request.has_code
    return pq


def validate(request: SearchRequest, max_chars: int, max_limit: int) -> str:
    """The stripped query, or a SearchError saying what is wrong."""
    text = request.query.strip()
    has_form_filters = bool(request.categories or request.after or request.before or request.has_code)
    if not text and not has_form_filters:
        raise SearchError("the search query is empty: type some words")
    if len(text) > max_chars:
        raise SearchError(f"the search query is too long ({len(text)} characters, at most {max_chars})")
    if request.mode not in MODES:
        raise SearchError(f"unknown search mode {request.mode!r}; choose one of {', '.join(MODES)}")
    if not 1 <= request.limit <= max_limit:
        raise SearchError(f"limit must be between 1 and {max_limit}")
    if request.offset < 0:
        raise SearchError("offset must not be negative")
    if request.sort not in SORTS:
        raise SearchError(f"unknown sort {request.sort!r}; choose one of {', '.join(SORTS)}")
    return text


def by_trending(keys: Sequence[str], ranks: Mapping[str, int]) -> list[str]:
    """``keys`` (in relevance order) reordered: ranked papers by their trending rank, then the others
    in their relevance order."""
    position = {key: i for i, key in enumerate(keys)}
    return sorted(keys, key=lambda k: (ranks.get(k, math.inf), position[k]))


def _trending_page(store: Store, indexes: LocalIndexes, pq: ParsedQuery, request: SearchRequest,
                   vectors: VectorIndex | None, fusion: FusionConfig) -> Ranking:
    """The page of the ``TRENDING_CANDIDATES`` most relevant matches in trending order."""
    top = rank(pq, indexes.keyword, vectors, indexes.embedder, request.mode, 0, TRENDING_CANDIDATES,
               "relevance", fusion)
    scores = dict(top.hits)
    order = by_trending([key for key, _ in top.hits], store.trending.trending_ranks(TRENDING_WINDOW, list(scores)))
    page = order[request.offset : request.offset + request.limit]
    # the total counts the candidates the pages hold: exact
    return Ranking([(key, scores[key]) for key in page], min(top.total, len(order)), top.mode, top.ranks)


def search(store: Store, indexes: LocalIndexes, request: SearchRequest, policy: SearchPolicy) -> SearchResults:
    """Run a search: parse, rank (bounded and fused as ``policy`` says), fetch the papers, optionally highlight."""
    text = validate(request, policy.max_query_chars, policy.max_limit)
    pq = merge_filters(parse_query(text), request)
    if pq.is_empty:
        return SearchResults([], 0, text, request.mode, request.offset, request.limit)
    indexes.refresh()
    vectors = indexes.vectors.index if indexes.vectors is not None else None
    named = identify(store, indexes.keyword, text)
    try:
        if request.sort == "trending":
            ranking = _trending_page(store, indexes, pq, request, vectors, policy.fusion)
        else:
            ranking = rank(pq, indexes.keyword, vectors, indexes.embedder, request.mode, request.offset,
                           request.limit, request.sort, policy.fusion)
    except LookupError as exc:  # semantic mode before anything is embedded: a named paper is found all the same
        if named is None or named.paper_id is None:
            raise SearchError(str(exc)) from exc
        ranking = Ranking([], 0, request.mode)
    except ValueError as exc:
        raise SearchError(str(exc)) from exc
    ranked, total = ranking.hits, ranking.total
    if named is not None and named.paper_id is not None:
        ranked, total = put_first(ranked, total, named.paper_id, request.offset, request.limit)
    papers = store.papers.get_papers([key for key, _ in ranked])
    terms = set(analyze(pq.text)) if request.highlight else set()
    hits = []
    for key, score in ranked:
        paper = papers.get(key)
        if paper is None:  # indexed but gone from the store (a database swapped under us)
            continue
        hit = SearchHit(key, score, paper, ranking.ranks.get(key, {}))
        if request.highlight:
            hit.highlights = {"title": highlight(paper.title, terms, analyze),
                              "abstract": snippet(paper.abstract, terms, analyze)}
        hits.append(hit)
    return SearchResults(hits, total, text, ranking.mode, request.offset, request.limit,
                         identified=named.paper_id if named else None,
                         unknown_id=named.unknown_id if named else None, total_exact=ranking.total_exact)


def put_first(ranked: list[tuple[str, float]], total: int, key: str, offset: int, limit: int
              ) -> tuple[list[tuple[str, float]], int]:
    """The page with ``key`` at the very top of the results: first on the first page (its score the
    page's best), absent from later pages; ``total`` counts it once."""
    present = any(k == key for k, _ in ranked)
    others = [(k, s) for k, s in ranked if k != key]
    total = total if present else total + 1
    if offset > 0:
        return others, total
    best = max((s for _, s in ranked), default=1.0)
    return [(key, best), *others][:limit], total
