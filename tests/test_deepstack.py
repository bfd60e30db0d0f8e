"""mlwatch on a DeepStack-compatible server: a real SSD detector behind the detection API."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError

from custom_components.mlwatch.const import CONF_ROI, DOMAIN, EVENT_DETECTION, SERVICE_RETRAIN
from devtools.server import ServerProcess
from tests import FakeCamera, add_entry, burst, on_form, server_data, start, state, submit, unload
from tests.const import CAT, EMPTY
from tests.const import DETECTOR_LABELS as LABELS
from tests.const import DETECTOR_MODEL as MODEL


@pytest.fixture
async def detector_server(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[ServerProcess]:
    """mlwatch-server running the SSD test detector, named as a DeepStack custom model."""
    if not MODEL.is_file():
        pytest.fail("The test detector is missing: run scripts/fetch-test-models", pytrace=False)
    proc = ServerProcess(
        tmp_path / "server.log",
        *("--model", str(MODEL), "--labels", str(LABELS), "--model-name", "coco"),
    )
    await proc.start()
    yield proc
    await proc.kill()


async def test_deepstack_flow_and_detections(
    hass: HomeAssistant, fake_camera: FakeCamera, detector_server: ServerProcess
) -> None:
    flow = await start(hass, "deepstack")
    flow = await submit(hass, flow, server_data(detector_server, server_model="other"))
    assert flow["errors"] == {"base": "server_error"}  # 404: no such custom model
    result = await submit(hass, flow, server_data(detector_server, server_model="coco"))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert state(hass, "sensor.front_door_top_label").state == "cup"  # the coffee on the mat

    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    fake_camera.play([CAT, CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, entry)
    (detected,) = events
    assert detected.data["label"] == "cat"
    assert detected.data["confidence"] > 0.8
    await unload(hass, entry)


async def test_region_keeps_only_boxes_centred_in_it(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    detector_server: ServerProcess,
    options: dict[str, Any],
) -> None:
    fake_camera.play([CAT])
    whole = await add_entry(hass, options, {**server_data(detector_server), "backend": "deepstack"})
    result = whole.runtime_data.data.result
    (cat,) = [d for d in result.detections if d.label == "cat"]
    x0, y0, x1, y1 = cat.box
    assert 0 <= x0 < x1 <= 1
    assert 0 <= y0 < y1 <= 1
    await unload(hass, whole)
    await hass.config_entries.async_remove(whole.entry_id)

    # A corner the cat's centre is not in: its box does not count there.
    corner = await add_entry(
        hass,
        {**options, CONF_ROI: "0, 0, 0.2, 0.2"},
        {**server_data(detector_server), "backend": "deepstack"},
    )
    assert corner.runtime_data.data.result.score("cat") == 0.0
    await unload(hass, corner)

    # The cat's own half: the box is kept, relative to the region.
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    await hass.config_entries.async_remove(corner.entry_id)
    left = max(0.0, cx - 0.3)
    top = max(0.0, cy - 0.3)
    roi = f"{left:.3f}, {top:.3f}, {min(0.6, 1 - left):.3f}, {min(0.6, 1 - top):.3f}"
    half = await add_entry(
        hass,
        {**options, CONF_ROI: roi},
        {**server_data(detector_server), "backend": "deepstack"},
    )
    assert half.runtime_data.data.result.score("cat") == pytest.approx(cat.score)
    await unload(hass, half)


async def test_a_deepstack_server_cannot_learn_and_says_so(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    detector_server: ServerProcess,
    options: dict[str, Any],
) -> None:
    entry = await add_entry(hass, options, {**server_data(detector_server), "backend": "deepstack"})
    assert not entry.runtime_data.learner.available  # DeepStack's API has no embeddings
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_RETRAIN,
            {"config_entry_id": entry.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "learning_unavailable"
    assert state(hass, "sensor.front_door_cat_personal_model").state == STATE_UNAVAILABLE
    # The options form is the same, on a step whose description says why it cannot learn.
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    assert flow["step_id"] == "no_learning"
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {**on_form(entry.options), CONF_ROI: "0, 0, 1, 1"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_ROI] == "0, 0, 1, 1"
    await unload(hass, entry)
