"""A person in a real browser: log in, add mlwatch from the UI, and look at the device page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from live_hass import LiveHass, show
from playwright.async_api import Page, async_playwright

from tests.e2e.conftest import PASSWORD, USERNAME

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
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


async def shot(page: Page, folder: Path, name: str) -> None:
    """Screenshot into the test's folder; into docs/ too when MLWATCH_UPDATE_SCREENSHOTS=1."""
    path = folder / f"{name}.png"
    await page.screenshot(path=path)
    if os.environ.get("MLWATCH_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / path.name)


async def test_add_mlwatch_from_the_ui(live: LiveHass, tmp_path: Path) -> None:
    frame = live.config_dir / "frames" / "front_door.jpg"
    show(frame, live.config_dir / "frames" / "cat.jpg")
    await live.add_local_file_camera(frame, "Front door")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        user_data = tmp_path / "chromium"  # a fresh profile, as asked of every run
        user_data.mkdir()
        try:
            await page.goto(f"{live.url}/")
            await page.get_by_role("textbox", name="Username").fill(USERNAME)
            await page.get_by_role("textbox", name="Password").fill(PASSWORD)
            await page.keyboard.press("Enter")
            await page.get_by_text("Settings").first.wait_for()

            await page.goto(f"{live.url}/config/integrations/dashboard")
            await page.get_by_text("Add integration").click()
            await page.get_by_label("Search for a brand name").fill("mlwatch")
            await page.get_by_text("mlwatch", exact=True).last.click()
            await page.get_by_text("Watch a camera").first.wait_for()
            await page.get_by_text("On an mlwatch server").wait_for()
            await shot(page, tmp_path, "add-mlwatch-where")
            await page.get_by_text("In Home Assistant (this machine").click()
            await page.get_by_text("Watch a camera in Home Assistant").wait_for()
            await page.get_by_label("Camera").first.click()
            await page.keyboard.type("Front")
            await page.get_by_text("Front door").first.click()
            await page.get_by_label("CPU").click()
            await shot(page, tmp_path, "add-mlwatch")
            await page.get_by_role("button", name="Submit").click()
            await page.get_by_text("Created configuration for Front door").wait_for(timeout=60_000)
            await shot(page, tmp_path, "mlwatch-created")
            await page.get_by_role("button", name="Finish").click()

            entries = await live.request("GET", "/api/config/config_entries/entry")
            assert [e["state"] for e in entries if e["domain"] == "mlwatch"] == ["loaded"]
            await page.goto(f"{live.url}/config/integrations/integration/mlwatch")
            await page.get_by_text("Front door").first.wait_for()
            await page.get_by_text("1 service").last.click()  # the entry's device
            await page.get_by_text("Top label").first.wait_for()
            await page.get_by_text("Egyptian cat").first.wait_for()
            await shot(page, tmp_path, "mlwatch-device")
        finally:
            await browser.close()
