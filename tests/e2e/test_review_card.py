"""The review card in real Chromium against a real HA: questions, answers, heat map, tags, live."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from dashboard import review_dashboard
from live_hass import LiveHass, show
from playwright.async_api import Locator, Page, expect

from tests.e2e.browser import DESKTOP, PHONE, chromium, logged_in, shot
from tests.e2e.steps import CAMERA, Events, frames, ring, setup_watch

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
UNDO_S = 6  # the card's undo window (frontend/src/queue.ts)


def verdicts(live: LiveHass) -> list[dict[str, Any]]:
    log = live.config_dir / "mlwatch" / "dataset" / "verdicts.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def until_filed(live: LiveHass, item_id: str) -> dict[str, Any]:
    """The verdict line of `item_id`, once the card has sent it (after its undo window)."""
    async with asyncio.timeout(UNDO_S + 15):
        while not (rows := [r for r in verdicts(live) if r["id"] == item_id]):  # noqa: ASYNC110
            await asyncio.sleep(0.25)  # a file that another process writes
    (row,) = rows
    return row


async def cat_visit(live: LiveHass, events: Events) -> str:
    """A cat at the door, the doorbell, a detection; then the cat leaves. Its detection id."""
    show(frames(live)["camera"], frames(live)["cat"])
    await ring(live)
    detected = (await events.next("mlwatch_detection"))["data"]
    show(frames(live)["camera"], frames(live)["empty"])
    await events.next("mlwatch_cleared")
    return str(detected["detection_id"])


async def ticks_inside(heatmap: Locator) -> None:
    """Every time label of the heat map's axis lies inside the heat map, the ends' too.

    Ticks fall every 6 hours, so whether one is near an end depends on the hour of the run.
    """
    box = await heatmap.bounding_box()
    assert box is not None
    for span in await heatmap.locator(".axis span").all():
        tick = await span.bounding_box()
        assert tick is not None
        assert box["x"] <= tick["x"]
        assert tick["x"] + tick["width"] <= box["x"] + box["width"]


def question(card: Locator, item_id: str) -> Locator:
    return card.locator(f'.question[data-item="{item_id}"]')


async def test_the_review_card(live: LiveHass, tmp_path: Path) -> None:
    await setup_watch(live, scan_interval=2, burst_size=4, burst_interval=0.25)
    await live.ws({"type": "lovelace/config/save", "config": review_dashboard(CAMERA)})
    events = await Events.subscribe(live, "mlwatch_detection", "mlwatch_cleared")
    try:
        await review(live, events, tmp_path)
    finally:
        await events.close()


async def review(live: LiveHass, events: Events, tmp_path: Path) -> None:
    """Questions, answers, undo, the heat map, tags and teaching, as a user clicks them."""
    async with chromium() as browser:
        page = await logged_in(browser, live, DESKTOP)
        card = page.locator("mlwatch-review-card")
        await expect(card.get_by_text("Nothing to review")).to_be_visible()

        # A detection appears without a reload: the card hears of it on its subscription.
        first = await cat_visit(live, events)
        await expect(question(card, first)).to_be_visible(timeout=15_000)
        await expect(card.get_by_text("Is this cat?")).to_be_visible()
        await expect(card.locator(".tag", has_text="Egyptian cat")).to_be_visible()
        hot = card.locator("mlwatch-heatmap rect.hot")
        await expect(hot).to_have_count(1)
        assert float(await hot.get_attribute("data-score") or 0) > 0.9
        await ticks_inside(card.locator("mlwatch-heatmap"))
        await shot(page, tmp_path, "card-desktop-light", full_page=True)

        # A click on the hot cell lists its frames, the cat's among them.
        await hot.click()
        await expect(card.locator(".cell-frames li", has_text="Egyptian cat").first).to_be_visible()

        # No, then Undo: the question is back and nothing was filed.
        await card.get_by_role("button", name="No", exact=True).click()
        await expect(question(card, first)).to_have_count(0)
        await card.get_by_role("button", name="Undo").click()
        await expect(question(card, first)).to_be_visible()
        await asyncio.sleep(UNDO_S + 1)
        assert verdicts(live) == []
        # No, by its key: it leaves at once and is filed as rejected once the undo has passed.
        await card.focus()
        await page.keyboard.press("n")
        await expect(question(card, first)).to_have_count(0)
        await expect(card.get_by_text("Nothing to review")).to_be_visible()
        assert (await until_filed(live, first))["verdict"] == "rejected"

        # It's something else: a new label, taught by the answer.
        second = await cat_visit(live, events)
        await expect(question(card, second)).to_be_visible(timeout=15_000)
        await card.get_by_role("button", name="It's something else…").click()
        await card.locator("#label").fill("Miso")
        await expect(card.get_by_text("New label")).to_be_visible()
        await card.get_by_role("button", name="Teach").click()
        row = await until_filed(live, second)
        assert (row["verdict"], row["corrected_label"]) == ("rejected", "Miso")
        await expect(card.locator('tr[data-label="Miso"]')).to_be_visible(timeout=15_000)
        await expect(card.locator('tr[data-label="Miso"]')).to_contain_text("1 yes")

        third = await cat_visit(live, events)
        await expect(question(card, third)).to_be_visible(timeout=15_000)
        await shots(browser, live, tmp_path)


async def shots(browser: Any, live: LiveHass, folder: Path) -> None:
    """The card as docs/ shows it: desktop and phone, light and dark, with a question waiting."""
    for name, viewport, dark in (
        ("card-desktop-dark", DESKTOP, True),
        ("card-phone-light", PHONE, False),
        ("card-phone-dark", PHONE, True),
    ):
        page: Page = await logged_in(browser, live, viewport, dark=dark)
        await expect(page.locator("mlwatch-review-card .question")).to_be_visible(timeout=20_000)
        await page.wait_for_timeout(1000)  # the images
        await shot(page, folder, name, full_page=True)
        await page.context.close()
