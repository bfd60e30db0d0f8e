"""HA OS's situation, live: no in-process runtime, so mlwatch runs on an mlwatch server."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_hass import LiveHass, show

from devtools.server import ServerProcess
from tests.const import KEY
from tests.e2e.steps import (
    CAMERA,
    Events,
    add_camera,
    confirm,
    frames,
    ring,
    setup_watch,
    until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.no_local_runtime]


async def test_no_runtime_so_a_server_gives_the_same_day(live: LiveHass, tmp_path: Path) -> None:
    await add_camera(live)
    # In-process inference is offered, and refused with a clear reason.
    refused = await live.config_flow(
        "mlwatch",
        {"next_step_id": "local"},
        {"camera": CAMERA, "model": "default", "device": "cpu"},
    )
    assert (refused["type"], refused["errors"]) == ("form", {"base": "runtime_unavailable"})
    assert "cv2" in refused["description_placeholders"]["error"]
    await live.request("DELETE", f"/api/config/config_entries/flow/{refused['flow_id']}")  # closed

    server = ServerProcess(tmp_path / "server.log")
    await server.start()
    try:
        flow = (
            {"next_step_id": "server"},
            {"camera": CAMERA, "url": server.url, "api_key": KEY},
        )
        entry_id = await setup_watch(live, flow, burst_size=4, burst_interval=0.25)
        events = await Events.subscribe(live, "mlwatch_detection", "mlwatch_cleared")
        try:
            show(frames(live)["camera"], frames(live)["cat"])
            await ring(live)
            detected = (await events.next("mlwatch_detection"))["data"]
            assert (detected["label"], detected["config_entry_id"]) == ("cat", entry_id)
            assert detected["confidence"] > 0.9
            assert (await live.state("sensor.front_door_top_label"))["state"] == "Egyptian cat"
            rows = await confirm(live, detected["detection_id"])
            assert rows == [(detected["detection_id"], "confirmed")]
            # The answer teaches here too: the server's embedding, numpy only for learning.
            sensor = "sensor.front_door_cat_personal_model"
            learned = (await until(live, sensor, lambda s: s["attributes"].get("positives")))[
                "attributes"
            ]
            assert (learned["state"], learned["kind"]) == ("learning", "base")
            show(frames(live)["camera"], frames(live)["empty"])
            cleared = (await events.next("mlwatch_cleared"))["data"]
            assert cleared["detection_id"] == detected["detection_id"]
        finally:
            await events.close()
        metrics = await server.metrics()
        assert metrics["inference"]["count"] >= 5  # type: ignore[index]
    finally:
        await server.kill()
    assert await live.stop() == 0
