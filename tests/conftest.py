"""Shared fixtures: a camera that serves real photos, and mlwatch entries on the real model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant import block_async_io
from homeassistant.components.camera import Image
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import (
    CONF_BURST_INTERVAL,
    CONF_BURST_SIZE,
    CONF_CAMERA,
    CONF_COOLDOWN,
    CONF_DEVICE,
    CONF_K,
    CONF_MODEL,
    CONF_N,
    CONF_WATCHED,
    DEFAULT_OPTIONS,
    DOMAIN,
    MODEL_DEFAULT,
)
from tests.core.conftest import snapshot

# The same guard HA runs with: a blocking call on the event loop fails the test.
if not block_async_io._BLOCKED_CALLS.calls:
    block_async_io.enable()

CAMERA = "camera.front_door"
# A mat with nothing interesting on it: the coffee photo scores ~0 for cats.
EMPTY = "coffee"
CAT = "chelsea"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load mlwatch from custom_components in every test that runs HA."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@dataclass
class FakeCamera:
    """Serves a scripted sequence of frames; the last one repeats. Items: photo name or error."""

    frames: list[str | BaseException] = field(default_factory=lambda: [EMPTY])
    served: int = 0
    delay: float = 0.0
    size: tuple[int, int] = (1280, 720)

    def play(self, frames: Iterable[str | BaseException]) -> None:
        self.frames = list(frames)
        self.served = 0

    async def get_image(self, hass: HomeAssistant, entity_id: str, *_: Any, **__: Any) -> Image:
        del entity_id
        item = self.frames[min(self.served, len(self.frames) - 1)]
        self.served += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(item, BaseException):
            raise item
        # Encoding is slow enough to trip HA's slow-callback warning: off the loop, like real I/O.
        return Image("image/jpeg", await hass.async_add_executor_job(snapshot, item, self.size))


@pytest.fixture
def fake_camera(hass: HomeAssistant) -> Generator[FakeCamera]:
    """A camera entity whose snapshots are real photos (patched at HA's camera boundary)."""
    hass.states.async_set(CAMERA, "idle", {"friendly_name": "Front door"})
    cam = FakeCamera()
    with patch("homeassistant.components.camera.async_get_image", cam.get_image):
        yield cam


def camera_error(message: str = "Camera is offline") -> HomeAssistantError:
    return HomeAssistantError(message)


@pytest.fixture
def options() -> dict[str, Any]:
    """Fast bursts and a short window, so a test runs in a second."""
    return {
        **DEFAULT_OPTIONS,
        CONF_WATCHED: ["cat"],
        CONF_K: 2,
        CONF_N: 3,
        CONF_COOLDOWN: 0,
        CONF_BURST_SIZE: 6,
        CONF_BURST_INTERVAL: 0.05,
    }


@pytest.fixture
def entry(hass: HomeAssistant, options: dict[str, Any]) -> MockConfigEntry:
    """An mlwatch entry for the front door on the bundled model."""
    e = MockConfigEntry(
        domain=DOMAIN,
        title="Front door",
        unique_id=CAMERA,
        data={CONF_CAMERA: CAMERA, CONF_MODEL: MODEL_DEFAULT, CONF_DEVICE: "cpu"},
        options=options,
    )
    e.add_to_hass(hass)
    return e


@pytest.fixture
async def loaded(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """The entry set up (and unloaded again after the test, so no thread lingers)."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state.recoverable:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the event loop run until `predicate` holds (bursts run on real time)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
