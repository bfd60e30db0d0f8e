"""Config flow parts for in-process inference: the forms, and a test on a real snapshot."""

from __future__ import annotations

import os
from typing import Any

from homeassistant.components import camera
from homeassistant.components.camera import DOMAIN as CAMERA_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import selector

from .backend import LocalBackend
from .const import (
    CONF_CAMERA,
    CONF_DEVICE,
    CONF_LABELS_PATH,
    CONF_MEAN,
    CONF_MODEL,
    CONF_MODEL_PATH,
    CONF_STD,
    DEVICES,
    MODEL_CUSTOM,
    MODEL_DEFAULT,
    MODEL_DETECTOR,
)
from .core.errors import ImageError, MlwatchError
from .validation import vol


def local_schema(defaults: dict[str, Any]) -> Any:  # vol.Schema of either library
    """Camera, model and device."""
    return vol.Schema(
        {
            vol.Required(
                CONF_CAMERA, default=defaults.get(CONF_CAMERA, vol.UNDEFINED)
            ): selector.EntitySelector(selector.EntitySelectorConfig(domain=CAMERA_DOMAIN)),
            vol.Required(
                CONF_MODEL, default=defaults.get(CONF_MODEL, MODEL_DETECTOR)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[MODEL_DETECTOR, MODEL_DEFAULT, MODEL_CUSTOM],
                    translation_key=CONF_MODEL,
                )
            ),
            vol.Required(
                CONF_DEVICE, default=defaults.get(CONF_DEVICE, "auto")
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(options=list(DEVICES), translation_key=CONF_DEVICE)
            ),
        }
    )


def _pixel(low: float) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=low, max=255, step="any", mode=selector.NumberSelectorMode.BOX
        )
    )


def custom_model_schema(defaults: dict[str, Any]) -> Any:
    """A model and labels file under the config folder, and optional normalisation."""
    return vol.Schema(
        {
            vol.Required(CONF_MODEL_PATH, default=defaults.get(CONF_MODEL_PATH, "")): str,
            vol.Required(CONF_LABELS_PATH, default=defaults.get(CONF_LABELS_PATH, "")): str,
            # Empty: the defaults (the quantized input's own scale, or [-1, 1] for float inputs).
            vol.Optional(
                CONF_MEAN, description={"suggested_value": defaults.get(CONF_MEAN)}
            ): _pixel(0),
            vol.Optional(CONF_STD, description={"suggested_value": defaults.get(CONF_STD)}): _pixel(
                0.001
            ),
        }
    )


def _inside_config(hass: HomeAssistant, relative: str) -> bool:
    """Whether a path the user typed stays inside the HA config directory (no I/O)."""
    root = os.path.normpath(hass.config.config_dir)
    full = os.path.normpath(hass.config.path(relative))
    return full.startswith(root + os.sep)


async def async_validate_local(
    hass: HomeAssistant, data: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Fetch one snapshot and run one inference: return form errors and their placeholders."""
    if data[CONF_MODEL] == MODEL_CUSTOM and not all(
        _inside_config(hass, data[key]) for key in (CONF_MODEL_PATH, CONF_LABELS_PATH)
    ):
        return {"base": "path_outside_config"}, {"error": hass.config.config_dir}
    try:
        image = await camera.async_get_image(hass, data[CONF_CAMERA])
    except HomeAssistantError as err:
        return {"base": "cannot_read_camera"}, {"error": str(err)}
    try:
        backend = await LocalBackend.create(hass, data, {})
    except MlwatchError as err:
        return {"base": err.key}, {"error": str(err)}
    try:
        await backend.classify(image.content)
    except ImageError as err:
        return {"base": "cannot_read_camera"}, {"error": str(err)}
    finally:
        await backend.close()
    return {}, {}
