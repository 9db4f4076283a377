"""Listings behind pages, feeds and APIs: trending windows, days, weeks, months, categories.

Every listing says which order it uses (``order`` and ``order_note``), so
pages and APIs can tell readers the truth while trending scores are not
available yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from paperwire.models import Paper
from paperwire.store import Store
from paperwire.web.periods import Period, neighbours, window
from paperwire.web.signals import PaperSignals, paper_signals

NEWEST = "newest"
# Integration point: when trending scores exist (trending.py), list_trending orders by them
# and TRENDING_ORDER becomes "trending".
TRENDING_ORDER = NEWEST
ORDER_NOTES = {
    NEWEST: "Ordered by newest until trending scores are available.",
}
LISTING_NOTES = {NEWEST: "Newest first."}


@dataclass(slots=True)
class Listing:
    """One page of papers with what is needed to show and page through it."""

    papers: list[Paper]
    total: int
    offset: int
    limit: int
    order: str
    order_note: str
    start: date | None = None
    end: date | None = None
    category: str | None = None
    signals: dict[str, PaperSignals] = field(default_factory=dict)
    previous: Period | None = None
    next: Period | None = None

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def _listing(store: Store, start: date | None, end: date | None, category: str | None, limit: int, offset: int,
             order: str, note: str) -> Listing:
    total = store.count_papers(start, end, category)
    if offset >= total:
        papers: list[Paper] = []
    elif category:
        papers = store.list_in_category(category, start, end, limit=limit, offset=offset)
    else:
        papers = store.list_papers(start, end, limit=limit, offset=offset)
    return Listing(papers, total, offset, limit, order, note, start, end, category,
                   paper_signals(store, [p.id for p in papers]))


def list_trending(store: Store, name: str, category: str | None = None, limit: int = 25,
                  offset: int = 0) -> Listing:
    """The trending window ``name`` (today, week, month) ending on the newest announcement day."""
    latest = store.latest_day()
    if latest is None:
        return Listing([], 0, offset, limit, TRENDING_ORDER, ORDER_NOTES[TRENDING_ORDER], category=category)
    start, end = window(name, latest)
    return _listing(store, start, end, category, limit, offset, TRENDING_ORDER, ORDER_NOTES[TRENDING_ORDER])


def list_period(store: Store, period: Period, category: str | None = None, limit: int = 25,
                offset: int = 0) -> Listing:
    """The papers announced in ``period``, newest first, with the neighbouring periods that have papers."""
    listing = _listing(store, period.start, period.end, category, limit, offset, NEWEST, LISTING_NOTES[NEWEST])
    listing.previous, listing.next = neighbours(store, period)
    return listing


def list_category(store: Store, category: str, limit: int = 25, offset: int = 0) -> Listing:
    """The newest papers of one category (cross-lists included)."""
    return _listing(store, None, None, category, limit, offset, NEWEST, LISTING_NOTES[NEWEST])
