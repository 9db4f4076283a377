"""Reading the stored rankings, for every consumer: ``ranking`` (CLI, pages, API, feeds, digests)
pages through a window's ranking with its papers; ``paper_trend`` explains one paper's places and
draws its repository's stars. Readers never compute a ranking (``trending.service.recompute`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from paperwire.models import TRENDING_WINDOWS, Paper, TrendingEntry
from paperwire.store import Store
from paperwire.trending.activity import best_repo, cumulative_stars
from paperwire.trending.formula import WINDOW_PHRASE, check_window, summary
from paperwire.trending.sparkline import sparkline_svg


def paper_brief(paper: Paper) -> dict[str, Any]:
    """The fields of a paper a trending list shows (the CLI's JSON; the API's full shape is ``web.deps.paper_json``)."""
    return {"id": paper.id, "title": paper.title, "authors": paper.authors, "categories": paper.categories,
            "announced": paper.announced.isoformat() if paper.announced else None, "url": paper.abs_url}


def entry_json(entry: TrendingEntry) -> dict[str, Any]:
    """A ranked paper's rank, score, reasons and signals as JSON-ready data."""
    return {"rank": entry.rank, "score": round(entry.score, 6), "summary": summary(entry.reasons),
            "reasons": [{"kind": r["kind"], "text": r["text"], "value": r["value"]} for r in entry.reasons],
            "signals": entry.signals}


@dataclass(slots=True)
class TrendingItem:
    """A ranked paper with its metadata (``paper`` is None if it left the store since the ranking)."""

    entry: TrendingEntry
    paper: Paper | None

    @property
    def summary(self) -> str:
        """``+312 stars this week · 48 upvotes on Hugging Face · announced 2 days ago``."""
        return summary(self.entry.reasons)


@dataclass(slots=True)
class TrendingList:
    """One page of a window's ranking, ready to render or serialise."""

    window: str
    items: list[TrendingItem]
    total: int
    computed_at: datetime | None
    offset: int = 0
    limit: int = 20
    category: str | None = None

    @property
    def papers(self) -> list[Paper]:
        """The ranked papers still in the store, in rank order."""
        return [i.paper for i in self.items if i.paper is not None]

    @property
    def entries(self) -> dict[str, TrendingEntry]:
        """Each ranked paper's entry (rank, score, reasons) by id."""
        return {i.entry.paper_id: i.entry for i in self.items}

    @property
    def phrase(self) -> str:
        """``today``, ``this week`` or ``this month``."""
        return WINDOW_PHRASE[self.window]

    def to_json(self) -> dict[str, Any]:
        """The API's answer: window, when computed, total, paging and the ranked papers with reasons."""
        return {
            "window": self.window, "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "total": self.total, "offset": self.offset, "limit": self.limit,
            "items": [{**entry_json(i.entry), "paper": paper_brief(i.paper) if i.paper else {"id": i.entry.paper_id}}
                      for i in self.items],
        }


def ranking(store: Store, window: str, limit: int = 20, offset: int = 0, category: str | None = None,
            author_key: str | None = None) -> TrendingList:
    """A page of ``window``'s stored ranking (of one ``category``'s papers, or the first ``limit`` of one
    author's by normalised name, if given) with the papers; ``computed_at`` None means never computed.
    The one reader of rankings: the CLI, the pages (author pages too), the API, the feeds and the digests
    all page through it, and only decide what to show instead."""
    window = check_window(window)
    if author_key is not None:
        page = store.trending.trending_page_of_author(window, author_key, limit)
    elif category:
        page = store.trending.trending_page_in(window, category, limit, offset)
    else:
        page = store.trending.trending_page(window, limit, offset)
    papers = store.papers.get_papers([e.paper_id for e in page.entries])
    return TrendingList(window, [TrendingItem(e, papers.get(e.paper_id)) for e in page.entries], page.total,
                        page.computed_at, offset, limit, category)


@dataclass(slots=True)
class PaperTrend:
    """Why a paper is (or is not) trending, and its repository's stars over time.

    ``entries`` maps each window the paper is ranked in to its entry; ``repo``
    is the repository whose stars count (as ranked, or the best-linked one);
    ``series`` its star count over the last ``days``; ``sparkline`` an SVG of it.
    """

    paper_id: str
    entries: dict[str, TrendingEntry] = field(default_factory=dict)
    repo: str | None = None
    repo_stars: int | None = None
    series: list[tuple[datetime, int]] = field(default_factory=list)
    sparkline: str = ""

    def lines(self) -> list[str]:
        """One line per ranked window: ``#3 this week: +312 stars this week · announced 2 days ago``."""
        return [f"#{self.entries[w].rank} {WINDOW_PHRASE[w]}: {summary(self.entries[w].reasons)}"
                for w in TRENDING_WINDOWS if w in self.entries]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: places per window with reasons, the repository, the series (ISO times) and the SVG."""
        return {
            "paper_id": self.paper_id,
            "windows": {w: entry_json(e) for w, e in self.entries.items()},
            "repo": self.repo, "repo_stars": self.repo_stars,
            "series": [[t.isoformat(), n] for t, n in self.series], "sparkline_svg": self.sparkline,
        }


def paper_trend(store: Store, paper_id: str, now: datetime | None = None, days: int = 90) -> PaperTrend:
    """A paper's places in the stored rankings and its repository's star curve over ``days`` days."""
    now = now or datetime.now(UTC)
    trend = PaperTrend(paper_id, {e.window: e for e in store.trending.paper_trending(paper_id)})
    ranked = [str(e.signals.get("repo")) for e in trend.entries.values() if e.signals.get("repo")]
    if ranked:
        repo_key: str | None = ranked[0].lower()
    else:
        links = store.papers.code_links(paper_id)
        counts = store.papers.code_link_counts([ln.repo for ln in links])
        repo_key = best_repo([(ln.repo, ln.source) for ln in links], counts)
    if repo_key is None:
        return trend
    since = now - timedelta(days=days)
    data = store.signals.star_series(repo_key, since)
    trend.repo = data.full_name if data else repo_key
    trend.repo_stars = data.stars if data else None
    series = [(max(t, since), n) for t, n in cumulative_stars(data) if t <= now] if data else []
    trend.series = [p for p in series if p[0] >= since]
    trend.sparkline = sparkline_svg(trend.series, title=f"GitHub stars of {trend.repo}, last {days} days",
                                    element_id=f"stars-{paper_id}")
    return trend
