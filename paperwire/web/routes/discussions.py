"""Discussions: the forms under every paper (comment, reply, edit, delete, upvote, report), the
moderators' page, the reply-email switch, and the JSON API ``/api/v1/papers/{id}/comments`` and
``/api/v1/comments/{id}``. Every route is a few lines over ``community.discussions``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperwire.community import discussions as service
from paperwire.community.discussions import CommentLimited
from paperwire.community.service import CommunityError
from paperwire.models import COMMENT_MAX, REPORT_REASON_MAX, Comment
from paperwire.web.api_models import PERSONAL_ERRORS
from paperwire.web.auth import (
    CheckedUserDep,
    SignedInDep,
    Visitor,
    VisitorDep,
    mail_soon,
    page,
    runtime_of,
    safe_next,
)
from paperwire.web.discussions import comment_json, discussion

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["discussions"], responses=PERSONAL_ERRORS)
CommentId = Annotated[int, Path(ge=1, le=2**53, description="The comment's id")]
Body = Annotated[str, Form(max_length=COMMENT_MAX * 2)]  # refused past COMMENT_MAX with a clear message
Reason = Annotated[str, Form(max_length=REPORT_REASON_MAX * 2)]


def _anchor(comment: Comment) -> str:
    return f"/paper/{comment.paper_id}#comment-{comment.id}"


def _form_page(request: Request, who: Visitor, action: str, status_code: int = 200, **context: Any) -> Response:
    """The page of one form about a comment (reply, edit, report), or a refused new comment shown again."""
    titles = {"reply": "Reply", "edit": "Edit your comment", "report": "Report a comment", "comment": "Add a comment"}
    return page(request, who, "community/discussion_form.html", status_code=status_code, title=titles[action],
                action=action, **context)


def _refused(request: Request, who: Visitor, exc: CommunityError, action: str, **context: Any) -> Response:
    response = _form_page(request, who, action, exc.status, error=str(exc), **context)
    if isinstance(exc, CommentLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _visible(request: Request, who: Visitor, comment_id: int) -> Comment:
    try:
        return service.get_comment(runtime_of(request).store, comment_id, who.user)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None


# -- forms -------------------------------------------------------------------------------------------------
@router.post("/comments")
def comment_form(request: Request, who: CheckedUserDep, paper: Annotated[str, Form(max_length=100)],
                 body: Body) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    try:
        posted = service.post(rt.store, rt.settings, who.user, paper, body)
    except CommunityError as exc:
        return _refused(request, who, exc, "comment", paper_id=paper, body=body)
    mail_soon(request, posted.mail_keys)
    return RedirectResponse(_anchor(posted.comment), status_code=303)


@router.get("/comments/{comment_id}")
def comment_link(request: Request, who: VisitorDep, comment_id: CommentId) -> Response:
    return RedirectResponse(_anchor(_visible(request, who, comment_id)), status_code=303)


@router.get("/comments/{comment_id}/reply")
def reply_page(request: Request, who: SignedInDep, comment_id: CommentId) -> Response:
    return _form_page(request, who, "reply", comment=_visible(request, who, comment_id))


@router.post("/comments/{comment_id}/reply")
def reply_form(request: Request, who: CheckedUserDep, comment_id: CommentId, body: Body) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    parent = _visible(request, who, comment_id)
    try:
        posted = service.post(rt.store, rt.settings, who.user, parent.paper_id, body, reply_to=parent.id)
    except CommunityError as exc:
        return _refused(request, who, exc, "reply", comment=parent, body=body)
    mail_soon(request, posted.mail_keys)
    return RedirectResponse(_anchor(posted.comment), status_code=303)


@router.get("/comments/{comment_id}/edit")
def edit_page(request: Request, who: SignedInDep, comment_id: CommentId) -> Response:
    comment = _visible(request, who, comment_id)
    return _form_page(request, who, "edit", comment=comment, body=comment.body)


@router.post("/comments/{comment_id}/edit")
def edit_form(request: Request, who: CheckedUserDep, comment_id: CommentId, body: Body) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    try:
        comment = service.edit(rt.store, rt.settings, who.user, comment_id, body)
    except CommunityError as exc:
        return _refused(request, who, exc, "edit", comment=_visible(request, who, comment_id), body=body)
    return RedirectResponse(_anchor(comment), status_code=303)


@router.post("/comments/{comment_id}/delete")
def delete_form(request: Request, who: CheckedUserDep, comment_id: CommentId) -> Response:
    assert who.user is not None
    try:
        comment = service.delete(runtime_of(request).store, who.user, comment_id)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse(f"/paper/{comment.paper_id}#discussion", status_code=303)


@router.post("/comments/{comment_id}/vote")
def vote_form(request: Request, who: CheckedUserDep, comment_id: CommentId,
              on: Annotated[str, Form(max_length=1)] = "1") -> Response:
    assert who.user is not None
    try:
        comment = service.vote(runtime_of(request).store, who.user, comment_id, on != "0")
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse(_anchor(comment), status_code=303)


@router.get("/comments/{comment_id}/report")
def report_page(request: Request, who: SignedInDep, comment_id: CommentId) -> Response:
    return _form_page(request, who, "report", comment=_visible(request, who, comment_id))


@router.post("/comments/{comment_id}/report")
def report_form(request: Request, who: CheckedUserDep, comment_id: CommentId, reason: Reason) -> Response:
    assert who.user is not None
    comment = _visible(request, who, comment_id)
    try:
        service.report(runtime_of(request).store, who.user, comment_id, reason)
    except CommunityError as exc:
        return _refused(request, who, exc, "report", comment=comment, reason=reason)
    return _form_page(request, who, "report", comment=comment, reported=True,
                      notice="Thank you: the moderators will look at it.")


# -- reply emails ----------------------------------------------------------------------------------------------
@router.post("/comments/replies")
def reply_emails_form(request: Request, who: CheckedUserDep, on: Annotated[str, Form(max_length=1)] = "1",
                      next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    assert who.user is not None
    service.set_reply_emails(runtime_of(request).store, who.user, on != "0")
    return RedirectResponse(safe_next(next, "/account"), status_code=303)


@router.get("/comments/replies/off")
def replies_off_page(request: Request, who: VisitorDep, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Shows a button only: a link scanner following the email's link turns nothing off."""
    user_id = service.read_opt_out_token(runtime_of(request).secret_key, token)
    return page(request, who, "community/discussion_off.html", status_code=200 if user_id else 400,
                title="Stop reply emails", forms=False, token=token, valid=user_id is not None)


