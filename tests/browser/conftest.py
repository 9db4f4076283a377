"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) against a real
server on 127.0.0.1 holding the 2,020-paper sample. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.web import create_app
from paperwire.web.assets import KATEX_FILES, SWAGGER_FILES, have
from tests.helpers.browser import AXE, CHROMIUM, CHROMIUM_FLAGS, PHONE, WIDE, Tab, open_tab
from tests.helpers.live import live_server
from tests.helpers.paths import SAMPLE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.needs_data)  # the site serves the shared sample


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live server over the sample (SQLite)."""
    from paperwire.importing import import_and_index

    if not have(KATEX_FILES) or not have(SWAGGER_FILES) or not AXE.is_file():
        pytest.fail("front-end packages missing: run 'make web-assets' (npm ci from package-lock.json)")
    tmp = tmp_path_factory.mktemp("browser")
    rt = Runtime(Settings(database_url=f"sqlite:///{tmp / 'site.db'}", data_dir=tmp / "data"))
    import_and_index(rt.store, rt.indexes, [SAMPLE])
    with live_server(create_app(rt.settings, rt.store)) as url:
        yield url
    rt.close()


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, and tests collected after these ones may run their own loop there.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-services.sh (installs Debian's chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def wide(browser: Browser, site: str) -> Iterator[Tab]:
    """A desktop-sized tab; the test fails if the page logged errors."""
    yield from open_tab(browser, site, WIDE)


@pytest.fixture
def phone(browser: Browser, site: str) -> Iterator[Tab]:
    """A phone-sized tab; the test fails if the page logged errors."""
    yield from open_tab(browser, site, PHONE)
