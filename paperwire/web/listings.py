"""Listings behind pages, feeds and APIs: trending windows, days, weeks, months, categories.

Every listing says which order it uses (``order`` and ``order_note``).
Trending listings page through the rankings the worker's ``trending`` job
stored (through ``paperwire.trending.reader``, the one reader), with each paper's rank, score and reasons;
a window whose ranking was never computed falls back to newest first and
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from paperwire.models import Paper, TrendingEntry
from paperwire.store import Store
from paperwire.trending.formula import WINDOW_LENGTH, summary
from paperwire.trending.reader import ranking
from paperwire.web.paper_signals import PaperSignals, paper_signals
from paperwire.web.periods import ListingPeriod, neighbours, window

NEWEST = "newest"
TRENDING = "trending"
ORDER_NOTES = {
    NEWEST: "Ordered by newest: trending scores have not been computed yet (the worker's trending job does).",
    TRENDING: "Ranked by trending score (stars gained, upvotes, freshness), computed {when}.",
}
EMPTY_RANKING_NOTE = ("Ordered by newest: the trending ranking computed {when} is empty (no paper had new stars, "
                      "upvotes or an announcement in its window).")
LISTING_NOTES = {NEWEST: "Newest first."}


def computed_phrase(at: datetime) -> str:
    """``1 Aug 2026 12:00 UTC``: absolute, so a cached page never tells a stale "minutes ago"."""
    at = at.astimezone(UTC)
    return f"{at.day} {at:%b %Y %H:%M} UTC"


@dataclass(slots=True)
class Listing:
    """One page of papers with what is needed to show and page through it.

    Ranked (trending) listings also carry ``entries`` (paper id → its place in
    the ranking), ``computed_at`` (when the ranking was computed) and ``window``.
    """

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
    previous: ListingPeriod | None = None
    next: ListingPeriod | None = None
    entries: dict[str, TrendingEntry] = field(default_factory=dict)
    computed_at: datetime | None = None
    window: str | None = None  # the stored ranking's window (day, week, month) of a ranked listing

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    def reason(self, paper_id: str) -> str:
        """Why a ranked paper is here (``+312 stars this week · 48 upvotes on Hugging Face``), or ``""``."""
        entry = self.entries.get(paper_id)
        return summary(entry.reasons) if entry else ""


def _listing(store: Store, start: date | None, end: date | None, category: str | None, limit: int, offset: int,
             order: str, note: str) -> Listing:
    total = store.papers.count_papers(start, end, category)
    if offset >= total:
        papers: list[Paper] = []
    elif category:
        papers = store.papers.list_in_category(category, start, end, limit=limit, offset=offset)
    else:
        papers = store.papers.list_papers(start, end, limit=limit, offset=offset)
    return Listing(papers, total, offset, limit, order, note, start, end, category,
                   paper_signals(store, [p.id for p in papers]))


def list_trending(store: Store, name: str, category: str | None = None, limit: int = 25,
                  offset: int = 0) -> Listing:
    """A page of the stored ranking of window ``name`` (day, week, month), optionally of one category.

    When that window was never ranked, or its ranking is empty (a mirror of an
    old dump has no recent activity): the papers announced in the window ending
    on the newest announcement day, newest first, with a note saying so.
    """
    page = ranking(store, name, limit, offset, category)
    if page.computed_at is None or (page.total == 0 and (
            not category or ranking(store, name, 1).total == 0)):
        note = (ORDER_NOTES[NEWEST] if page.computed_at is None
                else EMPTY_RANKING_NOTE.format(when=computed_phrase(page.computed_at)))
        latest = store.papers.latest_day()
        if latest is None:
            return Listing([], 0, offset, limit, NEWEST, note, category=category)
        start, end = window(name, latest)
        return _listing(store, start, end, category, limit, offset, NEWEST, note)
    papers = page.papers  # one may have left the store since the ranking
    at = page.computed_at
    return Listing(papers, page.total, offset, limit, TRENDING,
                   ORDER_NOTES[TRENDING].format(when=computed_phrase(at)),
                   (at - WINDOW_LENGTH[name]).date(), at.date(), category,
                   paper_signals(store, [p.id for p in papers]),
                   entries=page.entries, computed_at=at, window=name)


def list_period(store: Store, period: ListingPeriod, category: str | None = None, limit: int = 25,
                offset: int = 0) -> Listing:
    """The papers announced in ``period``, newest first, with the neighbouring periods that have papers."""
    listing = _listing(store, period.start, period.end, category, limit, offset, NEWEST, LISTING_NOTES[NEWEST])
    listing.previous, listing.next = neighbours(store, period)
    return listing


def list_category(store: Store, category: str, limit: int = 25, offset: int = 0) -> Listing:
    """The newest papers of one category (cross-lists included)."""
    return _listing(store, None, None, category, limit, offset, NEWEST, LISTING_NOTES[NEWEST])
