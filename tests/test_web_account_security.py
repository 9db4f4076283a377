"""The hardening of accounts ("[W2 2/6] Hardening") through the pages and the API, in-process, on both
stores: the pre-account takeover and its undoing, sign-up answers that tell nothing, API tokens kept to
/api/v1, throttled current-password checks, the password form's choice, HSTS and the secret warning."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from paperwire.runtime import Runtime
from paperwire.security.keys import digest
from paperwire.web import create_app
from tests.helpers.community import PASSWORD, csrf_of, link_in, post_form, sign_in, sign_up
from tests.helpers.smtp import Handler

CSRF_FIELD = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


def new_token(client: TestClient, scopes: list[str]) -> str:
    """Make an API token on the account page of the signed-in client."""
    page = client.post("/account/tokens", data={"csrf_token": csrf_of(client.get("/account").text),
                                                "name": "script", "scopes": scopes})
    assert page.status_code == 200
    match = re.search(r'class="cm-token">(pw_[A-Za-z0-9_-]+)<', page.text)
    assert match, page.text
    return match.group(1)


def test_a_squatted_account_is_handed_clean_to_the_owner_of_the_address(
        client: TestClient, smtp: tuple[Handler, int], mail_rt: Runtime) -> None:
    handler, _ = smtp
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as squatter:
        # the squatter signs up with the victim's address and cannot verify it...
        sign_up(squatter, handler, email="victim@example.org", handle="squatter", verify=False)
        assert sign_in(squatter, email="victim@example.org").status_code == 303  # type: ignore[attr-defined]
        account = squatter.get("/account")
        assert 'action="/account/tokens"' not in account.text and "API tokens work only for verified" in account.text
        refused = squatter.post("/account/tokens", data={"csrf_token": csrf_of(account.text), "name": "x",
                                                         "scopes": ["read", "write"]})
        assert refused.status_code == 403 and "Verify your email address before using API tokens" in refused.text
        assert "pw_" not in refused.text
        # ...so a token of theirs can only be one an older version let them make
        user = mail_rt.store.accounts.get_user_by_email("victim@example.org")
        assert user is not None
        mail_rt.store.accounts.create_api_token(user.id, "old", digest("pw_squatters-old-token"), "pw_squatt",
                                                ["read", "write"])
        bearer = {"Authorization": "Bearer pw_squatters-old-token"}
        refused = squatter.get("/api/v1/library", headers=bearer)
        assert refused.status_code == 403 and "Verify your email" in refused.json()["error"]["message"]
        # the victim resets the password from their inbox, and chooses their own name
        post_form(client, "/account/reset", "/account/reset", {"email": "victim@example.org"})
        form = client.get(link_in(handler.to("victim@example.org")[-1], "/account/reset"))
        assert form.status_code == 200 and 'name="handle"' in form.text and "never verified" in form.text
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        data = {"csrf_token": csrf_of(form.text), "token": token, "password": "the victim's password"}
        missing = client.post("/account/reset/password", data=data)
        assert missing.status_code == 422 and 'name="handle"' in missing.text
        done = client.post("/account/reset/password", data={**data, "handle": "victim"}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/account"
        assert "victim" in client.get("/account").text
        # nothing of the squatter's is left
        assert squatter.get("/account", follow_redirects=False).status_code == 303
        assert squatter.get("/api/v1/library", headers=bearer).status_code == 401
        assert client.get("/u/squatter").status_code == 404 and client.get("/u/victim").status_code == 200
        assert sign_in(squatter, email="victim@example.org").status_code == 401  # type: ignore[attr-defined]


def test_a_reset_revokes_api_tokens_through_the_pages(client: TestClient, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    sign_up(client, handler)
    sign_in(client)
    writer = new_token(client, ["read", "write"])
    bearer = {"Authorization": f"Bearer {writer}"}
    with TestClient(client.app) as script:
        assert script.get("/api/v1/library", headers=bearer).status_code == 200
        post_form(client, "/account/reset", "/account/reset", {"email": "ann@example.org"})
        form = client.get(link_in(handler.to("ann@example.org")[-1], "/account/reset"))
        assert 'name="handle"' not in form.text  # a verified account keeps its name
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        client.post("/account/reset/password", data={"csrf_token": csrf_of(form.text), "token": token,
                                                      "password": "a new passphrase"})
        assert script.get("/api/v1/library", headers=bearer).status_code == 401
        assert script.put("/api/v1/upvotes/2606.00001", headers=bearer).status_code == 401
    assert "revoked" in client.get("/account").text


def test_sign_up_answers_alike_whatever_the_email(client: TestClient, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    sign_up(client, handler)  # ann@example.org is "ann"
    sign_up(client, handler, email="bob@example.org", handle="bob")

    def attempt(email: str, handle: str) -> tuple[int, str]:
        r = post_form(client, "/signup", "/signup", {"email": email, "handle": handle, "password": PASSWORD})
        return r.status_code, CSRF_FIELD.sub("", r.text).replace(email, "ADDRESS")  # type: ignore[attr-defined]

    new_taken = attempt("zed@example.org", "bob")
    known_taken = attempt("ann@example.org", "bob")
    known_free = attempt("ann@example.org", "nobody-has-this")
    new_free = attempt("yan@example.org", "yan")
    assert new_taken == known_taken == known_free == new_free
    assert new_taken[0] == 200 and "Check your email" in new_taken[1]
    assert [m.message["Subject"] for m in handler.to("zed@example.org")] == ["Choose another name on Paperwire"]
    assert "bob" in handler.to("zed@example.org")[0].part("plain")
    assert [m.message["Subject"] for m in handler.to("ann@example.org")][-2:] == ["Your Paperwire account"] * 2
    assert [m.message["Subject"] for m in handler.to("yan@example.org")] == ["Verify your email for Paperwire"]


def test_api_tokens_are_not_credentials_on_pages(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    writer = new_token(client, ["read", "write"])
    bearer = {"Authorization": f"Bearer {writer}"}
    with TestClient(client.app) as thief:  # holds the token, not the session
        assert thief.get("/api/v1/me", headers=bearer).json()["handle"] == "ann"  # the API takes it
        assert thief.get("/account", headers=bearer, follow_redirects=False).status_code == 303
        changed = thief.post("/account/password", headers=bearer, data={"current": PASSWORD, "new": "stolen!stolen!"})
        assert changed.status_code == 403
        assert thief.post("/account/tokens", headers=bearer, data={"name": "more", "scopes": ["write"]}
                          ).status_code == 403
        assert thief.post("/upvote/2606.00001", headers=bearer).status_code == 403
    client.post("/signout", data={"csrf_token": csrf_of(client.get("/account").text)})
    assert sign_in(client).status_code == 303  # type: ignore[attr-defined]  # the password is unchanged


def test_current_password_checks_are_throttled(mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    settings = mail_rt.settings.model_copy(update={"login_max_failures_per_account": 3})
    with TestClient(create_app(settings, mail_rt.store)) as c:
        sign_up(c, smtp[0])
        sign_in(c)
        token = csrf_of(c.get("/account").text)
        for guess in ("guess one", "guess two", "guess three"):
            r = c.post("/account/password", data={"csrf_token": token, "current": guess, "new": "the thief's own",
                                                  "sign_out": "1"})
            assert r.status_code == 422 and "current password is not right" in r.text
        r = c.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": "the thief's own",
                                              "sign_out": "1"}, follow_redirects=False)
        assert r.status_code == 429 and "Too many wrong passwords" in r.text
        assert c.get("/account").status_code == 200  # still the same session: nothing changed
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as other:  # the password did not change
        assert sign_in(other, password="the thief's own").status_code == 401  # type: ignore[attr-defined]
        assert sign_in(other).status_code == 303  # type: ignore[attr-defined]


def test_changing_the_password_offers_to_sign_out_elsewhere(client: TestClient, smtp: tuple[Handler, int],
                                                            mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    account = client.get("/account").text
    assert re.search(r'<input type="checkbox" name="sign_out" value="1" checked>', account)
    reader = new_token(client, ["read"])
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as laptop, TestClient(client.app) as script:
        sign_in(laptop)
        bearer = {"Authorization": f"Bearer {reader}"}
        r = client.post("/account/password", data={"csrf_token": csrf_of(account), "current": PASSWORD,
                                                    "new": "second passphrase"})  # the box unticked
        assert r.status_code == 200 and "Your password is changed" in r.text
        assert laptop.get("/account", follow_redirects=False).status_code == 200
        assert script.get("/api/v1/me", headers=bearer).status_code == 200
        r = client.post("/account/password", data={"csrf_token": csrf_of(r.text), "current": "second passphrase",
                                                    "new": "third passphrase", "sign_out": "1"},
                        follow_redirects=False)
        assert r.status_code == 303 and client.get("/account").status_code == 200  # this browser: a new session
        assert laptop.get("/account", follow_redirects=False).status_code == 303
        assert script.get("/api/v1/me", headers=bearer).status_code == 401


def test_https_sites_send_hsts(mail_rt: Runtime) -> None:
    secure = mail_rt.settings.model_copy(update={"base_url": "https://papers.example.org"})
    with TestClient(create_app(secure, mail_rt.store), base_url="https://testserver") as c:
        for path in ("/", "/signin", "/api/v1/papers/2606.00001", "/no-such-page"):
            assert c.get(path).headers["strict-transport-security"] == "max-age=31536000", path
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:  # plain HTTP: no promise to make
        assert "strict-transport-security" not in c.get("/").headers


def test_admins_are_warned_when_an_https_site_keeps_its_secret_in_the_database(
        client: TestClient, mail_rt: Runtime, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    secure = mail_rt.settings.model_copy(update={"base_url": "https://papers.example.org"})
    with TestClient(create_app(secure, mail_rt.store), base_url="https://testserver") as c:
        sign_in(c)
        assert "PAPERWIRE_SECRET_KEY" not in c.get("/account").text  # members are not told
        user = mail_rt.store.accounts.get_user_by_email("ann@example.org")
        mail_rt.store.accounts.update_user(user.id, is_admin=True)  # type: ignore[union-attr]
        warning = c.get("/account").text
        assert "PAPERWIRE_SECRET_KEY is not set" in warning and "forge password-reset links" in warning
    keyed = secure.model_copy(update={"secret_key": SecretStr("a-secret-from-the-environment")})
    with TestClient(create_app(keyed, mail_rt.store), base_url="https://testserver") as c:
        sign_in(c)
        assert "PAPERWIRE_SECRET_KEY" not in c.get("/account").text
