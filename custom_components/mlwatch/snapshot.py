"""What every entity, the diagnostics and the review card read: one frozen snapshot per update."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .core.result import Result
from .frame import DetectionRecord


@dataclass(frozen=True, slots=True)
class Episode:
    """An episode the debouncer holds open."""

    detection_id: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ReviewStats:
    """The camera's pending reviews and verdicts; precision is None until a label is judged."""

    pending: int = 0
    confirmed: int = 0
    rejected: int = 0
    precision: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_counts(cls, counts: Mapping[str, Any]) -> ReviewStats:
        """From the dataset's `stats()` plus `pending`."""
        return cls(
            pending=int(counts["pending"]),
            confirmed=int(counts["confirmed"]),
            rejected=int(counts["rejected"]),
            precision=MappingProxyType(dict(counts["precision"])),
        )


@dataclass(frozen=True, slots=True)
class MlwatchData:
    """The coordinator's state after one update; a new one replaces it, nothing mutates it."""

    result: Result | None
    frames_processed: int
    frames_dropped: int
    bursting: bool
    open_episodes: Mapping[str, Episode]
    last_detection: DetectionRecord | None
    reviews: ReviewStats
    seen_today: Mapping[str, int]  # most common first
