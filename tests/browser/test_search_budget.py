"""A long query over a budget, in Chromium: the count a reader sees says it is a lower bound.

At 2.7M papers a long query is ranked on its rarest words first (``search_postings_budget``); the
sample is far too small to reach the default budget, so this site has a tiny one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.web import create_app
from tests.helpers.browser import WIDE, Tab, open_tab
from tests.helpers.live import live_server
from tests.helpers.paths import SAMPLE

LONG = "a diffusion model that learns to generate images from text with fewer sampling steps"


@pytest.fixture(scope="module")
def budget_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from paperwire.importing import import_and_index

    tmp = tmp_path_factory.mktemp("budget")
    rt = Runtime(Settings(database_url=f"sqlite:///{tmp / 'site.db'}", data_dir=tmp / "data",
                          search_postings_budget=300, search_budget_candidates=20))
    import_and_index(rt.store, rt.indexes, [SAMPLE])
    with live_server(create_app(rt.settings, rt.store)) as url:
        yield url
    rt.close()


@pytest.fixture
def tab(browser: Browser, budget_site: str) -> Iterator[Tab]:
    yield from open_tab(browser, budget_site, WIDE)


def listed(tab: Tab) -> set[str]:
    """The paper links of the result page."""
    return set(tab.page.locator(".paper-title a").evaluate_all("els => els.map(e => e.getAttribute('href'))"))


def test_a_long_query_over_the_budget_reads_at_least(tab: Tab) -> None:
    tab.goto("/")
    page = tab.page
    page.get_by_role("searchbox", name="Search papers").fill(LONG)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=a\+diffusion\+model"))
    summary = page.get_by_role("status")
    expect(summary).to_contain_text(re.compile(r"^at least [\d,]+ papers found"))
    expect(summary.get_by_text("at least")).to_have_attribute("title", re.compile("rarest words first"))
    assert page.locator("[data-paper]").count() == 20
    assert page.locator(".paper mark").count() > 10
    tab.shot("search-at-least-wide", full_page=False)
    lower_bound = int(summary.locator("strong").inner_text().replace(",", ""))
    first_page = listed(tab)
    # the next page lies past the first pass's 20 candidates: it goes on with the other matches, none
    # repeated, and a full search counted them all
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("ol.papers")).to_have_attribute("start", "21")
    expect(summary).to_contain_text(re.compile(r"^[\d,]+ papers found"))
    assert int(summary.locator("strong").inner_text().replace(",", "")) >= lower_bound
    second_page = listed(tab)
    assert len(second_page) == 20 and not first_page & second_page

    # a query within the budget counts every match, as before
    page.get_by_role("searchbox", name="Search papers").first.fill("gaussian splatting")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=gaussian\+splatting"))
    expect(summary).to_contain_text(re.compile(r"^\d+ papers found"))
    expect(summary).not_to_contain_text("at least")
