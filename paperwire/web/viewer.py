"""A signed-in member's own buttons on the public listings (trending, daily, weekly, monthly,
categories, search): their upvotes, saves, thumbs and follows, with their CSRF token; and their mutes,
which hide papers from those listings (``muted_view``: "N hidden by your mutes · show").

Anonymous requests get nothing here, so their pages stay the same bytes for everyone (cached and
ETagged); a request with a session cookie bypasses those caches (``web.http``) and is answered
``private, no-store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import Request

from paperwire.community.preferences import filter_muted
from paperwire.community.service import paper_community
from paperwire.models import AuthSession, Paper, User
from paperwire.web.auth import accounts_of, cookie_name, runtime_of

P = TypeVar("P", bound=Paper)
SHOW_MUTED = "show"
"""``?muted=show``: a member sees the papers their mutes hide."""


def _viewer(request: Request) -> tuple[AuthSession, User] | None:
    """The signed-in member of this request (cached on it: listings ask twice), or None."""
    cached: tuple[AuthSession, User] | bool | None = getattr(request.state, "viewer", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    rt = runtime_of(request)
    token = request.cookies.get(cookie_name(rt.settings, "session"))
    found = accounts_of(request).session(token) if token else None
    request.state.viewer = found
    return found


def viewer_context(request: Request, paper_ids: Sequence[str]) -> dict[str, Any]:
    """What the templates need to show a signed-in member's buttons on these papers (``user``,
    ``csrf_token``, ``community``, ``following``, ``next``); ``{}`` for anyone else."""
    found = _viewer(request)
    if found is None:
        return {}
    rt = runtime_of(request)
    session, user = found
    following = {(p.stance, p.kind, p.key) for p in rt.store.preferences.preferences(user.id)}
    query = f"?{request.url.query}" if request.url.query else ""
    return {"user": user, "csrf_token": session.csrf_token, "community": paper_community(rt.store, paper_ids, user),
            "following": following, "next": request.url.path + query}


def muted_view(request: Request, papers: Sequence[P]) -> tuple[list[P], dict[str, Any]]:
    """The papers a signed-in member's mutes let through (all of them with ``?muted=show``) and what the
    page says about the others (``muted``: how many, links to show or hide them); anyone else gets the
    papers unchanged and ``{}``, so anonymous pages stay the same bytes for everyone."""
    found = _viewer(request)
    if found is None:
        return list(papers), {}
    signals = runtime_of(request).store.preferences.user_signals(found[1].id)
    kept, hidden = filter_muted(papers, signals)
    if not hidden:
        return list(papers), {}
    url = request.url
    show = url.include_query_params(muted=SHOW_MUTED)
    hide = url.remove_query_params("muted")
    showing = request.query_params.get("muted") == SHOW_MUTED
    note = {"hidden": 0 if showing else len(hidden), "shown": len(hidden) if showing else 0,
            "reasons": {p.id: why for p, why in hidden},
            "show_url": f"{show.path}?{show.query}", "hide_url": hide.path + (f"?{hide.query}" if hide.query else "")}
    return (list(papers) if showing else kept), {"muted": note}
