"""Actions: `mlwatch.classify` (what does the camera see now?) and `mlwatch.scan` (burst now)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import (
    ATTR_CAMERA,
    ATTR_CONFIG_ENTRY_ID,
    CONF_CAMERA,
    DOMAIN,
    SERVICE_CLASSIFY,
    SERVICE_SCAN,
)
from .validation import vol

if TYPE_CHECKING:
    from . import MlwatchConfigEntry
    from .coordinator import MlwatchCoordinator
    from .frame import Frame

TARGET_FIELDS = {
    vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "target"): cv.string,
    vol.Exclusive(ATTR_CAMERA, "target"): cv.entity_id,
}
TARGET_SCHEMA = vol.Schema(TARGET_FIELDS)


def async_entry_for_call(hass: HomeAssistant, call: ServiceCall) -> MlwatchConfigEntry:
    """The loaded entry an action names, by entry id or by camera."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    camera: str | None = call.data.get(ATTR_CAMERA)
    if entry_id:
        entry = hass.config_entries.async_get_entry(entry_id)
        target = entry_id
    elif camera:
        entry = next(
            (e for e in hass.config_entries.async_entries(DOMAIN) if e.data[CONF_CAMERA] == camera),
            None,
        )
        target = camera
    else:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target")
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"target": target},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"target": entry.title},
        )
    return entry


async def async_capture_for_action(coordinator: MlwatchCoordinator, key: str) -> Frame:
    """A snapshot classified now; a camera or model failure is the action's translated error."""
    try:
        return await coordinator.async_capture()
    except UpdateFailed as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"camera": coordinator.camera, "error": str(err)},
        ) from err


async def _classify(call: ServiceCall) -> ServiceResponse:
    """Classify the camera's current frame; does not feed the debouncer."""
    entry = async_entry_for_call(call.hass, call)
    coordinator = entry.runtime_data.coordinator
    frame = await async_capture_for_action(coordinator, "classify_failed")
    result = frame.result
    response: dict[str, Any] = {
        "camera": coordinator.camera,
        "config_entry_id": entry.entry_id,
        "labels": [{"label": label, "score": round(score, 4)} for label, score in result.top],
        "groups": {name: round(score, 4) for name, score in result.groups.items()},
        "watched": {label: round(result.score(label), 4) for label in coordinator.watched},
        "detections": [
            {"label": d.label, "score": round(d.score, 4), "box": [round(v, 4) for v in d.box]}
            for d in result.detections
        ],
        "timings_ms": {
            "decode": round(result.timings.decode, 2),
            "preprocess": round(result.timings.preprocess, 2),
            "invoke": round(result.timings.invoke, 2),
            "post": round(result.timings.post, 2),
            "total": round(result.timings.total, 2),
        },
        "frame_size": list(result.frame_size),
    }
    return response


async def _scan(call: ServiceCall) -> None:
    """Start a burst now, as a trigger would."""
    async_entry_for_call(call.hass, call).runtime_data.coordinator.async_start_burst()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_CLASSIFY,
        _classify,
        schema=TARGET_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(DOMAIN, SERVICE_SCAN, _scan, schema=TARGET_SCHEMA)
