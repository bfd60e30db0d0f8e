"""Sensors: what the last frame showed, how fast, how many frames, and what was seen today."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import slugify

from .coordinator import MlwatchConfigEntry, MlwatchCoordinator
from .entity import LabelEntity, MlwatchEntity
from .snapshot import MlwatchData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MlwatchSensorDescription(SensorEntityDescription):
    """How to read one sensor from the coordinator's snapshot."""

    value_fn: Callable[[MlwatchData], StateType]
    attrs_fn: Callable[[MlwatchData], dict[str, Any]] | None = None


def _best(d: MlwatchData) -> tuple[str, float] | None:
    return d.result.best if d.result else None


def _confidence(d: MlwatchData) -> float | None:
    best = _best(d)
    return round(best[1] * 100, 1) if best else None


def _seen_today(d: MlwatchData) -> str | None:
    return next(iter(d.seen_today), None)  # most common first


SENSORS: tuple[MlwatchSensorDescription, ...] = (
    MlwatchSensorDescription(
        key="top_label",
        translation_key="top_label",
        value_fn=lambda d: best[0] if (best := _best(d)) else None,
    ),
    MlwatchSensorDescription(
        key="confidence",
        translation_key="confidence",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_confidence,
    ),
    MlwatchSensorDescription(
        key="inference_time",
        translation_key="inference_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,  # changes with every frame
        value_fn=lambda d: round(d.result.timings.total, 2) if d.result else None,
    ),
    MlwatchSensorDescription(
        key="frames_processed",
        translation_key="frames_processed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.frames_processed,
    ),
    MlwatchSensorDescription(
        key="frames_dropped",
        translation_key="frames_dropped",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.frames_dropped,
    ),
    MlwatchSensorDescription(
        key="pending_reviews",
        translation_key="pending_reviews",
        value_fn=lambda d: d.reviews.pending,
    ),
    MlwatchSensorDescription(
        key="confirmed",
        translation_key="confirmed",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda d: d.reviews.confirmed,
    ),
    MlwatchSensorDescription(
        key="rejected",
        translation_key="rejected",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda d: d.reviews.rejected,
    ),
    MlwatchSensorDescription(
        key="seen_today",
        translation_key="seen_today",
        value_fn=_seen_today,
        attrs_fn=lambda d: dict(d.seen_today),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: MlwatchConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the camera's sensors."""
    coordinator = entry.runtime_data
    async_add_entities(
        [
            *(MlwatchSensor(coordinator, d) for d in SENSORS),
            *(PrecisionSensor(coordinator, label) for label in coordinator.watched),
        ]
    )
    seen: set[str] = set()  # labels looked at: the listener runs on every frame
    modelled: set[str] = set()

    @callback
    def add_personal_models() -> None:
        """A personal-model sensor per watched label, and per label taught since, unwatched too.

        A new label shows its progress toward being watchable before the options can offer it.
        """
        data = coordinator.data
        new = []
        for label in (*coordinator.watched, *(data.learning if data else ())):
            if label in seen:
                continue
            seen.add(label)
            if (key := slugify(label)) not in modelled:  # the unique id's part from the label
                modelled.add(key)
                new.append(PersonalModelSensor(coordinator, label))
        if new:
            async_add_entities(new)

    add_personal_models()
    entry.async_on_unload(coordinator.async_add_listener(add_personal_models))


class MlwatchSensor(MlwatchEntity, SensorEntity):
    """A value read from the coordinator's snapshot."""

    entity_description: MlwatchSensorDescription

    def __init__(
        self, coordinator: MlwatchCoordinator, description: MlwatchSensorDescription
    ) -> None:
        """Describe by `description`."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """The current value."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Per-label counts, where the sensor has them."""
        fn = self.entity_description.attrs_fn
        return fn(self.coordinator.data) if fn else None


class _LabelPercentSensor(LabelEntity, SensorEntity):
    """A percentage about one label, kept in long-term statistics."""

    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 0


class PrecisionSensor(_LabelPercentSensor):
    """How often a watched label's detections were right, from the user's verdicts."""

    _attr_translation_key = "precision"

    def __init__(self, coordinator: MlwatchCoordinator, label: str) -> None:
        """Precision of `label`'s detections: confirmed / (confirmed + rejected)."""
        super().__init__(coordinator, label, "precision")

    @property
    def native_value(self) -> float | None:
        """Percent of judged detections that were right; unknown until one is judged."""
        value = self.coordinator.data.reviews.precision.get(self.label)
        return None if value is None else round(value * 100, 1)


class PersonalModelSensor(_LabelPercentSensor):
    """How well a label's personal model did on the user's own held-out answers."""

    _attr_translation_key = "personal_model"

    def __init__(self, coordinator: MlwatchCoordinator, label: str) -> None:
        """The personal model of `label`: its evaluated F1, the base's beside it."""
        super().__init__(coordinator, label, "personal_model")

    @property
    def available(self) -> bool:
        """Unavailable where the backend gives no embeddings to learn from (DeepStack)."""
        return super().available and self.coordinator.data.learning_available

    @property
    def native_value(self) -> float | None:
        """The personal model's F1 in percent; unknown until enough answers are evaluated."""
        status = self.coordinator.data.learning.get(self.label)
        f1 = status.personal_f1 if status else None
        return None if f1 is None else round(f1 * 100, 1)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """State (learning / shadow / active), the base model's F1 and the answers so far."""
        status = self.coordinator.data.learning.get(self.label)
        if status is None:
            return {"state": "learning", "positives": 0, "negatives": 0}
        base = None if status.base_f1 is None else round(status.base_f1 * 100, 1)
        return {
            "state": status.state,
            "kind": status.kind,
            "base_f1": base,
            "positives": status.positives,
            "negatives": status.negatives,
            "version": status.version,
            "threshold": status.threshold,
            "suggested_threshold": status.suggested_threshold,
        }
