"""The bundled detector in Home Assistant: the default for new entries, and a person at the door."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_CAMERA,
    CONF_DEVICE,
    CONF_MODEL,
    CONF_ROI,
    CONF_WATCHED,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_CLEARED,
    EVENT_DETECTION,
    MODEL_DEFAULT,
    MODEL_DETECTOR,
    SERVICE_CLASSIFY,
    SERVICE_RETRAIN,
)
from tests import FakeCamera, burst, start, submit
from tests.const import CAMERA, EMPTY
from tests.teaching import MISO, call, cats, others, taught, watch_miso

PERSON = "astronaut"


async def test_a_new_entry_gets_the_detector_and_watches_people(
    hass: HomeAssistant, fake_camera: FakeCamera
) -> None:
    flow = await start(hass)
    schema = flow["data_schema"].schema
    model = next(k for k in schema if k == CONF_MODEL)
    assert model.default() == MODEL_DETECTOR
    assert schema[model].config["options"][0] == MODEL_DETECTOR
    # The user keeps every default: only the camera is theirs to pick.
    result = await submit(hass, flow, {CONF_CAMERA: CAMERA})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODEL] == MODEL_DETECTOR
    assert result["options"] == {**DEFAULT_OPTIONS, CONF_WATCHED: ["person"]}
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    info = entry.runtime_data.backend.info
    assert (info.name, info.kind) == ("nanodet_fp16.tflite", "detector+embedding")
    assert info.groups == ["animal", "vehicle"]  # person is a label; COCO has no parcel
    assert info.labels[0] == "person"
    assert entry.runtime_data.data.learning_available  # the classifier's embedding rides along
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("model", [{CONF_MODEL: MODEL_DEFAULT}, {}])
async def test_an_entry_from_before_the_detector_keeps_the_classifier(
    hass: HomeAssistant, fake_camera: FakeCamera, model: dict[str, str]
) -> None:
    data = {CONF_CAMERA: CAMERA, CONF_DEVICE: "cpu", **model}
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=CAMERA, data=data, options=dict(DEFAULT_OPTIONS)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    info = entry.runtime_data.backend.info
    assert (info.name, info.kind) == ("efficientnet_lite0_int8.tflite", "classifier+embedding")
    assert dict(entry.data) == data
    assert entry.options[CONF_WATCHED] == ["cat"]
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture
def detector_entry(hass: HomeAssistant, options: dict[str, Any]) -> MockConfigEntry:
    """A detector entry watching people on the door mat: the lower two thirds of the frame."""
    e = MockConfigEntry(
        domain=DOMAIN,
        title="Front door",
        unique_id=CAMERA,
        data={CONF_CAMERA: CAMERA, CONF_MODEL: MODEL_DETECTOR, CONF_DEVICE: "cpu"},
        options={**options, CONF_WATCHED: ["person"], CONF_ROI: "0.1, 0.3, 0.8, 0.7"},
    )
    e.add_to_hass(hass)
    return e


async def test_a_person_at_the_door_fires_one_episode_with_a_box_on_them(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    fake_camera: FakeCamera,
    detector_entry: MockConfigEntry,
    bus: list[Event[dict[str, Any]]],
) -> None:
    assert await hass.config_entries.async_setup(detector_entry.entry_id)
    await hass.async_block_till_done()
    fake_camera.play([PERSON, PERSON, EMPTY, PERSON, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, detector_entry)
    assert [e.event_type for e in bus] == [EVENT_DETECTION, EVENT_CLEARED]
    data = bus[0].data
    assert data["label"] == "person"
    assert data["confidence"] >= 0.6
    # The image entity draws the person, not the weak boxes kept for the review's grey zone.
    found = detector_entry.runtime_data.data.last_detection.event.best_frame.result.detections
    assert any(d.label != "person" and d.score < 0.6 for d in found)
    drawn: list[Any] = []

    def annotate(image: bytes, _roi: object, shown: list[Any]) -> bytes:
        drawn.extend(shown)
        return image

    with patch("custom_components.mlwatch.image.annotate", annotate):
        client = await hass_client()
        resp = await client.get("/api/image_proxy/image.front_door_last_detection")
        assert resp.status == 200
    assert drawn
    assert all(d.score >= 0.6 or (d.label == "person" and d.score >= 0.3) for d in drawn)
    # What the person's frame looks like to the model, as the classify action tells it.
    fake_camera.play([PERSON])
    answer: Any = await hass.services.async_call(
        DOMAIN,
        SERVICE_CLASSIFY,
        {ATTR_CONFIG_ENTRY_ID: detector_entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    people = [d for d in answer["detections"] if d["label"] == "person"]
    assert people
    x0, y0, x1, y1 = people[0]["box"]
    # The astronaut stands in the photo's middle, from the head down: the box holds its centre.
    assert x0 < 0.5 < x1
    assert y0 < 0.5 < y1
    await hass.config_entries.async_unload(detector_entry.entry_id)


async def test_a_new_label_is_taught_on_top_of_the_detector(
    hass: HomeAssistant, fake_camera: FakeCamera, options: dict[str, Any]
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=CAMERA,
        data={CONF_CAMERA: CAMERA, CONF_MODEL: MODEL_DETECTOR, CONF_DEVICE: "cpu"},
        options={**options, CONF_WATCHED: ["person"]},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # COCO has no Miso: four yes and four no answers teach her from the classifier's embedding.
    await taught(hass, fake_camera, entry)
    status = (await call(hass, SERVICE_RETRAIN, config_entry_id=entry.entry_id))[MISO]
    assert (status["state"], status["kind"]) == ("active", "new")
    assert (status["positives"], status["negatives"]) == (4, 4)
    await watch_miso(hass, entry, beside="person")
    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    fake_camera.play(cats(10, 11, 12) + others(10, 11, 12, 13, 14, 15))  # held-out frames
    await burst(hass, entry)
    miso = [e.data for e in events if e.data["label"] == MISO]
    assert len(miso) == 1
    assert miso[0]["decided_by"] == "personal"
    await hass.config_entries.async_unload(entry.entry_id)
