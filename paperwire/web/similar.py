"""Papers similar to a paper, for its page and the API.

Integration point: semantic "more like this" is being built in ``search/``;
when it lands, ``similar_papers`` calls it and ``METHOD``/``NOTE`` change.
Until then the best signal available is lexical: the paper's title (twice,
so it weighs more) and the opening of its abstract as a ranked keyword query
(BM25 weighs rare words up), through the one search function like every
other search.
"""

from __future__ import annotations

from paperwire.models import Paper, SearchHit
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.search.query import words_of

METHOD = "keyword"
NOTE = "Related by shared words in the title and abstract; semantic similarity is coming."
ABSTRACT_WORDS = 30  # more words find little more and cost more (9 ms at 60 words, 75k papers)


def similar_papers(rt: Runtime, paper: Paper, limit: int = 8) -> list[SearchHit]:
    """Up to ``limit`` hits most like ``paper`` (never the paper itself)."""
    # words only: a title must not be read as query syntax (quotes, -exclusions, field:value)
    title = words_of(paper.title)
    text = " ".join(title * 2 + words_of(paper.abstract)[:ABSTRACT_WORDS])[: rt.settings.max_query_chars]
    if not text:
        return []
    try:
        results = search(rt.store, rt.indexes, SearchRequest(text, limit=min(limit + 1, rt.settings.search_max_limit)))
    except SearchError:
        return []
    return [hit for hit in results.hits if hit.paper_id != paper.id][:limit]
