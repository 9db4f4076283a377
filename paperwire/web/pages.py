"""Server-rendered pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.models import split_version
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.web.deps import render, runtime

router = APIRouter(include_in_schema=False)
RT = Annotated[Runtime, Depends(runtime)]
PAGE_SIZE = 25


def _daily(request: Request, rt: RT, day: date | None, page: int) -> Response:
    store = rt.store
    day = day or store.latest_day()
    if day is None:
        return render(request, "daily.html", title="No papers yet", day=None, papers=[], total=0)
    prev_day, next_day = store.announced_days(day)
    total = store.count_papers(day, day)
    papers = store.list_papers(day, day, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "daily.html", title=f"Papers of {day:%A %d %B %Y}", day=day, papers=papers,
                  total=total, prev_day=prev_day, next_day=next_day, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)))


@router.get("/")
def home(request: Request, rt: RT, page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:
    return _daily(request, rt, None, page)


@router.get("/daily/{day}")
def daily(request: Request, rt: RT, day: date, page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:
    return _daily(request, rt, day, page)


@router.get("/search")
def search_page(
    request: Request,
    rt: RT,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=400)] = 1,
    sort: Annotated[str, Query(pattern="^(relevance|newest)$")] = "relevance",
) -> Response:
    context: dict[str, Any] = {"title": f"Search: {q}" if q.strip() else "Search", "q": q, "sort": sort, "page": page,
               "results": None, "error": None}
    if q.strip():
        try:
            context["results"] = search(rt.store, rt.indexes, SearchRequest(
                q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, sort=sort, highlight=True))
        except SearchError as exc:
            context["error"] = str(exc)
            return render(request, "search.html", status_code=422, **context)
    return render(request, "search.html", **context)


@router.get("/paper/{paper_id:path}")
def paper_page(request: Request, rt: RT, paper_id: str) -> Response:
    bare, version = split_version(paper_id)
    if version:
        return RedirectResponse(f"/paper/{bare}", status_code=308)
    paper = rt.store.get_paper(bare)
    if paper is None:
        raise HTTPException(404, f"There is no paper {paper_id!r} here.")
    return render(request, "paper.html", title=paper.title, paper=paper)


@router.get("/healthz")
def health(rt: RT) -> dict[str, object]:
    return {"ok": True, "papers": rt.store.max_seq() >= 0}
