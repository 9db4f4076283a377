"""A discussion in Chromium under the real CSP: two members comment and reply by clicking, the formulas
render with KaTeX while hostile HTML and ``$<script>$`` stay text (no dialog opens, no element is
injected), a member reports a comment and a moderator hides it from the moderation page; axe-core finds
no serious violation on the paper page with its discussion, the reply form and the moderation page, wide
and on a phone. Screenshots: test-output/screenshots/discussion-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from paperwire.accounts.passwords import hash_password
from paperwire.config import Settings
from paperwire.store import Store, open_store
from paperwire.web import create_app
from tests.helpers.browser import PHONE, WIDE, Tab, axe_violations, describe, open_tab
from tests.helpers.community import PAPERS
from tests.helpers.db import drop, new_url
from tests.helpers.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
PAPER = "2606.00001"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    url = new_url("sqlite", tmp_path)
    store = open_store(url)
    store.migrate()
    store.papers.upsert_papers(PAPERS)
    for handle, admin in (("ann", False), ("bob", False), ("mod", True)):
        user = store.accounts.create_user(f"{handle}@example.org", handle, hash_password(PASSWORD))
        store.accounts.update_user(user.id, verified=True, is_admin=admin)
    settings = Settings(database_url=url, data_dir=tmp_path / "data", index_refresh_seconds=0,
                        semantic_search=False, comment_hold_hours=0)
    with live_server(create_app(settings, store)) as base:
        yield base, store
    store.close()
    drop(url)


def sign_in(tab: Tab, handle: str) -> None:
    tab.goto("/signin")
    tab.page.fill("#email", f"{handle}@example.org")
    tab.page.fill("#password", PASSWORD)
    tab.page.get_by_role("button", name="Sign in").click()
    expect(tab.page.get_by_role("heading", name="Your account")).to_be_visible()


def no_serious_violations(page: Page) -> None:
    found = axe_violations(page)
    assert found == [], describe(found)


def test_members_discuss_a_paper_and_a_moderator_hides_a_comment(browser: Browser,
                                                                  site: tuple[str, Store]) -> None:
    base, _ = site
    dialogs: list[str] = []  # an alert() that ran would open one
    ann_tabs = open_tab(browser, base, WIDE)
    ann = next(ann_tabs)
    ann.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(ann, "ann")
    ann.goto(f"/paper/{PAPER}")
    ann.page.get_by_label("Add a comment").fill(
        "Does the bound $\\|x\\|_2 \\le 1$ hold for $n > 2$?\n\n$<script>alert('m')</script>$ "
        "<img src=x onerror=alert('i')> [x](javascript:alert('j'))")
    ann.page.get_by_role("button", name="Post comment").click()
    comment = ann.page.locator("article.dc-comment").first
    expect(comment).to_contain_text("hold for")
    expect(comment.locator(".katex").first).to_be_visible()  # KaTeX rendered the formula
    expect(comment).to_contain_text("onerror=alert")  # shown as the text it is
    assert comment.locator("img, script").count() == 0 and dialogs == []
    no_serious_violations(ann.page)

    bob_tabs = open_tab(browser, base, PHONE)
    bob = next(bob_tabs)
    bob.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(bob, "bob")
    bob.goto(f"/paper/{PAPER}")
    bob.page.get_by_role("button", name="Reply").first.click()
    expect(bob.page.get_by_role("heading", name="Reply")).to_be_visible()
    no_serious_violations(bob.page)
    bob.page.get_by_label("Your reply").fill("Only for *convex* $f$, see Lemma 2.")
    bob.page.get_by_role("button", name="Post reply").click()
    reply = bob.page.locator(".dc-replies article.dc-comment").first
    expect(reply).to_contain_text("see Lemma 2.")
    expect(reply.locator("em")).to_have_text("convex")
    bob.page.get_by_role("button", name="Upvote comment by ann").click()
    expect(bob.page.get_by_role("button", name="Upvote comment by ann")).to_have_attribute("aria-pressed", "true")
    no_serious_violations(bob.page)
    bob.shot("discussion-phone")
    bob.page.get_by_role("link", name="Report comment by ann").click()
    bob.page.get_by_label("Why should a moderator look at it?").fill("script tags")
    bob.page.get_by_role("button", name="Report comment").click()
    expect(bob.page.get_by_text("moderators will look at it")).to_be_visible()

    mod_tabs = open_tab(browser, base, WIDE)
    mod = next(mod_tabs)
    sign_in(mod, "mod")
    mod.goto("/moderation/comments")
    expect(mod.page.get_by_role("heading", name="Reported (1)")).to_be_visible()
    no_serious_violations(mod.page)
    mod.shot("discussion-moderation")
    mod.page.get_by_role("button", name="Hide comment").first.click()
    expect(mod.page.get_by_role("heading", name="Hidden (1)")).to_be_visible()

    bob.goto(f"/paper/{PAPER}")
    expect(bob.page.get_by_text("hold for")).to_have_count(0)  # gone for others
    expect(bob.page.get_by_text("see Lemma 2.")).to_be_visible()  # the reply stays
    ann.goto(f"/paper/{PAPER}")
    expect(ann.page.get_by_text("Hidden by a moderator")).to_be_visible()
    ann.shot("discussion-wide")
    assert dialogs == []
    for tabs in (ann_tabs, bob_tabs, mod_tabs):  # resuming each tab's generator closes it and asserts that
        assert next(tabs, None) is None            # the browser reported no problem
