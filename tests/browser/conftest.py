"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) against a real
server on 127.0.0.1 holding the 2,020-paper sample. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.web import create_app
from paperwire.web.assets import KATEX_FILES, SWAGGER_FILES, have
from tests.conftest import ROOT, SAMPLE
from tests.live import live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


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


class Tab:
    """A page plus the console errors, page errors and failed requests it produced.

    ``expected_errors`` lists URL endings whose 4xx status is the point of the test.
    """

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.problems: list[str] = []
        self.expected_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium logs a console error for every 4xx/5xx load; _response judges those itself
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request: Request) -> None:
        self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith(tuple(self.expected_errors)):
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def goto(self, path: str) -> Response | None:
        return self.page.goto(self.base + path, wait_until="load")

    def shot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def _tab(browser: Browser, site: str, viewport: dict[str, int]) -> Iterator[Tab]:
    context = browser.new_context(viewport=viewport, color_scheme="light")  # type: ignore[arg-type]
    tab = Tab(context.new_page(), site)
    yield tab
    context.close()
    assert tab.problems == [], "the browser reported problems:\n" + "\n".join(tab.problems)


@pytest.fixture
def wide(browser: Browser, site: str) -> Iterator[Tab]:
    """A desktop-sized tab; the test fails if the page logged errors."""
    yield from _tab(browser, site, WIDE)


@pytest.fixture
def phone(browser: Browser, site: str) -> Iterator[Tab]:
    """A phone-sized tab; the test fails if the page logged errors."""
    yield from _tab(browser, site, PHONE)
