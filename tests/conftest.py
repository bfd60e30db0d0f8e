"""Shared fixtures: a camera that serves real photos, and mlwatch entries on the real model."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant import block_async_io
from homeassistant.const import __version__ as ha_version
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

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
    EVENT_CLEARED,
    EVENT_DETECTION,
    MODEL_DEFAULT,
)
from tests import BlockingCallLog, FakeCamera
from tests.const import CAMERA


@pytest.fixture(autouse=True)
def no_blocking_calls(request: pytest.FixtureRequest) -> Generator[None]:
    """HA's blocking-call guard, on for every test that runs HA, file reads included.

    For custom integrations HA only logs such calls; here one from mlwatch fails the test.
    """
    if "hass" not in request.fixturenames:
        yield
        return
    block_async_io._IN_TESTS = False  # HA skips file I/O checks in tests; we do not
    block_async_io.enable()
    handler = BlockingCallLog()
    logger = logging.getLogger("homeassistant.util.loop")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        calls = block_async_io._BLOCKED_CALLS.calls
        for call in calls:
            setattr(call.object, call.function, call.original_func)
        calls.clear()
    assert not handler.found, handler.found[0]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Let HA load mlwatch from custom_components, with a config folder of the test's own.

    The test plugin's default config folder lies inside its package and is shared by every
    test; the dataset mlwatch writes there must start empty each time.
    """
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
        hass: HomeAssistant = request.getfixturevalue("hass")
        config = tmp_path / "config"
        config.mkdir()
        hass.config.config_dir = str(config)


@pytest.fixture
def fake_camera(hass: HomeAssistant) -> Generator[FakeCamera]:
    """A camera entity whose snapshots are real photos (patched at HA's camera boundary)."""
    hass.states.async_set(CAMERA, "idle", {"friendly_name": "Front door"})
    cam = FakeCamera()
    with patch("homeassistant.components.camera.async_get_image", cam.get_image):
        yield cam


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
        CONF_BURST_INTERVAL: 0.1,
    }


@pytest.fixture
def bus(hass: HomeAssistant) -> list[Event[dict[str, Any]]]:
    """Every detection and clear event fired on the bus, in order."""
    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    hass.bus.async_listen(EVENT_CLEARED, events.append)
    return events


@pytest.fixture
def entry(hass: HomeAssistant, options: dict[str, Any]) -> MockConfigEntry:
    """An mlwatch entry for the front door on the bundled model."""
    e = MockConfigEntry(
        domain=DOMAIN,
        entry_id="01JMLWATCH0FR0NTD00R000000",  # fixed, for snapshots
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


class VersionedSnapshots(HomeAssistantSnapshotExtension):  # type: ignore[misc]
    """Snapshots per HA release: registry entries gain fields between the versions we test."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        major, minor = ha_version.split(".")[:2]
        return str(Path(test_location.filepath).parent / "snapshots" / f"ha{major}.{minor}")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """HA's snapshot serializer, stored per HA version."""
    return snapshot.use_extension(VersionedSnapshots)


@pytest.fixture
def steady_clock() -> Generator[None]:
    """Each stage of a classification takes exactly 1 ms (the core's clock is a boundary)."""
    ticks = itertools.count(step=0.001)
    with patch("custom_components.mlwatch.core.engine.perf_counter", lambda: next(ticks)):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, including those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
