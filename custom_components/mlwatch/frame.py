"""What one snapshot became, and the last detection: shared by the coordinator and entities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from homeassistant.helpers.update_coordinator import UpdateFailed

from .core.debounce import Detected
from .core.result import Result


@dataclass(frozen=True, slots=True)
class Decision:
    """A watched label's score on one frame, and which model gave the one the debouncer saw."""

    score: float
    base: float
    personal: float | None = None
    decided_by: str = "base"  # "base" or "personal"


@dataclass(frozen=True, slots=True)
class Frame:
    """One processed snapshot: the bytes the camera sent and what the model made of them."""

    image: bytes
    result: Result
    at: datetime
    # Each watched label's score as the debouncer saw it, and the model that gave it.
    decisions: Mapping[str, Decision] = field(default_factory=lambda: MappingProxyType({}))

    def deciding(self, label: str) -> float:
        """The score that decides `label`: the debouncer's, or the model's where it saw none."""
        decision = self.decisions.get(label)
        return decision.score if decision else self.result.score(label)


@dataclass(frozen=True, slots=True)
class DetectionRecord:
    """The last detection, for the image entity and diagnostics."""

    event: Detected[Frame]
    at: datetime


class FrameDroppedError(UpdateFailed):
    """The frame could not be classified now, but nothing is broken (a busy server)."""
