"""Config flow for mlwatch: one entry per watched camera."""

from __future__ import annotations

from typing import Any

from homeassistant.components.camera import DOMAIN as CAMERA_DOMAIN
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import EntitySelector, EntitySelectorConfig

from .const import CONF_CAMERA, DOMAIN
from .validation import vol

USER_SCHEMA = vol.Schema(
    {vol.Required(CONF_CAMERA): EntitySelector(EntitySelectorConfig(domain=CAMERA_DOMAIN))}
)


class MlwatchConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle adding a camera to watch."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the camera."""
        if user_input is not None:
            camera = user_input[CONF_CAMERA]
            await self.async_set_unique_id(camera)
            self._abort_if_unique_id_configured()
            state = self.hass.states.get(camera)
            title = state.name if state else camera
            return self.async_create_entry(title=title, data={CONF_CAMERA: camera})
        return self.async_show_form(step_id="user", data_schema=USER_SCHEMA)
