"""Config flow: a camera and where its model runs, tested on a real snapshot; options; reauth."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant import config_entries
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback

from .backend import model_paths
from .const import (
    BACKEND_DEEPSTACK,
    BACKEND_LOCAL,
    BACKEND_SERVER,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_CAMERA,
    CONF_LABEL_THRESHOLDS,
    CONF_LABELS_PATH,
    CONF_MODEL,
    CONF_MODEL_PATH,
    CONF_URL,
    CONF_WATCHED,
    DEFAULT_OPTIONS,
    DETECTOR_WATCHED,
    DOMAIN,
    MODEL_CUSTOM,
    MODEL_DETECTOR,
)
from .core.errors import MlwatchError
from .core.labels import COCO_LABELS, builtin_groups, load_labels
from .local_flow import async_validate_local, custom_model_schema, local_schema
from .options import normalize_options, options_schema, validate_options
from .remote_flow import async_validate_remote, reauth_schema, server_schema

if TYPE_CHECKING:
    from .coordinator import MlwatchConfigEntry

# HA >= 2025.8 reloads the entry when an OptionsFlowWithReload saves changed options; older HA
# has no such class, and there the flow reloads the entry itself.
HA_RELOADS_ON_OPTIONS = hasattr(config_entries, "OptionsFlowWithReload")
if TYPE_CHECKING:
    from .coordinator import MlwatchConfigEntry

    _OptionsFlowBase = OptionsFlow
else:
    _OptionsFlowBase = getattr(config_entries, "OptionsFlowWithReload", OptionsFlow)


class MlwatchConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a camera to watch."""

    VERSION = 1

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: MlwatchConfigEntry) -> MlwatchOptionsFlow:  # noqa: ARG004
        """Thresholds, window, bursts, triggers, region."""
        return MlwatchOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """In Home Assistant's process, or on a server (the only way on HA OS and Container)."""
        return self.async_show_menu(
            step_id="user", menu_options=[BACKEND_LOCAL, BACKEND_SERVER, BACKEND_DEEPSTACK]
        )

    async def async_step_local(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the camera, the model and the device, in this process."""
        if user_input is not None:
            await self.async_set_unique_id(user_input[CONF_CAMERA])
            self._abort_if_unique_id_configured()
            self._data = {**user_input, CONF_BACKEND: BACKEND_LOCAL}
            if user_input[CONF_MODEL] == MODEL_CUSTOM:
                return await self.async_step_custom_model()
            return await self._async_finish("local", local_schema(user_input))
        return self.async_show_form(step_id="local", data_schema=local_schema({}))

    async def async_step_server(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """An mlwatch server: URL, API key, optional fallback server."""
        return await self._async_remote_step(BACKEND_SERVER, user_input)

    async def async_step_deepstack(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A DeepStack or CodeProject.AI server's object detection."""
        return await self._async_remote_step(BACKEND_DEEPSTACK, user_input)

    async def _async_remote_step(
        self, backend: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        if user_input is None:
            return self.async_show_form(step_id=backend, data_schema=server_schema(backend, {}))
        await self.async_set_unique_id(user_input[CONF_CAMERA])
        self._abort_if_unique_id_configured()
        self._data = {**user_input, CONF_BACKEND: backend}
        return await self._async_finish(backend, server_schema(backend, user_input))

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:  # noqa: ARG002
        """The server refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's new API key and test it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders = {"url": entry.data.get(CONF_URL, ""), "error": ""}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: user_input[CONF_API_KEY]}
            errors, found = await async_validate_remote(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
            placeholders.update(found)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=reauth_schema(),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_custom_model(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A .tflite model and its labels file, under the HA config directory."""
        if user_input is not None:
            self._data.update(user_input)
            return await self._async_finish("custom_model", custom_model_schema(user_input))
        return self.async_show_form(
            step_id="custom_model", data_schema=custom_model_schema(self._data)
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change camera, model or device of an existing entry."""
        entry = self._get_reconfigure_entry()
        backend = entry.data.get(CONF_BACKEND, BACKEND_LOCAL)
        if backend != BACKEND_LOCAL:
            return await self._async_reconfigure_remote(backend, user_input)
        if user_input is not None:
            if user_input[CONF_CAMERA] != entry.unique_id:
                await self.async_set_unique_id(user_input[CONF_CAMERA])
                self._abort_if_unique_id_configured()
            self._data = {**entry.data, **user_input, CONF_BACKEND: BACKEND_LOCAL}
            if user_input[CONF_MODEL] == MODEL_CUSTOM:
                return await self.async_step_custom_model()
            self._data.pop(CONF_MODEL_PATH, None)
            self._data.pop(CONF_LABELS_PATH, None)
            return await self._async_finish("reconfigure", local_schema(user_input))
        return self.async_show_form(
            step_id="reconfigure", data_schema=local_schema(dict(entry.data))
        )

    async def _async_reconfigure_remote(
        self, backend: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        if user_input is None:
            return self.async_show_form(
                step_id="reconfigure", data_schema=server_schema(backend, dict(entry.data))
            )
        if user_input[CONF_CAMERA] != entry.unique_id:
            await self.async_set_unique_id(user_input[CONF_CAMERA])
            self._abort_if_unique_id_configured()
        self._data = {**user_input, CONF_BACKEND: backend}
        return await self._async_finish("reconfigure", server_schema(backend, user_input))

    async def _async_finish(self, step_id: str, schema: Any) -> ConfigFlowResult:
        """Test camera and model; create or update the entry, or show the step again."""
        if self._data.get(CONF_BACKEND, BACKEND_LOCAL) == BACKEND_LOCAL:
            errors, placeholders = await async_validate_local(self.hass, self._data)
        else:
            errors, placeholders = await async_validate_remote(self.hass, self._data)
        if errors:
            return self.async_show_form(
                step_id=step_id,
                data_schema=schema,
                errors=errors,
                description_placeholders=placeholders,
            )
        state = self.hass.states.get(self._data[CONF_CAMERA])
        title = state.name if state else self._data[CONF_CAMERA]
        if self.source == "reconfigure":
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(),
                unique_id=self._data[CONF_CAMERA],
                title=title,
                data=self._data,
            )
        options = dict(DEFAULT_OPTIONS)
        if self._data.get(CONF_MODEL) == MODEL_DETECTOR:
            options[CONF_WATCHED] = list(DETECTOR_WATCHED)
        return self.async_create_entry(title=title, data=self._data, options=options)


class MlwatchOptionsFlow(_OptionsFlowBase):
    """Edit when mlwatch looks and when it speaks; changed options reload the entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """All options on one form."""
        if self.config_entry.data.get(CONF_BACKEND) == BACKEND_DEEPSTACK:
            return await self.async_step_no_learning(user_input)
        return await self._async_form("init", user_input)

    async def async_step_no_learning(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The same form, saying why this backend cannot learn (no embeddings)."""
        return await self._async_form("no_learning", user_input)

    async def _async_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry: MlwatchConfigEntry = self.config_entry
        current = {**DEFAULT_OPTIONS, **entry.options}
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = normalize_options(user_input)
            errors = validate_options(user_input)
            if not errors:
                # Not on the form: the thresholds the repairs set per label.
                kept = {CONF_LABEL_THRESHOLDS: current[CONF_LABEL_THRESHOLDS]}
                return self._async_save(entry, {**kept, **user_input})
            current = {**current, **user_input}
        choices = await self._async_label_choices()
        return self.async_show_form(
            step_id=step_id, data_schema=options_schema(current, choices), errors=errors
        )

    @callback
    def _async_save(self, entry: MlwatchConfigEntry, options: dict[str, Any]) -> ConfigFlowResult:
        # Older HA: saved here, before the reload runs, so HA's own save finds nothing changed.
        if not HA_RELOADS_ON_OPTIONS and self.hass.config_entries.async_update_entry(
            entry, options=options
        ):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data=options)

    async def _async_label_choices(self) -> list[str]:
        """Groups first, then the model's labels; read from the loaded model or its file."""
        entry: MlwatchConfigEntry = self.config_entry
        if getattr(entry, "runtime_data", None) is not None:
            info = entry.runtime_data.backend.info
            # Labels taught by example, once their personal model is active.
            taught = [
                label
                for label, status in entry.runtime_data.data.learning.items()
                if status.kind == "new" and status.state == "active"
            ]
            return [*taught, *info.groups, *info.labels]
        if entry.data.get(CONF_BACKEND) == BACKEND_DEEPSTACK:
            return list(COCO_LABELS)
        _, labels_file = model_paths(self.hass, dict(entry.data))
        return await self.hass.async_add_executor_job(_read_label_choices, labels_file)


def _read_label_choices(path: Path) -> list[str]:
    """Label names and built-in groups from a labels file (entry not loaded)."""
    try:
        labels = load_labels(path)
    except MlwatchError:
        return []
    names = [labels[i] for i in sorted(labels)]
    return [*(g.name for g in builtin_groups(names)), *names]
