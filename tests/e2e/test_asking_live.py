"""Ask when unsure, in a real Home Assistant: a taught label asks about what no answer showed."""

from __future__ import annotations

import asyncio

import pytest
from live_hass import LiveHass, show

from tests.e2e.steps import (
    CAMERA,
    Events,
    burst_over,
    frames,
    frames_seen,
    ring,
    setup_watch,
    until,
    wait_loaded,
)

pytestmark = pytest.mark.e2e

MISO = "sensor.front_door_miso_personal_model"
UNSURE_LOW = 0.55
BURST = 4


async def teach(live: LiveHass, frame: str, verdict: str) -> None:
    """Put `frame` before the camera and teach its current frame as Miso, yes or no."""
    show(frames(live)["camera"], frames(live)[frame])
    await live.request(
        "POST",
        "/api/services/mlwatch/teach?return_response",
        {"camera": CAMERA, "label": "Miso", "verdict": verdict},
    )


async def test_a_taught_label_asks_about_what_no_answer_showed(live: LiveHass) -> None:
    entry_id = await setup_watch(live, burst_size=BURST, burst_interval=0.25)
    # Miso, taught from the camera: three times the cat (yes), three times the empty mat (no).
    for frame, verdict in [("cat", "confirmed")] * 3 + [("empty", "rejected")] * 3:
        await teach(live, frame, verdict)
    taught = await until(live, MISO, lambda s: s["attributes"].get("negatives") == 3)
    assert taught["attributes"]["positives"] == 3
    assert taught["state"] not in ("unknown", "unavailable")
    show(frames(live)["camera"], frames(live)["empty"])
    # A grey zone of 0.55-0.6: Miso's guesses about frames unlike its answers fall below it.
    options = {"watched": ["cat", "Miso"], "ask_when_unsure": True, "unsure_low": UNSURE_LOW}
    saved = await live.options_flow(entry_id, options)
    assert saved["type"] == "create_entry", saved
    await asyncio.sleep(1)
    await wait_loaded(live, entry_id)

    events = await Events.subscribe(live, "mlwatch_review_requested", "mlwatch_detection")
    try:
        # Someone Miso's answers never showed rings: Miso's score there is a guess, so it asks.
        show(frames(live)["camera"], frames(live)["person"])
        before, _ = await frames_seen(live, entry_id)
        await ring(live)
        asked = (await events.next("mlwatch_review_requested"))["data"]
        assert (asked["label"], asked["camera"]) == ("Miso", CAMERA)
        assert asked["score"] < UNSURE_LOW  # asked as new, not as unsure
        await burst_over(live, entry_id, before, BURST)
        # The same visitor again: asked already, so nothing more is asked, for Miso or the cat.
        before, _ = await frames_seen(live, entry_id)
        await ring(live)
        await burst_over(live, entry_id, before, BURST)
        await asyncio.sleep(1)  # a question is sent from a task the burst's end starts
        assert events.queue.empty()
    finally:
        await events.close()

    # The answer from the phone teaches Miso: one more no.
    await live.request(
        "POST", "/api/services/mlwatch/reject_detection", {"detection_id": asked["review_id"]}
    )
    await until(live, MISO, lambda s: s["attributes"].get("negatives") == 4)
