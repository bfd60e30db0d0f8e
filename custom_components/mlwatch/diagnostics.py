"""Diagnostics: settings, model, counters and the last result, with local paths redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_API_KEY, CONF_LABELS_PATH, CONF_MODEL_PATH
from .coordinator import MlwatchConfigEntry

TO_REDACT = {CONF_MODEL_PATH, CONF_LABELS_PATH, CONF_API_KEY}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: MlwatchConfigEntry,
) -> dict[str, Any]:
    """What a maintainer needs to see why a detection did (not) fire."""
    coordinator = entry.runtime_data
    model = asdict(coordinator.backend.info)
    model["labels"] = len(model["labels"])
    data = coordinator.data
    result, last = data.result, data.last_detection
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "model": model,
        "frames": {
            "processed": data.frames_processed,
            "dropped": data.frames_dropped,
            "camera_ok": coordinator.last_update_success,
            "bursting": data.bursting,
        },
        "last_result": None
        if result is None
        else {
            "top": [[label, round(score, 4)] for label, score in result.top],
            "groups": {k: round(v, 4) for k, v in result.groups.items()},
            "frame_size": list(result.frame_size),
        },
        "open_episodes": {
            label: {"detection_id": d.detection_id, "confidence": round(d.confidence, 4)}
            for label, d in data.open_episodes.items()
        },
        "last_detection": None
        if last is None
        else {
            "label": last.event.label,
            "detection_id": last.event.detection_id,
            "confidence": round(last.event.confidence, 4),
            "why": [round(s, 4) for s in last.event.why],
            "at": last.at.isoformat(),
        },
        "seen_today": dict(data.seen_today),
        "learning": {
            "available": data.learning_available,
            "labels": {label: status.as_dict() for label, status in data.learning.items()},
        },
    }
