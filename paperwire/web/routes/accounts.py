"""Account pages: sign-up, verification, sign-in/out, password reset, the account page, API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperwire.accounts.passwords import PasswordError
from paperwire.accounts.service import SIGNIN_THROTTLED, AccountError, NotVerified, SignInError, Throttled
from paperwire.mail.addresses import AddressError
from paperwire.security.keys import stored_secret_warning
from paperwire.web.api_models import PERSONAL_ERRORS
from paperwire.web.auth import (
    CheckedDep,
    CheckedUserDep,
    SignedInDep,
    Visitor,
    VisitorDep,
    accounts_of,
    clear_cookie,
    client_ip,
    mail_soon,
    page,
    runtime_of,
    safe_next,
    set_cookie,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["accounts"], responses=PERSONAL_ERRORS)
# one address cannot open accounts by the hundred
SIGNUPS_PER_IP_HOUR = 20
Text = Annotated[str, Form(max_length=2000)]


def _signed_in_response(request: Request, token: str, target: str) -> Response:
    settings = runtime_of(request).settings
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, settings, "session", token, settings.session_days * 86400)
    clear_cookie(response, settings, "csrf")
    return response


def _check_email_sent(request: Request, who: Visitor, title: str, text: str) -> Response:
    return page(request, who, "community/message.html", title=title, forms=False, paragraphs=[text])


# -- sign-up and verification ----------------------------------------------------------------
@router.get("/signup")
def signup_form(request: Request, who: VisitorDep) -> Response:
    if who.user is not None:
        return RedirectResponse("/account", status_code=303)
    return page(request, who, "community/signup.html", title="Create an account", nav="signup")


@router.post("/signup")
def signup(request: Request, who: CheckedDep, email: Text, handle: Text, password: Text) -> Response:
    accounts = accounts_of(request)
    if not accounts.throttle.allow("signup-ip", client_ip(request) or "-", SIGNUPS_PER_IP_HOUR):
        raise HTTPException(429, "Too many sign-ups from your network; try again in an hour.")
    try:
        outcome = accounts.signup(email, handle, password)
    except (AccountError, PasswordError, AddressError) as exc:
        return page(request, who, "community/signup.html", status_code=422, title="Create an account", nav="signup",
                    error=str(exc), email=email, handle=handle)
    mail_soon(request, outcome.mail_keys)
    # the same answer whether or not the address already had an account, and whether or not the name
    # was free (saying "taken" only to new addresses would tell which ones have accounts)
    return _check_email_sent(request, who, "Check your email",
                             f"We sent a message to {email.strip()}. Follow its link to finish: it works for "
                             f"{accounts.settings.verify_email_hours} hours. No email? Check your spam folder.")


@router.get("/account/verify")
def verify(request: Request, who: VisitorDep, token: str = "") -> Response:
    user = accounts_of(request).verify_email(token) if token else None
    if user is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error="This verification link is invalid, expired or already used.",
                    link=("/account", "Go to your account to get a new one"))
    return page(request, who, "community/message.html", title="Email verified", forms=False,
                notice=f"Thank you, {user.handle}: your address is verified.",
                link=("/account" if who.user else "/signin", "Continue"))


@router.post("/account/verify/resend")
def resend(request: Request, who: CheckedUserDep) -> Response:
    assert who.user is not None
    mail_soon(request, accounts_of(request).resend_verification(who.user))
    return _check_email_sent(request, who, "Check your email", f"We sent a new link to {who.user.email}.")


# -- sign-in and out ------------------------------------------------------------------------------
@router.get("/signin")
def signin_form(request: Request, who: VisitorDep, next: str = "") -> Response:
    if who.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page(request, who, "community/signin.html", title="Sign in", next=next, nav="signin")


@router.post("/signin")
def signin(request: Request, who: CheckedDep, email: Text, password: Text, next: Text = "") -> Response:
    try:
        _, token, _ = accounts_of(request).sign_in(email, password, client_ip(request),
                                                   request.headers.get("user-agent"))
    except SignInError as exc:
        throttled = str(exc) == SIGNIN_THROTTLED
        return page(request, who, "community/signin.html", status_code=429 if throttled else 401, title="Sign in",
                    error=str(exc), email=email, next=next)
    return _signed_in_response(request, token, safe_next(next))


@router.post("/signout")
def signout(request: Request, who: CheckedDep) -> Response:
    if who.session_token:
        accounts_of(request).sign_out(who.session_token)
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, runtime_of(request).settings, "session")
    return response


# -- password reset ------------------------------------------------------------------------------------
@router.get("/account/reset")
def reset_page(request: Request, who: VisitorDep, token: str = "") -> Response:
    accounts = accounts_of(request)
    if not token:
        return page(request, who, "community/reset_request.html", title="Reset your password",
                    minutes=accounts.settings.password_reset_minutes)
    target = accounts.reset_target(token)
    if target is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error="This reset link is invalid, expired or already used.",
                    link=("/account/reset", "Ask for a new one"))
    return page(request, who, "community/reset_form.html", title="Choose a new password", token=token,
                choose_handle=not target.verified)


@router.post("/account/reset")
def reset_request(request: Request, who: CheckedDep, email: Text) -> Response:
    accounts = accounts_of(request)
    mail_soon(request, accounts.request_reset(email))
    return _check_email_sent(request, who, "Check your email",
                             f"If {email.strip()} has an account, we sent it a link to choose a new password. "
                             f"It works once, for {accounts.settings.password_reset_minutes} minutes.")


@router.post("/account/reset/password")
def reset_password(request: Request, who: CheckedDep, token: Text, password: Text, handle: Text = "") -> Response:
    accounts = accounts_of(request)
    try:
        user = accounts.reset_password(token, password, handle)
    except (AccountError, PasswordError) as exc:
        target = accounts.reset_target(token)
        return page(request, who, "community/reset_form.html", status_code=422, title="Choose a new password",
                    error=str(exc), token=token, handle=handle,
                    choose_handle=target is not None and not target.verified)
    new_token, _ = accounts.open_session(user, client_ip(request), request.headers.get("user-agent"))
    return _signed_in_response(request, new_token, "/account")


# -- the account page ---------------------------------------------------------------------------------
def _account_page(request: Request, who: Visitor, status_code: int = 200, **context: Any) -> Response:
    assert who.user is not None
    rt = runtime_of(request)
    store = rt.store
    if who.user.is_admin:  # the people who can fix it see it where they look
        context.setdefault("warning", stored_secret_warning(rt.settings))
    return page(request, who, "community/account.html", status_code=status_code, title="Your account",
                tokens=store.accounts.list_api_tokens(who.user.id),
                subscriptions=store.subscriptions.subscribers_of_user(who.user.id),
                saved=store.community.count_library(who.user.id), **context)


@router.get("/account")
def account(request: Request, who: SignedInDep) -> Response:
    return _account_page(request, who)


@router.post("/account/library")
def library_visibility(request: Request, who: CheckedUserDep, public: Annotated[str, Form()] = "0") -> Response:
    assert who.user is not None
    who.user = runtime_of(request).store.accounts.update_user(who.user.id, library_public=public == "1") or who.user
    return _account_page(request, who, notice="Your library is now " + ("public." if who.user.library_public
                                                                         else "private."))


@router.post("/account/password")
def change_password(request: Request, who: CheckedUserDep, current: Text, new: Text,
                    sign_out: Annotated[str, Form()] = "") -> Response:
    assert who.user is not None
    accounts = accounts_of(request)
    everywhere = sign_out == "1"  # the form's box, checked by default
    try:
        accounts.change_password(who.user, current, new, client_ip(request), sign_out=everywhere)
    except Throttled as exc:
        return _account_page(request, who, status_code=429, error=str(exc))
    except (AccountError, PasswordError) as exc:
        return _account_page(request, who, status_code=422, error=str(exc))
    if not everywhere:
        return _account_page(request, who, notice="Your password is changed. Your other sessions and your API "
                                                  "tokens still work.")
    token, _ = accounts.open_session(who.user, client_ip(request), request.headers.get("user-agent"))
    return _signed_in_response(request, token, "/account")


@router.post("/account/tokens")
def create_token(request: Request, who: CheckedUserDep, name: Text,
                 scopes: Annotated[list[str] | None, Form()] = None) -> Response:
    assert who.user is not None
    if who.api_token is not None:
        raise HTTPException(403, "API tokens cannot make API tokens")
    try:
        _, token = accounts_of(request).create_api_token(who.user, name, scopes or [])
    except NotVerified as exc:
        return _account_page(request, who, status_code=403, error=str(exc))
    except AccountError as exc:
        return _account_page(request, who, status_code=422, error=str(exc))
    return _account_page(request, who, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, who: CheckedUserDep, token_id: int) -> Response:
    assert who.user is not None
    if not runtime_of(request).store.accounts.revoke_api_token(who.user.id, token_id):
        raise HTTPException(404, "No such token.")
    return RedirectResponse("/account", status_code=303)


# -- JSON ------------------------------------------------------------------------------------------------
@api.get("/me", summary="The signed-in user (session or API token)")
async def me(request: Request, who: SignedInDep, response: Response) -> dict[str, Any]:
    user = who.user
    assert user is not None
    response.headers["Cache-Control"] = "no-store"
    body: dict[str, Any] = {"handle": user.handle, "email": user.email, "verified": user.verified,
                            "library_public": user.library_public}
    if who.session is not None:
        body["csrf_token"] = who.session.csrf_token  # for this site's own scripts (same-origin only)
    if who.api_token is not None:
        body["token"] = {"name": who.api_token.name, "scopes": who.api_token.scopes}
    body["library"] = await run_in_threadpool(runtime_of(request).store.community.count_library, user.id)
    return body
