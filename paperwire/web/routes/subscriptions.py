"""Subscription pages: subscribe, confirm (double opt-in), manage, and one-click unsubscribe.

``POST /unsubscribe?token=…`` is RFC 8058's one-click endpoint: mail
providers call it without cookies, so it needs none and no CSRF token —
the signed token is the authority. It answers 200 with no redirect and the
subscriber is unsubscribed before the answer leaves. ``GET`` on the same URL
only shows a button, so a link scanner following it unsubscribes nobody.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperwire.digest.render import Renderer
from paperwire.digest.subscriptions import SubscriptionError, Subscriptions, topics_from_form
from paperwire.digest.tokens import read_token
from paperwire.models import Subscriber
from paperwire.web.auth import CheckedDep, Visitor, VisitorDep, client_ip, mail_soon, page, runtime_of

router = APIRouter(include_in_schema=False)
SUBSCRIBES_PER_IP_HOUR = 30
Text = Annotated[str, Form(max_length=4000)]
INVALID_LINK = ("This link is invalid, has expired or was replaced. Subscribe again, or use the link in the latest "
                "email we sent you.")


def _subscriptions(request: Request) -> Subscriptions:
    rt = runtime_of(request)
    return Subscriptions(rt.store, rt.settings, rt.secret_key)


def _form_values(sub: Subscriber) -> dict[str, Any]:
    return {"queries": "\n".join(t.value for t in sub.topics if t.kind == "query"),
            "categories": " ".join(t.value for t in sub.topics if t.kind == "category"),
            "authors": "\n".join(t.value for t in sub.topics if t.kind == "author"), "frequency": sub.frequency}


def _manage_url(request: Request, sub: Subscriber) -> str:
    rt = runtime_of(request)
    return Renderer(rt.settings, rt.secret_key).manage_url(sub)


SUBSCRIBE_PAGE: dict[str, Any] = {"title": "Subscribe to the digest", "nav": "subscribe", "hide_subscribe_box": True}


@router.get("/subscribe")
def subscribe_form(request: Request, who: VisitorDep, frequency: str = "weekly", q: str = "") -> Response:
    return page(request, who, "community/subscribe.html", email=who.user.email if who.user else "",
                frequency=frequency, queries=q, **SUBSCRIBE_PAGE)


@router.post("/subscribe/start")
def subscribe_start(request: Request, who: VisitorDep, email: Annotated[str, Form(max_length=254)] = "") -> Response:
    """The subscribe boxes of the cached pages post here: it changes nothing (so it needs no CSRF token),
    only shows the full form with the address filled in and a token to send it with."""
    return page(request, who, "community/subscribe.html", email=email.strip() or (who.user.email if who.user else ""),
                frequency="weekly", queries="", **SUBSCRIBE_PAGE)


@router.post("/subscribe")
def subscribe(request: Request, who: CheckedDep, email: Text, frequency: Text = "weekly",
              queries: Text = "", categories: Text = "", authors: Text = "") -> Response:
    subs = _subscriptions(request)
    form: dict[str, Any] = {"email": email, "frequency": frequency, "queries": queries, "categories": categories,
                            "authors": authors}
    if not subs.throttle.allow("subscribe-ip", client_ip(request) or "-", SUBSCRIBES_PER_IP_HOUR):
        raise HTTPException(429, "Too many subscriptions from your network; try again in an hour.")
    try:
        topics = topics_from_form(queries, categories.replace(",", " ").split(), authors,
                                  subs.settings.digest_max_topics)
        outcome = subs.subscribe(email, frequency, topics, who.user)
    except SubscriptionError as exc:
        return page(request, who, "community/subscribe.html", status_code=422, error=str(exc), **form,
                    **SUBSCRIBE_PAGE)
    mail_soon(request, outcome.mail_keys)
    if outcome.subscriber.source == "account" and outcome.subscriber.state == "confirmed" and not outcome.mail_keys:
        return page(request, who, "community/message.html", title="Subscribed", forms=False,
                    notice=f"{outcome.subscriber.email} will receive {outcome.subscriber.frequency} digests.",
                    paragraphs=["Your account's address is verified, so no confirmation is needed."])
    # the same answer for new, pending and known addresses: nothing tells who subscribes here
    return page(request, who, "community/message.html", title="Check your email", forms=False,
                paragraphs=[f"We sent a message to {email.strip()}. Follow its link to confirm your subscription; "
                            "nothing is sent before you do."])


def _confirm_page(request: Request, who: Visitor, token: str) -> Response:
    rt = runtime_of(request)
    valid = read_token(rt.secret_key, "confirm", token, rt.store.subscriptions.get_subscriber)
    if valid is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error=INVALID_LINK, link=("/subscribe", "Subscribe"))
    if valid.state == "confirmed":
        return page(request, who, "community/message.html", title="Subscription confirmed", forms=False,
                    notice=f"{valid.email} is subscribed to {valid.frequency} digests.")
    return page(request, who, "community/confirm.html", title="Confirm your subscription", subscriber=valid,
                token=token)


@router.get("/subscriptions/confirm")
def confirm_page(request: Request, who: VisitorDep, token: str = "") -> Response:
    return _confirm_page(request, who, token)


@router.post("/subscriptions/confirm")
def confirm(request: Request, who: CheckedDep, token: Text) -> Response:
    sub = _subscriptions(request).confirm(token)
    if sub is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error=INVALID_LINK, link=("/subscribe", "Subscribe"))
    return page(request, who, "community/message.html", title="Subscription confirmed", forms=False,
                notice=f"{sub.email} will receive {sub.frequency} digests.",
                paragraphs=["Every digest has a link to change your topics or unsubscribe."],
                link=(_manage_url(request, sub), "Change your topics"))


@router.get("/subscriptions/manage")
def manage_page(request: Request, who: VisitorDep, token: str = "") -> Response:
    sub = _subscriptions(request).manageable(token)
    if sub is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error=INVALID_LINK)
    return page(request, who, "community/manage.html", title="Your subscription", subscriber=sub, token=token,
                **_form_values(sub))


@router.post("/subscriptions/manage")
def manage(request: Request, who: CheckedDep, token: Text, action: Text = "save", frequency: Text = "weekly",
           queries: Text = "", categories: Text = "", authors: Text = "") -> Response:
    subs = _subscriptions(request)
    sub = subs.manageable(token)
    if sub is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error=INVALID_LINK)
    if action == "unsubscribe":
        left = subs.unsubscribe(token, purpose="manage") or sub
        return page(request, who, "community/unsubscribe.html", title="Unsubscribed", forms=False, subscriber=left,
                    done=True, manage_url=_manage_url(request, left))
    if action == "new_link":  # the new link goes to the address only, never on this page
        outcome = subs.new_links(sub)
        mail_soon(request, outcome.mail_keys)
        sent = [f"We sent a new link to {sub.email}." if outcome.mail_keys else
                "Your next digest will carry new links."]
        return page(request, who, "community/message.html", title="Links replaced", forms=False,
                    notice="Every link we sent you before, in any email, no longer works.", paragraphs=sent)
    form: dict[str, Any] = {"frequency": frequency, "queries": queries, "categories": categories, "authors": authors}
    try:
        topics = topics_from_form(queries, categories.replace(",", " ").split(), authors,
                                  subs.settings.digest_max_topics)
        sub = subs.update(sub, frequency, topics)
    except SubscriptionError as exc:
        return page(request, who, "community/manage.html", status_code=422, title="Your subscription",
                    subscriber=sub, token=token, error=str(exc), **form)
    return page(request, who, "community/manage.html", title="Your subscription", subscriber=sub, token=token,
                notice="Saved.", **_form_values(sub))


@router.get("/unsubscribe")
def unsubscribe_page(request: Request, who: VisitorDep, token: str = "") -> Response:
    sub = _subscriptions(request).unsubscribable(token)
    if sub is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error=INVALID_LINK)
    if sub.state == "unsubscribed":
        return page(request, who, "community/unsubscribe.html", title="Unsubscribed", forms=False, subscriber=sub,
                    done=True, manage_url=_manage_url(request, sub))
    return page(request, who, "community/unsubscribe.html", title="Unsubscribe", forms=False, subscriber=sub,
                token=token, manage_url=_manage_url(request, sub))


@router.post("/unsubscribe")
async def one_click_unsubscribe(request: Request, token: str = "") -> Response:
    """RFC 8058 one-click: no cookies, no CSRF token, no redirect; the signed token decides."""
    if not token and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        value = (await request.form()).get("token")
        token = value if isinstance(value, str) else ""
    subs = _subscriptions(request)
    sub = await run_in_threadpool(subs.unsubscribe, token)
    who = Visitor(secret=runtime_of(request).secret_key)  # deliberately anonymous: cookies are not read
    if sub is None:
        return page(request, who, "community/message.html", status_code=400, title="Link not valid", forms=False,
                    error=INVALID_LINK)
    return page(request, who, "community/unsubscribe.html", title="Unsubscribed", forms=False, subscriber=sub,
                done=True, manage_url=_manage_url(request, sub))
