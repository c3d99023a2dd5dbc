"""Debian's Chromium driven by Playwright, for the browser tests (``playwright install`` cannot
download a browser here). Launch it only after touching the database: while Playwright's event
loop lives in a thread, Django refuses ORM calls there (SynchronousOnlyOperation)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
UNCLAIMED_HOST = "unclaimed.test"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A host no organization claims, served by the live server: the unknown-organization page
    # (the demo claims both localhost and 127.0.0.1). Plain http, as the live server speaks.
    f"--host-resolver-rules=MAP {UNCLAIMED_HOST} 127.0.0.1",
    "--disable-features=HttpsUpgrades",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
TIMEOUT_MS = 20_000


def browser_missing(reason: str) -> NoReturn:
    """CI must run the browser tests: there a missing browser is a failure, elsewhere a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it: apt-get install chromium)", pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium_context(**context_options: Any) -> Iterator[Any]:
    """A Playwright browser context in Debian's Chromium, closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("Playwright for Python is not installed")
    if not CHROMIUM.exists():
        browser_missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(**context_options)
        finally:
            browser.close()


# A full-page capture keeps the window's height for layout: a sticky bar would be drawn in the
# middle of the image, over the content. Put such elements back in the flow for the capture.
UNSTICK = """(on) => {
    if (on) {
        window.__unstuck = [...document.querySelectorAll('body *')]
            .filter((el) => getComputedStyle(el).position === 'sticky');
        window.__unstuck.forEach((el) => el.style.setProperty('position', 'static'));
    } else {
        (window.__unstuck || []).forEach((el) => el.style.removeProperty('position'));
    }
}"""


def screenshot(page: Any, name: str, fold: bool = False) -> None:
    """The whole page as ``<name>.png``; with ``fold``, also what the window shows unscrolled,
    as ``<name>-fold.png`` (a page whose decision must be in view as it opens)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if fold:
        page.screenshot(path=str(SCREENSHOTS / f"{name}-fold.png"))
    page.evaluate(UNSTICK, True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        page.evaluate(UNSTICK, False)
