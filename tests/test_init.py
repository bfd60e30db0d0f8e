"""Loading, setting up and unloading the integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import CONF_CAMERA, DOMAIN


async def test_integration_loads_from_custom_components(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.config_flow
    assert integration.requirements == []


async def test_setup_and_unload_leave_nothing_behind(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_CAMERA: "camera.door"}, unique_id="camera.door"
    )
    entry.add_to_hass(hass)
    # The first setup also loads our dependencies (camera, http) and their listeners stay;
    # a second cycle must then leave the bus exactly as it found it.
    listeners: list[dict[str, int]] = []
    for _ in range(2):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.NOT_LOADED
        listeners.append(hass.bus.async_listeners())
    assert listeners[0] == listeners[1]
