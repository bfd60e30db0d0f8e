"""What one camera's helpers share: Home Assistant, the entry, the camera, its labels, the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant


@dataclass(frozen=True, slots=True)
class CameraScope:
    """Given by the coordinator to the reviews and the learner of its camera."""

    hass: HomeAssistant
    entry: ConfigEntry[Any]
    camera: str
    watched: list[str]
    embedding_space: str


class CameraHelper:
    """A part of one camera's coordinator, working from its scope."""

    def __init__(self, scope: CameraScope) -> None:
        """Keep the scope's parts at hand."""
        self.hass = scope.hass
        self._entry = scope.entry
        self.camera = scope.camera
        self.watched = scope.watched
        self.embedding_space = scope.embedding_space
