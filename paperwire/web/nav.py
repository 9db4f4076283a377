"""Who the site's navigation is for: the header shows Subscribe, Sign in and Sign up to visitors and an
account menu to members, on every page, whichever route rendered it.

A Jinja context processor (``make_templates``) so no route has to remember it. Anonymous requests
carry no session cookie and cost nothing here, so their pages stay the same bytes for everyone (the
response cache and ETags of ``web.http`` rely on that); a request with a session cookie bypasses those
caches anyway and pays one indexed read, or none when a route already looked the visitor up.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from paperwire.web.auth import Visitor, accounts_of, cookie_name, runtime_of


def nav_context(request: Request) -> dict[str, Any]:
    """``nav_user`` (the signed-in member or None) and ``nav_csrf`` (their session's CSRF token, for the
    sign-out form) for the header of every page."""
    cached: dict[str, Any] | None = getattr(request.state, "nav", None)
    if cached is not None:
        return cached
    found: dict[str, Any] = {"nav_user": None, "nav_csrf": ""}
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    if visitor is not None:
        if visitor.session is not None:
            found = {"nav_user": visitor.user, "nav_csrf": visitor.session.csrf_token}
    else:
        token = request.cookies.get(cookie_name(runtime_of(request).settings, "session"))
        session = accounts_of(request).session(token) if token else None
        if session is not None:
            found = {"nav_user": session[1], "nav_csrf": session[0].csrf_token}
    request.state.nav = found
    return found
