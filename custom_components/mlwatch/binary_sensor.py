"""One binary sensor per watched label: on during an episode."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .coordinator import MlwatchConfigEntry, MlwatchCoordinator
from .entity import LabelEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: MlwatchConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add a sensor for each watched label or group."""
    coordinator = entry.runtime_data
    async_add_entities(WatchedLabelSensor(coordinator, label) for label in coordinator.watched)


class WatchedLabelSensor(LabelEntity, BinarySensorEntity):
    """On while the debouncer holds an episode open for this label."""

    _attr_translation_key = "watched"

    def __init__(self, coordinator: MlwatchCoordinator, label: str) -> None:
        """Watch `label` (a model label or a label group)."""
        super().__init__(coordinator, label, "watch")

    @property
    def is_on(self) -> bool:
        """Whether an episode is open."""
        return self.label in self.coordinator.data.open_episodes

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The open episode's id and confidence, for automations."""
        active = self.coordinator.data.open_episodes.get(self.label)
        if active is None:
            return {"label": self.label}
        return {
            "label": self.label,
            "detection_id": active.detection_id,
            "confidence": round(active.confidence, 4),
        }
