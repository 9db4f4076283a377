"""Community pages and API: upvotes, saves, submissions, libraries, public profiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from paperwire.community import service as community
from paperwire.community.service import CommunityError, SubmitLimited
from paperwire.models import FetchRequest, Paper
from paperwire.web.api_models import PERSONAL_ERRORS
from paperwire.web.auth import CheckedUserDep, SignedInDep, Visitor, VisitorDep, page, runtime_of, safe_next
from paperwire.web.deps import paper_json

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["community"], responses=PERSONAL_ERRORS)
PAGE = 25
Page = Annotated[int, Query(ge=1, le=400)]


def _papers(request: Request, ids: Sequence[str]) -> list[Paper]:
    found = runtime_of(request).store.papers.get_papers(ids)
    return [found[i] for i in ids if i in found]


def _list_page(request: Request, who: Visitor, papers: list[Paper], **context: Any) -> Response:
    marks = community.paper_community(runtime_of(request).store, [p.id for p in papers], who.user)
    return page(request, who, "community/papers.html", papers=papers, community=marks,
                next=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""), **context)


# -- buttons (forms) -----------------------------------------------------------------------------------
def _toggle(request: Request, who: Visitor, paper_id: str, on: str, next: str, action: str) -> Response:
    assert who.user is not None
    store = runtime_of(request).store
    try:
        if action == "upvote":
            community.upvote(store, who.user, paper_id, on != "0")
        else:
            community.save(store, who.user, paper_id, on != "0")
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse(safe_next(next, f"/paper/{paper_id}"), status_code=303)


@router.post("/upvote/{paper_id:path}")
def upvote_form(request: Request, who: CheckedUserDep, paper_id: str, on: Annotated[str, Form()] = "1",
                next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _toggle(request, who, paper_id, on, next, "upvote")


@router.post("/save/{paper_id:path}")
def save_form(request: Request, who: CheckedUserDep, paper_id: str, on: Annotated[str, Form()] = "1",
              next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _toggle(request, who, paper_id, on, next, "save")


# -- submissions -----------------------------------------------------------------------------------------
def _submit_page(request: Request, who: Visitor, status_code: int = 200, **context: Any) -> Response:
    store = runtime_of(request).store
    # the member's recent submissions of papers we did not have: being fetched, arrived, or not found
    waiting = store.fetches.waiting_for(who.user.id, community.SUBMIT, limit=10) if who.user else []
    return page(request, who, "community/submit.html", status_code=status_code, title="Submit a paper",
                waiting=waiting, **context)


@router.get("/submit")
def submit_form(request: Request, who: SignedInDep) -> Response:
    return _submit_page(request, who)


@router.post("/submit")
def submit(request: Request, who: CheckedUserDep, paper: Annotated[str, Form(max_length=300)]) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    try:
        outcome = community.submit(rt.store, rt.settings, who.user, paper)
    except SubmitLimited as exc:
        response = _submit_page(request, who, exc.status, error=str(exc), paper_ref=paper)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except CommunityError as exc:
        return _submit_page(request, who, exc.status, error=str(exc), paper_ref=paper)
    if outcome.paper is None:  # queued: the worker fetches it, then records the submission
        return _submit_page(request, who, 202, fetching=outcome.paper_id)
    assert outcome.submission is not None
    notice = ("Submitted. Thank you!" if outcome.created else
              f"Already submitted by {outcome.submission.handle}: we counted your upvote.")
    marks = community.paper_community(rt.store, [outcome.paper.id], who.user)
    return _submit_page(request, who, notice=notice, submitted=outcome.paper, community=marks,
                        next=f"/paper/{outcome.paper.id}")


@router.get("/submissions")
def submissions(request: Request, who: VisitorDep, page_number: Annotated[int, Query(alias="page", ge=1, le=400)] = 1
                ) -> Response:
    subs = runtime_of(request).store.community.list_submissions(limit=PAGE + 1, offset=(page_number - 1) * PAGE)
    papers = _papers(request, [s.paper_id for s in subs[:PAGE]])
    more = f"/submissions?page={page_number + 1}" if len(subs) > PAGE else None
    return _list_page(request, who, papers, title="Submitted by the community", more=more,
                      intro="Papers members submitted, newest first. Submit one at /submit.",
                      empty="Nothing submitted yet.")


# -- libraries and profiles ------------------------------------------------------------------------------
# /library itself (folders, notes, import, export) is in routes/library.py
@router.get("/u/{handle}")
def profile(request: Request, who: VisitorDep, handle: str) -> Response:
    store = runtime_of(request).store
    owner = store.accounts.get_user_by_handle(handle)
    if owner is None or owner.disabled:
        raise HTTPException(404, f"There is nobody called {handle!r} here.")
    submitted = _papers(request, [s.paper_id for s in store.community.list_submissions(limit=50, user_id=owner.id)])
    mine = who.user is not None and who.user.id == owner.id
    library = (_papers(request, [pid for pid, _ in store.community.library(owner.id, limit=50)])
               if owner.library_public or mine else None)
    marks = community.paper_community(store, [p.id for p in submitted + (library or [])], who.user)
    folders = [f for f in store.library.folders(owner.id) if f.public]
    return page(request, who, "community/profile.html", title=owner.handle, owner=owner, submitted=submitted,
                library=library, community=marks, folders=folders, next=f"/u/{owner.handle}")


# -- JSON API ------------------------------------------------------------------------------------------------
class SubmitBody(BaseModel):
    """A paper to submit: an arXiv id or link."""

    paper: str = Field(min_length=1, max_length=300, examples=["2501.00001", "https://arxiv.org/abs/2501.00001"])


def _api_toggle(request: Request, who: Visitor, paper_id: str, on: bool, action: str) -> dict[str, Any]:
    assert who.user is not None
    store = runtime_of(request).store
    try:
        if action == "upvote":
            community.upvote(store, who.user, paper_id, on)
        else:
            community.save(store, who.user, paper_id, on)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    state = community.paper_community(store, [paper_id], who.user)[paper_id]
    return {"paper": paper_id, "upvotes": state.upvotes, "upvoted": state.upvoted, "saved": state.saved}


@api.put("/upvotes/{paper_id:path}", summary="Upvote a paper (idempotent)")
def api_upvote(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _api_toggle(request, who, paper_id, True, "upvote")


@api.delete("/upvotes/{paper_id:path}", summary="Take back an upvote (idempotent)")
def api_unupvote(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _api_toggle(request, who, paper_id, False, "upvote")


@api.put("/library/{paper_id:path}", summary="Save a paper to your library")
def api_save(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _api_toggle(request, who, paper_id, True, "save")


@api.delete("/library/{paper_id:path}", summary="Remove a paper from your library")
def api_unsave(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _api_toggle(request, who, paper_id, False, "save")


@api.get("/library", summary="Your saved papers, newest first")
def api_library(request: Request, who: SignedInDep, response: Response,
                limit: Annotated[int, Query(ge=1, le=100)] = 50,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # unbounded, 2**63 overflowed the database
                ) -> dict[str, Any]:
    assert who.user is not None
    response.headers["Cache-Control"] = "no-store"
    store = runtime_of(request).store
    rows = store.community.library(who.user.id, limit=limit, offset=offset)
    papers = store.papers.get_papers([pid for pid, _ in rows])
    return {"total": store.community.count_library(who.user.id), "offset": offset, "limit": limit,
            "papers": [{**paper_json(papers[pid]), "saved_at": at.isoformat()} for pid, at in rows if pid in papers]}


SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Submitted before (by someone else, or by you): your upvote is counted"},
    202: {"description": "Not stored yet: queued for fetching from arXiv; poll `poll` until `state` is `done`"},
    429: {"description": "Too many submissions this hour (`Retry-After` says how long to wait)"},
}


def fetch_json(fetch: FetchRequest) -> dict[str, Any]:
    """A fetch request as the API shows it (never its error text: that names our upstreams)."""
    done = fetch.state == "done"
    return {"paper_id": fetch.paper_id, "state": fetch.state, "attempts": fetch.attempts,
            "requested_at": fetch.created_at.isoformat(), "updated_at": fetch.updated_at.isoformat(),
            "poll": f"/api/v1/fetches/{fetch.paper_id}",
            "paper_url": f"/paper/{fetch.paper_id}" if done else None,
            "api_url": f"/api/v1/papers/{fetch.paper_id}" if done else None}


@api.post("/submissions", summary="Submit a paper by arXiv id or link", status_code=201, responses=SUBMIT_RESPONSES)
def api_submit(request: Request, who: CheckedUserDep, body: SubmitBody, response: Response) -> dict[str, Any]:
    assert who.user is not None
    rt = runtime_of(request)
    try:
        outcome = community.submit(rt.store, rt.settings, who.user, body.paper)
    except SubmitLimited as exc:
        raise HTTPException(exc.status, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    if outcome.paper is None:
        assert outcome.fetch is not None
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/fetches/{outcome.paper_id}"
        return {"paper_id": outcome.paper_id, "state": outcome.fetch.state, "fetch": fetch_json(outcome.fetch)}
    assert outcome.submission is not None
    if not outcome.created:
        response.status_code = 200
    return {"paper_id": outcome.paper_id, "state": "submitted", "paper": paper_json(outcome.paper),
            "submitted_by": outcome.submission.handle, "created": outcome.created}


@api.get("/fetches/{paper_id:path}", summary="Where the fetch of a requested arXiv id stands")
def api_fetch(request: Request, who: SignedInDep, response: Response, paper_id: str) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    fetch = runtime_of(request).store.fetches.get(paper_id)
    if fetch is None:
        raise HTTPException(404, f"Nobody asked for {paper_id!r} to be fetched.")
    return fetch_json(fetch)


@api.get("/submissions", summary="Papers submitted by the community, newest first")
def api_submissions(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 50,
                    offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> dict[str, Any]:
    store = runtime_of(request).store
    subs = store.community.list_submissions(limit=limit, offset=offset)
    papers = store.papers.get_papers([s.paper_id for s in subs])
    counts = store.community.upvote_counts([s.paper_id for s in subs])
    return {"offset": offset, "limit": limit, "submissions": [
        {"paper": paper_json(papers[s.paper_id]), "submitted_by": s.handle, "submitted_at": s.submitted_at.isoformat(),
         "upvotes": counts.get(s.paper_id, 0)} for s in subs if s.paper_id in papers]}


@api.get("/community", summary="Upvotes and submitters of papers (and your own marks when signed in)")
def api_community(request: Request, who: VisitorDep, response: Response,
                  ids: Annotated[str, Query(max_length=5000, description="Comma-separated arXiv ids")]
                  ) -> dict[str, Any]:
    # no paper id has control characters (and PostgreSQL refuses NUL in text): drop such ids
    wanted = [i for i in dict.fromkeys(x.strip() for x in ids.split(",")) if i and i.isprintable()][:200]
    state = community.paper_community(runtime_of(request).store, wanted, who.user)
    if who.user is not None:
        response.headers["Cache-Control"] = "no-store"
    return {pid: {"upvotes": c.upvotes, "submitted_by": c.submitted_by,
                  **({"upvoted": c.upvoted, "saved": c.saved} if who.user else {})} for pid, c in state.items()}

