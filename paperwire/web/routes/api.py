"""The JSON API under /api/v1: papers, search, listings, trending, similar papers, categories.

Offset pagination everywhere (``limit``, ``offset``; ``next``/``prev`` links),
one error shape (``{"error": {"status", "code", "message"}}``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from pydantic import StringConstraints
from starlette.responses import Response

from paperwire.ingest.citations import bibtex_entry as bibtex
from paperwire.models import Paper, SearchHit, TrendingEntry, split_version
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.search.hybrid import MODES
from paperwire.taxonomy import category
from paperwire.trending.formula import summary
from paperwire.web import api_models as m
from paperwire.web.deps import JSON, paper_json, public_url, runtime
from paperwire.web.limits import AnonymousLimit
from paperwire.web.listings import Listing, list_category, list_period, list_trending
from paperwire.web.paper_signals import PaperSignals, paper_signals
from paperwire.web.periods import Kind, PeriodError, containing, parse_period, window_name
from paperwire.web.search import ENGINE_SORT, MAX_CATEGORIES, SORT_NOTES
from paperwire.web.similar import NOTES, similar_papers

router = APIRouter(prefix="/api/v1", tags=["Papers"], responses=m.ERRORS)
RT = Annotated[Runtime, Depends(runtime)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (at most 200).")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="How many results to skip.")]
CategoryParam = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z.\-]+$",
                                            description="Only papers listed in this arXiv category, e.g. cs.CL.")]
# a category code, or empty (ignored): letters, dots and hyphens (cs.CL, hep-th, q-bio.NC)
CategoryCode = Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z.\-]*$")]
SearchSort = Literal["relevance", "newest", "trending"]
WeekParam = Annotated[str | None, Query(description="ISO week YYYY-Www, e.g. 2026-W20; default the newest")]


def _get(rt: Runtime, paper_id: str) -> Paper:
    paper = rt.store.papers.get_paper(paper_id)
    if paper is None:
        raise HTTPException(404, f"no paper with id {paper_id!r}")
    return paper


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_url())


def _links(request: Request, total: int, offset: int, limit: int) -> dict[str, Any]:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]  # keeps repeated cat=

    def at(start: int) -> str:
        return public_url(request, request.url.path, [*params, ("offset", start)])

    return {"total": total, "offset": offset, "limit": limit,
            "next": at(offset + limit) if offset + limit < total else None,
            "prev": at(max(0, offset - limit)) if offset > 0 else None}


def _hits(request: Request, hits: list[SearchHit], signals: dict[str, PaperSignals]) -> list[dict[str, Any]]:
    base = _base(request)
    return [{**paper_json(h.paper, signals[h.paper_id], base), "score": h.score, "ranks": h.ranks,
             "highlights": h.highlights or None} for h in hits if h.paper]


def _listing(request: Request, listing: Listing, kind: str, key: str | None) -> JSON:
    base = _base(request)
    return JSON({
        "kind": kind, "key": key,
        "start": listing.start.isoformat() if listing.start else None,
        "end": listing.end.isoformat() if listing.end else None,
        "previous_period": listing.previous.key if listing.previous else None,
        "next_period": listing.next.key if listing.next else None,
        "category": listing.category, "order": listing.order, "order_note": listing.order_note,
        **_links(request, listing.total, listing.offset, listing.limit),
        "computed_at": listing.computed_at.isoformat() if listing.computed_at else None,
        "papers": [{**paper_json(p, listing.signals[p.id], base), **_ranked(listing.entries.get(p.id))}
                   for p in listing.papers],
    })


def _ranked(entry: TrendingEntry | None) -> dict[str, Any]:
    """A ranked paper's place: rank, score, the one-line summary and each reason."""
    if entry is None:
        return {}
    return {"rank": entry.rank, "score": round(entry.score, 6), "summary": summary(entry.reasons),
            "reasons": [{"kind": r["kind"], "text": r["text"], "value": r["value"]} for r in entry.reasons]}


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper",
            responses={200: {"model": m.SimilarOut}})
