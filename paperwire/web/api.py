"""The JSON API under /api/v1."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.models import split_version
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.web.deps import paper_json, runtime

router = APIRouter(prefix="/api/v1", tags=["papers"])
RT = Annotated[Runtime, Depends(runtime)]


@router.get("/papers/{paper_id:path}", summary="One paper by arXiv id")
def get_paper(paper_id: str, rt: RT) -> Any:
    bare, version = split_version(paper_id)
    if version:
        return RedirectResponse(f"/api/v1/papers/{bare}", status_code=308)
    paper = rt.store.get_paper(bare)
    if paper is None:
        raise HTTPException(404, f"no paper with id {paper_id!r}")
    return paper_json(paper)


@router.get("/search", summary="Search papers")
def search_papers(
    rt: RT,
    q: Annotated[str, Query(description="Query text with the search syntax")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    sort: Annotated[str, Query(pattern="^(relevance|newest)$")] = "relevance",
) -> Any:
    try:
        results = search(rt.store, rt.indexes, SearchRequest(q, limit=limit, offset=offset, sort=sort))
    except SearchError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        "query": results.query,
        "total": results.total,
        "offset": results.offset,
        "limit": results.limit,
        "results": [{**paper_json(h.paper), "score": h.score, "ranks": h.ranks} for h in results.hits if h.paper],
    }


@router.get("/daily", summary="Papers announced on one day")
def daily(
    rt: RT,
    response: Response,
    day: Annotated[date | None, Query(alias="date", description="YYYY-MM-DD; default the newest day")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    store = rt.store
    day = day or store.latest_day()
    if day is None:
        return {"date": None, "previous": None, "next": None, "total": 0, "papers": []}
    prev_day, next_day = store.announced_days(day)
    return {
        "date": day.isoformat(),
        "previous": prev_day.isoformat() if prev_day else None,
        "next": next_day.isoformat() if next_day else None,
        "total": store.count_papers(day, day),
        "offset": offset,
        "limit": limit,
        "papers": [paper_json(p) for p in store.list_papers(day, day, limit=limit, offset=offset)],
    }
