"""mlwatch: classify a camera's snapshots on the device and fire debounced detections."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .backend import Backend, LocalBackend, ServerAuthError, ServerUnavailableError
from .card import async_register_card
from .const import BACKEND_LOCAL, CONF_BACKEND, CONF_CAMERA, CONF_DEVICE, CONF_URL, DOMAIN
from .coordinator import MlwatchConfigEntry, MlwatchCoordinator
from .core.errors import EdgeTpuModelError, EdgeTpuNotFoundError, MlwatchError
from .errors import translated
from .feedback import FrameView, async_load_link_secret
from .remote import remote_backend_class
from .services import async_setup_services
from .websocket import async_setup_websocket

PLATFORMS = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.IMAGE, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the actions, once for all entries."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    await async_load_link_secret(hass)
    # Registered with the integration, before HTTP may freeze its routes, not on first use.
    hass.http.register_view(FrameView())
    await async_register_card(hass)
    return True


def _edgetpu_issue(entry: MlwatchConfigEntry) -> str:
    return f"edgetpu_missing_{entry.entry_id}"


async def _async_create_remote_backend(hass: HomeAssistant, entry: MlwatchConfigEntry) -> Backend:
    """Ask the server what it runs: a refused key starts reauth, no answer retries later."""
    data = dict(entry.data)
    placeholders = {"camera": data[CONF_CAMERA], "url": data[CONF_URL]}
    try:
        return await remote_backend_class(data).create(hass, data)
    except ServerAuthError as err:
        raise translated(ConfigEntryAuthFailed, err, placeholders) from err
    except ServerUnavailableError as err:
        raise translated(ConfigEntryNotReady, err, placeholders) from err
    except MlwatchError as err:
        raise translated(ConfigEntryError, err, placeholders, key="server_error") from err


async def _async_create_backend(hass: HomeAssistant, entry: MlwatchConfigEntry) -> Backend:
    """Load the model where the entry says; a missing Coral falls back to the CPU and says so."""
    if entry.data.get(CONF_BACKEND, BACKEND_LOCAL) != BACKEND_LOCAL:
        return await _async_create_remote_backend(hass, entry)
    data, options = dict(entry.data), dict(entry.options)
    placeholders = {"camera": entry.data[CONF_CAMERA], "device": str(data.get(CONF_DEVICE))}
    try:
        try:
            backend = await LocalBackend.create(hass, data, options)
        except EdgeTpuNotFoundError as err:
            ir.async_create_issue(
                hass,
                DOMAIN,
                _edgetpu_issue(entry),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="edgetpu_missing",
                translation_placeholders={**placeholders, "error": str(err)},
            )
            backend = await LocalBackend.create(hass, {**data, CONF_DEVICE: "cpu"}, options)
        else:
            ir.async_delete_issue(hass, DOMAIN, _edgetpu_issue(entry))
    except EdgeTpuModelError as err:
        # The Coral may come back (unplugged, passed through later): retry rather than give up.
        raise translated(ConfigEntryNotReady, err, placeholders) from err
    except MlwatchError as err:
        raise translated(ConfigEntryError, err, placeholders) from err
    return backend


async def async_setup_entry(hass: HomeAssistant, entry: MlwatchConfigEntry) -> bool:
    """Load the model, take a first snapshot, then start watching."""
    backend = await _async_create_backend(hass, entry)
    coordinator = MlwatchCoordinator(hass, entry, backend)
    try:
        await coordinator.async_config_entry_first_refresh()
        await coordinator.async_start_learning()
        entry.runtime_data = coordinator
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await coordinator.async_release()  # a failed setup leaves no thread or retrain running
        raise
    # No update listener: the flows schedule the one reload (HA 2026.12 refuses both together).
    coordinator.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: MlwatchConfigEntry) -> bool:
    """Stop watching and release the model."""
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await entry.runtime_data.async_release()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: MlwatchConfigEntry) -> None:
    """Forget the entry's repair issue with it."""
    ir.async_delete_issue(hass, DOMAIN, _edgetpu_issue(entry))
