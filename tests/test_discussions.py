"""Discussions on papers, as members, moderators and visitors use them, on both backends: comment and
reply through the page's forms (CSRF, no JavaScript), hostile Markdown/HTML/LaTeX stored as written and
shown safely, the edit window, deleting (a tombstone keeps replies), upvotes, reports and moderation (page
and CLI), the per-account rate limit and the first-post hold, opt-in reply emails through the outbox
(once per reply, with a one-click opt-out), comment counts on listings, in our API and in the Hugging
Face–compatible API, and the JSON API for scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from paperwire.cli import cli
from paperwire.community.markup import render_comment
from paperwire.digest.service import deliver_outbox
from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.web import create_app
from tests.helpers.community import PAPERS, csrf_of, link_in, mail_sent, mail_settings, sign_in, sign_up
from tests.helpers.smtp import Handler
from tests.helpers.tokens import member_token

A, B = "2606.00001", "2606.00002"
HOSTILE = [
    "<script>alert('s')</script>",
    "[click](javascript:alert('j'))",
    "<img src=x onerror=alert('o')>",
    "<img src=http://evil.example/pixel.png>",
    "![pixel](http://evil.example/pixel.png)",
    "$<script>alert('m')</script>$",
    "$$</div><script>alert('d')</script>$$",
    "\\(<b onmouseover=alert('p')>\\)",
    "unbalanced $x <script>alert('u')</script> and \\( y",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
]


@pytest.fixture
def rt(db_url: str, tmp_path: Path, store: Store, smtp: tuple[Handler, int]) -> Iterator[Runtime]:
    """The hand-made papers, mail to the test SMTP server, and no first-post hold (tests of the hold
    turn it on)."""
    store.papers.upsert_papers(PAPERS)
    runtime = Runtime(mail_settings(db_url, tmp_path, smtp[1], comment_hold_hours=0), store)
    runtime.indexes.sync()
    yield runtime


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt.settings, rt.store)) as c:
        yield c


def member(client: TestClient, smtp: tuple[Handler, int], handle: str) -> TestClient:
    """A second browser with ``handle`` signed up, verified and signed in."""
    c = TestClient(client.app)
    c.__enter__()
    sign_up(c, smtp[0], f"{handle}@example.org", handle)
    sign_in(c, f"{handle}@example.org")
    return c


@pytest.fixture
def ann(client: TestClient, smtp: tuple[Handler, int]) -> Iterator[TestClient]:
    c = member(client, smtp, "ann")
    yield c
    c.__exit__(None, None, None)


@pytest.fixture
def bob(client: TestClient, smtp: tuple[Handler, int]) -> Iterator[TestClient]:
    c = member(client, smtp, "bob")
    yield c
    c.__exit__(None, None, None)


def comment(c: TestClient, paper: str, body: str) -> Any:
    """Fill the paper page's "Add a comment" form and press "Post comment"."""
    page = c.get(f"/paper/{paper}")
    assert 'for="comment-body">Add a comment' in page.text and ">Post comment</button>" in page.text
    return c.post("/comments", data={"csrf_token": csrf_of(page.text), "paper": paper, "body": body},
                  follow_redirects=False)


