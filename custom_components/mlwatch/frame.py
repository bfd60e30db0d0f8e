"""What one snapshot became, and the last detection: shared by the coordinator and entities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from homeassistant.helpers.update_coordinator import UpdateFailed

from .core.debounce import Detected
from .core.result import Result


@dataclass(frozen=True, slots=True)
class Frame:
    """One processed snapshot: the bytes the camera sent and what the model made of them."""

    image: bytes
    result: Result
    at: datetime


@dataclass(frozen=True, slots=True)
class DetectionRecord:
    """The last detection, for the image entity and diagnostics."""

    event: Detected[Frame]
    at: datetime


class FrameDroppedError(UpdateFailed):
    """The frame could not be classified now, but nothing is broken (a busy server)."""
