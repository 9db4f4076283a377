"""Similar papers ("more like this"): nearest neighbours by embedding, never the paper itself.

The paper's stored vector is the query; a paper not embedded yet is embedded
on the spot (one model call). Without embeddings at all (semantic search off,
or nothing embedded yet) the answer is lexical: the paper's title, twice, and
the opening of its abstract as a ranked keyword query.
"""

from __future__ import annotations

import logging

from paperwire.models import Paper
from paperwire.search.indexes import LocalIndexes
from paperwire.search.query import ParsedQuery, words_of

log = logging.getLogger(__name__)
ABSTRACT_WORDS = 30  # for the lexical fallback: more words find little more and cost more


def similar(indexes: LocalIndexes, paper: Paper, limit: int = 8) -> tuple[list[tuple[str, float]], str]:
    """Up to ``limit`` ``(paper id, score)`` pairs most like ``paper``, and the method used
    (``semantic`` or ``keyword``)."""
    indexes.refresh()
    vectors = indexes.vectors.index if indexes.vectors is not None else None
    if vectors is not None and len(vectors) > 0:
        query = vectors.vector_of(paper.id)
        if query is None and indexes.embedder is not None:
            try:
                query = indexes.embedder.embed_query(f"{paper.title}. {paper.abstract}")
            except (OSError, RuntimeError) as exc:  # a broken model file: fall back to words
                log.error("cannot embed %s for similar papers: %s", paper.id, exc)
        if query is not None:
            keep = vectors.mask(None, excluded=[paper.id])
            return vectors.search(query, limit, keep), "semantic"
    words = words_of(paper.title) * 2 + words_of(paper.abstract)[:ABSTRACT_WORDS]
    if not words:
        return [], "keyword"
    hits, _ = indexes.keyword.search(ParsedQuery(words=words), limit + 1)
    return [(key, score) for key, score in hits if key != paper.id][:limit], "keyword"
