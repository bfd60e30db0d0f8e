"""Image entity: the best frame of the last detection, with the region and boxes drawn."""

from __future__ import annotations

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .annotate import annotate
from .coordinator import MlwatchConfigEntry, MlwatchCoordinator
from .core.result import FULL_FRAME
from .entity import MlwatchEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MlwatchConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the camera's detection image."""
    async_add_entities([DetectionImage(hass, entry.runtime_data)])


class DetectionImage(MlwatchEntity, ImageEntity):
    """The frame that made the last detection fire."""

    _attr_translation_key = "detection_image"
    _attr_content_type = "image/jpeg"

    def __init__(self, hass: HomeAssistant, coordinator: MlwatchCoordinator) -> None:
        MlwatchEntity.__init__(self, coordinator, "detection_image")
        ImageEntity.__init__(self, hass)
        self._rendered: tuple[str, bytes] | None = None
        self._sync_timestamp()

    @callback
    def _sync_timestamp(self) -> None:
        record = self.coordinator.data.last_detection
        self._attr_image_last_updated = record.at if record else None

    @callback
    def _handle_coordinator_update(self) -> None:
        self._sync_timestamp()
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """The annotated best frame, drawn once per detection."""
        record = self.coordinator.data.last_detection
        if record is None:
            return None
        detection_id = record.event.detection_id
        if self._rendered is None or self._rendered[0] != detection_id:
            frame = record.event.best_frame
            roi = None if frame.result.roi == FULL_FRAME else frame.result.roi
            # The label's own boxes, and any box as sure as its threshold (a group's members):
            # a detector's weak boxes are kept for the review's grey zone, not for drawing.
            label = record.event.label
            threshold = self.coordinator.thresholds.get(label, 0.0)
            shown = [d for d in frame.result.detections if d.label == label or d.score >= threshold]
            image = await self.hass.async_add_executor_job(annotate, frame.image, roi, shown)
            self._rendered = (detection_id, image)
        return self._rendered[1]
