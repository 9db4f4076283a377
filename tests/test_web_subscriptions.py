"""Subscription pages and RFC 8058 one-click unsubscribe through the in-process ASGI client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from paperwire.digest.service import run_digests
from paperwire.models import Topic
from paperwire.runtime import Runtime
from paperwire.web import create_app
from tests.helpers.community import BASE, HOSTILE, csrf_of, link_in, post_form, sign_in, sign_up, token_of
from tests.helpers.smtp import Handler

MONDAY = date(2026, 6, 29)


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


def subscribe(c: TestClient, email: str, **fields: str) -> object:
    return post_form(c, "/subscribe", "/subscribe", {"email": email, **fields})


def digest_for(rt: Runtime, handler: Handler, email: str) -> object:
    rt.store.subscriptions.add_subscriber(email, "daily", [Topic("query", "energy-based models")], "confirmed", "web",
                                          "n")
    run_digests(rt, "daily", MONDAY)
    (received,) = [m for m in handler.to(email) if "digest" in m.message["Subject"]]
    return received


def test_double_opt_in_through_the_pages(client: TestClient, smtp: tuple[Handler, int], mail_rt: Runtime) -> None:
    handler, _ = smtp
    r = subscribe(client, "Bob@Example.org", frequency="daily", queries='"energy-based models"\nattention',
                  categories="cs.LG, cs.CV", authors="Ada Lovelace")
    assert r.status_code == 200 and "Check your email" in r.text  # type: ignore[attr-defined]
    sub = mail_rt.store.subscriptions.get_subscriber_by_email("bob@example.org")
    assert sub is not None and sub.state == "pending" and sub.frequency == "daily"
    assert [t.query() for t in sub.topics] == ['"energy-based models"', "attention", "cat:cs.LG", "cat:cs.CV",
                                               'author:"Ada Lovelace"']
    (mail,) = handler.to("bob@example.org")
    link = link_in(mail, "/subscriptions/confirm")
    page = client.get(link)  # a link scanner fetching it confirms nothing
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    assert mail_rt.store.subscriptions.get_subscriber(sub.id).state == "pending"  # type: ignore[union-attr]
    r = client.post("/subscriptions/confirm", data={"csrf_token": csrf_of(page.text), "token": token_of(link)})
    assert r.status_code == 200 and "Subscription confirmed" in r.text
    assert mail_rt.store.subscriptions.get_subscriber(sub.id).state == "confirmed"  # type: ignore[union-attr]


def test_subscribing_a_known_address_changes_nothing_and_says_nothing(client: TestClient, smtp: tuple[Handler, int],
                                                                     mail_rt: Runtime) -> None:
    handler, _ = smtp
    mail_rt.store.subscriptions.add_subscriber("ann@example.org", "weekly", [Topic("query", "graphs")], "confirmed",
                                               "web", "n")
    known = subscribe(client, "ann@example.org", frequency="daily", queries="spam topic")
    new = subscribe(client, "zed@example.org", frequency="daily", queries="spam topic")
    assert known.text.replace("ann@", "X@") == new.text.replace("zed@", "X@")  # type: ignore[attr-defined]
    sub = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    assert sub is not None and sub.frequency == "weekly" and [t.value for t in sub.topics] == ["graphs"]
    (mail,) = handler.to("ann@example.org")
    assert mail.message["Subject"] == "Your Paperwire subscription"
    assert "/subscriptions/manage?token=" in mail.part("plain")


def test_bad_subscriptions_are_refused_clearly(client: TestClient) -> None:
    for fields, problem in (({"email": "nope"}, "does not look like an email"),
                            ({"email": "a@example.org", "frequency": "hourly"}, "Choose daily or weekly"),
                            ({"email": "a@example.org", "queries": "x" * 300}, "Topic too long"),
                            ({"email": "a@example.org", "queries": "-only -exclusions"}, "no words")):
        r = subscribe(client, **fields)  # type: ignore[arg-type]
        assert r.status_code == 422 and problem in r.text, fields  # type: ignore[attr-defined]


def test_one_click_unsubscribe_needs_no_cookie_and_does_not_redirect(mail_rt: Runtime, smtp: tuple[Handler, int],
                                                                     client: TestClient) -> None:
    handler, _ = smtp
    received = digest_for(mail_rt, handler, "ann@example.org")
    url = re.search(r"<(http[^>]+)>", received.message["List-Unsubscribe"]).group(1)  # type: ignore[attr-defined, union-attr]
    assert url.startswith(f"{BASE}/unsubscribe?token=")
    sub = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    mail_rt.store.subscriptions.add_subscriber("other@example.org", "daily", [], "confirmed", "web", "n")
    run_digests(mail_rt, "daily", date(2026, 6, 30), send=False)  # Tuesday's digest waits in the outbox
    with TestClient(client.app) as provider:  # a mail provider's POST: no cookies, no CSRF token
        r = provider.post(url[len(BASE):], content=b"List-Unsubscribe=One-Click",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert r.status_code == 200 and "set-cookie" not in r.headers and "You are unsubscribed" in r.text
    assert mail_rt.store.subscriptions.get_subscriber(sub.id).state == "unsubscribed"  # type: ignore[union-attr]
    tuesday = mail_rt.store.outbox.get_outbox(f"digest:{sub.id}:daily:2026-06-30")  # type: ignore[union-attr]
    assert tuesday is not None and tuesday.state == "cancelled"
    before = len(handler.to("ann@example.org"))
    run_digests(mail_rt, "daily", date(2026, 6, 30))
    assert len(handler.to("ann@example.org")) == before and handler.to("other@example.org")
    with TestClient(client.app) as again:  # a second click is harmless
        assert again.post(url[len(BASE):]).status_code == 200


def test_the_unsubscribe_link_itself_only_asks(mail_rt: Runtime, smtp: tuple[Handler, int], client: TestClient) -> None:
    received = digest_for(mail_rt, smtp[0], "ann@example.org")
    link = link_in(received, "/unsubscribe")  # type: ignore[arg-type]
    page = client.get(link)
    assert page.status_code == 200 and "Unsubscribe?" in page.text and 'method="post"' in page.text
    assert "set-cookie" not in page.headers
    assert mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org").state == "confirmed"  # type: ignore[union-attr]
    form_action = re.search(r'action="([^"]+)"', page.text.split("<main", 1)[1]).group(1)  # type: ignore[union-attr]
    r = client.post(form_action.replace("&amp;", "&"), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "You are unsubscribed" in r.text


def test_forged_tokens_are_rejected(mail_rt: Runtime, smtp: tuple[Handler, int], client: TestClient) -> None:
    received = digest_for(mail_rt, smtp[0], "ann@example.org")
    token = token_of(link_in(received, "/unsubscribe"))  # type: ignore[arg-type]
    manage = token_of(link_in(received, "/subscriptions/manage"))  # type: ignore[arg-type]
    sid, stamp, signature = token.split(".")
    forged = [f"{int(sid) + 1}.{stamp}.{signature}", f"{sid}.{stamp}.{signature[::-1]}", "1.0.x", "", manage]
    for bad in forged:
        r = client.post("/unsubscribe", params={"token": bad})
        assert r.status_code == 400 and "invalid" in r.text, bad
    assert client.get("/subscriptions/manage", params={"token": token}).status_code == 400  # wrong purpose
    assert client.get("/subscriptions/confirm", params={"token": manage}).status_code == 400
    assert mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org").state == "confirmed"  # type: ignore[union-attr]


def test_manage_page_from_the_digest(mail_rt: Runtime, smtp: tuple[Handler, int], client: TestClient) -> None:
    mail_rt.store.subscriptions.add_subscriber("ann@example.org", "daily", [Topic("query", HOSTILE)], "confirmed",
                                               "web", "n")
    received = digest_for(mail_rt, smtp[0], "bob@example.org")
    assert received is not None
    ann = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    from paperwire.digest.render import Renderer

    link = Renderer(mail_rt.settings, mail_rt.secret_key).manage_url(ann)[len(BASE):]  # type: ignore[arg-type]
    page = client.get(link)
    assert page.status_code == 200 and HOSTILE not in page.text and "&lt;script&gt;" in page.text
    token = token_of(link)
    assert client.post("/subscriptions/manage", data={"token": token, "frequency": "weekly"}).status_code == 403
    r = client.post("/subscriptions/manage", data={"csrf_token": csrf_of(page.text), "token": token,
                                                   "frequency": "weekly", "queries": "graph neural networks",
                                                   "categories": "cs.LG"})
    assert r.status_code == 200 and "Saved." in r.text
    ann = mail_rt.store.subscriptions.get_subscriber(ann.id)  # type: ignore[union-attr]
    assert ann is not None and ann.frequency == "weekly"
    assert [t.query() for t in ann.topics] == ["graph neural networks", "cat:cs.LG"]
    r = client.post("/subscriptions/manage", data={"csrf_token": csrf_of(page.text), "token": token,
                                                   "action": "unsubscribe"})
    assert "You are unsubscribed" in r.text
    assert mail_rt.store.subscriptions.get_subscriber(ann.id).state == "unsubscribed"  # type: ignore[union-attr]


def test_an_unverified_account_is_linked_but_must_confirm(client: TestClient, smtp: tuple[Handler, int],
                                                          mail_rt: Runtime) -> None:
    sign_up(client, smtp[0], verify=False)
    sign_in(client)
    r = subscribe(client, "ann@example.org", frequency="daily")
    assert "Check your email" in r.text  # type: ignore[attr-defined]
    sub = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    user = mail_rt.store.accounts.get_user_by_email("ann@example.org")
    assert sub is not None and user is not None and sub.state == "pending" and sub.user_id == user.id


def test_a_verified_account_subscribes_without_confirmation(client: TestClient, smtp: tuple[Handler, int],
                                                             mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    r = subscribe(client, "ann@example.org", frequency="weekly", queries="diffusion")
    assert r.status_code == 200 and "Subscribed" in r.text  # type: ignore[attr-defined]
    sub = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    user = mail_rt.store.accounts.get_user_by_email("ann@example.org")
    assert sub is not None and user is not None and sub.state == "confirmed" and sub.user_id == user.id
    assert sub.source == "account" and "ann@example.org: weekly, confirmed" in client.get("/account").text


def test_a_subscriber_replaces_a_leaked_link(mail_rt: Runtime, smtp: tuple[Handler, int], client: TestClient) -> None:
    """Someone forwarded a digest: its owner asks for new links on the manage page; every old link dies and
    the new one arrives by email only (the page shows none: whoever holds the old link gets nothing)."""
    handler, _ = smtp
    received = digest_for(mail_rt, handler, "ann@example.org")
    manage = link_in(received, "/subscriptions/manage")  # type: ignore[arg-type]
    unsubscribe = link_in(received, "/unsubscribe")  # type: ignore[arg-type]
    r = post_form(client, manage, "/subscriptions/manage", {"token": token_of(manage), "action": "new_link"})
    assert r.status_code == 200 and "no longer works" in r.text  # type: ignore[attr-defined]
    assert "token=" not in r.text.split("<main", 1)[1]  # type: ignore[attr-defined]
    for old in (manage, unsubscribe):
        assert client.get(old).status_code == 400
    assert client.post(unsubscribe).status_code == 400  # the forwarded digest's one-click link is dead too
    ann = mail_rt.store.subscriptions.get_subscriber_by_email("ann@example.org")
    assert ann is not None and ann.state == "confirmed"
    (mail,) = [m for m in handler.to("ann@example.org") if m.message["Subject"] == "Your Paperwire subscription"]
    fresh = link_in(mail, "/subscriptions/manage")
    assert fresh != manage and client.get(fresh).status_code == 200


def test_resubscribing_a_pending_address_revokes_its_earlier_links(client: TestClient, smtp: tuple[Handler, int],
                                                                  mail_rt: Runtime) -> None:
    """Anyone can post the form for any address. Changing a pending subscription's topics must not let the
    links of the earlier email confirm what its owner never saw."""
    handler, _ = smtp
    subscribe(client, "bob@example.org", frequency="weekly", queries="energy-based models")
    (first,) = handler.to("bob@example.org")
    old_confirm, old_manage = link_in(first, "/subscriptions/confirm"), link_in(first, "/subscriptions/manage")
    page = client.get(old_confirm)
    assert "energy-based models" in page.text  # the owner sees what confirming subscribes to
    subscribe(client, "bob@example.org", frequency="daily", queries="cheap pills")  # someone else, same address
    r = client.post("/subscriptions/confirm", data={"csrf_token": csrf_of(page.text), "token": token_of(old_confirm)})
    assert r.status_code == 400 and "replaced" in r.text
    assert client.get(old_manage).status_code == 400
    bob = mail_rt.store.subscriptions.get_subscriber_by_email("bob@example.org")
    assert bob is not None and bob.state == "pending"
    second = handler.to("bob@example.org")[-1]
    page = client.get(link_in(second, "/subscriptions/confirm"))
    assert page.status_code == 200 and "cheap pills" in page.text  # the newest email shows what it confirms


def test_the_same_subscription_twice_keeps_the_first_link(client: TestClient, smtp: tuple[Handler, int]) -> None:
    """A double click sends two emails; the link of either confirms (nothing changed in between)."""
    handler, _ = smtp
    for _ in range(2):
        subscribe(client, "cy@example.org", frequency="daily", queries="diffusion")
    first, _ = handler.to("cy@example.org")
    page = client.get(link_in(first, "/subscriptions/confirm"))
    r = client.post("/subscriptions/confirm", data={"csrf_token": csrf_of(page.text),
                                                    "token": token_of(link_in(first, "/subscriptions/confirm"))})
    assert r.status_code == 200 and "Subscription confirmed" in r.text
