"""A newcomer who only clicks: Chromium opens ``/`` once and never types a URL again. Links in the
captured emails (a real SMTP server, aiosmtpd) are followed as a mail reader follows them.

- The journey: find Subscribe on the home page, subscribe, confirm from the email, sign up, verify from
  the email, sign in, reach an author page by clicking an author's name, follow them, comment on a paper,
  receive a digest and unsubscribe in one click from it.
- Every entry point from the home page by clicking: subscribe, sign up, sign in, submit, library, an
  author page; the account menu opened with the keyboard; axe-core finds no serious or critical violation
  on any of those pages (and on search, a paper page, the author page).

The server is ``paperwire serve`` in its own process over the hand-made papers (tests/helpers/community).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from paperwire.store import Store, open_store
from tests.helpers.browser import PHONE, WIDE, Tab, axe_violations, describe, open_tab
from tests.helpers.community import PAPERS, live_service
from tests.helpers.db import drop, new_url
from tests.helpers.replay import ReplayServer
from tests.helpers.smtp import Handler, Received

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
Service = tuple[str, Handler, list[str], dict[str, str]]


def email_link(received: Received, base: str, path: str) -> str:
    """The link to ``path`` in an email's text, as a mail reader would open it."""
    match = re.search(re.escape(base + path) + r"\S*", received.part("plain"))
    assert match, received.part("plain")
    return match.group(0)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Store]:
    url = new_url("sqlite", tmp_path)
    store = open_store(url)
    store.migrate()
    store.papers.upsert_papers(PAPERS)
    yield store
    store.close()
    drop(url)


@pytest.fixture
def service(world: Store, tmp_path: Path, recorded_arxiv: ReplayServer) -> Iterator[Service]:
    with live_service(world.url, tmp_path, recorded_arxiv.url) as running:
        yield running


@pytest.fixture
def tab(browser: Browser, service: Service) -> Iterator[Tab]:
    yield from open_tab(browser, service[0], WIDE)


def no_serious_axe(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}: {describe(violations)}"


def sign_up_and_verify(page: Page, handler: Handler, base: str, email: str, handle: str) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.fill("#email", email)
    page.fill("#handle", handle)
    page.fill("#password", PASSWORD)
    before = len(handler.messages)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Check your email", exact=False).first).to_be_visible()
    assert handler.wait_for(before + 1), "no verification email"
    verify = [m for m in handler.to(email) if "/account/verify" in m.part("plain")]
    assert verify, "no verification email"
    page.goto(email_link(verify[-1], base, "/account/verify"))  # following the email's link
    expect(page.get_by_text("verified", exact=False).first).to_be_visible()


