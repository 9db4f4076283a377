"""Who is asking, and may they: sessions, API tokens and CSRF, as FastAPI dependencies.

- Browsers sign in with a session cookie (``__Host-session`` when the site is
  HTTPS, then ``Secure``; else ``session``), ``HttpOnly`` and ``SameSite=Lax``.
  The cookie holds a random token; the store keeps its digest.
- Every state-changing form and JSON call carries a CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``). Signed-in visitors use their
  session's token; anonymous forms (sign-in, sign-up, subscribe) use an HMAC
  of a random ``csrf`` cookie (signed double submit). A request whose
  ``Origin`` is another site is refused too.
- Scripts send ``Authorization: Bearer pw_…`` to ``/api/v1``: exempt from CSRF
  (no browser sends it on its own), limited to the token's scopes, refused
  until the account's address is verified. Pages ignore the header: a token
  (even a write one) never changes a password, makes a token or posts a form.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperwire.accounts.service import Accounts, NotVerified
from paperwire.config import Settings
from paperwire.models import ApiToken, AuthSession, User
from paperwire.runtime import Runtime
from paperwire.security.keys import b64, derive, new_token, same
from paperwire.web.deps import render

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSRF_COOKIE_DAYS = 7
CSRF_FAILED = "This form has expired or did not come from this site. Reload the page and try again."
# the only routes that take API tokens: scripts have no business on the pages
TOKEN_ROUTES = "/api/v1/"


def cookie_name(settings: Settings, base: str) -> str:
    """``__Host-<base>`` on an HTTPS site (the browser then insists on Secure, Path=/ and no Domain)."""
    return f"__Host-{base}" if settings.secure_cookies() else base


def set_cookie(response: Response, settings: Settings, base: str, value: str, max_age: int | None) -> None:
    """Set one of our cookies with the attributes every one of them needs."""
    response.set_cookie(cookie_name(settings, base), value, max_age=max_age, path="/",
                        secure=settings.secure_cookies(), httponly=True, samesite="lax")


def clear_cookie(response: Response, settings: Settings, base: str) -> None:
    response.delete_cookie(cookie_name(settings, base), path="/", secure=settings.secure_cookies(), httponly=True,
                           samesite="lax")


@dataclass
class Visitor:
    """The person (or script) behind a request."""

    user: User | None = None
    session: AuthSession | None = None
    api_token: ApiToken | None = None
    session_token: str | None = None
    anon_csrf_seed: str | None = None
    new_seed: bool = False
    secret: bytes = b""

    @property
    def csrf(self) -> str:
        """The CSRF token this visitor's forms must carry."""
        if self.session is not None:
            return self.session.csrf_token
        seed = self.anon_csrf_seed or ""
        return b64(hmac.new(derive(self.secret, "csrf"), seed.encode(), hashlib.sha256).digest())


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def accounts_of(request: Request) -> Accounts:
    """Account operations for this app (cheap to build)."""
    rt = runtime_of(request)
    return Accounts(rt.store, rt.settings, rt.secret_key)


def client_ip(request: Request) -> str | None:
    """The client's address: behind a reverse proxy, the one it forwards when the proxy is among the
    ``forwarded_allow_ips`` setting (uvicorn reads X-Forwarded-For; web/server.py)."""
    return request.client.host if request.client else None


def _find_visitor(request: Request) -> Visitor:
    rt = runtime_of(request)
    settings, accounts = rt.settings, accounts_of(request)
    visitor = Visitor(secret=rt.secret_key)
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and request.url.path.startswith(TOKEN_ROUTES):
        try:
            found = accounts.api_user(auth[7:].strip())
        except NotVerified as exc:
            raise HTTPException(403, str(exc)) from None
        if found is None:
            raise HTTPException(401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"})
        visitor.api_token, visitor.user = found
        return visitor
    token = request.cookies.get(cookie_name(settings, "session"))
    if token:
        session = accounts.session(token)
        if session is not None:
            visitor.session, visitor.user = session
            visitor.session_token = token
            return visitor
    seed = request.cookies.get(cookie_name(settings, "csrf"))
    if not seed or len(seed) > 100:
        seed, visitor.new_seed = new_token(18), True
    visitor.anon_csrf_seed = seed
    return visitor


async def visitor(request: Request) -> Visitor:
    """The visitor of any request (anonymous when nobody is signed in)."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is None:
        cached = await run_in_threadpool(_find_visitor, request)
        request.state.visitor = cached
    return cached


def _origin_ok(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent by every browser on every request; the token still has to match
    ours = {_origin(settings.public_url()), _origin(str(request.base_url))}
    return _origin(origin) in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def checked(request: Request) -> Visitor:
    """The visitor of a state-changing request, after the CSRF check (bearer tokens need ``write``)."""
    found = await visitor(request)
    if found.api_token is not None:
        if "write" not in found.api_token.scopes:
            raise HTTPException(403, "this API token may only read (scope 'write' needed)")
        return found
    settings = runtime_of(request).settings
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if found.new_seed or not supplied or not same(supplied, found.csrf) or not _origin_ok(request, settings):
        raise HTTPException(403, CSRF_FAILED)
    return found


async def signed_in(request: Request) -> Visitor:
    """A visitor who must be signed in (pages redirect to sign-in; the API answers 401)."""
    found = await visitor(request)
    if found.user is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "sign in or send an API token", headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(303, "Sign in first.", headers={"Location": f"/signin?next={request.url.path}"})
    return found


async def checked_user(request: Request) -> Visitor:
    """A signed-in visitor of a state-changing request, CSRF checked."""
    found = await checked(request)
    if found.user is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "sign in or send an API token", headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(303, "Sign in first.", headers={"Location": "/signin"})
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]
CheckedDep = Annotated[Visitor, Depends(checked)]
SignedInDep = Annotated[Visitor, Depends(signed_in)]
CheckedUserDep = Annotated[Visitor, Depends(checked_user)]


def page(request: Request, who: Visitor, template: str, status_code: int = 200, forms: bool = True,
         **context: Any) -> Response:
    """A personal page: rendered with the visitor and their CSRF token, never cached by anyone, and
    setting the anonymous CSRF cookie when it has forms and the visitor has none yet."""
    context.setdefault("noindex", True)
    response = render(request, template, status_code=status_code, visitor=who, user=who.user,
                      csrf_token=who.csrf if forms else "", **context)
    response.headers["Cache-Control"] = "no-store"
    if forms and who.new_seed and who.anon_csrf_seed:
        set_cookie(response, runtime_of(request).settings, "csrf", who.anon_csrf_seed, CSRF_COOKIE_DAYS * 86400)
    return response


def safe_next(target: str | None, default: str = "/account") -> str:
    """A redirect target on this site only (a path, not ``//other.site`` or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return default
    return target


def mail_soon(request: Request, keys: list[str]) -> None:
    """Hand just-queued emails to this process's sender thread (``web.mailer``) and return: the request
    never waits on SMTP. What the thread cannot send, the worker's ``deliver-outbox`` job retries."""
    if keys:
        request.app.state.mailer.wake(keys)