@router.post("/comments/replies/off")
async def replies_off(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """RFC 8058 one-click: no cookies, no CSRF token; the signed token decides."""
    rt = runtime_of(request)
    user_id = service.read_opt_out_token(rt.secret_key, token)
    who = Visitor(secret=rt.secret_key)  # deliberately anonymous: cookies are not read
    if user_id is not None:
        await run_in_threadpool(rt.store.discussions.set_reply_emails, user_id, False)
    return page(request, who, "community/discussion_off.html", status_code=200 if user_id else 400,
                title="Reply emails off", forms=False, token=token, valid=user_id is not None, done=True)


# -- moderation ------------------------------------------------------------------------------------------------
def _moderator(who: Visitor) -> None:
    if not service.is_moderator(who.user):
        raise HTTPException(403, "Only moderators may see this page.")


@router.get("/moderation/comments")
def moderation_page(request: Request, who: SignedInDep) -> Response:
    _moderator(who)
    queue = service.moderation_queue(runtime_of(request).store)
    return page(request, who, "community/discussion_moderation.html", title="Comments to moderate", queue=queue)


@router.post("/moderation/comments/{comment_id}/{action}")
def moderate_form(request: Request, who: CheckedUserDep, comment_id: CommentId, action: str,
                  reason: Annotated[str, Form(max_length=REPORT_REASON_MAX * 2)] = "",
                  next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    _moderator(who)
    if action not in ("hide", "show"):
        raise HTTPException(404, "Moderators hide or show a comment.")
    rt = runtime_of(request)
    try:
        keys = service.moderate(rt.store, rt.settings, comment_id, action == "hide", reason)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    mail_soon(request, keys)
    return RedirectResponse(safe_next(next, "/moderation/comments"), status_code=303)


# -- JSON API -------------------------------------------------------------------------------------------------
class CommentBody(BaseModel):
    """A comment's text: Markdown with math (``$…$``, ``$$…$$``, ``\\(…\\)``); no raw HTML."""

    body: str = Field(min_length=1, max_length=COMMENT_MAX, examples=["Is the code for $\\alpha > 1$ released?"])


class NewComment(CommentBody):
    reply_to: int | None = Field(None, ge=1, le=2**53, description="Reply to this comment (same paper).")


class ReportBody(BaseModel):
    reason: str = Field(min_length=1, max_length=REPORT_REASON_MAX, examples=["Spam"])


def _api(exc: CommunityError) -> HTTPException:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, CommentLimited) else None
    return HTTPException(exc.status, str(exc), headers=headers)


def _api_post(request: Request, who: Visitor, paper_id: str, body: str, reply_to: int | None) -> dict[str, Any]:
    assert who.user is not None
    rt = runtime_of(request)
    try:
        posted = service.post(rt.store, rt.settings, who.user, paper_id, body, reply_to=reply_to)
    except CommunityError as exc:
        raise _api(exc) from None
    mail_soon(request, posted.mail_keys)
    return comment_json(posted.comment, who.user)


@api.get("/papers/{paper_id:path}/comments", summary="A paper's discussion: comments with their replies")
def api_comments(request: Request, who: VisitorDep, response: Response, paper_id: str,
                 limit: Annotated[int, Query(ge=1, le=100)] = 50,
                 offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> dict[str, Any]:
    rt = runtime_of(request)
    paper = rt.store.papers.get_paper(paper_id)
    if paper is None:
        raise HTTPException(404, f"There is no paper {paper_id!r} here.")
    if who.user is not None:
        response.headers["Cache-Control"] = "no-store"
    shown = discussion(rt.store, rt.settings, paper.id, who.user)
    return {"paper_id": paper.id, "count": shown.count, "total": len(shown.comments), "offset": offset,
            "limit": limit, "comments": [comment_json(c, who.user) for c in shown.comments[offset:offset + limit]]}


@api.post("/papers/{paper_id:path}/comments", summary="Comment on a paper (or reply with `reply_to`)",
          status_code=201)
def api_post_comment(request: Request, who: CheckedUserDep, paper_id: str, body: NewComment) -> dict[str, Any]:
    return _api_post(request, who, paper_id, body.body, body.reply_to)


@api.get("/comments/{comment_id}", summary="One comment")
def api_comment(request: Request, who: VisitorDep, comment_id: CommentId) -> dict[str, Any]:
    return comment_json(_visible(request, who, comment_id), who.user)


@api.post("/comments/{comment_id}/replies", summary="Reply to a comment", status_code=201)
def api_reply(request: Request, who: CheckedUserDep, comment_id: CommentId, body: CommentBody) -> dict[str, Any]:
    parent = _visible(request, who, comment_id)
    return _api_post(request, who, parent.paper_id, body.body, parent.id)


@api.patch("/comments/{comment_id}", summary="Edit your comment (within the edit window)")
def api_edit(request: Request, who: CheckedUserDep, comment_id: CommentId, body: CommentBody) -> dict[str, Any]:
    assert who.user is not None
    rt = runtime_of(request)
    try:
        return comment_json(service.edit(rt.store, rt.settings, who.user, comment_id, body.body), who.user)
    except CommunityError as exc:
        raise _api(exc) from None


@api.delete("/comments/{comment_id}", summary="Delete your comment (its replies stay)")
def api_delete(request: Request, who: CheckedUserDep, comment_id: CommentId) -> dict[str, Any]:
    assert who.user is not None
    try:
        return comment_json(service.delete(runtime_of(request).store, who.user, comment_id), who.user)
    except CommunityError as exc:
        raise _api(exc) from None


def _api_vote(request: Request, who: Visitor, comment_id: int, on: bool) -> dict[str, Any]:
    assert who.user is not None
    try:
        return comment_json(service.vote(runtime_of(request).store, who.user, comment_id, on), who.user)
    except CommunityError as exc:
        raise _api(exc) from None


@api.put("/comments/{comment_id}/vote", summary="Upvote a comment (idempotent)")
def api_vote(request: Request, who: CheckedUserDep, comment_id: CommentId) -> dict[str, Any]:
    return _api_vote(request, who, comment_id, True)


@api.delete("/comments/{comment_id}/vote", summary="Take back an upvote of a comment (idempotent)")
def api_unvote(request: Request, who: CheckedUserDep, comment_id: CommentId) -> dict[str, Any]:
    return _api_vote(request, who, comment_id, False)


@api.post("/comments/{comment_id}/reports", summary="Report a comment to the moderators", status_code=201)
def api_report(request: Request, who: CheckedUserDep, comment_id: CommentId, body: ReportBody) -> dict[str, Any]:
    assert who.user is not None
    try:
        created = service.report(runtime_of(request).store, who.user, comment_id, body.reason)
    except CommunityError as exc:
        raise _api(exc) from None
    return {"comment_id": comment_id, "reported": True, "new": created}
