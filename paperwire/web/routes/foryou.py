""""For you": the page (``/for-you``), its forms (exploration, reset, the private feed's token), the private
Atom feed (``/feeds/for-you.atom?token=…``: the token is a query parameter, so the access log redacts it)
and ``GET /api/v1/me/recommendations``. All of them are a few lines over ``recommend.service``, so they show
the same ranking."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.community.service import paper_community
from paperwire.recommend import service
from paperwire.recommend.service import EXPLORATION_CHOICES, ForYou
from paperwire.web import feeds
from paperwire.web.api_models import PERSONAL_ERRORS
from paperwire.web.auth import CheckedUserDep, SignedInDep, Visitor, page, runtime_of
from paperwire.web.deps import paper_json, public_url

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/me", tags=["your signals"], responses=PERSONAL_ERRORS)
Window = Literal["day", "week", "month"]
CategoryParam = Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z.\-]*$",
                                     description="Only papers listed in this arXiv category, e.g. cs.CL.")]
PAGE = 25
FEED_ITEMS = 50
START = "/for-you/start"


def _page(request: Request, who: Visitor, window: str = "day", category: str = "", page_number: int = 1,
          **context: Any) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    found = service.recommend(rt.store, rt.settings, who.user.id, window, category=category or None,
                              limit=PAGE + 1, offset=(page_number - 1) * PAGE)
    items = found.items[:PAGE]
    query = f"window={window}" + (f"&category={category}" if category else "")
    chosen = rt.store.recommendations.settings(who.user.id)
    return page(request, who, "foryou.html", title="For you", found=found, items=items, window=window,
                category=category, windows=list(service.WINDOWS), choices=EXPLORATION_CHOICES,
                own_exploration=chosen.exploration, feed_created=chosen.feed_created_at, start=START,
                community=paper_community(rt.store, [i.paper.id for i in items], who.user),
                next=f"/for-you?{query}" + (f"&page={page_number}" if page_number > 1 else ""),
                more=f"/for-you?{query}&page={page_number + 1}" if len(found.items) > PAGE else None, **context)


@router.get("/for-you")
def for_you(request: Request, who: SignedInDep, window: Annotated[Window, Query()] = "day",
            category: CategoryParam = "", page_number: Annotated[int, Query(alias="page", ge=1, le=200)] = 1
            ) -> Response:
    return _page(request, who, window, category, page_number)


@router.post("/for-you/exploration")
def exploration(request: Request, who: CheckedUserDep, rate: Annotated[str, Form(max_length=20)]) -> Response:
    assert who.user is not None
    if rate != "default" and rate not in EXPLORATION_CHOICES:
        raise HTTPException(422, f"choose one of: default, {', '.join(EXPLORATION_CHOICES)}")
    service.set_exploration(runtime_of(request).store, who.user.id,
                            None if rate == "default" else EXPLORATION_CHOICES[rate])
    return RedirectResponse("/for-you", status_code=303)


@router.post("/for-you/reset")
def reset(request: Request, who: CheckedUserDep, thumbs: Annotated[str, Form(max_length=5)] = "0") -> Response:
    assert who.user is not None
    removed = service.reset(runtime_of(request).store, who.user.id, thumbs=thumbs == "1")
    note = f"Reset: {removed} rating{'s' if removed != 1 else ''} taken back, " if thumbs == "1" else "Reset: "
    return _page(request, who, notice=note + "your ranking was retrained from your library.")


@router.post("/for-you/feed")
def feed_token(request: Request, who: CheckedUserDep, action: Annotated[str, Form(max_length=10)]) -> Response:
    assert who.user is not None
    store = runtime_of(request).store
    if action == "revoke":
        service.revoke_feed_token(store, who.user.id)
        return _page(request, who, notice="Your private feed is off: its old address no longer works.")
    if action != "create":
        raise HTTPException(422, "action is create or revoke")
    token = service.create_feed_token(store, who.user.id)
    # shown once: only its hash is kept, so the page cannot show it again
    return _page(request, who, feed_url=public_url(request, "/feeds/for-you.atom", {"token": token}),
                 notice="Your private feed's new address is below; any earlier address stopped working.")


@router.get("/feeds/for-you.atom")
def private_feed(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    rt = runtime_of(request)
    user_id = service.user_for_feed_token(rt.store, token)
    if user_id is None:
        raise HTTPException(404, "No feed here: the address is wrong or was revoked.")
    found = service.recommend(rt.store, rt.settings, user_id, "day", limit=FEED_ITEMS)
    settings = rt.settings
    info = feeds.FeedInfo(title=f"For you · {settings.site_name}",
                          description="New papers ranked for you, each with why.",
                          page_url=public_url(request, "/for-you"),
                          feed_url=public_url(request, "/feeds/for-you.atom"),  # never the token
                          site_name=settings.site_name, site_url=settings.public_url() + "/")
    body = feeds.atom([i.paper for i in found.items], info, settings.public_url() + "/paper/",
                      notes={i.paper.id: "; ".join(i.reasons) for i in found.items})
    return Response(body, media_type=feeds.FORMATS["atom"], headers={"Cache-Control": "private, no-store",
                                                                     "Referrer-Policy": "no-referrer"})


def foryou_json(found: ForYou, base_url: str = "") -> dict[str, Any]:
    """A ranking as the API gives it."""
    return {"window": found.window, "start": found.start.isoformat() if found.start else None,
            "end": found.end.isoformat() if found.end else None, "category": found.category,
            "candidates": found.candidates, "signals": found.signals, "enough_signals": found.enough,
            "exploration": found.exploration,
            "results": [{"paper": paper_json(i.paper, base_url=base_url), **i.to_json()} for i in found.items]}


@api.get("/recommendations", summary="New papers ranked for you (\"For you\"), each with why")
def recommendations(request: Request, who: SignedInDep, response: Response,
                    window: Annotated[Window, Query(description="The newest announced day, week or month.")] = "day",
                    since: Annotated[date | None, Query(description="Rank papers announced since this day "
                                                                    "instead (YYYY-MM-DD).")] = None,
                    category: CategoryParam = "",
                    limit: Annotated[int, Query(ge=1, le=200)] = 20,
                    offset: Annotated[int, Query(ge=0, le=5000)] = 0) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    rt = runtime_of(request)
    assert who.user is not None
    found = service.recommend(rt.store, rt.settings, who.user.id, window, since, category or None, limit, offset)
    return foryou_json(found, rt.settings.public_url())
