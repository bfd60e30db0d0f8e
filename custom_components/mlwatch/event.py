"""Event entity: `detected` and `cleared`, one per episode."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import EVENT_TYPE_CLEARED, EVENT_TYPE_DETECTED
from .coordinator import MlwatchConfigEntry, MlwatchCoordinator
from .core.debounce import Cleared, Detected
from .entity import MlwatchEntity
from .frame import Frame

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: MlwatchConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the camera's detection event entity."""
    async_add_entities([DetectionEventEntity(entry.runtime_data)])


class DetectionEventEntity(MlwatchEntity, EventEntity):
    """Fires when a watched label starts or ends an episode."""

    _attr_translation_key = "detection"
    _attr_event_types = [EVENT_TYPE_DETECTED, EVENT_TYPE_CLEARED]  # noqa: RUF012 - HA's own pattern

    def __init__(self, coordinator: MlwatchCoordinator) -> None:
        super().__init__(coordinator, "detection")

    async def async_added_to_hass(self) -> None:
        """Listen for the coordinator's debounced events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self.coordinator.signal_event, self._on_event)
        )

    @callback
    def _on_event(self, event: Detected[Frame] | Cleared) -> None:
        if isinstance(event, Detected):
            self._trigger_event(
                EVENT_TYPE_DETECTED,
                {
                    "label": event.label,
                    "confidence": round(event.confidence, 4),
                    "detection_id": event.detection_id,
                },
            )
        else:
            self._trigger_event(
                EVENT_TYPE_CLEARED, {"label": event.label, "detection_id": event.detection_id}
            )
        self.async_write_ha_state()
