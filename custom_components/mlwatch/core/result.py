"""What a classification returns, and the region it looked at: plain Python, no numpy or runtime."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only annotations: the remote backend builds results where numpy may be missing (HA OS).
    from array import array

    import numpy as np

    # In process numpy's float32 vector; from a server the standard library's array("f").
    type Vector = np.ndarray[Any, Any] | array[float]


@dataclass(frozen=True, slots=True)
class Roi:
    """A region of the frame in relative coordinates (0..1), e.g. where the mat is."""

    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        """Refuse regions that are empty or leave the frame."""
        eps = 1e-9
        if not (0 <= self.x < 1 and 0 <= self.y < 1 and self.width > 0 and self.height > 0):
            raise ValueError(f"Region {self} must start inside the frame and have a size")
        if self.x + self.width > 1 + eps or self.y + self.height > 1 + eps:
            raise ValueError(f"Region {self} reaches beyond the frame")

    @classmethod
    def parse(cls, text: str) -> Roi | None:
        """`x, y, width, height` as fractions, or None (whole frame) for an empty text."""
        if not text.strip():
            return None
        parts = [float(p) for p in text.replace(";", ",").split(",")]
        if len(parts) != 4:
            raise ValueError("Region needs four numbers: x, y, width, height")
        return cls(*parts)

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The region in a `width` x `height` frame as x0, y0, x1, y1, covering at least 1 pixel."""
        x0 = min(math.floor(self.x * width), width - 1)
        y0 = min(math.floor(self.y * height), height - 1)
        x1 = max(min(math.ceil((self.x + self.width) * width), width), x0 + 1)
        y1 = max(min(math.ceil((self.y + self.height) * height), height), y0 + 1)
        return x0, y0, x1, y1

    def holds(self, box: tuple[float, float, float, float]) -> bool:
        """Whether a box stands in the region: its centre or the middle of its bottom edge does.

        The bottom edge is where a person or a cat stands: on a door mat drawn as the region, a
        person's centre (their waist) is often above the mat while their feet are on it.
        """
        x0, y0, x1, y1 = box
        cx = (x0 + x1) / 2
        if not self.x <= cx <= self.x + self.width:
            return False
        return any(self.y <= y <= self.y + self.height for y in ((y0 + y1) / 2, y1))


FULL_FRAME = Roi(0.0, 0.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected object; the box is relative to the whole frame (0..1)."""

    label: str
    score: float
    box: tuple[float, float, float, float]  # x_min, y_min, x_max, y_max

    @property
    def area(self) -> float:
        """The box's share of the region."""
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def best_per_label(found: Sequence[Detection]) -> dict[str, float]:
    """A label is as present as its most confident box: boxes do not add up."""
    scores: dict[str, float] = {}
    for d in found:
        scores[d.label] = max(scores.get(d.label, 0.0), d.score)
    return scores


@dataclass(frozen=True, slots=True)
class Timings:
    """Milliseconds spent in each stage of one classification."""

    decode: float
    preprocess: float
    invoke: float
    post: float

    @property
    def total(self) -> float:
        """All stages together."""
        return self.decode + self.preprocess + self.invoke + self.post


class ScoreView(Mapping[str, float]):
    """Label -> score over a model's probability vector, without building a dict per frame."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: np.ndarray[Any, Any]) -> None:
        """Wrap `values`, addressed by the classifier's label index."""
        self._index = index
        self._values = values

    def __getitem__(self, label: str) -> float:
        return float(self._values[self._index[label]])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass(frozen=True, slots=True)
class Result:
    """What the model made of one frame."""

    top: list[tuple[str, float]]
    scores: Mapping[str, float]
    detections: list[Detection]
    embedding: Vector | None
    timings: Timings
    frame_size: tuple[int, int]
    roi: Roi = FULL_FRAME
    groups: dict[str, float] = field(default_factory=dict)

    def score(self, name: str) -> float:
        """Score of a label or a label group (0 when absent)."""
        return self.groups.get(name, self.scores.get(name, 0.0))

    @property
    def best(self) -> tuple[str, float] | None:
        """The top label and its score."""
        return self.top[0] if self.top else None
