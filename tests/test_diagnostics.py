"""Diagnostics: what a maintainer sees, with local paths redacted."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.mlwatch.const import (
    CONF_LABELS_PATH,
    CONF_MODEL,
    CONF_MODEL_PATH,
    CONF_SCAN_INTERVAL,
    MODEL_CUSTOM,
)
from tests import SCAN_EVERY, FakeCamera, custom_files
from tests.const import CAT


@pytest.fixture
def options(options: dict[str, Any]) -> dict[str, Any]:
    """A periodic scan, so that the test takes its frames one by one by moving the clock."""
    return {**options, CONF_SCAN_INTERVAL: SCAN_EVERY.total_seconds()}


@pytest.mark.usefixtures("steady_clock")
async def test_diagnostics(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    fake_camera.play([CAT])
    # Fired times, not the freezer: the diagnostics view imports hassio, whose mashumaro
    # models cannot be built while freezegun's datetime stands in for the real one.
    now = dt_util.utcnow()
    for _ in range(2):
        now += SCAN_EVERY
        async_fire_time_changed(hass, now)
        await hass.async_block_till_done(wait_background_tasks=True)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded)
    assert diagnostics == snapshot(exclude=props("detection_id", "at"))


async def test_custom_model_paths_are_redacted(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    files = await hass.async_add_executor_job(custom_files, hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_MODEL: MODEL_CUSTOM, **files}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    data = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert data["entry"]["data"][CONF_MODEL_PATH] == "**REDACTED**"
    assert data["entry"]["data"][CONF_LABELS_PATH] == "**REDACTED**"
    assert data["model"]["name"] == "model.tflite"
    await hass.config_entries.async_unload(entry.entry_id)
