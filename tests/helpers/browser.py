"""Browser-test helpers: Debian's Chromium and its flags, viewports, ``Tab`` (a page that records console
errors, page errors and failed requests), ``open_tab`` and the axe-core accessibility check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect

from tests.helpers.community import PASSWORD
from tests.helpers.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


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
        # ERR_ABORTED is the browser cancelling a request itself (a navigation or the tab closing while
        # the favicon loads), not the site failing it
        if request.failure and "ERR_ABORTED" in request.failure:
            return
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


def open_tab(browser: Browser, site: str, viewport: dict[str, int]) -> Iterator[Tab]:
    context = browser.new_context(viewport=viewport, color_scheme="light")  # type: ignore[arg-type]
    tab = Tab(context.new_page(), site)
    yield tab
    context.close()
    assert tab.problems == [], "the browser reported problems:\n" + "\n".join(tab.problems)


SERIOUS = ("serious", "critical")


# Swagger UI is a third-party widget with its own known axe findings; we check the page around it.
NOT_OURS = ["#swagger-ui"]


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page (axe injected through DevTools, so the
    page's own CSP, which forbids inline scripts, stays on)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("async (exclude) => await axe.run({exclude}, {resultTypes: ['violations']})",
                           [[sel] for sel in NOT_OURS])
    return [v for v in result["violations"] if v["impact"] in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps([{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
                       for v in violations], indent=1)


def sign_in_form(page: Page, base: str, email: str = "ann@example.org", password: str = PASSWORD) -> None:
    """Sign in through the sign-in page's form and wait for the account page."""
    page.goto(base + "/signin")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
