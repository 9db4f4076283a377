"""The first-run page of "For you" (``/for-you/start``): choose five papers you like (search and "I like
this"), or say which author you are, then rate twenty candidates the fresh model ranks. Plain forms that
redirect back to the step they came from, so it works without JavaScript."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.community import onboarding, preferences
from paperwire.community.service import CommunityError, paper_community
from paperwire.recommend import service
from paperwire.web.auth import CheckedUserDep, SignedInDep, Visitor, page, runtime_of

router = APIRouter(include_in_schema=False)
START = "/for-you/start"
CANDIDATES = 20
CANDIDATE_WINDOW = "month"
"""Candidates come from the newest month of announcements: enough papers to find twenty worth rating."""
Text = Annotated[str, Form(max_length=300)]
Q = Annotated[str, Query(max_length=300)]


def _back(anchor: str, **params: str) -> Response:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{START}{'?' + query if query else ''}#{anchor}", status_code=303)


def _start_page(request: Request, who: Visitor, q: str = "", name: str = "", status_code: int = 200,
                **context: Any) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    progress = onboarding.progress(rt.store, who.user)
    results, authors, problems = [], [], []
    try:
        results = onboarding.find_papers(rt, q)
    except CommunityError as exc:
        problems.append(str(exc))
    if name.strip():
        try:
            authors = onboarding.author_choices(rt, name)
        except CommunityError as exc:
            problems.append(str(exc))
    if problems and "error" not in context:
        context["error"], status_code = " ".join(problems), 422
    foryou = service.recommend(rt.store, rt.settings, who.user.id, CANDIDATE_WINDOW, limit=CANDIDATES) \
        if progress.ready else None
    chosen = rt.store.papers.get_papers(progress.chosen[:onboarding.ENOUGH])
    shown = [p.id for p in results] + ([i.paper.id for i in foryou.items] if foryou else [])
    here = f"{START}?{urlencode({k: v for k, v in (('q', q), ('name', name)) if v})}" if q or name else START
    return page(request, who, "onboarding/start.html", status_code=status_code, title="Start your For you page",
                progress=progress, goal=onboarding.GOAL, enough=onboarding.ENOUGH, query=q, name=name, results=results,
                authors=authors, foryou=foryou, chosen=[chosen[i] for i in progress.chosen if i in chosen],
                community=paper_community(rt.store, shown, who.user), here=here, **context)


@router.get(START)
def start(request: Request, who: SignedInDep, q: Q = "", name: Q = "",
          claimed: Annotated[int, Query(ge=0, le=10_000)] = -1) -> Response:
    context: dict[str, Any] = {}
    if claimed >= 0:
        context["notice"] = (f"Added {claimed} paper{'' if claimed == 1 else 's'} to your folder “My papers”, "
                             "and you follow that author now.")
    return _start_page(request, who, q, name, **context)


@router.post(START + "/like/{paper_id:path}")
def like(request: Request, who: CheckedUserDep, paper_id: str, on: Annotated[str, Form(max_length=1)] = "1",
         q: Text = "") -> Response:
    assert who.user is not None
    try:
        onboarding.like(runtime_of(request).store, who.user, paper_id, on != "0")
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return _back("step-1", q=q)


@router.post(START + "/mine")
def mine(request: Request, who: CheckedUserDep, name: Text) -> Response:
    assert who.user is not None
    try:
        added, _ = onboarding.claim_author(runtime_of(request), who.user, name)
    except CommunityError as exc:
        return _start_page(request, who, name=name, status_code=exc.status, error=str(exc))
    return _back("mine-h", claimed=str(len(added)))


@router.post(START + "/rate/{paper_id:path}")
def rate(request: Request, who: CheckedUserDep, paper_id: str, value: Annotated[str, Form(max_length=10)]) -> Response:
    assert who.user is not None
    try:
        preferences.thumb(runtime_of(request).store, who.user, paper_id, value)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return _back("step-2")
