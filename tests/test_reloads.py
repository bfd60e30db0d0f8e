"""Reconfigure, reauth and options each reload the entry once, with no HA deprecation report."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import CONF_CAMERA, CONF_K, CONF_WATCHED
from tests import FakeCamera, counting_reloads, on_form, submit, usage_reports
from tests.const import USER


async def test_setup_registers_no_update_listener(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    # HA 2026.12 breaks flows that reload an entry which also has an update listener.
    assert loaded.update_listeners == []


async def test_reconfigure_reloads_once_and_reports_nothing(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.states.async_set("camera.garden", "idle", {"friendly_name": "Garden"})
    before = loaded.runtime_data
    with counting_reloads(hass) as reload:
        flow = await loaded.start_reconfigure_flow(hass)
        result = await submit(hass, flow, {**USER, CONF_CAMERA: "camera.garden"})
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
    assert usage_reports(caplog) == []
    assert reload.await_count == 1
    assert loaded.state is ConfigEntryState.LOADED
    assert loaded.runtime_data is not before


async def test_options_changed_reload_once_unchanged_not_at_all(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def save(options: dict[str, Any]) -> None:
        flow = await hass.config_entries.options.async_init(loaded.entry_id)
        result = await hass.config_entries.options.async_configure(
            flow["flow_id"], on_form(options)
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()

    before = loaded.runtime_data
    changed = {**loaded.options, CONF_WATCHED: ["dog"], CONF_K: 1}
    with counting_reloads(hass) as reload:
        await save(changed)
        assert reload.await_count == 1
        assert loaded.options == changed
        assert loaded.runtime_data is not before
        assert loaded.runtime_data.watched == ["dog"]
        await save(changed)
        assert reload.await_count == 1  # nothing changed: nothing to reload
    assert loaded.state is ConfigEntryState.LOADED
    assert usage_reports(caplog) == []
