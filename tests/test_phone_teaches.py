"""Answers from the phone, then visits decided by a personal model measured on those answers."""

from __future__ import annotations

from typing import Any

from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import (
    CONF_OFF_THRESHOLD,
    CONF_ON_THRESHOLD,
    CONF_WATCHED,
    EVENT_DETECTION,
)
from tests import FakeCamera, burst, settle_answers, variants
from tests.const import EMPTY
from tests.phone import answer_on_phone, phone_automation

# The model calls both the moon and the Hubble deep field "nematode" (at 0.30-0.64 on these
# frames). The user watches for the deep field; the moon is the false alarm.
LABEL = "nematode"
MOON = variants("moon", [2, 7, 9, 20, 21, 26, 30, 32, 22, 16])
DEEP = variants("hubble_deep_field", [12, 26, 34, 37, 38, 33, 7, 8])
SENSOR = "sensor.front_door_nematode_personal_model"


async def _episode(
    hass: HomeAssistant, camera: FakeCamera, entry: MockConfigEntry, frames: list[bytes]
) -> list[dict[str, Any]]:
    """A visit: the frames, then the empty mat; the detections it raised."""
    events: list[Event[dict[str, Any]]] = []
    unsub = hass.bus.async_listen(EVENT_DETECTION, events.append)
    camera.play([*frames, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, entry)
    unsub()
    return [e.data for e in events if e.data["label"] == LABEL]


async def test_answers_from_the_phone_make_the_next_visits_the_personal_models(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry, options: dict[str, Any]
) -> None:
    watch = {CONF_WATCHED: [LABEL], CONF_ON_THRESHOLD: 0.3, CONF_OFF_THRESHOLD: 0.15}
    hass.config_entries.async_update_entry(entry, options={**options, **watch})
    assert await hass.config_entries.async_setup(entry.entry_id)
    calls = await phone_automation(hass, [LABEL])
    # Four visits; each rings the phone, and the user answers from the notification.
    week = [(MOON[0:2], "Reject"), (DEEP[0:2], "Confirm"), (MOON[2:4], "Reject")]
    week.append((DEEP[2:4], "Confirm"))
    for frames, button in week:
        (detected,) = await _episode(hass, fake_camera, entry, frames)
        assert detected["decided_by"] == "base"  # too few answers yet: the model decides
        notification = calls[-1].data
        assert notification["data"]["tag"] == f"mlwatch-{detected['detection_id']}"
        (tapped,) = [a for a in notification["data"]["actions"] if a["title"] == button]
        await answer_on_phone(hass, tapped["action"])
        await settle_answers(hass)

    # The user can see it: measured on their own answers, and better than the model alone.
    sensor = hass.states.get(SENSOR)
    assert sensor is not None
    assert sensor.attributes["state"] == "active"
    assert (sensor.attributes["positives"], sensor.attributes["negatives"]) == (2, 2)
    assert float(sensor.state) > sensor.attributes["base_f1"]

    # The moon comes again, in frames nobody answered about: no alarm, nor on the empty mat after
    # it, which nobody answered about either. The deep field: the personal model fires, says so.
    assert await _episode(hass, fake_camera, entry, MOON[4:10]) == []
    (detected,) = await _episode(hass, fake_camera, entry, DEEP[4:8])
    assert detected["decided_by"] == "personal"
    assert detected["personal_score"] >= 0.3
    await hass.config_entries.async_unload(entry.entry_id)