def sign_in(page: Page, email: str) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def open_account_menu(page: Page) -> None:
    """Open the account menu with the keyboard (a <details>: no script needed)."""
    summary = page.locator(".account-menu summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(account_menu(page).get_by_role("link", name="Library", exact=True)).to_be_visible()


def account_menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Account")


def test_the_newcomers_journey_by_clicking(tab: Tab, world: Store, service: Service) -> None:
    base, handler, common, env = service
    page = tab.page
    tab.goto("/")  # the only URL typed

    # Subscribe, found on the home page
    box = page.get_by_role("complementary", name="Get trending papers in your email inbox")
    box.get_by_label("Email address").fill("ann.digests@example.org")
    box.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Subscribe to the digest")).to_be_visible()
    expect(page.locator("#email")).to_have_value("ann.digests@example.org")
    page.fill("#queries", "energy-based models")
    page.check("input[name=frequency][value=daily]")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.get_by_text("Check your email", exact=False).first).to_be_visible()
    assert handler.wait_for(1), "no confirmation email"
    page.goto(email_link(handler.to("ann.digests@example.org")[0], base, "/subscriptions/confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_text("Subscription confirmed", exact=False).first).to_be_visible()
    sub = world.subscriptions.get_subscriber_by_email("ann.digests@example.org")
    assert sub is not None and sub.state == "confirmed"

    # Sign up (verified from the email) and sign in, through the navigation
    sign_up_and_verify(page, handler, base, "ann@example.org", "ann")
    sign_in(page, "ann@example.org")

    # An author page, reached by clicking an author's name, and a follow
    page.get_by_role("link", name="Daily", exact=True).click()
    page.get_by_role("link", name="Ada Lovelace").first.click()
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()
    expect(page).to_have_url(f"{base}/author/ada-lovelace")
    page.get_by_role("button", name="Follow Ada Lovelace").click()
    expect(page.get_by_role("button", name="Following Ada Lovelace")).to_have_attribute("aria-pressed", "true")
    user = world.accounts.get_user_by_handle("ann")
    assert user is not None
    assert [(p.kind, p.key) for p in world.preferences.preferences(user.id, "follow")] == [("author", "ada lovelace")]
    tab.shot("journey-author-followed")

    # A comment on one of their papers (a new account's first comments wait for a moderator)
    page.get_by_role("link", name="Energy-Based Models Revisited").first.click()
    expect(page.get_by_role("heading", name="Discussion")).to_be_visible()
    page.get_by_label("Add a comment").fill("Does the second look change the *sampling* cost?")
    page.get_by_role("button", name="Post comment").click()
    discussion = page.get_by_role("region", name=re.compile("Discussion"))
    expect(discussion.get_by_text("sampling", exact=False).first).to_be_visible()
    tab.shot("journey-commented")

    # The digest arrives; one click on its unsubscribe link's button unsubscribes
    digest = subprocess.run([*common, "digest", "run", "--period", "daily", "--date", "2026-06-29"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert digest.returncode == 0, digest.stderr
    (received,) = [m for m in handler.to("ann.digests@example.org") if "digest" in m.message["Subject"]]
    header = re.search(r"<(http[^>]+)>", received.message["List-Unsubscribe"])
    assert header and header.group(1) in received.part("plain")
    page.goto(header.group(1))  # the digest's link, as the mail reader opens it
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_text("You are unsubscribed", exact=False).first).to_be_visible()
    sub = world.subscriptions.get_subscriber_by_email("ann.digests@example.org")
    assert sub is not None and sub.state == "unsubscribed"


def test_every_entry_point_is_reachable_from_home_by_clicking(tab: Tab, service: Service) -> None:
    base, handler, _, _ = service
    page = tab.page
    tab.goto("/")
    no_serious_axe(page, "home")
    account_nav = page.get_by_role("navigation", name="Account")
    expect(account_nav.get_by_role("link", name=re.compile("^Subscribe"))).to_contain_text(
        "trending papers in your inbox")

    account_nav.get_by_role("link", name=re.compile("^Subscribe")).click()
    expect(page.get_by_role("heading", name="Subscribe to the digest")).to_be_visible()
    no_serious_axe(page, "subscribe")
    page.get_by_role("link", name=re.compile("home")).click()

    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    no_serious_axe(page, "sign in")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    no_serious_axe(page, "sign up")

    page.get_by_role("searchbox", name="Search papers").fill("energy")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Scaling Energy-Based Models")).to_be_visible()
    no_serious_axe(page, "search")
    page.get_by_role("link", name="Scaling Energy-Based Models").click()
    expect(page.get_by_role("heading", name="Scaling Energy-Based Models", level=1)).to_be_visible()
    no_serious_axe(page, "paper page")
    page.get_by_role("link", name="Grace Hopper").first.click()
    expect(page.get_by_role("heading", name="Grace Hopper", level=1)).to_be_visible()
    no_serious_axe(page, "author page")

    page.get_by_role("link", name=re.compile("home")).click()
    sign_up_and_verify(page, handler, base, "bo@example.org", "bo")
    sign_in(page, "bo@example.org")
    open_account_menu(page)
    expect(account_menu(page).get_by_role("link", name="For you")).to_have_attribute("href", "/for-you")
    expect(account_menu(page).get_by_role("button", name="Sign out")).to_be_visible()
    account_menu(page).get_by_role("link", name="Submit a paper").click()
    expect(page.get_by_role("heading", name=re.compile("Submit"))).to_be_visible()
    no_serious_axe(page, "submit")
    open_account_menu(page)
    account_menu(page).get_by_role("link", name="Library", exact=True).click()
    expect(page).to_have_url(f"{base}/library")
    no_serious_axe(page, "library")
    page.get_by_role("link", name="Daily", exact=True).click()
    page.get_by_role("link", name="Ada Lovelace").first.click()
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()
    no_serious_axe(page, "author page, signed in")
    open_account_menu(page)
    no_serious_axe(page, "account menu open")
    account_menu(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in")).to_be_visible()


def test_the_navigation_fits_a_phone(browser: Browser, service: Service) -> None:
    for tab in open_tab(browser, service[0], PHONE):
        tab.goto("/")
        nav = tab.page.get_by_role("navigation", name="Account")
        for name in ("Subscribe", "Sign in", "Sign up"):
            link = nav.get_by_role("link", name=re.compile(f"^{name}"))
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
        tab.shot("phone-home-navigation", full_page=False)


def test_for_you_page_has_no_serious_axe_violation(tab: Tab, service: Service) -> None:
    base, handler, _, _ = service
    page = tab.page
    tab.goto("/")
    sign_up_and_verify(page, handler, base, "cy@example.org", "cy")
    sign_in(page, "cy@example.org")
    open_account_menu(page)
    account_menu(page).get_by_role("link", name="For you").click()
    expect(page).to_have_url(re.compile(re.escape(base + "/for-you")))
    no_serious_axe(page, "for you")
