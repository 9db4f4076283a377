"""The site as a visitor and a member find it: the navigation (Subscribe, Sign in, Sign up, or the account
menu) on every page, the subscribe boxes, author pages with their feed and Follow button, on both stores."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.cli.worker import start_lines
from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.schedule import JOB_NAMES
from paperwire.web import create_app
from tests.helpers.community import HOSTILE, csrf_of, mail_sent, sign_in, sign_up
from tests.helpers.smtp import Handler

VISITOR_LINKS = ('href="/subscribe"', 'href="/signin"', 'href="/signup"')
MEMBER_LINKS = ('href="/for-you"', 'href="/library"', 'href="/submit"', 'href="/subscribe"', 'href="/account"',
                'href="/account/signals"', 'action="/signout"')


@pytest.fixture
def client(mail_rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(mail_rt.settings, mail_rt.store)) as c:
        yield c


def _header(html: str) -> str:
    return html.split("</header>", 1)[0]


def test_visitors_find_subscribe_sign_in_and_sign_up_on_every_page(client: TestClient) -> None:
    for path in ("/", "/search?q=energy", "/paper/2606.00001", "/author/ada-lovelace", "/c", "/signin"):
        header = _header(client.get(path).text)
        assert all(link in header for link in VISITOR_LINKS), path
        assert "account-menu" not in header and "/signout" not in header
    home = client.get("/").text
    assert "Get trending papers in your email inbox" in home
    assert home.count('action="/subscribe/start"') == 1  # the home page's box, not again in the footer
    assert 'action="/subscribe/start"' in client.get("/c").text.split("</main>", 1)[1]  # the footer's box


def test_the_subscribe_box_starts_the_subscribe_form(client: TestClient) -> None:
    page = client.post("/subscribe/start", data={"email": "bea@example.org"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'value="bea@example.org"' in page.text and 'aria-current="page"' in _header(page.text)
    r = client.post("/subscribe", data={"csrf_token": csrf_of(page.text), "email": "bea@example.org",
                                        "frequency": "weekly"})
    mail_sent(client)
    assert r.status_code == 200 and "Check your email" in r.text


def test_members_get_the_account_menu_and_sign_out_from_it(client: TestClient, smtp: tuple[Handler, int]) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    for path in ("/", "/paper/2606.00001", "/author/ada-lovelace", "/search?q=energy", "/library"):
        response = client.get(path)
        header = _header(response.text)
        assert all(link in header for link in MEMBER_LINKS), path
        assert "<summary>" in header and "ann" in header and 'href="/signin"' not in header
        assert response.headers["cache-control"] in ("private, no-store", "no-store"), path
    header = _header(client.get("/").text)
    token = re.search(r'action="/signout"><input type="hidden" name="csrf_token" value="([^"]+)"', header)
    assert token is not None
    r = client.post("/signout", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    assert all(link in _header(client.get("/").text) for link in VISITOR_LINKS)


def test_author_names_lead_to_the_author_page(client: TestClient) -> None:
    paper = client.get("/paper/2606.00001").text
    assert 'href="/author/ada-lovelace"' in paper and 'href="/author/alan-turing"' in paper
    assert 'href="/author/ada-lovelace"' in client.get("/daily/2026-06-30").text
    page = client.get("/author/ada-lovelace")
    assert page.status_code == 200 and "<h1>Ada Lovelace</h1>" in page.text
    html = page.text
    order = [html.index(f'href="/paper/{pid}"') for pid in ("2606.00006", "2606.00001", "2605.00001")]
    assert order == sorted(order)  # newest first
    assert "<strong>3</strong> papers here" in html
    assert 'href="/author/alan-turing"' in html.split("Frequent co-authors", 1)[1]
    assert "2026 <span" in html and 'href="/c/cs.LG"' in html
    assert 'href="/feeds/author/ada-lovelace.atom"' in html
    assert "Sign in to follow Ada Lovelace" in html
    assert client.get("/author/ADA_Lovelace", follow_redirects=False).headers["location"] == "/author/ada-lovelace"
    assert client.get("/author/nobody-at-all").status_code == 404
    assert client.get("/author/ada-lovelace?page=2").status_code == 404


def test_hostile_author_names_are_escaped(client: TestClient) -> None:
    paper = client.get("/paper/2606.00004").text
    link = re.search(r'href="(/author/eve-[^"]+)"', paper)
    assert link is not None and "<script>" not in link.group(1)
    page = client.get(link.group(1), follow_redirects=True)
    assert page.status_code == 200 and HOSTILE not in page.text and "&lt;script&gt;" in page.text


def test_author_feed(client: TestClient) -> None:
    for fmt in ("atom", "rss"):
        feed = client.get(f"/feeds/author/ada-lovelace.{fmt}")
        assert feed.status_code == 200 and "Papers by Ada Lovelace" in feed.text
        assert feed.text.count("arxiv.org/abs/") >= 3
        assert feed.text.index("2606.00006") < feed.text.index("2605.00001")
    assert client.get("/feeds/author/nobody-at-all.atom").status_code == 404


def test_members_follow_an_author_from_the_page(client: TestClient, smtp: tuple[Handler, int],
                                               mail_rt: Runtime) -> None:
    sign_up(client, smtp[0])
    sign_in(client)
    page = client.get("/author/ada-lovelace").text
    form = page.split('action="/follow"', 1)[1].split("</form>", 1)[0]
    assert 'name="kind" value="author"' in form and ">Follow Ada Lovelace<" in form
    r = client.post("/follow", data={"csrf_token": csrf_of(page), "kind": "author", "name": "Ada Lovelace",
                                     "on": "1", "next": "/author/ada-lovelace"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/author/ada-lovelace"
    user = mail_rt.store.accounts.get_user_by_handle("ann")
    assert user is not None
    follows = mail_rt.store.preferences.preferences(user.id, "follow")
    assert [(p.kind, p.key) for p in follows] == [("author", "ada lovelace")]
    assert 'aria-pressed="true">Following Ada Lovelace<' in client.get("/author/ada-lovelace").text


def test_run_says_where_to_go_and_what_the_worker_does(mail_rt: Runtime) -> None:
    lines = "\n".join(start_lines(Settings(port=8123), mail_rt.store.stats()))
    assert "open http://127.0.0.1:8123/ in your browser" in lines
    assert f"holds {mail_rt.store.stats().papers} papers" in lines
    assert all(name in lines for name in JOB_NAMES) and "needs arxiv.org" in lines
    assert "Mail is off" in lines
