"""Config flow parts for servers: their forms, and a test that reaches the server and the camera."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from homeassistant.components import camera
from homeassistant.components.camera import DOMAIN as CAMERA_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import selector

from .const import (
    BACKEND_DEEPSTACK,
    CONF_API_KEY,
    CONF_CAMERA,
    CONF_FALLBACK_URL,
    CONF_SERVER_MODEL,
    CONF_URL,
)
from .core.errors import MlwatchError
from .remote import remote_backend_class
from .validation import vol

_URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))
_PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
_TEXT = selector.TextSelector()


def _suggested(defaults: dict[str, Any], key: str) -> dict[str, Any]:
    return {"suggested_value": defaults.get(key)}


def server_schema(backend: str, defaults: dict[str, Any]) -> Any:  # vol.Schema of either library
    """Camera, server URL, key and fallback; DeepStack may also name a custom model."""
    fields: dict[Any, Any] = {
        vol.Required(
            CONF_CAMERA, default=defaults.get(CONF_CAMERA, vol.UNDEFINED)
        ): selector.EntitySelector(selector.EntitySelectorConfig(domain=CAMERA_DOMAIN)),
        vol.Required(CONF_URL, default=defaults.get(CONF_URL, vol.UNDEFINED)): _URL,
        vol.Optional(CONF_API_KEY, description=_suggested(defaults, CONF_API_KEY)): _PASSWORD,
    }
    if backend == BACKEND_DEEPSTACK:
        fields[
            vol.Optional(CONF_SERVER_MODEL, description=_suggested(defaults, CONF_SERVER_MODEL))
        ] = _TEXT
    fields[vol.Optional(CONF_FALLBACK_URL, description=_suggested(defaults, CONF_FALLBACK_URL))] = (
        _URL
    )
    return vol.Schema(fields)


def reauth_schema() -> Any:
    """Only the new key."""
    return vol.Schema({vol.Required(CONF_API_KEY): _PASSWORD})


def _valid_url(url: str | None) -> bool:
    if not url:
        return True
    parsed = urlparse(url.strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


async def async_validate_remote(
    hass: HomeAssistant, data: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Reach the server (`/health`), take a snapshot and classify it there; form errors if not."""
    for key in (CONF_URL, CONF_FALLBACK_URL):
        if not _valid_url(data.get(key)):
            return {key: "invalid_url"}, {}
    try:
        backend = await remote_backend_class(data).create(hass, data)
    except MlwatchError as err:
        return {"base": err.key}, {"error": str(err)}
    try:
        image = await camera.async_get_image(hass, data[CONF_CAMERA])
    except HomeAssistantError as err:
        return {"base": "cannot_read_camera"}, {"error": str(err)}
    try:
        await backend.classify(image.content)
    except MlwatchError as err:
        return {"base": err.key}, {"error": str(err)}
    return {}, {}
