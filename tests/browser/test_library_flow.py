"""A member's signals and library in Chromium, against a live server: "More like this" on a listing by
keyboard, following an author from a paper's page, a public folder, importing a BibTeX file and reading
the report, the "Your signals" page; no serious axe finding on any of these pages, and the buttons work
with JavaScript off. Screenshots: test-output/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from paperwire.accounts.service import Accounts
from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store, user_signals
from paperwire.web import create_app
from tests.helpers.browser import WIDE, Tab, axe_violations, describe, open_tab, sign_in_form
from tests.helpers.community import PAPERS, PASSWORD
from tests.helpers.db import drop, new_url
from tests.helpers.live import live_server
from tests.helpers.paths import FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def member_site(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """A live site over the hand-made papers with a verified member, ann (base URL, store)."""
    url = new_url("sqlite", tmp_path)
    store = open_store(url)
    store.migrate()
    store.papers.upsert_papers(PAPERS)
    settings = Settings(database_url=url, data_dir=tmp_path / "data", index_refresh_seconds=0)
    outcome = Accounts(store, settings, Runtime(settings, store).secret_key).signup("ann@example.org", "ann",
                                                                                   PASSWORD)
    assert outcome.user is not None
    store.accounts.update_user(outcome.user.id, verified=True)
    with live_server(create_app(settings, store)) as base:
        yield base, store
    store.close()
    drop(url)


def _accessible(tab: Tab, name: str) -> None:
    violations = axe_violations(tab.page)
    assert violations == [], f"{tab.page.url}: {describe(violations)}"
    tab.shot(name)


def test_a_members_library_and_signals_in_the_browser(browser: Browser, member_site: tuple[str, Store]) -> None:
    base, store = member_site
    for tab in open_tab(browser, base, WIDE):
        page = tab.page
        sign_in_form(page, base)

        tab.goto("/daily/2026-06-29")  # keyboard only: tab to the first "More like this" and press Enter
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == "More like this":
                break
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{base}/daily/2026-06-29")
        first = page.get_by_role("button", name="More like this").first
        expect(first).to_have_attribute("aria-pressed", "true")
        _accessible(tab, "library-listing-member")

        tab.goto("/paper/2606.00001")
        page.get_by_text("Folders, note, follow or mute").click()
        page.get_by_label("An author of this paper").select_option("Alan Turing")
        page.get_by_role("button", name="Follow", exact=True).click()
        expect(page).to_have_url(f"{base}/paper/2606.00001")
        _accessible(tab, "library-paper-member")

        tab.goto("/library")
        page.fill("#new-folder", "Reading, 2026")
        page.get_by_label(re.compile("Public: anyone")).check()
        page.get_by_role("button", name="Create folder").click()
        expect(page.get_by_role("heading", name="Your library: Reading 2026")).to_be_visible()

        tab.goto("/library/import")
        page.set_input_files("#file", str(FIXTURES / "citations" / "zotero-better-bibtex.bib"))
        page.fill("#folder", "Reading 2026")
        page.get_by_role("button", name="Import").click()
        report = page.get_by_role("status")
        expect(report).to_contain_text("5 papers added")
        expect(report).to_contain_text("line 61")
        _accessible(tab, "library-import-report")

        tab.goto("/library?folder=reading-2026")
        expect(page.get_by_role("link", name="Energy-Based Models for Protein Design")).to_be_visible()
        _accessible(tab, "library-folder")
        tab.goto("/u/ann/reading-2026")
        expect(page.get_by_role("link", name="Atom feed")).to_be_visible()
        _accessible(tab, "library-public-folder")
        tab.goto("/account/signals")
        expect(page.get_by_role("link", name="Alan Turing")).to_be_visible()
        _accessible(tab, "library-signals")
        tab.goto("/library/mine?name=Ada+Lovelace")
        expect(page.get_by_role("checkbox")).to_have_count(3)
        _accessible(tab, "library-mine")

    signals = user_signals(store, store.accounts.get_user_by_handle("ann").id)  # type: ignore[union-attr]
    assert signals.followed_authors == {"alan turing": "Alan Turing"}
    assert [s.kind for s in signals.positives].count("thumbs_up") == 1  # the keyboard's "More like this"


def test_the_buttons_work_without_javascript(browser: Browser, member_site: tuple[str, Store]) -> None:
    base, store = member_site
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)  # type: ignore[arg-type]
    tab = Tab(context.new_page(), base)
    sign_in_form(tab.page, base)
    tab.goto("/paper/2606.00002")
    tab.page.get_by_role("button", name="Not interested").click()
    expect(tab.page.get_by_role("button", name="Not interested")).to_have_attribute("aria-pressed", "true")
    tab.page.get_by_role("button", name="Save", exact=True).click()
    expect(tab.page.get_by_role("button", name="Saved", exact=True)).to_have_attribute("aria-pressed", "true")
    context.close()
    assert tab.problems == []
    signals = user_signals(store, store.accounts.get_user_by_handle("ann").id)  # type: ignore[union-attr]
    assert signals.negative_ids() == ["2606.00002"] and "2606.00002" in signals.positive_ids()
