"""Account and community pages through the in-process ASGI client: sign-up to upvote, CSRF, cookies,
throttling, generic errors, resets, API tokens, moderation and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.runtime import Runtime
from paperwire.web import create_app
from tests.helpers.community import HOSTILE, PASSWORD, csrf_of, link_in, post_form, sign_in, sign_up
from tests.helpers.smtp import Handler


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


def test_sign_up_verify_sign_in_upvote_save_submit(client: TestClient, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    sign_up(client, handler)
    r = sign_in(client)
    assert r.status_code == 303 and r.headers["location"] == "/account"  # type: ignore[attr-defined]
    cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    account = client.get("/account")
    assert account.status_code == 200 and "ann@example.org" in account.text
    assert account.headers["cache-control"] == "private, no-store"  # a member's page: never shared
    token = csrf_of(account.text)
    r = client.post("/upvote/2606.00001", data={"csrf_token": token, "next": "/submissions"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/submissions"
    r = client.post("/save/2606.00002", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/paper/2606.00002"
    r = client.post("/submit", data={"csrf_token": token, "paper": "https://arxiv.org/abs/2606.00003v2"})
    assert r.status_code == 200 and "Submitted" in r.text
    listing = client.get("/submissions")
    assert "Gaussian Splatting in the Wild" in listing.text and 'href="/u/ann"' in listing.text
    library = client.get("/library")
    assert "Scaling Energy-Based Models" in library.text and 'aria-pressed="true"' in library.text
    me = client.get("/api/v1/me").json()
    assert me["handle"] == "ann" and me["library"] == 1 and me["verified"]
    counts = client.get("/api/v1/community", params={"ids": "2606.00001,2606.00003"}).json()
    assert counts["2606.00001"] == {"upvotes": 1, "submitted_by": None, "upvoted": True, "saved": False}
    assert counts["2606.00003"]["submitted_by"] == "ann" and counts["2606.00003"]["upvotes"] == 1


def test_unverified_accounts_cannot_act(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0], verify=False)
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    r = client.post("/upvote/2606.00001", data={"csrf_token": token})
    assert r.status_code == 403 and "Verify your email" in r.text


def test_csrf_is_enforced(client: TestClient, smtp: tuple[Handler, int], mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    assert client.post("/signin", data={"email": "ann@example.org", "password": PASSWORD}).status_code == 403
    assert client.post("/signin", data={"email": "ann@example.org", "password": PASSWORD,
                                        "csrf_token": "forged"}).status_code == 403
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as other:  # a token from another browser
        foreign = csrf_of(other.get("/signin").text)
    client.get("/signin")
    assert client.post("/signin", data={"email": "ann@example.org", "password": PASSWORD,
                                        "csrf_token": foreign}).status_code == 403
    assert sign_in(client).status_code == 303  # type: ignore[attr-defined]
    token = csrf_of(client.get("/account").text)
    assert client.post("/upvote/2606.00001", data={}).status_code == 403
    assert client.post("/upvote/2606.00001", data={"csrf_token": token},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.put("/api/v1/upvotes/2606.00001").status_code == 403  # a JSON call needs the header
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    r = client.put("/api/v1/upvotes/2606.00001", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json() == {"paper": "2606.00001", "upvotes": 1, "upvoted": True, "saved": False}
    assert client.post("/signout", data={}).status_code == 403
    assert client.get("/account").status_code == 200  # still signed in


def test_secure_site_uses_host_prefixed_secure_cookies(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    settings = mail_rt.settings.model_copy(update={"base_url": "https://papers.example.org"})
    with TestClient(create_app(settings, mail_rt.store), base_url="https://testserver") as c:
        first = c.get("/signup")
        assert first.headers["set-cookie"].startswith("__Host-csrf=") and "Secure" in first.headers["set-cookie"]
        r = c.post("/signup", data={"csrf_token": csrf_of(first.text), "email": "ann@example.org", "handle": "ann",
                                    "password": PASSWORD})
        assert r.status_code == 200
        r = sign_in(c)
        cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
        assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Domain" not in cookie
        assert c.get("/account").status_code == 200


def test_sign_in_failures_are_generic_and_throttled(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    settings = mail_rt.settings.model_copy(update={"login_max_failures_per_account": 3,
                                                   "login_max_failures_per_ip": 6})
    with TestClient(create_app(settings, mail_rt.store)) as c:
        sign_up(c, smtp[0])
        wrong = sign_in(c, password="not my password")
        unknown = sign_in(c, email="nobody@example.org")
        assert wrong.status_code == unknown.status_code == 401  # type: ignore[attr-defined]
        message = re.search(r'role="alert">([^<]+)<', wrong.text).group(1)  # type: ignore[attr-defined, union-attr]
        assert message in unknown.text and "Wrong email or password" in message  # type: ignore[attr-defined]
        sign_in(c, password="again wrong")
        sign_in(c, password="third time")
        blocked = sign_in(c)  # the right password, but the account had 3 failures this hour
        assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text  # type: ignore[attr-defined]
        for i in range(2):  # other accounts from the same client: the per-address limit (6) is reached
            sign_in(c, email=f"x{i}@example.org")
        assert sign_in(c, email="fresh@example.org").status_code == 429  # type: ignore[attr-defined]


def test_sign_up_with_a_known_address_looks_the_same(client: TestClient, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    first = post_form(client, "/signup", "/signup", {"email": "ann@example.org", "handle": "ann", "password": PASSWORD})
    second = post_form(client, "/signup", "/signup", {"email": "ann@example.org", "handle": "bob",
                                                      "password": "another password"})
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", first.text) == strip.sub("", second.text)  # type: ignore[attr-defined]
    subjects = [m.message["Subject"] for m in handler.to("ann@example.org")]
    assert subjects == ["Verify your email for Paperwire", "Your Paperwire account"]
    known = post_form(client, "/account/reset", "/account/reset", {"email": "ann@example.org"})
    unknown = post_form(client, "/account/reset", "/account/reset", {"email": "zed@example.org"})
    assert known.text.replace("ann@example.org", "X") == unknown.text.replace("zed@example.org", "X")  # type: ignore[attr-defined]
    assert handler.to("zed@example.org") == []


def test_password_reset_through_the_pages(client: TestClient, smtp: tuple[Handler, int], mail_rt: Runtime) -> None:
    handler, _ = smtp
    sign_up(client, handler)
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as elsewhere:
        sign_in(elsewhere)
        assert elsewhere.get("/account").status_code == 200
        post_form(client, "/account/reset", "/account/reset", {"email": "ann@example.org"})
        link = link_in(handler.to("ann@example.org")[-1], "/account/reset")
        form = client.get(link)
        assert form.status_code == 200 and 'name="password"' in form.text
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        r = client.post("/account/reset/password", data={"csrf_token": csrf_of(form.text), "token": token,
                                                         "password": "a new passphrase"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account"
        assert client.get("/account").status_code == 200  # signed in with the new password
        assert elsewhere.get("/account", follow_redirects=False).status_code == 303  # other sessions ended
    again = client.get(link)
    assert again.status_code == 400 and "invalid, expired or already used" in again.text
    assert sign_in(client, password=PASSWORD).status_code == 401  # type: ignore[attr-defined]


def test_api_tokens_are_scoped_and_skip_csrf(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    page = client.post("/account/tokens", data={"csrf_token": token, "name": "reader", "scopes": ["read"]})
    reader = re.search(r"(pw_[A-Za-z0-9_-]+)", page.text).group(1)  # type: ignore[union-attr]
    page = client.post("/account/tokens", data={"csrf_token": token, "name": "writer", "scopes": ["read", "write"]})
    writer = re.search(r'class="cm-token">(pw_[A-Za-z0-9_-]+)<', page.text).group(1)  # type: ignore[union-attr]
    with TestClient(client.app) as script:  # no cookies: only the bearer token
        assert script.get("/api/v1/me", headers={"Authorization": f"Bearer {reader}"}).json()["handle"] == "ann"
        r = script.put("/api/v1/upvotes/2606.00001", headers={"Authorization": f"Bearer {reader}"})
        assert r.status_code == 403
        r = script.put("/api/v1/library/2606.00001", headers={"Authorization": f"Bearer {writer}"})
        assert r.status_code == 200 and r.json()["saved"]
        lib = script.get("/api/v1/library", headers={"Authorization": f"Bearer {reader}"}).json()
        assert [p["id"] for p in lib["papers"]] == ["2606.00001"]
        assert script.get("/api/v1/me", headers={"Authorization": "Bearer pw_forged"}).status_code == 401
        assert script.get("/api/v1/library").status_code == 401
        tokens = re.findall(r'action="/account/tokens/(\d+)/revoke"', client.get("/account").text)
        client.post(f"/account/tokens/{tokens[-1]}/revoke", data={"csrf_token": token})  # the oldest: reader
        assert script.get("/api/v1/me", headers={"Authorization": f"Bearer {reader}"}).status_code == 401


def test_submissions_through_the_api(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    header = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    r = client.post("/api/v1/submissions", json={"paper": "arXiv:2606.00005"}, headers=header)
    assert r.status_code == 201 and r.json()["submitted_by"] == "ann" and r.json()["created"]
    assert client.post("/api/v1/submissions", json={"paper": "2606.00005v2"}, headers=header).status_code == 200
    assert client.post("/api/v1/submissions", json={"paper": "not a paper"}, headers=header).status_code == 422
    listed = client.get("/api/v1/submissions").json()["submissions"]
    assert [(s["paper"]["id"], s["upvotes"]) for s in listed] == [("2606.00005", 1)]


def test_a_paper_not_stored_is_queued_and_shown_as_being_fetched(client: TestClient, smtp: tuple[Handler, int],
                                                                  mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    r = client.post("/submit", data={"csrf_token": token, "paper": "https://arxiv.org/abs/2501.00042v3"})
    assert r.status_code == 202 and "We are fetching 2501.00042 from arXiv" in r.text
    assert '<a href="/paper/2501.00042">/paper/2501.00042</a>' in r.text  # works once it arrives
    assert "being fetched from arXiv" in client.get("/submit").text  # the member's requests, with their state
    assert mail_rt.store.fetches.get("2501.00042").state == "pending"  # type: ignore[union-attr]
    header = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    r = client.post("/api/v1/submissions", json={"paper": "2501.00042"}, headers=header)
    assert r.status_code == 202 and r.headers["location"] == "/api/v1/fetches/2501.00042"
    polled = client.get(r.headers["location"]).json()
    assert (polled["state"], polled["paper_url"]) == ("pending", None) and "error" not in polled
    assert client.get("/api/v1/fetches/2501.99999").status_code == 404
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as stranger:
        assert stranger.get("/api/v1/fetches/2501.00042").status_code == 401  # members only


def test_too_many_submissions_are_refused_with_retry_after(client: TestClient, smtp: tuple[Handler, int],
                                                           mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    limit = mail_rt.settings.submissions_per_hour
    for i in range(limit):
        assert client.post("/submit", data={"csrf_token": token, "paper": f"2501.{i:05d}"}).status_code == 202
    r = client.post("/submit", data={"csrf_token": token, "paper": "2606.00003"})
    assert r.status_code == 429 and f"You have submitted {limit} papers in the last hour" in r.text
    assert 3590 <= int(r.headers["retry-after"]) <= 3601
    header = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    r = client.post("/api/v1/submissions", json={"paper": "2606.00003"}, headers=header)
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"
    assert 3590 <= int(r.headers["retry-after"]) <= 3601
    assert mail_rt.store.community.list_submissions() == []  # nothing recorded past the limit


def test_disabled_accounts_and_hidden_submissions(client: TestClient, smtp: tuple[Handler, int],
                                                  mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    client.post("/submit", data={"csrf_token": token, "paper": "2606.00003"})
    mail_rt.store.community.set_submission_hidden("2606.00003", True, "spam")
    assert "Gaussian Splatting" not in client.get("/submissions").text
    user = mail_rt.store.accounts.get_user_by_email("ann@example.org")
    mail_rt.store.accounts.update_user(user.id, disabled=True)  # type: ignore[union-attr]
    assert client.get("/account", follow_redirects=False).status_code == 303  # the session is gone
    assert sign_in(client).status_code == 401  # type: ignore[attr-defined]
    assert client.get("/u/ann").status_code == 404


def test_libraries_are_private_unless_made_public(client: TestClient, smtp: tuple[Handler, int],
                                                  mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    client.post("/save/2606.00007", data={"csrf_token": token})
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as stranger:
        assert "This library is private" in stranger.get("/u/ann").text
        client.post("/account/library", data={"csrf_token": token, "public": "1"})
        assert "Diffusion for Video" in stranger.get("/u/ann").text


def test_hostile_titles_are_escaped_on_community_pages(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    token = csrf_of(client.get("/account").text)
    client.post("/save/2606.00004", data={"csrf_token": token})
    client.post("/submit", data={"csrf_token": token, "paper": "2606.00004"})
    for path in ("/library", "/submissions", "/u/ann"):
        text = client.get(path).text
        assert HOSTILE not in text and "&lt;script&gt;" in text, path


def test_redirects_stay_on_this_site(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = post_form(client, "/signin", "/signin", {"email": "ann@example.org", "password": PASSWORD,
                                                     "next": target}, follow_redirects=False)
        assert r.headers["location"] == "/account"  # type: ignore[attr-defined]
        client.post("/signout", data={"csrf_token": csrf_of(client.get("/account").text)})
