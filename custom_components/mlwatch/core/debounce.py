"""Multi-frame debouncing: K of the last N frames must agree before anybody is told."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DebounceConfig:
    """Thresholds with hysteresis, the K-of-N window, and the pause between episodes."""

    on_threshold: float = 0.6
    off_threshold: float = 0.3
    k: int = 3
    n: int = 5
    cooldown: float = 60.0  # seconds after a clear before the same label may fire again
    max_age: float = 120.0  # seconds; older frames no longer vote (a burst long ago is no evidence)
    on_thresholds: Mapping[str, float] = field(default_factory=dict)  # per label, over on_threshold

    def on(self, label: str) -> float:
        """The label's on-threshold."""
        return self.on_thresholds.get(label, self.on_threshold)

    def __post_init__(self) -> None:
        """Refuse settings that could never fire or never clear."""
        ons = (self.on_threshold, *self.on_thresholds.values())
        if not all(0 < self.off_threshold <= on <= 1 for on in ons):
            raise ValueError("Need 0 < off_threshold <= on_threshold <= 1")
        if not 1 <= self.k <= self.n:
            raise ValueError("Need 1 <= K <= N")
        if self.cooldown < 0 or self.max_age <= 0:
            raise ValueError("Cooldown must be >= 0 and max_age > 0")


@dataclass(frozen=True, slots=True)
class Vote[F]:
    """One frame's score for one label."""

    score: float
    frame: F
    at: float


@dataclass(frozen=True, slots=True)
class Detected[F]:
    """A label crossed K of N: one event per episode, with the evidence that made it fire."""

    label: str
    detection_id: str
    confidence: float  # mean score of the frames that reached the on-threshold
    best_frame: F
    best_score: float
    why: tuple[float, ...]  # the window's scores, oldest first
    at: float


@dataclass(frozen=True, slots=True)
class Cleared:
    """The label stayed under the off-threshold for a whole window: the episode is over."""

    label: str
    detection_id: str
    at: float
    started: float


@dataclass(slots=True)
class _Track[F]:
    window: deque[Vote[F]]
    active: Detected[F] | None = None
    cleared_at: float | None = None
    episodes: int = 0


@dataclass
class Debouncer[F]:
    """Per-label state machine over frame scores; `F` is whatever identifies a frame."""

    labels: Iterable[str]
    config: DebounceConfig
    clock: Callable[[], float]
    new_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        """Start every label idle with an empty window."""
        self._tracks: dict[str, _Track[F]] = {
            label: _Track(deque(maxlen=self.config.n)) for label in self.labels
        }

    def active(self) -> dict[str, Detected[F]]:
        """The episodes in progress, by label."""
        return {label: t.active for label, t in self._tracks.items() if t.active}

    def update(self, scores: Mapping[str, float], frame: F) -> list[Detected[F] | Cleared]:
        """Feed one frame's scores (missing labels count as 0); return what fired."""
        now = self.clock()
        events: list[Detected[F] | Cleared] = []
        for label, track in self._tracks.items():
            window = track.window
            while window and now - window[0].at > self.config.max_age:
                window.popleft()
            window.append(Vote(scores.get(label, 0.0), frame, now))
            event = self._step(label, track, now)
            if event:
                events.append(event)
        return events

    def _step(self, label: str, track: _Track[F], now: float) -> Detected[F] | Cleared | None:
        cfg = self.config
        window = track.window
        if track.active is None:
            hits = [v for v in window if v.score >= cfg.on(label)]
            cooling = track.cleared_at is not None and now - track.cleared_at < cfg.cooldown
            if len(hits) < cfg.k or cooling:
                return None
            best = max(hits, key=lambda v: v.score)
            track.active = Detected(
                label=label,
                detection_id=self.new_id(),
                confidence=sum(v.score for v in hits) / len(hits),
                best_frame=best.frame,
                best_score=best.score,
                why=tuple(v.score for v in window),
                at=now,
            )
            track.episodes += 1
            return track.active
        if len(window) == cfg.n and all(v.score < cfg.off_threshold for v in window):
            cleared = Cleared(label, track.active.detection_id, now, track.active.at)
            track.active = None
            track.cleared_at = now
            # Start the next episode from fresh evidence, not from frames of this one.
            window.clear()
            return cleared
        return None
