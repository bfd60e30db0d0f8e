"""A person in a real browser: log in, add mlwatch from the UI, and look at the device page."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_hass import LiveHass, show

from tests.e2e.browser import DESKTOP, chromium, logged_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def test_add_mlwatch_from_the_ui(live: LiveHass, tmp_path: Path) -> None:
    frame = live.config_dir / "frames" / "front_door.jpg"
    show(frame, live.config_dir / "frames" / "cat.jpg")
    await live.add_local_file_camera(frame, "Front door")
    async with chromium() as browser:
        page = await logged_in(browser, live, DESKTOP)
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
        # The detector is the default; this entry watches the cat with the classifier.
        await page.get_by_label("Objects and animals — classifier (1000 ImageNet classes)").click()
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
