"""What every entity, the diagnostics and the review card read: one frozen snapshot per update."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .core.result import Result
from .frame import DetectionRecord

if TYPE_CHECKING:
    from .core.evaluation import Report


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
class LabelLearning:
    """What the card, the sensors and diagnostics show of one label's personal model."""

    state: str  # learning, shadow or active
    kind: str  # base (the model has it) or new (taught by example)
    positives: int
    negatives: int
    personal_f1: float | None
    base_f1: float | None
    version: int | None
    threshold: float  # the label's on-threshold now (the report's may be older)
    suggested_threshold: float | None  # reaches the precision target on the answers
    report: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_report(
        cls, report: Report, kind: str, version: int | None, threshold: float
    ) -> LabelLearning:
        """From an evaluation report of `core.evaluation`; `threshold` is the label's now."""
        evaluated = report.state != "learning"
        return cls(
            state=report.state,
            kind=kind,
            positives=report.positives,
            negatives=report.negatives,
            personal_f1=round(report.personal.f1, 4) if evaluated else None,
            base_f1=round(report.base.f1, 4) if report.base is not None and evaluated else None,
            version=version,
            threshold=threshold,
            suggested_threshold=report.suggested_threshold,
            report=MappingProxyType(report.to_dict()),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types, for actions and diagnostics."""
        fields = (
            *("state", "kind", "positives", "negatives", "personal_f1", "base_f1", "version"),
            *("threshold", "suggested_threshold"),
        )
        return {**{name: getattr(self, name) for name in fields}, "report": dict(self.report)}


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
    learning: Mapping[str, LabelLearning] = field(default_factory=lambda: MappingProxyType({}))
    learning_available: bool = False  # the backend gives embeddings to learn from
