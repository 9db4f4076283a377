"""Identity first: a query that names a paper — its arXiv id (any version, old or new style, with or
without ``arXiv:``), an arXiv, Hugging Face or alphaXiv link, a DOI, or its exact title — finds that
paper first, in every mode, before any ranking. People paste links into search boxes; ranking
``2606.31946`` as words finds nothing useful.

``identify`` is the only function: pure parsing (``models.arxiv_id_in``, ``doi_in``, ``title_key``)
plus at most two cheap lookups (the store by id or DOI, the keyword index for a title phrase).
"""

from __future__ import annotations

from dataclasses import dataclass

from paperwire.models import arxiv_id_in, doi_in, title_key
from paperwire.search.keyword import KeywordIndex
from paperwire.store import Store

# A title is a few words to a few dozen; a longer query is a description, not a title.
TITLE_WORDS = (3, 40)
TITLE_CANDIDATES = 5


@dataclass(frozen=True, slots=True)
class Identity:
    """What a query names: ``paper_id`` when the library holds it; ``unknown_id`` when it names an
    arXiv id the library does not hold; ``reference`` says whether the query is nothing but an id,
    link or DOI (a search page may then go straight to the paper)."""

    paper_id: str | None
    unknown_id: str | None
    reference: bool


def identify(store: Store, keyword: KeywordIndex, text: str) -> Identity | None:
    """The paper ``text`` names, or None when it names none (then search ranks as usual)."""
    arxiv_id = arxiv_id_in(text)
    if arxiv_id is not None:
        found = store.papers.get_paper(arxiv_id)
        return Identity(found.id if found else None, None if found else arxiv_id, True)
    doi = doi_in(text)
    if doi is not None:
        paper = store.papers.find_by_doi(doi)
        return Identity(paper.id, None, True) if paper else None
    key = title_key(text)
    if not TITLE_WORDS[0] <= len(key.split()) <= TITLE_WORDS[1]:
        return None
    candidates = keyword.title_phrase(key, TITLE_CANDIDATES)
    papers = store.papers.get_papers(candidates)
    for pid in candidates:  # best first: the same title twice (a re-post) gives the best-ranked one
        paper = papers.get(pid)
        if paper is not None and title_key(paper.title) == key:
            return Identity(pid, None, False)
    return None
