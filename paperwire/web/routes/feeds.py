"""Feed URLs: trending, daily, each category and any search, as RSS 2.0 or Atom."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.responses import Response

from paperwire.community.authors import author_papers
from paperwire.models import Paper
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, search
from paperwire.taxonomy import category
from paperwire.web import feeds
from paperwire.web.deps import public_url, runtime
from paperwire.web.limits import AnonymousLimit
from paperwire.web.listings import list_category, list_period, list_trending
from paperwire.web.periods import (
    WINDOW_LABELS,
    WINDOWS,
    ListingPeriod,
    PeriodError,
    containing,
    parse_period,
    window_name,
)
from paperwire.web.search import MAX_CATEGORIES, CategoryValue, FormError, SearchForm, parse_day

router = APIRouter(prefix="/feeds", include_in_schema=False)
RT = Annotated[Runtime, Depends(runtime)]
ITEMS = 50


async def feed_format(fmt: str) -> str:
    """The ``.rss`` or ``.atom`` of a feed URL; anything else is not a feed (async: no thread hop)."""
    if fmt not in feeds.FORMATS:
        raise HTTPException(404, "Feeds come as .rss or .atom.")
    return fmt


Fmt = Annotated[str, Depends(feed_format)]


def _respond(request: Request, rt: Runtime, fmt: str, papers: list[Paper], title: str, description: str,
             page_path: str, page_params: dict[str, str] | None = None,
             ranked_at: datetime | None = None) -> Response:
    settings = rt.settings
    query = dict(request.query_params)
    # a trending feed changes when its ranking is recomputed, not only when papers do
    updated = max((t for t in (rt.store.papers.last_change()[1], ranked_at) if t is not None), default=None)
    info = feeds.FeedInfo(
        title=f"{title} · {settings.site_name}", description=description,
        page_url=public_url(request, page_path, page_params), feed_url=public_url(request, request.url.path, query),
        site_name=settings.site_name, site_url=settings.public_url() + "/", updated=updated)
    body = feeds.render(fmt, papers, info, settings.public_url() + "/paper/")
    return Response(body, media_type=feeds.FORMATS[fmt])


@router.get("/trending.{fmt}")
def trending(request: Request, rt: RT, fmt: Fmt,
             period: Annotated[str, Query(pattern="^(day|today|week|month)$")] = "day",
             cat: Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z.\-]*$")] = "") -> Response:
    period = window_name(period)
    listing = list_trending(rt.store, period, cat or None, ITEMS)
    where = f" in {cat}" if cat else ""
    page = "/" if period == "day" else f"/trending/{period}"
    return _respond(request, rt, fmt, listing.papers, f"Trending papers{where}: {WINDOW_LABELS[period].lower()}",
                    f"Papers of the last {WINDOWS[period]} day(s){where}. {listing.order_note}", page,
                    {"cat": cat} if cat else None, listing.computed_at)


@router.get("/daily.{fmt}")
def daily(request: Request, rt: RT, fmt: Fmt,
          day: Annotated[str, Query(alias="date", max_length=20)] = "") -> Response:
    period: ListingPeriod | None = None
    if day:
        try:
            period = parse_period("day", day)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from None
    else:
        latest = rt.store.papers.latest_day()
        period = containing("day", latest) if latest else None
    papers = list_period(rt.store, period, limit=ITEMS * 4).papers if period else []
    label = period.label if period else "no papers yet"
    return _respond(request, rt, fmt, papers, f"Papers of {label}", "The papers announced that day, newest first.",
                    period.path if period else "/daily")


@router.get("/c/{code}.{fmt}")
def category_feed(request: Request, rt: RT, code: str, fmt: Fmt) -> Response:
    info = category(code)
    listing = list_category(rt.store, code, ITEMS)
    if listing.total == 0 and not info.known:
        raise HTTPException(404, f"There is no category {code!r} here.")
    return _respond(request, rt, fmt, listing.papers, f"{info.name} ({code})" if info.known else code,
                    f"The newest papers listed in {code}.", f"/c/{code}")


@router.get("/author/{slug}.{fmt}")
def author_feed(request: Request, rt: RT, slug: str, fmt: Fmt) -> Response:
    found = author_papers(rt.store, slug[:300], ITEMS)
    if found is None:
        raise HTTPException(404, f"Nobody called {slug!r} wrote a paper here.")
    name, papers = found
    return _respond(request, rt, fmt, papers, f"Papers by {name}", f"The newest papers by {name}.",
                    f"/author/{slug}")


@router.get("/search.{fmt}", dependencies=[AnonymousLimit])
def search_feed(request: Request, rt: RT, fmt: Fmt,
                q: Annotated[str, Query(max_length=4000)] = "",
                cat: Annotated[list[CategoryValue] | None, Query(max_length=40)] = None,
                date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
                date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
                code: Annotated[str, Query(max_length=5)] = "") -> Response:
    try:
        form = SearchForm(q=q, sort="newest", categories=[c for c in cat or [] if c][:MAX_CATEGORIES],
                          date_from=parse_day(date_from, "from"), date_to=parse_day(date_to, "to"),
                          has_code=code not in ("", "0"))
        results = search(rt.store, rt.indexes, form.request(ITEMS, highlight=False), rt.search_policy)
    except (FormError, SearchError) as exc:
        raise HTTPException(422, str(exc)) from None
    params = {k: v for k, v in form.params(sort="").items() if v}
    return _respond(request, rt, fmt, [h.paper for h in results.hits if h.paper], f"Search: {q.strip()}",
                    f"The newest papers matching {q.strip()!r}.", "/search", params)
