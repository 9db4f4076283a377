"""The website in Chromium: the pages a reader uses, math, keyboard, copy, no-JS, accessibility.

Every test fails on any console error, page error, failed request or unexpected 4xx/5xx (the
``wide``/``phone`` fixtures check at teardown); screenshots land in test-output/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.helpers.browser import WIDE, Tab, axe_violations, describe


def test_home_shows_trending_with_tabs(wide: Tab, phone: Tab) -> None:
    wide.goto("/")
    page = wide.page
    expect(page).to_have_title("Trending papers · Paperwire")
    expect(page.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Ordered by newest: trending scores have not been computed yet",
                            exact=False)).to_be_visible()
    assert page.locator("[data-paper]").count() == 8
    wide.shot("home-wide")
    page.get_by_role("link", name="This week").click()
    expect(page).to_have_url(re.compile(r"/trending/week$"))
    assert page.locator("[data-paper]").count() == 25
    wide.shot("trending-week-wide", full_page=False)
    phone.goto("/")
    expect(phone.page.get_by_role("heading", name="Trending papers")).to_be_visible()
    phone.shot("home-phone", full_page=False)
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"


def test_search_with_filters_and_highlights(wide: Tab, phone: Tab) -> None:
    wide.goto("/")
    page = wide.page
    page.get_by_role("searchbox", name="Search papers").fill("gaussian splatting")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=gaussian\+splatting"))
    expect(page.get_by_role("status")).to_contain_text("papers found")
    assert page.locator(".paper mark").count() > 10
    wide.shot("search-wide")
    page.get_by_label("Category").select_option("cs.CV")
    page.get_by_label("Sort").select_option("newest")
    page.get_by_role("button", name="Search").last.click()
    expect(page).to_have_url(re.compile(r"cat=cs\.CV.*sort=newest|sort=newest.*cat=cs\.CV"))
    days = page.locator(".paper time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert days and days == sorted(days, reverse=True)
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("ol.papers")).to_have_attribute("start", "21")
    phone.goto("/search?q=diffusion+model")
    phone.shot("search-phone", full_page=False)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390


def test_no_results_page_suggests_searches(wide: Tab) -> None:
    wide.goto("/search?q=zzqxv+splatting&cat=cs.CL")
    page = wide.page
    expect(page.get_by_role("heading", name="No papers match “zzqxv splatting”")).to_be_visible()
    suggestion = page.locator(".suggestions a").first
    expect(suggestion).to_be_visible()
    wide.shot("search-no-results-wide")
    suggestion.click()
    expect(page.get_by_role("status")).to_contain_text("papers found")


def test_paper_page_renders_math_and_copies_bibtex(browser: Browser, site: str) -> None:
    context = browser.new_context(viewport=WIDE)  # type: ignore[arg-type]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    tab = Tab(context.new_page(), site)
    try:
        tab.goto("/search?q=world+narrative+model")
        tab.page.get_by_role("link", name=re.compile("World Narrative Model")).first.click()
        page = tab.page
        expect(page).to_have_url(re.compile(r"/paper/2606\.31946$"))
        abstract = page.locator(".abstract")
        expect(abstract.locator(".katex").first).to_be_visible()
        assert abstract.locator(".katex").count() >= 2
        assert "$4D$" not in abstract.inner_text()  # rendered, not raw TeX
        expect(page.get_by_role("heading", name="Similar papers")).to_be_visible()
        assert page.locator("#similar [data-paper]").count() == 8
        tab.shot("paper-wide")
        copy = page.locator("button[data-copy=bibtex]")
        expect(copy).to_have_text("Copy BibTeX")
        copy.click()
        expect(copy).to_have_text("Copied")
        clipboard = page.evaluate("navigator.clipboard.readText()")
        assert clipboard.startswith("@misc{chen2026world,") and "eprint        = {2606.31946}" in clipboard
        page.get_by_role("link", name="Ye Chen").first.click()
        expect(page.get_by_role("heading", name="Ye Chen", level=1)).to_be_visible()  # the author page
    finally:
        context.close()
    assert tab.problems == []


def test_paper_page_on_a_phone_and_in_the_dark(browser: Browser, site: str, phone: Tab) -> None:
    phone.goto("/paper/2606.31946")
    expect(phone.page.locator(".abstract .katex").first).to_be_visible()
    phone.shot("paper-phone", full_page=False)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    context = browser.new_context(viewport=WIDE, color_scheme="dark")  # type: ignore[arg-type]
    dark = Tab(context.new_page(), site)
    dark.goto("/paper/2606.31946")
    dark.shot("paper-dark", full_page=False)
    violations = axe_violations(dark.page)
    context.close()
    assert dark.problems == []
    assert violations == [], describe(violations)


def test_keyboard_navigation(wide: Tab) -> None:
    wide.goto("/")
    page = wide.page
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#q")).not_to_be_focused()
    page.keyboard.press("j")
    papers = page.locator("[data-paper]")
    expect(papers.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    expect(papers.nth(0).locator(".paper-title a")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(papers.nth(1).locator(".paper-title a")).to_be_focused()
    title = papers.nth(1).locator(".paper-title a").inner_text()
    wide.shot("keyboard-wide", full_page=False)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(title)


def test_listings_and_navigation(wide: Tab) -> None:
    wide.goto("/daily/2025-03-18")
    page = wide.page
    wide.shot("daily-wide")
    page.get_by_role("link", name="Week").click()
    expect(page).to_have_url(re.compile(r"/week/2025-W12$"))
    page.locator("a[rel=next]").first.click()
    expect(page).to_have_url(re.compile(r"/week/2025-W1[3-9]$"))
    page.get_by_role("link", name="Month").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Papers of")
    wide.shot("month-wide", full_page=False)
    page.get_by_label("Go to a day").fill("2026-05-14")
    page.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(r"/daily/2026-05-14$"))
    wide.goto("/c")
    wide.shot("categories-wide", full_page=False)
    page.get_by_role("link", name=re.compile(r"^cs\.RO")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Robotics (cs.RO)")
    wide.shot("category-wide", full_page=False)


def test_error_page(wide: Tab) -> None:
    wide.expected_errors.append("/paper/2101.99999")
    response = wide.goto("/paper/2101.99999")
    assert response is not None and response.status == 404
    expect(wide.page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    wide.shot("not-found-wide", full_page=False)


def test_api_docs_work_under_the_csp(wide: Tab) -> None:
    wide.goto("/api/docs")
    page = wide.page
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Paperwire API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/search")).to_be_visible()
    wide.shot("api-docs-wide", full_page=False)


def test_pages_work_without_javascript(browser: Browser, site: str) -> None:
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)  # type: ignore[arg-type]
    tab = Tab(context.new_page(), site)
    tab.goto("/paper/2606.31946")
    page = tab.page
    assert "$4D$" in page.locator(".abstract").inner_text()  # readable raw TeX
    expect(page.locator("#bibtex")).to_contain_text("@misc{chen2026world,")
    expect(page.get_by_role("button", name="Copy BibTeX")).to_be_hidden()  # needs JS, so it stays hidden
    tab.shot("paper-no-js", full_page=False)
    page.get_by_role("searchbox", name="Search papers").fill("robot grasping")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("papers found")
    context.close()
    assert tab.problems == []


@pytest.mark.parametrize("path", ["/", "/trending/month", "/daily/2025-03-18", "/search?q=gaussian+splatting",
                                  "/search?q=zzqxv", "/search", "/paper/2606.31946", "/c", "/c/cs.CL",
                                  "/nope", "/api/docs"])
def test_accessibility(wide: Tab, phone: Tab, path: str) -> None:
    for tab in (wide, phone):
        tab.expected_errors.append("/nope")
        tab.goto(path)
        violations = axe_violations(tab.page)
        assert violations == [], f"{path} ({tab.page.viewport_size}): {describe(violations)}"
