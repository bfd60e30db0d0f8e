"""The product's core promise: one event per real episode, from real photos on the real model."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.mlwatch.const import (
    CONF_BURST_INTERVAL,
    CONF_BURST_SIZE,
    CONF_K,
    CONF_N,
    CONF_SCAN_INTERVAL,
    CONF_TRIGGERS,
    DOMAIN,
    EVENT_CLEARED,
    EVENT_DETECTION,
)
from custom_components.mlwatch.coordinator import MlwatchCoordinator
from tests import (
    SCAN_EVERY,
    FakeCamera,
    burst,
    camera_error,
    run_bursts,
    scan,
    start_burst,
    state,
    step,
)
from tests.const import CAT, EMPTY

DOORBELL = "binary_sensor.doorbell"
RING = "event.doorbell_ring"


def coordinator(entry: MockConfigEntry) -> MlwatchCoordinator:
    c: MlwatchCoordinator = entry.runtime_data
    return c


async def test_a_burst_of_real_frames_gives_one_detection_and_one_clear(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    bus: list[Event[dict[str, Any]]],
) -> None:
    # cat, cat, empty, cat: K=2 of N=3 fires once; the odd empty frame does not split the episode.
    fake_camera.play([CAT, CAT, EMPTY, CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, loaded)
    detected, cleared = bus
    assert detected.event_type == EVENT_DETECTION
    assert cleared.event_type == EVENT_CLEARED
    data = detected.data
    assert data["label"] == "cat"
    assert data["camera"] == "camera.front_door"
    assert data["config_entry_id"] == loaded.entry_id
    assert data["image_entity_id"] == "image.front_door_last_detection"
    # The cat photo's ImageNet cat classes sum to ~0.95 on the default model; both frames agree.
    assert data["frames"] == [pytest.approx(0.95, abs=0.03)] * 2
    assert data["confidence"] == pytest.approx(data["frames"][0])
    assert data["best_score"] == data["confidence"]
    assert cleared.data["detection_id"] == data["detection_id"]
    assert [e.event_type for e in bus] == [EVENT_DETECTION, EVENT_CLEARED]  # nothing more
    assert state(hass, "binary_sensor.front_door_cat").state == STATE_OFF
    assert state(hass, "sensor.front_door_seen_today").state == "cat"
    assert state(hass, "sensor.front_door_seen_today").attributes["cat"] == 1
    assert state(hass, "event.front_door_detection").attributes["event_type"] == "cleared"


async def test_binary_sensor_is_on_during_the_episode(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    bus: list[Event[dict[str, Any]]],
) -> None:
    fake_camera.play([CAT])  # the cat stays
    await start_burst(hass, loaded)
    await step(hass, loaded)  # K = 2: the second frame opens the episode
    (detected,) = bus
    sensor = state(hass, "binary_sensor.front_door_cat")
    assert sensor.state == STATE_ON
    assert sensor.attributes["detection_id"] == detected.data["detection_id"]
    event_state = state(hass, "event.front_door_detection")
    assert event_state.attributes["event_type"] == "detected"
    assert event_state.attributes["label"] == "cat"
    # While the episode is open the camera keeps being sampled, past the burst's 6 frames.
    await step(hass, loaded, intervals=10)
    assert loaded.runtime_data.data.bursting
    assert len(bus) == 1
    fake_camera.play([EMPTY])  # the cat leaves: the episode ends, and with it the burst
    await run_bursts(hass, loaded)
    assert [e.event_type for e in bus] == [EVENT_DETECTION, EVENT_CLEARED]
    assert state(hass, "binary_sensor.front_door_cat").state == STATE_OFF


@pytest.mark.parametrize(
    ("trigger", "fire"),
    [
        (
            DOORBELL,
            [
                ("off", None),
                ("on", 1),
                ("on", None),
                ("off", None),
                ("unavailable", None),
                ("on", 1),
            ],
        ),
        (RING, [("2026-01-01T00:00:00", 1), ("unavailable", None), ("2026-01-01T00:01:00", 1)]),
        ("input_boolean.doorbell", [("off", None), ("on", 1), ("off", None), ("on", 1)]),
    ],
)
async def test_trigger_entities_start_bursts(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
    trigger: str,
    fire: list[tuple[str, int | None]],
) -> None:
    hass.config_entries.async_update_entry(
        entry, options={**options, CONF_TRIGGERS: [trigger], CONF_BURST_SIZE: 2}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    c = coordinator(entry)
    for value, bursts in fire:
        before = c.data.frames_processed
        hass.states.async_set(trigger, value)
        await hass.async_block_till_done()
        if bursts:
            assert c.bursting
            await run_bursts(hass, entry)
            assert not c.bursting
            assert c.data.frames_processed == before + 2
        else:
            assert not c.bursting
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_trigger_during_a_burst_extends_it(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
) -> None:
    hass.config_entries.async_update_entry(
        entry,
        options={
            **options,
            CONF_BURST_SIZE: 4,
            CONF_BURST_INTERVAL: 0.1,
            CONF_TRIGGERS: [DOORBELL],
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    c = coordinator(entry)
    start = c.data.frames_processed
    hass.states.async_set(DOORBELL, "on")
    await step(hass, entry, intervals=2)
    assert c.data.frames_processed - start == 3
    hass.states.async_set(DOORBELL, "off")
    hass.states.async_set(DOORBELL, "on")  # second ring mid-burst: 4 frames more, from now
    await hass.async_block_till_done(wait_background_tasks=True)
    assert c.data.frames_processed - start == 4
    await step(hass, entry, intervals=3)
    assert c.bursting
    await run_bursts(hass, entry)
    assert not c.bursting
    # The same burst, extended: a second one would have taken more frames, or dropped some.
    assert (c.data.frames_processed - start, c.data.frames_dropped) == (7, 0)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_frames_that_cannot_keep_up_are_dropped_and_counted(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    c = coordinator(loaded)
    start = c.data.frames_processed
    fake_camera.gate = asyncio.Event()  # a slow camera: the first frame outlasts the burst
    await start_burst(hass, loaded)
    for _ in range(5):  # the other 5 ticks, 0.1 s apart, while the first frame waits
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=0.1))
        await hass.async_block_till_done()
    fake_camera.gate.set()
    await run_bursts(hass, loaded)
    assert (c.data.frames_processed - start, c.data.frames_dropped) == (1, 5)
    assert state(hass, "sensor.front_door_frames_dropped").state == "5"


async def test_camera_failure_makes_entities_unavailable_and_they_recover(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_camera.play([camera_error(), camera_error(), camera_error()])
    await burst(hass, loaded)
    for entity in (
        "sensor.front_door_top_label",
        "binary_sensor.front_door_cat",
        "event.front_door_detection",
    ):
        assert state(hass, entity).state == STATE_UNAVAILABLE
    assert caplog.text.count("Cannot get a snapshot from camera.front_door") == 1  # logged once
    fake_camera.play([EMPTY])
    await burst(hass, loaded)
    assert state(hass, "sensor.front_door_top_label").state == "espresso"
    assert "Snapshots from camera.front_door are classified again" in caplog.text


async def scanning(hass: HomeAssistant, entry: MockConfigEntry, options: dict[str, Any]) -> None:
    """Set the entry up with a periodic scan, whose frames come when the test moves the clock."""
    hass.config_entries.async_update_entry(
        entry, options={**options, CONF_SCAN_INTERVAL: SCAN_EVERY.total_seconds()}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)


async def test_periodic_scan_samples_when_asked_to(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
) -> None:
    await scanning(hass, entry, options)
    start = coordinator(entry).data.frames_processed
    await scan(hass, freezer, frames=2)
    assert coordinator(entry).data.frames_processed == start + 2
    await hass.config_entries.async_unload(entry.entry_id)


async def test_no_periodic_scan_by_default(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
) -> None:
    served = fake_camera.served
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert fake_camera.served == served


async def test_seen_today_resets_at_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
    bus: list[Event[dict[str, Any]]],
) -> None:
    # The evening of the next day, in HA's time zone: the clock only ever moves forward.
    midnight = dt_util.start_of_local_day() + timedelta(days=2)
    freezer.move_to(midnight - timedelta(hours=3))
    await scanning(hass, entry, options)
    fake_camera.play([CAT, CAT, EMPTY])
    await scan(hass, freezer, frames=2)
    assert len(bus) == 1
    assert state(hass, "sensor.front_door_seen_today").state == "cat"
    freezer.move_to(midnight)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_seen_today").state == "unknown"
    assert coordinator(entry).data.seen_today == {}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_k_of_n_from_options(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
    bus: list[Event[dict[str, Any]]],
) -> None:
    # With K=3 of N=3 the same frames (one empty among cats) never fire.
    hass.config_entries.async_update_entry(
        entry, options={**options, CONF_K: 3, CONF_N: 3, CONF_BURST_SIZE: 6}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    fake_camera.play([CAT, CAT, EMPTY, CAT, CAT, EMPTY])
    await burst(hass, entry)
    assert bus == []
    await hass.config_entries.async_unload(entry.entry_id)


async def episode(
    hass: HomeAssistant, loaded: MockConfigEntry, fake_camera: FakeCamera, bus: list[Any]
) -> None:
    """One cat comes and goes: a detection and its clear reach the bus."""
    before = len(bus)
    fake_camera.play([CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, loaded)
    assert [e.event_type for e in bus[before:]] == [EVENT_DETECTION, EVENT_CLEARED]


async def test_a_broken_dataset_never_stops_detections(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    bus: list[Event[dict[str, Any]]],
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = Path(hass.config.path("mlwatch"))
    await hass.async_add_executor_job(root.write_text, "a file where the dataset folder goes")
    assert await hass.config_entries.async_setup(entry.entry_id)
    for _ in range(2):  # and the first failed keep does not hold up the next announce
        await episode(hass, entry, fake_camera, bus)
    assert "Could not keep detection" in caplog.text
    issue = issue_registry.async_get_issue(DOMAIN, "dataset_error")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "Cannot write" in issue.translation_placeholders["error"]
    detection_id = bus[0].data["detection_id"]
    with pytest.raises(HomeAssistantError) as err:  # typed and translated, not unknown_error
        await hass.services.async_call(
            DOMAIN, "confirm_detection", {"detection_id": detection_id}, blocking=True
        )
    assert err.value.translation_key == "dataset_error"
    await hass.async_add_executor_job(root.unlink)  # the user repairs it
    await hass.services.async_call(
        DOMAIN,
        "review_frame",
        {"config_entry_id": entry.entry_id, "label": "cat", "verdict": "confirmed"},
        blocking=True,
    )
    assert issue_registry.async_get_issue(DOMAIN, "dataset_error") is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_failing_keep_does_not_poison_later_announces(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    bus: list[Event[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*_: Any) -> bool:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(coordinator(loaded).reviews, "async_keep", broken)
    await episode(hass, loaded, fake_camera, bus)
    monkeypatch.undo()
    await episode(hass, loaded, fake_camera, bus)
    assert "Could not keep detection" in caplog.text
    assert "the disk went away" in caplog.text
    assert bus[0].data["detection_id"] != bus[2].data["detection_id"]