def similar(request: Request, rt: RT, paper_id: str,
            limit: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
    paper = _get(rt, split_version(paper_id)[0])
    hits, method = similar_papers(rt, paper, limit)
    signals = paper_signals(rt.store, [h.paper_id for h in hits])
    return JSON({"id": paper.id, "method": method, "note": NOTES[method], "papers": _hits(request, hits, signals)})


@router.get("/papers/{paper_id:path}/bibtex", summary="A BibTeX entry for one paper",
            responses={200: {"content": {"application/x-bibtex": {"schema": {"type": "string"}}},
                             "description": "The entry"}})
def paper_bibtex(rt: RT, paper_id: str) -> Response:
    paper = _get(rt, split_version(paper_id)[0])
    return PlainTextResponse(bibtex(paper), media_type="application/x-bibtex; charset=utf-8")


@router.get("/papers/{paper_id:path}", summary="One paper by arXiv id",
            responses={200: {"model": m.PaperOut}, 308: {"description": "A versioned id: see the bare id"}})
def get_paper(request: Request, paper_id: str, rt: RT) -> Response:
    bare, version = split_version(paper_id)
    if version:
        return RedirectResponse(f"/api/v1/papers/{bare}", status_code=308)
    paper = _get(rt, bare)
    return JSON(paper_json(paper, paper_signals(rt.store, [paper.id])[paper.id], _base(request)))


@router.get("/search", summary="Search papers", dependencies=[AnonymousLimit],
            responses={200: {"model": m.SearchOut}, 429: {"model": m.ErrorOut, "description": "Too many anonymous "
                                                                   "searches from this address; see Retry-After"}})
def search_papers(
    request: Request,
    rt: RT,
    q: Annotated[str, Query(max_length=4000, description='Query text with the search syntax: "phrase", -word, '
                            "author:name, cat:cs.CL, after:2025-06, before:2026, has:code")] = "",
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size (at most the server's search_max_limit, "
                                "100 by default).")] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    sort: Annotated[SearchSort, Query(description="relevance, newest, or trending: the most relevant matches "
                                      "in this month's trending order (see order_note)")] = "relevance",
    mode: Annotated[str, Query(description=f"Retrieval mode: {', '.join(MODES)}")] = MODES[0],
    cat: Annotated[list[CategoryCode] | None, Query(max_length=MAX_CATEGORIES, description="Categories (any of "
                                                    f"them), repeatable, at most {MAX_CATEGORIES}.")] = None,
    after: Annotated[date | None, Query(description="Announced on or after this day.")] = None,
    before: Annotated[date | None, Query(description="Announced strictly before this day.")] = None,
    has_code: Annotated[bool | None, Query(description="Only papers with (or without) known code.")] = None,
    highlight: Annotated[bool, Query(description="Add HTML highlights of the matches.")] = False,
) -> Response:
    try:
        results = search(rt.store, rt.indexes, SearchRequest(
            q, limit=limit, offset=offset, mode=mode, sort=ENGINE_SORT[sort], categories=[c for c in cat or [] if c],
            after=after, before=before, has_code=has_code, highlight=highlight), rt.search_policy)
    except SearchError as exc:
        raise HTTPException(422, str(exc)) from None
    signals = paper_signals(rt.store, [h.paper_id for h in results.hits])
    return JSON({"query": results.query, "mode": results.mode, "sort": sort, "order": ENGINE_SORT[sort],
                 "order_note": SORT_NOTES.get(sort), **_links(request, results.total, offset, limit),
                 "total_exact": results.total_exact,
                 "identified": results.identified, "unknown_id": results.unknown_id,
                 "results": _hits(request, results.hits, signals)})


def _period(rt: Runtime, request: Request, kind: Kind, key: str | None, cat: str | None, limit: int,
            offset: int) -> JSON:
    if key:
        try:
            period = parse_period(kind, key)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from None
    else:
        latest = rt.store.papers.latest_day()
        if latest is None:
            empty = Listing([], 0, offset, limit, "newest", "Newest first.", category=cat)
            return _listing(request, empty, kind, None)
        period = containing(kind, latest)
    return _listing(request, list_period(rt.store, period, cat, limit, offset), kind, period.key)


@router.get("/daily", summary="Papers announced on one day", responses={200: {"model": m.ListingOut}})
def daily(request: Request, rt: RT,
          day: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD; default the newest day")] = None,
          category: CategoryParam = None, limit: Limit = 100, offset: Offset = 0) -> Response:
    return _period(rt, request, "day", day, category, limit, offset)


@router.get("/weekly", summary="Papers announced in one ISO week", responses={200: {"model": m.ListingOut}})
def weekly(request: Request, rt: RT,
           week: WeekParam = None,
           category: CategoryParam = None, limit: Limit = 100, offset: Offset = 0) -> Response:
    return _period(rt, request, "week", week, category, limit, offset)


@router.get("/monthly", summary="Papers announced in one month", responses={200: {"model": m.ListingOut}})
def monthly(request: Request, rt: RT,
            month: Annotated[str | None, Query(description="YYYY-MM, e.g. 2026-05; default the newest")] = None,
            category: CategoryParam = None, limit: Limit = 100, offset: Offset = 0) -> Response:
    return _period(rt, request, "month", month, category, limit, offset)


@router.get("/trending", summary="Trending papers of the last day, week or month, in rank order",
            responses={200: {"model": m.ListingOut}})
def trending(request: Request, rt: RT,
             period: Annotated[Literal["day", "today", "week", "month"], Query(
                 description="The stored ranking of the last 24 hours, 7 days or 30 days (newest papers of "
                             "the window ending on the newest announcement day if it was never computed); "
                             "``today`` is another name of ``day``")] = "day",
             category: CategoryParam = None, limit: Limit = 50, offset: Offset = 0) -> Response:
    return _listing(request, list_trending(rt.store, window_name(period), category, limit, offset), "trending",
                    period)


@router.get("/categories", summary="Every category with papers, most papers first",
            responses={200: {"model": m.CategoriesOut}})
def categories(rt: RT) -> Response:
    rows = []
    for code, n in rt.store.papers.category_counts().items():
        info = category(code)
        rows.append({"id": code, "name": info.name, "archive": info.archive, "archive_name": info.archive_name,
                     "papers": n})
    return JSON({"total": len(rows), "categories": rows})


@router.get("/categories/{code}", summary="The newest papers of one category",
            responses={200: {"model": m.ListingOut}})
def category_papers(request: Request, rt: RT, code: str, limit: Limit = 50, offset: Offset = 0) -> Response:
    listing = list_category(rt.store, code, limit, offset)
    if listing.total == 0 and not category(code).known:
        raise HTTPException(404, f"no category {code!r}")
    return _listing(request, listing, "category", code)
