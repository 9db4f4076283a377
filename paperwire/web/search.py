"""The search form of the website: its parameters, and what to suggest when nothing matches.

The page and the feeds read the same ``SearchForm``; running it goes through
``search.engine.search()`` like every other search.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import StringConstraints

from paperwire.models import SearchResults
from paperwire.runtime import Runtime
from paperwire.search.engine import SORTS as ENGINE_SORTS
from paperwire.search.engine import TRENDING_CANDIDATES, SearchError, SearchRequest, search
from paperwire.search.query import ParsedQuery, parse_query

SORTS = ENGINE_SORTS
# Categories a search may filter by at once (any of them): the page keeps the first ones, the API refuses more.
MAX_CATEGORIES = 10
# One category as a URL parameter: no category code is longer, and a longer value is no category.
CategoryValue = Annotated[str, StringConstraints(max_length=40)]
ENGINE_SORT = {"relevance": "relevance", "newest": "newest", "trending": "trending"}
SORT_NOTES = {"trending": f"Ordered by this month's trending rank among the {TRENDING_CANDIDATES} most relevant "
                          "matches; matches not trending this month follow by relevance."}


class FormError(ValueError):
    """A form value that does not parse; the message is meant for the user."""


def parse_day(value: str, name: str) -> date | None:
    """A ``YYYY-MM-DD`` form field (empty: None)."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None


@dataclass(slots=True)
class SearchForm:
    """What the search form sends: the query plus filter controls (dates inclusive)."""

    q: str = ""
    sort: str = ""
    categories: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    page: int = 1

    @property
    def parsed(self) -> ParsedQuery:
        return parse_query(self.q)

    @property
    def author_only(self) -> str | None:
        """The name when the query is exactly one ``author:"…"`` and nothing else ranks."""
        pq = self.parsed
        if len(pq.authors) == 1 and not (pq.words or pq.phrases) and not self.has_filters:
            return pq.authors[0]
        return None

    @property
    def effective_sort(self) -> str:
        """The chosen sort; an author's papers default to newest, anything else to relevance."""
        if self.sort in SORTS:
            return self.sort
        pq = self.parsed
        return "newest" if not (pq.words or pq.phrases) else "relevance"

    @property
    def has_filters(self) -> bool:
        return bool(self.categories or self.date_from or self.date_to or self.has_code)

    @property
    def is_blank(self) -> bool:
        return not self.q.strip() and not self.has_filters

    def request(self, limit: int, offset: int = 0, highlight: bool = True) -> SearchRequest:
        """The engine request for this form."""
        before = self.date_to + timedelta(days=1) if self.date_to else None  # "to" is inclusive
        return SearchRequest(self.q, limit=limit, offset=offset, sort=ENGINE_SORT[self.effective_sort],
                             categories=list(self.categories), after=self.date_from, before=before,
                             has_code=True if self.has_code else None, highlight=highlight)

    def params(self, **changes: Any) -> dict[str, Any]:
        """URL parameters of this form (for pager links and suggestions)."""
        form = replace(self, **changes) if changes else self
        return {"q": form.q, "sort": form.sort if form.sort in SORTS else "", "cat": list(form.categories),
                "from": form.date_from.isoformat() if form.date_from else "",
                "to": form.date_to.isoformat() if form.date_to else "", "code": "1" if form.has_code else "",
                "page": form.page if form.page > 1 else ""}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Another search worth trying, with how many papers it finds."""

    label: str
    form: SearchForm
    total: int


# What a page without results may spend on suggestions. Each candidate costs one keyword search for one
# result (no query embedding, no vector scan, no trending reorder), and at most MAX_DROPPED_WORDS words are
# tried, none for a query of more than MAX_WORDS_FOR_DROPPING: a 132-word query used to run 132 full hybrid
# searches, 40 times the cost of a normal search (benchmarks/no_results.py).
MAX_DROPPED_WORDS = 5
MAX_WORDS_FOR_DROPPING = 8


def _count(rt: Runtime, form: SearchForm) -> int:
    """How many papers ``form`` finds by keywords: the cheap lower bound of what its search (hybrid finds at
    least the keyword matches) will show when the suggestion is followed."""
    request = replace(form.request(limit=1, highlight=False), mode="keyword", sort="relevance")
    try:
        return search(rt.store, rt.indexes, request, rt.search_policy).total
    except SearchError:
        return 0


def droppable(words: list[str], limit: int = MAX_DROPPED_WORDS) -> list[int]:
    """Positions of the words worth leaving out, at most ``limit``: syntax first (a filter, an exclusion,
    a quote: only leaving one of those out can widen a keyword match, whose plain words are alternatives),
    then plain words in the order typed."""
    syntax = [i for i, w in enumerate(words) if ":" in w or w.startswith("-") or '"' in w]
    plain = [i for i in range(len(words)) if i not in syntax]
    return (syntax + plain)[:limit]


def suggestions(rt: Runtime, form: SearchForm, limit: int = 4) -> list[Suggestion]:
    """Searches close to ``form`` that do find papers: without filters, without a word, without quotes.

    Bounded whatever the query: at most 3 + ``MAX_DROPPED_WORDS`` keyword counts of one result each."""
    candidates: list[tuple[str, SearchForm]] = []
    plain = SearchForm(q=form.q)
    if form.has_filters and form.q.strip():
        candidates.append(("the same words without the filters", plain))
    pq = form.parsed
    if pq.phrases:
        unquoted = form.q.replace('"', " ")
        candidates.append(("without the quotes", replace(form, q=" ".join(unquoted.split()), page=1)))
    syntax = pq.categories or pq.after or pq.before or pq.has_code is not None or pq.exclude
    if syntax and pq.words:
        candidates.append(("only the words", SearchForm(q=" ".join(pq.words))))
    words = form.q.split()
    if 1 < len(words) <= MAX_WORDS_FOR_DROPPING:
        for i in droppable(words):
            rest = " ".join(words[:i] + words[i + 1 :])
            candidates.append((f"without “{words[i]}”", replace(form, q=rest, page=1)))
    found: list[Suggestion] = []
    seen = {(form.q.strip(), form.has_filters)}
    for label, candidate in candidates:
        key = (candidate.q.strip(), candidate.has_filters)
        if key in seen or candidate.is_blank:
            continue
        seen.add(key)
        total = _count(rt, candidate)
        if total:
            found.append(Suggestion(label, candidate, total))
        if len(found) >= limit:
            break
    return found


@dataclass(slots=True)
class AuthorSummary:
    """About an author, from their newest papers: frequent co-authors and categories."""

    name: str
    papers_seen: int
    coauthors: list[tuple[str, int]]
    categories: list[tuple[str, int]]


def author_summary(rt: Runtime, name: str, sample: int = 100) -> AuthorSummary:
    """Co-authors and categories over the author's newest ``sample`` papers."""
    form = SearchForm(q=f'author:"{name}"', sort="newest")
    results: SearchResults = search(rt.store, rt.indexes, form.request(limit=min(sample, rt.settings.search_max_limit),
                                                                        highlight=False), rt.search_policy)
    people: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    key = name.casefold()
    for hit in results.hits:
        if hit.paper is None:
            continue
        people.update(a for a in hit.paper.authors if a.casefold() != key)
        cats.update(hit.paper.categories[:1])
    # a co-author met once is noise; twice or more says something about the author's work
    frequent = [(who, n) for who, n in people.most_common(8) if n > 1]
    return AuthorSummary(name, len(results.hits), frequent, cats.most_common(6))
