"""Debian's Chromium under Playwright, logged in to a live HA, and screenshots for docs/."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from live_hass import LiveHass
from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.conftest import PASSWORD, USERNAME

CHROMIUM = "/usr/bin/chromium"
# A root, sandboxed machine with no network but the loopback: the flags that keep Chromium quiet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).parents[2] / "docs"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A fresh headless Chromium (a new empty profile every time)."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in(
    browser: Browser, live: LiveHass, viewport: dict[str, int], *, dark: bool = False
) -> Page:
    """A page of its own (light or dark, as the system asks), logged in as the owner."""
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme="dark" if dark else "light",
    )
    page = await context.new_page()
    await page.goto(f"{live.url}/")
    await page.get_by_role("textbox", name="Username").fill(USERNAME)
    await page.get_by_role("textbox", name="Password").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.get_by_text("Settings").first.wait_for(state="attached")  # hidden on a phone
    return page


async def shot(page: Page, folder: Path, name: str, *, full_page: bool = False) -> None:
    """Screenshot into the test's folder; into docs/ too when MLWATCH_UPDATE_SCREENSHOTS=1."""
    path = folder / f"{name}.png"
    await page.screenshot(path=path, full_page=full_page)
    if os.environ.get("MLWATCH_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / path.name)
