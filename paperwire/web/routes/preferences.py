"""A member's private signals as forms: thumbs up or down, follows and mutes, and the "Your signals"
page that lists everything a recommender learns from, each with a button to take it back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.community import preferences
from paperwire.community.service import CommunityError
from paperwire.models import FOLLOW_KINDS, MUTE_KINDS, Paper
from paperwire.models.library import Stance
from paperwire.web.auth import CheckedUserDep, SignedInDep, Visitor, page, runtime_of, safe_next

router = APIRouter(include_in_schema=False)
Next = Annotated[str, Form(max_length=2000)]
SHOWN = 200  # papers per kind of signal on the page (the API has them all)


@router.post("/thumb/{paper_id:path}")
def thumb_form(request: Request, who: CheckedUserDep, paper_id: str, value: Annotated[str, Form(max_length=10)],
               next: Next = "") -> Response:
    assert who.user is not None
    try:
        preferences.thumb(runtime_of(request).store, who.user, paper_id, value)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse(safe_next(next, f"/paper/{paper_id}"), status_code=303)


def _preference(request: Request, who: Visitor, stance: Stance, kind: str, name: str, on: str, next: str) -> Response:
    assert who.user is not None
    try:
        preferences.set_preference(runtime_of(request).store, who.user, stance, kind, name, on != "0")
    except CommunityError as exc:
        if not next:
            return _signals_page(request, who, status_code=exc.status, error=str(exc))
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse(safe_next(next, "/account/signals"), status_code=303)


@router.post("/follow")
def follow_form(request: Request, who: CheckedUserDep, kind: Annotated[str, Form(max_length=20)],
                name: Annotated[str, Form(max_length=300)], on: Annotated[str, Form()] = "1", next: Next = ""
                ) -> Response:
    return _preference(request, who, "follow", kind, name, on, next)


@router.post("/mute")
def mute_form(request: Request, who: CheckedUserDep, kind: Annotated[str, Form(max_length=20)],
              name: Annotated[str, Form(max_length=300)], on: Annotated[str, Form()] = "1", next: Next = ""
              ) -> Response:
    return _preference(request, who, "mute", kind, name, on, next)


@router.post("/account/signals/forget")
def forget_form(request: Request, who: CheckedUserDep, stance: Annotated[str, Form(max_length=10)],
                kind: Annotated[str, Form(max_length=20)], key: Annotated[str, Form(max_length=300)]) -> Response:
    assert who.user is not None
    if stance not in ("follow", "mute"):
        raise HTTPException(422, "stance is follow or mute")
    try:
        preferences.forget_preference(runtime_of(request).store, who.user, stance,  # type: ignore[arg-type]
                                      kind, key)
    except CommunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse("/account/signals", status_code=303)


def _signals_page(request: Request, who: Visitor, status_code: int = 200, **context: Any) -> Response:
    assert who.user is not None
    store = runtime_of(request).store
    signals = store.preferences.user_signals(who.user.id)
    kinds = {"upvote": [], "thumbs_up": []}  # type: dict[str, list[str]]
    for s in signals.positives:
        if s.kind in kinds and len(kinds[s.kind]) < SHOWN:
            kinds[s.kind].append(s.paper_id)
    down = signals.negative_ids()[:SHOWN]
    wanted = [*kinds["upvote"], *kinds["thumbs_up"], *down]
    found = store.papers.get_papers(list(dict.fromkeys(wanted)))

    def papers(ids: list[str]) -> list[Paper]:
        return [found[i] for i in ids if i in found]

    prefs = store.preferences.preferences(who.user.id)
    return page(request, who, "community/signals.html", status_code=status_code, title="Your signals",
                signals=signals, saved=store.library.count(who.user.id), folders=store.library.folders(who.user.id),
                upvoted=papers(kinds["upvote"]), liked=papers(kinds["thumbs_up"]), disliked=papers(down),
                prefs=prefs, follow_kinds=FOLLOW_KINDS, mute_kinds=MUTE_KINDS, next="/account/signals", **context)


@router.get("/account/signals")
def signals_page(request: Request, who: SignedInDep) -> Response:
    return _signals_page(request, who)
