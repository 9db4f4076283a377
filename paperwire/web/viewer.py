"""A signed-in member's own buttons on the public listings (trending, daily, weekly, monthly,
categories, search): their upvotes, saves, thumbs and follows, with their CSRF token.

Anonymous requests get nothing here, so their pages stay the same bytes for everyone (cached and
ETagged); a request with a session cookie bypasses those caches (``web.http``) and is answered
``private, no-store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request

from paperwire.community.service import paper_community
from paperwire.web.auth import accounts_of, cookie_name, runtime_of


def viewer_context(request: Request, paper_ids: Sequence[str]) -> dict[str, Any]:
    """What the templates need to show a signed-in member's buttons on these papers (``user``,
    ``csrf_token``, ``community``, ``following``, ``next``); ``{}`` for anyone else."""
    rt = runtime_of(request)
    token = request.cookies.get(cookie_name(rt.settings, "session"))
    found = accounts_of(request).session(token) if token else None
    if found is None:
        return {}
    session, user = found
    following = {(p.stance, p.kind, p.key) for p in rt.store.preferences.preferences(user.id)}
    query = f"?{request.url.query}" if request.url.query else ""
    return {"user": user, "csrf_token": session.csrf_token, "community": paper_community(rt.store, paper_ids, user),
            "following": following, "next": request.url.path + query}
