"""The Hugging Face–compatible papers API: what ``huggingface_hub.HfApi(endpoint=…)`` calls.

``list_daily_papers`` → ``GET /api/daily_papers`` (``date``, ``week``, ``month``,
``submitter``, ``sort``, ``p``, ``limit``); ``paper_info`` → ``GET /api/papers/{id}``;
``list_papers`` → ``GET /api/papers/search`` (``q``, ``limit``). Errors are HF's
shape, ``{"error": "…"}`` (``errors.respond`` picks it by path), which the client turns into its
own exceptions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from paperwire.models import Paper, split_version
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.web.deps import JSON, runtime
from paperwire.web.hf import hf_daily_item, hf_paper
from paperwire.web.limits import AnonymousLimit
from paperwire.web.listings import list_period, list_trending
from paperwire.web.paper_signals import paper_signals
from paperwire.web.periods import Kind, ListingPeriod, PeriodError, containing, parse_period

router = APIRouter(prefix="/api", tags=["Hugging Face compatible"])
RT = Annotated[Runtime, Depends(runtime)]
HF_MAX_LIMIT = 100
SUBMITTER_SCAN = 2000  # a member's submissions read to filter by period


class HFAuthor(BaseModel):
    name: str
    hidden: bool


class HFPaper(BaseModel):
    """The paper object; field names are HF's (camelCase)."""

    model_config = ConfigDict(extra="allow")
    id: str
    authors: list[HFAuthor]
    title: str
    summary: str
    upvotes: int
    githubRepo: str | None
    githubStars: int | None
    publishedAt: str | None = None
    submittedOnDailyAt: str | None = None


class HFItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    paper: HFPaper
    title: str
    summary: str
    numComments: int
    isAuthorParticipating: bool
    publishedAt: str | None = None


class HFError(BaseModel):
    error: str = Field(description="What went wrong.")


HF_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": HFError, "description": "Not found"}, 422: {"model": HFError, "description": "Invalid parameters"},
}


def _items(rt: Runtime, papers: list[Paper]) -> list[dict[str, Any]]:
    signals = paper_signals(rt.store, [p.id for p in papers])
    return [hf_daily_item(p, signals[p.id]) for p in papers]


def _period(rt: Runtime, date: str | None, week: str | None, month: str | None) -> ListingPeriod | None:
    asked: tuple[tuple[Kind, str | None], ...] = (("day", date), ("week", week), ("month", month))
    given = [(kind, value) for kind, value in asked if value]
    if len(given) > 1:
        raise HTTPException(422, "give at most one of date, week and month")
    if given:
        try:
            return parse_period(*given[0])
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from None
    latest = rt.store.papers.latest_day()
    return containing("day", latest) if latest else None


def _submitted_by(rt: Runtime, handle: str, period: ListingPeriod | None, limit: int, offset: int) -> list[Paper]:
    """Papers a member submitted (newest submission first), announced in ``period`` when one is given."""
    user = rt.store.accounts.get_user_by_handle(handle)
    if user is None or user.disabled:
        return []
    subs = rt.store.community.list_submissions(limit=SUBMITTER_SCAN, user_id=user.id)
    found = rt.store.papers.get_papers([s.paper_id for s in subs])
    papers = [found[s.paper_id] for s in subs if s.paper_id in found]
    if period is not None:
        papers = [p for p in papers if p.announced and period.start <= p.announced <= period.end]
    return papers[offset:offset + limit]


@router.get("/daily_papers", summary="Daily papers, as Hugging Face lists them",
            responses={200: {"model": list[HFItem]}, **HF_ERRORS})
def daily_papers(
    rt: RT,
    date: Annotated[str | None, Query(description="YYYY-MM-DD; default the newest day")] = None,
    week: Annotated[str | None, Query(description="ISO week YYYY-Www, e.g. 2026-W20")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM, e.g. 2026-05")] = None,
    submitter: Annotated[str | None, Query(max_length=60, description="Handle of the member who submitted the "
                                           "papers on this site, newest submission first")] = None,
    sort: Annotated[Literal["publishedAt", "trending"], Query(
        description="publishedAt: newest first; trending (without date, week or month): the stored ranking "
                    "of the last 24 hours, by rank")] = "publishedAt",
    p: Annotated[int, Query(ge=0, le=10_000, description="Page number, from 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=HF_MAX_LIMIT)] = 50,
) -> Response:
    period = _period(rt, date, week, month)
    offset = p * limit
    if submitter:
        return JSON(_items(rt, _submitted_by(rt, submitter, period if (date or week or month) else None, limit,
                                             offset)))
    if period is None:
        return JSON([])
    if sort == "trending" and not (date or week or month):
        listing = list_trending(rt.store, "day", None, limit, offset)
    else:
        listing = list_period(rt.store, period, None, limit, offset)
    return JSON(_items(rt, listing.papers))


@router.get("/papers/search", summary="Search papers, as Hugging Face does", dependencies=[AnonymousLimit],
            responses={200: {"model": list[HFItem]}, **HF_ERRORS,
                       429: {"model": HFError, "description": "Too many anonymous searches; see Retry-After"}})
def search_papers(
    rt: RT,
    q: Annotated[str, Query(max_length=1000, description="Search text (the query syntax works too)")] = "",
    limit: Annotated[int, Query(ge=1, le=HF_MAX_LIMIT)] = 50,
) -> Response:
    if not q.strip():  # HF lists recent papers when there is no query
        latest = rt.store.papers.latest_day()
        return JSON(_items(rt, rt.store.papers.list_papers(end=latest, limit=limit) if latest else []))
    try:
        results = search(rt.store, rt.indexes, SearchRequest(q, limit=min(limit, rt.settings.search_max_limit)),
                         rt.search_policy)
    except SearchError as exc:
        raise HTTPException(422, str(exc)) from None
    return JSON(_items(rt, [h.paper for h in results.hits if h.paper]))


@router.get("/papers/{paper_id:path}", summary="One paper, as Hugging Face shows it",
            responses={200: {"model": HFPaper}, **HF_ERRORS})
def paper_info(rt: RT, paper_id: str) -> Response:
    paper = rt.store.papers.get_paper(split_version(paper_id)[0])
    if paper is None:
        raise HTTPException(404, "Paper not found")
    return JSON(hf_paper(paper, paper_signals(rt.store, [paper.id])[paper.id]))
