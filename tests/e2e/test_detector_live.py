"""A new user keeps every default and gets "person at the front door", with a box drawn on them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from live_hass import LiveHass, show
from PIL import Image

from custom_components.mlwatch.annotate import BOX_COLOUR
from tests.e2e.steps import CAMERA, Events, add_camera, frames, wait_loaded

pytestmark = pytest.mark.e2e


async def test_the_defaults_find_a_person_at_the_door_and_draw_the_box(live: LiveHass) -> None:
    await add_camera(live)
    show(frames(live)["camera"], live.config_dir / "frames" / "person.jpg")
    # The form's defaults: only the camera is chosen.
    created = await live.config_flow("mlwatch", {"next_step_id": "local"}, {"camera": CAMERA})
    assert created["type"] == "create_entry", created
    entry_id = created["result"]["entry_id"]
    await wait_loaded(live, entry_id)
    # It watches people: their binary sensor is there, off.
    assert (await live.state("binary_sensor.front_door_person"))["state"] == "off"
    events = await Events.subscribe(live, "mlwatch_detection")
    try:
        await live.request("POST", "/api/services/mlwatch/scan", {"config_entry_id": entry_id})
        detected = (await events.next("mlwatch_detection", timeout=60))["data"]
    finally:
        await events.close()
    assert (detected["label"], detected["camera"]) == ("person", CAMERA)
    assert detected["confidence"] >= 0.6

    answer: dict[str, Any] = await live.request(
        "POST",
        "/api/services/mlwatch/classify?return_response",
        {"config_entry_id": entry_id},
    )
    people = [d for d in answer["service_response"]["detections"] if d["label"] == "person"]
    x0, y0, x1, y1 = people[0]["box"]
    assert x0 < 0.35 < x1  # the astronaut, left of the middle
    assert y0 < 0.5 < y1

    headers = {"Authorization": f"Bearer {live.token}"}
    url = f"{live.url}/api/image_proxy/image.front_door_last_detection"
    async with live.session.get(url, headers=headers) as resp:
        assert resp.status == 200
        drawn = Image.open(io.BytesIO(await resp.read())).convert("RGB")
    width, height = drawn.size
    edge = drawn.getpixel((round(x0 * width) + 1, round((y0 + y1) / 2 * height)))
    assert isinstance(edge, tuple)
    assert all(abs(a - b) <= 60 for a, b in zip(edge, BOX_COLOUR, strict=True)), edge
