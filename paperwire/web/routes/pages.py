"""Server-rendered pages: trending, daily/weekly/monthly listings, categories, papers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.responses import Response

from paperwire.community.service import paper_community
from paperwire.ingest.citations import bibtex_entry as bibtex
from paperwire.models import is_arxiv_id, split_version
from paperwire.runtime import Runtime
from paperwire.taxonomy import ARCHIVES, archive_of, category
from paperwire.trending import paper_trend
from paperwire.web.auth import VisitorDep
from paperwire.web.auth import page as personal_page
from paperwire.web.deps import public_url, render, runtime
from paperwire.web.discussions import discussion
from paperwire.web.http import PERSONAL
from paperwire.web.listings import (
    Listing,
    computed_phrase,
    list_category,
    list_period,
    list_trending,
)
from paperwire.web.paging import pager
from paperwire.web.paper_signals import paper_signals
from paperwire.web.periods import (
    WINDOW_LABELS,
    WINDOWS,
    Kind,
    ListingPeriod,
    PeriodError,
    containing,
    parse_period,
    span_label,
    window_name,
)
from paperwire.web.similar import NOTES as SIMILAR_NOTES
from paperwire.web.similar import similar_papers
from paperwire.web.viewer import muted_view, viewer_context

router = APIRouter(include_in_schema=False)
RT = Annotated[Runtime, Depends(runtime)]
PageNo = Annotated[int, Query(ge=1, le=10_000)]
Cat = Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z.\-]*$")]
PAGE_SIZE = 25
GRANULARITY: tuple[tuple[Kind, str], ...] = (("day", "Day"), ("week", "Week"), ("month", "Month"))
SIDEBAR_CATEGORIES = 14
WINDOW_SPANS = {"day": "24 hours", "week": "7 days", "month": "30 days"}


def _listing_page(request: Request, rt: RT, listing: Listing, page: int, **context: Any) -> Response:
    if page > 1 and not listing.papers:
        raise HTTPException(404, f"There is no page {page} here; this listing has {listing.pages}.")
    params = {"cat": listing.category or ""}
    path = request.url.path
    if listing.window is not None:  # a ranking: the categories of the ranked papers
        counts = rt.store.trending.trending_category_counts(listing.window)
    else:
        counts = rt.store.papers.category_counts(listing.start, listing.end) if listing.start else {}
    listing.papers, muted = muted_view(request, listing.papers)  # a member's mutes; nobody else's page changes
    return render(
        request, "listing.html", listing=listing, signals=listing.signals,
        pager=pager(path, params, page, listing.pages),
        canonical=public_url(request, path, {**params, "page": page if page > 1 else ""}),
        side_categories=list(counts.items())[:SIDEBAR_CATEGORIES], active_category=listing.category,
        category_info=category(listing.category) if listing.category else None,
        **viewer_context(request, [p.id for p in listing.papers]), **muted, **context)


def _trending(request: Request, rt: RT, name: str, page: int, cat: str, **extra: Any) -> Response:
    listing = list_trending(rt.store, name, cat or None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    span = span_label(listing.start, listing.end) if listing.start and listing.end else None
    if listing.computed_at is not None:
        span = f"The {WINDOW_SPANS[name]} to {computed_phrase(listing.computed_at)}"
    elif name == "day" and listing.end:  # a window ends on the newest announcement day: name it
        span = f"{containing('day', listing.end).label}, the newest announcement day"
    tabs = [(key, label, "/" if key == "day" else f"/trending/{key}") for key, label in WINDOW_LABELS.items()]
    heading = "Trending papers" + (f" in {cat}" if cat else "")
    feed_params = f"?period={name}" + (f"&cat={cat}" if cat else "")
    return _listing_page(request, rt, listing, page, title=heading, heading=heading, tabs=tabs, active_tab=name,
                         span=span, feeds=("/feeds/trending.atom" + feed_params, "/feeds/trending.rss" + feed_params),
                         empty_store=listing.start is None, nav="trending", **extra)


@router.get("/")
def home(request: Request, rt: RT, page: PageNo = 1, cat: Cat = "") -> Response:
    # the home page carries the subscribe box near the top (and so not again in the footer)
    return _trending(request, rt, "day", page, cat, subscribe_box=True, hide_subscribe_box=True)


@router.get("/trending/{name}")
def trending(request: Request, rt: RT, name: str, page: PageNo = 1, cat: Cat = "") -> Response:
    if window_name(name) == "day":
        return RedirectResponse("/" + (f"?cat={cat}" if cat else ""), status_code=308)
    if name not in WINDOWS:
        raise HTTPException(404, f"There is no trending period {name!r}; try today, week or month.")
    return _trending(request, rt, name, page, cat)


def _period_page(request: Request, rt: RT, kind: Kind, key: str, page: int, cat: str) -> Response:
    try:
        period = parse_period(kind, key)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None
    if period.key != key:  # 2026-5 or a week given by another day: one canonical URL
        return RedirectResponse(period.path, status_code=308)
    listing = list_period(rt.store, period, cat or None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    granularity = [(k, label, containing(k, period.start).path) for k, label in GRANULARITY]
    feeds = ("/feeds/daily.atom?date=" + period.key, "/feeds/daily.rss?date=" + period.key) if kind == "day" else None
    return _listing_page(request, rt, listing, page, title=f"Papers of {period.label}",
                         heading=f"Papers of {period.label}", period=period, span=period.span,
                         granularity=granularity, active_granularity=kind, feeds=feeds, nav="daily")


@router.get("/daily")
def daily_latest(request: Request, rt: RT, day: Annotated[str, Query(alias="date", max_length=40)] = "") -> Response:
    if day:  # the date picker's form
        try:
            return RedirectResponse(parse_period("day", day).path, status_code=303)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from None
    latest = rt.store.papers.latest_day()
    if latest is None:
        return render(request, "listing.html", title="No papers yet", heading="No papers yet", empty_store=True,
                      listing=None)
    return RedirectResponse(ListingPeriod("day", latest, latest).path, status_code=307)


@router.get("/daily/{day}")
def daily(request: Request, rt: RT, day: str, page: PageNo = 1, cat: Cat = "") -> Response:
    return _period_page(request, rt, "day", day, page, cat)


@router.get("/week/{week}")
def weekly(request: Request, rt: RT, week: str, page: PageNo = 1, cat: Cat = "") -> Response:
    return _period_page(request, rt, "week", week, page, cat)


@router.get("/month/{month}")
def monthly(request: Request, rt: RT, month: str, page: PageNo = 1, cat: Cat = "") -> Response:
    return _period_page(request, rt, "month", month, page, cat)


@router.get("/c")
def categories(request: Request, rt: RT) -> Response:
    counts = rt.store.papers.category_counts()
    groups: dict[str, list[tuple[Any, int]]] = {}
    for code, n in sorted(counts.items()):
        groups.setdefault(archive_of(code), []).append((category(code), n))
    ordered = sorted(groups.items(), key=lambda kv: -sum(n for _, n in kv[1]))
    return render(request, "categories.html", title="Categories", groups=ordered, archives=ARCHIVES,
                  total=len(counts), nav="categories")


@router.get("/c/{code}")
def category_page(request: Request, rt: RT, code: str, page: PageNo = 1) -> Response:
    info = category(code)
    listing = list_category(rt.store, code, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if listing.total == 0 and not info.known:
        raise HTTPException(404, f"There is no category {code!r} here.")
    title = f"{info.name} ({code})" if info.known else code
    return _listing_page(request, rt, listing, page, title=title, heading=title, category_page=info,
                         feeds=(f"/feeds/c/{code}.atom", f"/feeds/c/{code}.rss"), nav="categories")


@router.get("/paper/{paper_id:path}")
def paper_page(request: Request, rt: RT, who: VisitorDep, paper_id: str) -> Response:
    bare, version = split_version(paper_id)
    if version:
        return RedirectResponse(f"/paper/{bare}", status_code=308)
    paper = rt.store.papers.get_paper(bare)
    if paper is None:
        if not is_arxiv_id(bare):
            raise HTTPException(404, f"There is no paper {paper_id!r} here.")
        return render(request, "error.html", status_code=404, status=404, title="404 · Not Found", noindex=True,
                      message=f"There is no paper {bare} here.", arxiv_url=f"https://arxiv.org/abs/{bare}")
    similar, similar_method = similar_papers(rt, paper)
    ids = [paper.id] + [h.paper_id for h in similar]
    signals = paper_signals(rt.store, ids)
    context: dict[str, Any] = dict(
        title=paper.title, paper=paper, signals=signals, sig=signals[paper.id], similar=similar,
        similar_note=SIMILAR_NOTES[similar_method], bibtex=bibtex(paper),
        categories=[category(c) for c in paper.categories], description=paper.abstract,
        trend=paper_trend(rt.store, paper.id), c=paper_community(rt.store, [paper.id], who.user)[paper.id],
        next=f"/paper/{paper.id}", d=discussion(rt.store, rt.settings, paper.id, who.user))
    if who.user is not None:  # the buttons show this member's own marks and CSRF token: personal
        uid, prefs = who.user.id, rt.store.preferences.preferences(who.user.id)
        context.update(folders=rt.store.library.folders(uid), saved=rt.store.library.saved(uid, paper.id),
                       following={(p.stance, p.kind, p.key) for p in prefs})
        response = personal_page(request, who, "paper.html", noindex=False, **context)
        response.headers["Cache-Control"] = PERSONAL
        return response
    return render(request, "paper.html", user=None, csrf_token="", **context)


@router.get("/robots.txt")
def robots() -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /api/\nDisallow: /feeds/search\n")


@router.get("/healthz")
def health(rt: RT) -> dict[str, object]:
    return {"ok": True, "papers": rt.store.papers.max_seq() >= 0}