def posted_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    match = re.search(r"#comment-(\d+)$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def reply(c: TestClient, comment_id: int, body: str) -> Any:
    """Press "Reply" under a comment, fill "Your reply" and press "Post reply"."""
    form = c.get(f"/comments/{comment_id}/reply")
    assert form.status_code == 200 and ">Post reply</button>" in form.text
    return c.post(f"/comments/{comment_id}/reply", data={"csrf_token": csrf_of(form.text), "body": body},
                  follow_redirects=False)


def act(c: TestClient, path: str, **data: str) -> Any:
    token = csrf_of(c.get(f"/paper/{A}").text)
    return c.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def discussion_of(html: str) -> str:
    start = html.index('id="discussion"')
    return html[start:html.index("</section>", start)]


class Elements(HTMLParser):
    """Every element of an HTML fragment with its attributes, as a browser parses it."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """Nothing in ``html`` runs or loads: no script, image, frame or style element, no event handler
    attribute, no link but http(s), mailto or a path here, and every link is nofollow."""
    for tag, attrs in Elements(html).found:
        assert tag not in {"script", "img", "iframe", "style", "object", "embed", "svg", "math"}, html
        assert not any(name.startswith("on") or name in {"style", "src"} for name in attrs), html
        if tag == "a" and "href" in attrs:
            href = (attrs["href"] or "").strip().lower()
            assert href.startswith(("http://", "https://", "mailto:", "/", "#")), html


def uid(rt: Runtime, handle: str) -> int:
    user = rt.store.accounts.get_user_by_handle(handle)
    assert user is not None
    return user.id


# -- rendering (pure) -------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_sources_render_to_nothing_that_runs(source: str) -> None:
    html = render_comment(source)
    assert_inert(html)
    assert all(tag in {"p", "span", "div", "a"} for tag, _ in Elements(html).found), html


def test_math_reaches_katex_intact_and_markdown_leaves_it_alone() -> None:
    html = render_comment("Let $a_1 * b_2 = c_1 * d_2$ and \\(x < y\\), then\n\n$$\\sum_{i} x_i^2$$")
    assert "$a_1 * b_2 = c_1 * d_2$" in html  # no <em> from the stars and underscores
    assert "\\(x &lt; y\\)" in html and "$$\\sum_{i} x_i^2$$" in html
    assert render_comment("$<script>$") == "<p><span>$&lt;script&gt;$</span></p>\n"
    assert render_comment("costs $5 and $10") == "<p>costs $5 and $10</p>\n"  # prices are not formulas
    assert "<em>" in render_comment("*yes*") and "<h1" not in render_comment("# not a heading")


def test_links_are_nofollow_and_images_from_anywhere_become_links() -> None:
    html = render_comment("see https://arxiv.org/abs/2501.00001 and ![chart](http://evil.example/x.png)")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert '<a href="http://evil.example/x.png" rel="nofollow ugc noopener">chart</a>' in html
    assert "<img" not in html


# -- comments through the page ----------------------------------------------------------------------------
def test_hostile_comments_are_stored_as_written_and_shown_safely(client: TestClient, ann: TestClient,
                                                                  rt: Runtime) -> None:
    ids = [posted_id(comment(ann, A, source)) for source in HOSTILE]
    stored = rt.store.discussions.get_comments(ids)
    assert [stored[i].body for i in ids] == HOSTILE  # the source, exactly as written
    for viewer in (client, ann):
        section = discussion_of(viewer.get(f"/paper/{A}").text)
        bodies = re.findall(r'<div class="dc-body math">(.*?)</div>\s*<div class="cm-actions', section, re.S)
        assert len(bodies) == len(HOSTILE)
        for body in bodies:
            assert_inert(body)
        assert "<span>$&lt;script&gt;alert('m')&lt;/script&gt;$</span>" in section  # for KaTeX, as text
    api = client.get(f"/api/v1/papers/{A}/comments").json()
    assert [c["body"] for c in api["comments"]] == HOSTILE and api["count"] == len(HOSTILE)
    assert all("<script" not in c["html"] for c in api["comments"])


def test_signed_out_visitors_read_but_are_asked_to_sign_in(client: TestClient, ann: TestClient) -> None:
    posted_id(comment(ann, A, "A *question* for the authors."))
    page = client.get(f"/paper/{A}")
    assert "<em>question</em>" in page.text and "Sign in to comment" in page.text and "Post comment" not in page.text
    assert client.post("/comments", data={"paper": A, "body": "x"}).status_code == 403  # no CSRF token, no session


def test_replies_thread_one_level_and_deleting_keeps_a_tombstone(client: TestClient, ann: TestClient,
                                                                   bob: TestClient, rt: Runtime) -> None:
    first = posted_id(comment(ann, A, "Where is the code?"))
    answer = posted_id(reply(bob, first, "In the appendix."))
    again = posted_id(reply(ann, answer, "Thanks, found it."))  # a reply to a reply joins the thread
    stored = rt.store.discussions.get_comments([answer, again])
    assert stored[answer].parent_id == first and stored[again].parent_id == first
    assert stored[again].reply_to_user == uid(rt, "bob")
    assert act(bob, f"/comments/{first}/delete").status_code == 403  # only the author deletes
    assert act(ann, f"/comments/{first}/delete").status_code == 303
    section = discussion_of(client.get(f"/paper/{A}").text)
    assert "This comment was deleted by its author." in section and "Where is the code?" not in section
    assert "In the appendix." in section and "Thanks, found it." in section
    assert client.get(f"/api/v1/papers/{A}").json()["comments"] == 2  # the tombstone does not count
    assert rt.store.discussions.get_comment(first).body == ""  # type: ignore[union-attr]
    act(ann, f"/comments/{again}/delete")
    act(bob, f"/comments/{answer}/delete")
    assert "No comments yet" in client.get(f"/paper/{A}").text  # tombstones without replies go


def test_edit_within_the_window_only(ann: TestClient, bob: TestClient, rt: Runtime) -> None:
    cid = posted_id(comment(ann, A, "Frist!"))
    assert f'href="/comments/{cid}/edit"' in ann.get(f"/paper/{A}").text
    assert f'href="/comments/{cid}/edit"' not in bob.get(f"/paper/{A}").text
    form = ann.get(f"/comments/{cid}/edit")
    assert "Frist!</textarea>" in form.text
    saved = ann.post(f"/comments/{cid}/edit", data={"csrf_token": csrf_of(form.text), "body": "First!"},
                     follow_redirects=False)
    assert saved.status_code == 303 and "First!" in ann.get(f"/paper/{A}").text and "· edited" in ann.get(
        f"/paper/{A}").text
    assert bob.post(f"/comments/{cid}/edit", data={"csrf_token": csrf_of(bob.get(f"/paper/{A}").text),
                                                  "body": "mine now"}).status_code == 403
    later = rt.store.clock() + timedelta(minutes=rt.settings.comment_edit_minutes + 1)
    rt.store.db.clock = lambda: later
    assert f'href="/comments/{cid}/edit"' not in ann.get(f"/paper/{A}").text
    refused = ann.post(f"/comments/{cid}/edit", data={"csrf_token": csrf_of(form.text), "body": "Too late"})
    assert refused.status_code == 403 and "can only be deleted now" in refused.text
    assert "Too late</textarea>" in refused.text  # the text is not lost
    assert rt.store.discussions.get_comment(cid).body == "First!"  # type: ignore[union-attr]


def test_upvotes_are_once_per_member_and_reversible(ann: TestClient, bob: TestClient, rt: Runtime) -> None:
    cid = posted_id(comment(ann, A, "Nice result."))
    for _ in range(2):
        assert act(bob, f"/comments/{cid}/vote", on="1").status_code == 303
    assert rt.store.discussions.get_comment(cid).upvotes == 1  # type: ignore[union-attr]
    assert 'aria-pressed="true"' in discussion_of(bob.get(f"/paper/{A}").text)
    act(bob, f"/comments/{cid}/vote", on="0")
    assert rt.store.discussions.get_comment(cid).upvotes == 0  # type: ignore[union-attr]
    assert act(ann, f"/comments/{cid}/vote", on="1").status_code == 422  # not one's own


def test_a_reported_comment_hidden_on_the_moderation_page_disappears_for_others(
        client: TestClient, ann: TestClient, bob: TestClient, rt: Runtime, smtp: tuple[Handler, int]) -> None:
    cid = posted_id(comment(ann, A, "Buy cheap watches at example.com"))
    form = bob.get(f"/comments/{cid}/report")
    assert form.status_code == 200 and 'for="reason"' in form.text
    done = bob.post(f"/comments/{cid}/report", data={"csrf_token": csrf_of(form.text), "reason": "spam"})
    assert done.status_code == 200 and "moderators will look" in done.text
    assert bob.get("/moderation/comments").status_code == 403  # members are not moderators
    mod = member(client, smtp, "mod")
    rt.store.accounts.update_user(uid(rt, "mod"), is_admin=True)
    queue = mod.get("/moderation/comments")
    assert "Reported (1)" in queue.text and "bob: spam" in queue.text and "Buy cheap watches" in queue.text
    hidden = mod.post(f"/moderation/comments/{cid}/hide", data={"csrf_token": csrf_of(queue.text), "reason": "spam"},
                      follow_redirects=False)
    assert hidden.status_code == 303
    for other in (client, bob):
        assert "Buy cheap watches" not in other.get(f"/paper/{A}").text
        assert other.get(f"/api/v1/comments/{cid}").status_code == 404
    assert "Hidden by a moderator" in ann.get(f"/paper/{A}").text  # its author is told
    assert client.get(f"/api/v1/papers/{A}").json()["comments"] == 0
    assert "No open reports" in mod.get("/moderation/comments").text and "Hidden (1)" in mod.get(
        "/moderation/comments").text
    mod.post(f"/moderation/comments/{cid}/show", data={"csrf_token": csrf_of(queue.text)})
    assert "Buy cheap watches" in client.get(f"/paper/{A}").text
    mod.__exit__(None, None, None)


def cli_run(rt: Runtime, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", rt.settings.resolved_database_url(), "--data-dir",
                                    str(rt.settings.data_dir), *args], catch_exceptions=False)


def test_moderators_hide_and_unhide_from_the_command_line(client: TestClient, ann: TestClient, bob: TestClient,
                                                          rt: Runtime) -> None:
    cid = posted_id(comment(ann, A, "You are all idiots."))
    bob.post(f"/comments/{cid}/report", data={"csrf_token": csrf_of(bob.get(f"/comments/{cid}/report").text),
                                             "reason": "abusive"})
    listed = cli_run(rt, "admin", "comments", "reports")
    assert f"#{cid}" in listed.output and "reported by bob" in listed.output and "abusive" in listed.output
    assert cli_run(rt, "admin", "comments", "hide", str(cid), "--reason", "abuse").exit_code == 0
    assert "You are all idiots." not in client.get(f"/paper/{A}").text
    assert "nothing to moderate" in cli_run(rt, "admin", "comments", "reports").output
    assert f"#{cid}" in cli_run(rt, "admin", "comments", "list", "--status", "hidden").output
    assert cli_run(rt, "admin", "comments", "unhide", str(cid)).exit_code == 0
    assert "You are all idiots." in client.get(f"/paper/{A}").text
    assert cli_run(rt, "admin", "comments", "hide", "999999").exit_code == 1


def test_the_rate_limit_refuses_with_retry_after_and_keeps_the_text(client: TestClient, smtp: tuple[Handler, int],
                                                                     rt: Runtime) -> None:
    limited = rt.settings.model_copy(update={"comments_per_hour": 2})
    with TestClient(create_app(limited, rt.store)) as c:
        sign_up(c, smtp[0])
        sign_in(c)
        for n in range(2):
            posted_id(comment(c, A, f"comment {n}"))
        refused = comment(c, A, "one too many")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "the most one account may" in refused.text and "one too many" in refused.text  # text kept
        token = member_token(Runtime(limited, rt.store), "script")
        headers = {"Authorization": f"Bearer {token}"}
        for n in range(2):
            assert c.post(f"/api/v1/papers/{A}/comments", json={"body": f"api {n}"}, headers=headers).status_code == 201
        over = c.post(f"/api/v1/papers/{A}/comments", json={"body": "api 3"}, headers=headers)
        assert over.status_code == 429 and "retry-after" in over.headers


def test_a_new_accounts_first_comment_waits_for_a_moderator(client: TestClient, smtp: tuple[Handler, int],
                                                             rt: Runtime) -> None:
    held = rt.settings.model_copy(update={"comment_hold_hours": 24})
    with TestClient(create_app(held, rt.store)) as c, TestClient(c.app) as anonymous:
        sign_up(c, smtp[0], "new@example.org", "newbie")
        sign_in(c, "new@example.org")
        cid = posted_id(comment(c, A, "Hello from a new account"))
        mine = discussion_of(c.get(f"/paper/{A}").text)
        assert "Hello from a new account" in mine and "Awaiting review" in mine
        assert "Hello from a new account" not in anonymous.get(f"/paper/{A}").text
        assert anonymous.get(f"/api/v1/papers/{A}").json()["comments"] == 0
        second = posted_id(comment(c, A, "Still new"))
        assert rt.store.discussions.get_comment(second).status == "held"  # type: ignore[union-attr]
        assert "Awaiting review (2)" in _moderation_page(client, smtp, rt)
        assert cli_run(rt, "admin", "comments", "unhide", str(cid)).exit_code == 0
        assert "Hello from a new account" in anonymous.get(f"/paper/{A}").text
        third = posted_id(comment(c, A, "Now I am trusted"))
        assert rt.store.discussions.get_comment(third).status == "visible"  # type: ignore[union-attr]
        old = rt.store.clock() + timedelta(hours=25)  # an account older than the hold is never held
        rt.store.db.clock = lambda: old
        sign_up(c, smtp[0], "later@example.org", "later")  # signed up "now": young again
        rt.store.db.clock = lambda: old + timedelta(hours=25)
        sign_in(c, "later@example.org")
        fourth = posted_id(comment(c, A, "Old enough"))
        assert rt.store.discussions.get_comment(fourth).status == "visible"  # type: ignore[union-attr]


def _moderation_page(client: TestClient, smtp: tuple[Handler, int], rt: Runtime) -> str:
    mod = member(client, smtp, "mod")
    rt.store.accounts.update_user(uid(rt, "mod"), is_admin=True)
    text = mod.get("/moderation/comments").text
    mod.__exit__(None, None, None)
    return text


# -- reply emails -----------------------------------------------------------------------------------------
def test_reply_emails_are_opt_in_go_through_the_outbox_once_and_stop_in_one_click(
        client: TestClient, ann: TestClient, bob: TestClient, rt: Runtime, smtp: tuple[Handler, int]) -> None:
    handler = smtp[0]
    before = len(handler.to("ann@example.org"))
    cid = posted_id(comment(ann, A, "Does it work on graphs?"))
    posted_id(reply(bob, cid, "Not yet."))
    mail_sent(bob)
    assert len(handler.to("ann@example.org")) == before  # off by default
    assert rt.store.outbox.list_outbox(kind="comment_reply") == []
    page = ann.get(f"/paper/{A}")
    assert "Email me when someone replies" in page.text
    assert act(ann, "/comments/replies", on="1").status_code == 303
    assert "You get an email when someone replies" in ann.get(f"/paper/{A}").text
    answer = posted_id(reply(bob, cid, "Actually, $G = (V, E)$ works <b>fine</b>."))
    mail_sent(bob)
    posted_id(reply(ann, cid, "My own reply tells nobody."))
    mail_sent(ann)
    got = handler.to("ann@example.org")[before:]
    assert len(got) == 1 and "bob replied" in got[0].message["Subject"]
    text = got[0].part("plain")
    assert "$G = (V, E)$ works <b>fine</b>." in text and f"/paper/{A}#comment-{answer}" in text
    assert "&lt;b&gt;" in got[0].part("html") and "<b>fine" not in got[0].part("html")
    assert [m.key for m in rt.store.outbox.list_outbox(kind="comment_reply")] == [f"comment_reply:{answer}"]
    assert got[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    deliver_outbox(rt)  # the worker's job finds nothing left to send: once per reply
    assert len(handler.to("ann@example.org")[before:]) == 1
    off = link_in(got[0], "/comments/replies/off")
    with TestClient(client.app) as stranger:  # the link works signed out; GET only shows a button
        assert "Stop reply emails" in stranger.get(off).text and rt.store.discussions.reply_emails(uid(rt, "ann"))
        done = stranger.post(off)
        assert done.status_code == 200 and "Reply emails are off" in done.text
        assert stranger.post(off.replace("token=", "token=9")).status_code == 400
    assert not rt.store.discussions.reply_emails(uid(rt, "ann"))
    posted_id(reply(bob, cid, "One more."))
    mail_sent(bob)
    assert len(handler.to("ann@example.org")[before:]) == 1


# -- counts and APIs ----------------------------------------------------------------------------------------
def test_counts_on_listings_the_paper_page_and_both_apis(client: TestClient, ann: TestClient, bob: TestClient,
                                                           rt: Runtime) -> None:
    first = posted_id(comment(ann, A, "one"))
    posted_id(reply(bob, first, "two"))
    posted_id(comment(bob, B, "elsewhere"))
    listing = client.get("/daily/2026-06-29").text
    assert f'href="/paper/{A}#discussion" title="comments">💬 2' in listing
    assert f'href="/paper/{B}#discussion" title="comments">💬 1' in listing
    assert "(2 comments)" in client.get(f"/paper/{A}").text
    assert client.get(f"/api/v1/papers/{A}").json()["comments"] == 2
    items = client.get("/api/daily_papers", params={"date": "2026-06-29"}).json()
    daily = {item["paper"]["id"]: item for item in items}
    assert daily[A]["numComments"] == 2 and daily[B]["numComments"] == 1 and daily["2606.00003"]["numComments"] == 0
    assert "numComments" not in daily[A]["paper"]  # where Hugging Face has it: on the item
    found = {item["paper"]["id"]: item for item in client.get("/api/papers/search", params={"q": "energy"}).json()}
    assert found[A]["numComments"] == 2


def test_the_json_api_for_scripts(client: TestClient, rt: Runtime) -> None:
    token = member_token(rt, "script")
    other = member_token(rt, "other")
    me, them = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {other}"}
    assert client.post(f"/api/v1/papers/{A}/comments", json={"body": "x"}).status_code == 403  # no session, no token
    assert client.post("/api/v1/papers/2699.99999/comments", json={"body": "x"}, headers=me).status_code == 404
    made = client.post(f"/api/v1/papers/{A}/comments", json={"body": "Is $k$ tuned?"}, headers=me)
    assert made.status_code == 201
    cid = made.json()["id"]
    assert made.json()["html"] == "<p>Is <span>$k$</span> tuned?</p>\n" and made.json()["status"] == "visible"
    answer = client.post(f"/api/v1/comments/{cid}/replies", json={"body": "Yes."}, headers=them)
    assert answer.status_code == 201 and answer.json()["parent_id"] == cid
    assert client.put(f"/api/v1/comments/{cid}/vote", headers=them).json()["upvotes"] == 1
    assert client.put(f"/api/v1/comments/{cid}/vote", headers=them).json()["upvotes"] == 1
    assert client.delete(f"/api/v1/comments/{cid}/vote", headers=them).json()["upvotes"] == 0
    edited = client.patch(f"/api/v1/comments/{cid}", json={"body": "Is $k$ tuned by hand?"}, headers=me)
    assert edited.status_code == 200 and edited.json()["edited_at"]
    assert client.patch(f"/api/v1/comments/{cid}", json={"body": "no"}, headers=them).status_code == 403
    assert client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "off-topic"},
                       headers=them).status_code == 201
    listed = client.get(f"/api/v1/papers/{A}/comments", params={"limit": 1}, headers=me).json()
    assert listed["total"] == 1 and listed["comments"][0]["replies"][0]["body"] == "Yes."
    assert listed["comments"][0]["upvoted"] is False
    assert client.get(f"/api/v1/papers/{A}/comments", params={"limit": 101}).status_code == 422
    assert client.get(f"/api/v1/papers/{A}/comments", params={"offset": 2**63}).status_code == 422
    assert client.get(f"/api/v1/comments/{2**60}").status_code == 422
    gone = client.delete(f"/api/v1/comments/{cid}", headers=me)
    assert gone.status_code == 200 and gone.json()["deleted"] and gone.json()["body"] == ""
    assert client.get(f"/api/v1/papers/{A}/comments").json()["comments"][0]["replies"][0]["body"] == "Yes."
    long = client.post(f"/api/v1/papers/{A}/comments", json={"body": "x" * 10_001}, headers=me)
    assert long.status_code == 422


def test_a_held_reply_tells_its_addressee_once_when_let_through(client: TestClient, ann: TestClient,
                                                                 rt: Runtime, smtp: tuple[Handler, int]) -> None:
    cid = posted_id(comment(ann, A, "Any ablations?"))
    act(ann, "/comments/replies", on="1")
    held = rt.settings.model_copy(update={"comment_hold_hours": 24})
    with TestClient(create_app(held, rt.store)) as newbie:
        sign_up(newbie, smtp[0], "new@example.org", "newbie")
        sign_in(newbie, "new@example.org")
        answer = posted_id(reply(newbie, cid, "Table 4."))
        mail_sent(newbie)
    assert rt.store.outbox.list_outbox(kind="comment_reply") == []  # nobody may read it yet
    for _ in range(2):  # let through twice: still one email
        assert cli_run(rt, "admin", "comments", "unhide", str(answer)).exit_code == 0
    assert [m.key for m in rt.store.outbox.list_outbox(kind="comment_reply")] == [f"comment_reply:{answer}"]
    deliver_outbox(rt)
    got = [m for m in smtp[0].to("ann@example.org") if "newbie replied" in m.message["Subject"]]
    assert len(got) == 1 and "Table 4." in got[0].part("plain")
