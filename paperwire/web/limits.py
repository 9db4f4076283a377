"""The rate limit of anonymous requests to the expensive routes: search pages, the search API, search feeds
and the Hugging Face–compatible search (a FastAPI dependency, ``AnonymousLimit``).

Only requests that reach the route count: a 304 or an answer from the response cache (``web.http``) never
runs a search and never gets here. A signed-in member or a script with a valid API token is not counted; a
cookie or token that does not check out is anonymous. Over the limit: 429 with Retry-After, in the route's
error shape (``errors.respond``).
"""

from __future__ import annotations

import math

from fastapi import Depends, HTTPException, Request

from paperwire.config import Settings
from paperwire.security.buckets import TokenBuckets, client_key
from paperwire.web.auth import client_ip, cookie_name, visitor


def anonymous_buckets(settings: Settings) -> TokenBuckets | None:
    """This process's buckets for anonymous clients; None when ``anonymous_rate_per_minute`` is 0 (no limit)."""
    if not settings.anonymous_rate_per_minute:
        return None
    return TokenBuckets(settings.anonymous_rate_per_minute, settings.anonymous_burst)


async def _signed_in(request: Request) -> bool:
    """True for a member's session or a script's token that checks out (one store read, only when sent)."""
    settings: Settings = request.app.state.settings
    if not request.headers.get("authorization") and cookie_name(settings, "session") not in request.cookies:
        return False
    try:
        who = await visitor(request)
    except HTTPException:  # a revoked or made-up token: anonymous, as far as the limit is concerned
        return False
    return who.user is not None


async def limit_anonymous(request: Request) -> None:
    """Count an anonymous request against its client's bucket; 429 with Retry-After when it is empty."""
    buckets: TokenBuckets | None = request.app.state.anonymous_buckets
    if buckets is None or await _signed_in(request):
        return
    wait = buckets.take(client_key(client_ip(request)))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(429, f"Too many searches from your address; try again in {seconds} s, or sign in.",
                            headers={"Retry-After": str(seconds)})


AnonymousLimit = Depends(limit_anonymous)
