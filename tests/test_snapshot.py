"""The frozen snapshot contract: entities and diagnostics read `coordinator.data`, nothing else."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import CONF_SCAN_INTERVAL
from custom_components.mlwatch.coordinator import MlwatchCoordinator
from custom_components.mlwatch.diagnostics import async_get_config_entry_diagnostics
from custom_components.mlwatch.snapshot import Episode, MlwatchData, ReviewStats
from tests import SCAN_EVERY, FakeCamera, scan, state


@pytest.fixture
def options(options: dict[str, Any]) -> dict[str, Any]:
    """A periodic scan, so that a test takes a frame by moving the clock."""
    return {**options, CONF_SCAN_INTERVAL: SCAN_EVERY.total_seconds()}


def _coordinator(entry: MockConfigEntry) -> MlwatchCoordinator:
    coordinator: MlwatchCoordinator = entry.runtime_data
    return coordinator


async def test_the_snapshot_cannot_be_changed_in_place(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    data = _coordinator(loaded).data
    assert isinstance(data, MlwatchData)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.frames_dropped = 1  # type: ignore[misc]
    for mapping in (data.open_episodes, data.seen_today, data.reviews.precision):
        with pytest.raises(TypeError):
            mapping["cat"] = 1  # type: ignore[index]


async def test_a_new_count_is_a_new_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
) -> None:
    coordinator = _coordinator(loaded)
    before = coordinator.data
    await scan(hass, freezer)
    assert coordinator.data is not before
    assert coordinator.data.frames_processed == before.frames_processed + 1
    assert before.frames_processed == 1  # the setup frame only: the old one is untouched


async def test_entities_and_diagnostics_show_only_the_snapshot(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    coordinator = _coordinator(loaded)
    await hass.async_block_till_done()  # setup's own work (the review counts) is done first
    coordinator.data = dataclasses.replace(
        coordinator.data,
        frames_dropped=42,
        open_episodes=MappingProxyType({"cat": Episode("abc", 0.91234)}),
        reviews=ReviewStats(pending=5, confirmed=3, rejected=1, precision={"cat": 0.75}),
        seen_today=MappingProxyType({"dog": 3, "cat": 1}),
    )
    coordinator.async_update_listeners()  # entities write their state right here
    assert state(hass, "sensor.front_door_frames_dropped").state == "42"
    watched = state(hass, "binary_sensor.front_door_cat")
    assert watched.state == "on"
    assert watched.attributes["detection_id"] == "abc"
    assert watched.attributes["confidence"] == 0.9123
    assert state(hass, "sensor.front_door_pending_reviews").state == "5"
    assert state(hass, "sensor.front_door_confirmed_detections").state == "3"
    assert state(hass, "sensor.front_door_rejected_detections").state == "1"
    assert state(hass, "sensor.front_door_cat_precision").state == "75.0"
    seen = state(hass, "sensor.front_door_seen_today")
    assert seen.state == "dog"
    assert seen.attributes["cat"] == 1
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    assert diagnostics["frames"]["dropped"] == 42
    assert diagnostics["open_episodes"] == {"cat": {"detection_id": "abc", "confidence": 0.9123}}
    assert diagnostics["seen_today"] == {"dog": 3, "cat": 1}
