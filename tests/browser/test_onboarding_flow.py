"""The first-run page of "For you" in Chromium: with JavaScript off, a member searches, chooses five papers
with "I like this", rates a candidate and lands back on the same step; with it on, the keyboard reaches
the search box, the author field and the ratings in that order, and axe finds nothing serious.
Screenshots: test-output/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from paperwire.accounts.service import Accounts
from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store, open_store
from tests.helpers.browser import WIDE, Tab, axe_violations, describe, open_tab, sign_in_form
from tests.helpers.community import PASSWORD
from tests.helpers.db import drop, new_url
from tests.helpers.live import live_server
from tests.helpers.recommend import stored_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def member_site(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """A live site over the recommender's three-topic world with a verified member, ann."""
    from paperwire.web import create_app

    url = new_url("sqlite", tmp_path)
    store = open_store(url)
    store.migrate()
    stored_world(store)
    settings = Settings(database_url=url, data_dir=tmp_path / "data", index_refresh_seconds=0)
    rt = Runtime(settings, store)
    rt.indexes.sync()
    outcome = Accounts(store, settings, rt.secret_key).signup("ann@example.org", "ann", PASSWORD)
    assert outcome.user is not None
    store.accounts.update_user(outcome.user.id, verified=True)
    with live_server(create_app(settings, store)) as base:
        yield base, store
    store.close()
    drop(url)


def test_the_first_run_page_works_without_javascript(browser: Browser, member_site: tuple[str, Store]) -> None:
    base, store = member_site
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)  # type: ignore[arg-type]
    tab = Tab(context.new_page(), base)
    page = tab.page
    sign_in_form(page, base)
    tab.goto("/for-you/start")
    expect(page.locator("#progress")).to_contain_text("0 of 5 chosen")
    page.fill("#start-q", "speech recognition transducer")
    page.get_by_role("button", name="Find papers").click()
    for n in range(1, 6):
        page.get_by_role("button", name="I like this").first.click()
        expect(page.locator("#progress")).to_contain_text(f"{n} of 5 chosen")
        assert page.url.endswith("#step-1")
    expect(page.get_by_role("button", name="✓ Chosen")).to_have_count(5)
    expect(page.get_by_role("heading", name="Step 2: rate what your ranking picks")).to_be_visible()
    page.get_by_role("button", name="Not interested").first.click()
    assert page.url.endswith("/for-you/start#step-2")
    expect(page.get_by_text("So far: 5 👍 · 1 👎.")).to_be_visible()
    tab.shot("onboarding-step-2-no-js")
    context.close()
    assert tab.problems == []
    user = store.accounts.get_user_by_handle("ann")
    assert user is not None and len(store.preferences.user_signals(user.id).negatives) == 1


def test_the_first_run_page_by_keyboard_and_axe(browser: Browser, member_site: tuple[str, Store]) -> None:
    base, store = member_site
    user = store.accounts.get_user_by_handle("ann")
    assert user is not None
    for i in range(5):
        store.preferences.set_thumb(user.id, f"robots-{i}", "up")
    for tab in open_tab(browser, base, WIDE):
        page = tab.page
        sign_in_form(page, base)
        tab.goto("/for-you/start?q=robot&name=Old+robots+1")
        reached: list[str] = []
        for _ in range(200):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
            if focused in ("start-q", "start-name") or (focused.startswith("👎") and "👎" not in reached):
                reached.append("👎" if focused.startswith("👎") else focused)
            if len(reached) == 3:
                break
        assert reached == ["start-q", "start-name", "👎"]  # step 1, then the author field, then step 2's ratings
        violations = axe_violations(page)
        assert violations == [], f"{page.url}: {describe(violations)}"
        tab.shot("onboarding-start")
