"""Base entity: one device per watched camera."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import slugify

from .const import DOMAIN
from .coordinator import MlwatchCoordinator


class MlwatchEntity(CoordinatorEntity[MlwatchCoordinator]):
    """An mlwatch entity, unavailable while its camera or model cannot deliver."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: MlwatchCoordinator, key: str) -> None:
        """Attach to the camera's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        info = coordinator.backend.info
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="mlwatch",
            model=info.name,
            sw_version=info.sha256[:12],
            entry_type=DeviceEntryType.SERVICE,
        )


class LabelEntity(MlwatchEntity):
    """An mlwatch entity about one label, named after it."""

    def __init__(self, coordinator: MlwatchCoordinator, label: str, key: str) -> None:
        """`key` and the label make the unique id; the label fills the name."""
        super().__init__(coordinator, f"{key}_{slugify(label)}")
        self.label = label
        self._attr_translation_placeholders = {"label": label}
