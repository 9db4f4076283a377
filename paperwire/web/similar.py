"""Papers similar to a paper, for its page and the API: ``paperwire.search.similar`` with the papers fetched.

Nearest neighbours by embedding when papers are embedded; the lexical fallback otherwise, and the page
says which one answered.
"""

from __future__ import annotations

from paperwire.models import Paper, SearchHit
from paperwire.runtime import Runtime
from paperwire.search.similar import similar

NOTES = {
    "semantic": "Nearest in meaning (embeddings of title and abstract).",
    "keyword": "Related by shared words in the title and abstract (papers are not embedded yet).",
}


def similar_papers(rt: Runtime, paper: Paper, limit: int = 8) -> tuple[list[SearchHit], str]:
    """Up to ``limit`` hits most like ``paper`` (never the paper itself), and the method used."""
    ranked, method = similar(rt.indexes, paper, limit)
    papers = rt.store.papers.get_papers([key for key, _ in ranked])
    return [SearchHit(key, score, papers[key], {method: i + 1})
            for i, (key, score) in enumerate(ranked) if key in papers], method
