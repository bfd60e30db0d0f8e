"""The config flow as the UI drives it."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import CONF_CAMERA, DOMAIN


async def test_user_step_shows_camera_picker_then_creates_entry(hass: HomeAssistant) -> None:
    hass.states.async_set("camera.front_door", "idle", {"friendly_name": "Front door"})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    schema = result["data_schema"]
    assert schema is not None
    assert CONF_CAMERA in schema.schema

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CAMERA: "camera.front_door"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Front door"
    assert result["data"] == {CONF_CAMERA: "camera.front_door"}
    assert result["result"].unique_id == "camera.front_door"


async def test_same_camera_twice_aborts(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data={CONF_CAMERA: "camera.a"}, unique_id="camera.a"
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CAMERA: "camera.a"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
