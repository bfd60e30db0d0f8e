"""A trigger during a burst takes a frame at once, unless a frame is already in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components.camera import Image
from homeassistant.core import HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import CONF_BURST_INTERVAL, CONF_BURST_SIZE, CONF_TRIGGERS
from custom_components.mlwatch.coordinator import MlwatchCoordinator
from tests import FakeCamera

DOORBELL = "binary_sensor.doorbell"
# So long that only a woken loop can take the next frame while the test runs.
AN_HOUR = 3600.0


@pytest.fixture
async def coordinator(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry, options: dict[str, Any]
) -> AsyncGenerator[MlwatchCoordinator]:
    """The doorbell's entry, bursting 3 frames an hour apart; unloaded after the test."""
    hass.states.async_set(DOORBELL, "off")
    hass.config_entries.async_update_entry(
        entry,
        options={
            **options,
            CONF_BURST_SIZE: 3,
            CONF_BURST_INTERVAL: AN_HOUR,
            CONF_TRIGGERS: [DOORBELL],
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    loaded: MlwatchCoordinator = entry.runtime_data
    yield loaded
    await hass.config_entries.async_unload(entry.entry_id)


def _updates(coordinator: MlwatchCoordinator) -> Callable[[int], Any]:
    """`await until(n)`: returns once the snapshot counts `n` processed frames."""
    changed = asyncio.Event()

    @callback
    def updated() -> None:
        changed.set()

    coordinator.async_add_listener(updated)

    async def until(frames: int) -> None:
        async with asyncio.timeout(10):  # a hang guard, not a measurement
            while coordinator.data.frames_processed < frames:
                await changed.wait()
                changed.clear()

    return until


def _ring(hass: HomeAssistant) -> None:
    hass.states.async_set(DOORBELL, "on")
    hass.states.async_set(DOORBELL, "off")


async def test_a_ring_while_the_burst_sleeps_takes_a_frame_now(
    hass: HomeAssistant, coordinator: MlwatchCoordinator
) -> None:
    until = _updates(coordinator)
    start = coordinator.data.frames_processed
    _ring(hass)  # the burst's first frame, then an hour's sleep
    await until(start + 1)
    assert coordinator.bursting
    _ring(hass)  # without the wake, the next frame would wait for the old tick
    await until(start + 2)
    assert coordinator.data.frames_dropped == 0


async def test_a_ring_during_a_frame_does_not_start_a_second_one(
    hass: HomeAssistant, fake_camera: FakeCamera, coordinator: MlwatchCoordinator
) -> None:
    until = _updates(coordinator)
    start = coordinator.data.frames_processed
    release, started = asyncio.Event(), asyncio.Event()

    async def held(hass: HomeAssistant, entity_id: str, *args: Any, **kwargs: Any) -> Image:
        started.set()
        await release.wait()
        return await fake_camera.get_image(hass, entity_id, *args, **kwargs)

    with patch("homeassistant.components.camera.async_get_image", held):
        _ring(hass)
        await started.wait()
        served = fake_camera.served
        _ring(hass)  # a frame is in flight: waking now would only drop a frame
        await hass.async_block_till_done()
        release.set()
        await until(start + 1)
    assert coordinator.data.frames_dropped == 0
    assert fake_camera.served == served + 1  # the held frame, and no other
