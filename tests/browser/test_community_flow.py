"""A newcomer's whole community path in Chromium, against a live server (its own process), a real SMTP
server (aiosmtpd) and the replayed arXiv API: sign up, verify from the email, sign in, upvote and save a
paper on its page, find it in the library, submit a paper by arXiv id (fetched by the worker), subscribe
with a topic, confirm from the email, receive a digest (``paperwire digest run``), and unsubscribe from the
digest's link — whose GET page only asks, and whose RFC 8058 POST needs no cookies. Also a ranked paper's page (the
Trending box and its SVG chart) under the real CSP. Screenshots: test-output/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from paperwire.config import Settings
from paperwire.store import Store, open_store
from paperwire.trending import recompute
from paperwire.web import create_app
from tests.helpers.browser import WIDE, Tab, axe_violations, open_tab
from tests.helpers.community import PAPERS, live_service
from tests.helpers.db import drop, new_url
from tests.helpers.live import live_server
from tests.helpers.replay import ReplayServer
from tests.helpers.smtp import Handler, Received
from tests.helpers.world import NOW, SETTINGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


def link_in(received: Received, base: str, path: str) -> str:
    match = re.search(re.escape(base + path) + r"\S*", received.part("plain"))
    assert match, received.part("plain")
    return match.group(0)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    url = new_url("sqlite", tmp_path)
    store = open_store(url)
    store.migrate()
    store.papers.upsert_papers(PAPERS)
    yield url, store
    store.close()
    drop(url)


@pytest.fixture
def service(world: tuple[str, Store], tmp_path: Path, recorded_arxiv: ReplayServer,
            ) -> Iterator[tuple[str, Handler, list[str], dict[str, str]]]:
    """``paperwire serve`` in its own process: (base URL, SMTP handler, CLI prefix, environment)."""
    url, _ = world
    with live_service(url, tmp_path, recorded_arxiv.url) as running:
        yield running


@pytest.fixture
def tab(browser: Browser, service: tuple[str, Handler, list[str], dict[str, str]]) -> Iterator[Tab]:
    yield from open_tab(browser, service[0], WIDE)


def test_newcomer_community_flow_in_the_browser(tab: Tab, world: tuple[str, Store],
                                                service: tuple[str, Handler, list[str], dict[str, str]]) -> None:
    _, store = world
    base, handler, common, env = service
    page = tab.page

    tab.goto("/signup")
    page.fill("#email", "ann@example.org")
    page.fill("#handle", "ann")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Check your email", exact=False).first).to_be_visible()
    assert handler.wait_for(1), "no verification email"
    page.goto(link_in(handler.to("ann@example.org")[0], base, "/account/verify"))
    expect(page.get_by_text("verified", exact=False).first).to_be_visible()

    tab.goto("/signin")
    page.fill("#email", "ann@example.org")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    tab.goto("/paper/2606.00001")
    upvote = page.get_by_role("button", name=re.compile("Upvote"))
    expect(upvote).to_have_attribute("aria-pressed", "false")
    expect(upvote).to_contain_text("0")
    upvote.click()
    expect(page).to_have_url(f"{base}/paper/2606.00001")
    upvote = page.get_by_role("button", name=re.compile("Upvote"))
    expect(upvote).to_have_attribute("aria-pressed", "true")
    expect(upvote).to_contain_text("1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Saved", exact=True)).to_have_attribute("aria-pressed", "true")
    tab.shot("community-paper-upvoted-saved")
    assert store.community.upvote_counts(["2606.00001"]) == {"2606.00001": 1}

    tab.goto("/library")
    expect(page.get_by_role("link", name="Energy-Based Models for Protein Design")).to_be_visible()
    tab.shot("community-library")

    tab.goto("/submit")
    page.fill("#paper", "1707.08567")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text("We are fetching 1707.08567 from arXiv", exact=False)).to_be_visible()
    tab.shot("community-submit-fetching")
    worker = subprocess.run([*common, "worker", "--once", "--only", "fetch-requested"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    page.get_by_role("link", name="/paper/1707.08567").click()  # the link on the page works now
    expect(page).to_have_url(f"{base}/paper/1707.08567")  # fetched by the worker, credited to its submitter
    expect(page.get_by_text("submitted by", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="ann", exact=True)).to_have_attribute("href", "/u/ann")

    tab.goto("/subscribe")
    page.fill("#email", "ann.digests@example.org")
    page.fill("#queries", "energy-based models")
    page.check("input[name=frequency][value=daily]")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("Check your email", exact=False).first).to_be_visible()
    assert handler.wait_for(2), "no confirmation email"
    page.goto(link_in(handler.to("ann.digests@example.org")[0], base, "/subscriptions/confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_text("Subscription confirmed", exact=False).first).to_be_visible()

    digest = subprocess.run([*common, "digest", "run", "--period", "daily", "--date", "2026-06-29"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert digest.returncode == 0, digest.stderr
    (received,) = [m for m in handler.to("ann.digests@example.org") if "digest" in m.message["Subject"]]
    assert "Energy-Based Models for Protein Design" in received.part("plain")
    header = re.search(r"<(http[^>]+)>", received.message["List-Unsubscribe"])
    assert header and received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.group(1)
    assert url in received.part("plain")  # the same one-click link is in the body

    page.goto(url)  # the GET only asks: a link scanner following it unsubscribes nobody
    unsubscribe = page.get_by_role("button", name="Unsubscribe")
    expect(unsubscribe).to_be_visible()
    sub = store.subscriptions.get_subscriber_by_email("ann.digests@example.org")
    assert sub is not None and sub.state == "confirmed"
    tab.shot("community-unsubscribe-asks")
    unsubscribe.click()
    expect(page.get_by_text("You are unsubscribed", exact=False).first).to_be_visible()
    sub = store.subscriptions.get_subscriber_by_email("ann.digests@example.org")
    assert sub is not None and sub.state == "unsubscribed"
    tab.shot("community-unsubscribed")
    with httpx.Client(timeout=30) as provider:  # the mail provider's RFC 8058 POST: no cookies, no redirect
        r = provider.post(url, content=b"List-Unsubscribe=One-Click",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and not r.is_redirect and "You are unsubscribed" in r.text


def test_a_ranked_papers_page_in_the_browser(browser: Browser, web_store: Store, web_settings: Settings) -> None:
    """The Trending box (places, reasons, the inline SVG star chart) under the real CSP: no console error,
    no serious axe finding; the trending page shows the reasons."""
    recompute(web_store, SETTINGS, NOW)
    with live_server(create_app(web_settings, web_store)) as url:
        for tab in open_tab(browser, url, WIDE):
            tab.goto("/paper/2607.28624")
            box = tab.page.get_by_role("region", name="Trending")
            expect(box).to_contain_text("#1 this week: +900 stars this week")
            chart = box.get_by_role("img", name="GitHub stars of yaoyao-jpg/PhiZero")
            expect(chart).to_be_visible()
            assert axe_violations(tab.page) == []
            tab.shot("paper-trending-box")
            tab.goto("/trending/week")
            expect(tab.page.locator(".trend-reason").first).to_contain_text("+900 stars this week")
            tab.shot("trending-week-ranked", full_page=False)
