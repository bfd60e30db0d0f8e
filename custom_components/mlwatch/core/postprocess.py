"""Model outputs to scores: layout recognition, dequantization, softmax, top-k, detections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from . import gfl
from .errors import ModelError
from .result import Detection, best_per_label
from .tensor import TensorInfo

# Detection and TensorInfo moved to dependency-free modules; importers of the old names still work.
__all__ = [
    "ENTRY_FILTER",
    "Detection",
    "DetectionFilter",
    "Kind",
    "Layout",
    "TensorInfo",
    "best_per_label",
    "dequantize",
    "detect_layout",
    "detections",
    "group_scores",
    "head_detections",
    "probabilities",
    "top_k",
]

_EMBEDDING_HINTS = ("embed", "feature", "pool")


class Kind(StrEnum):
    """What a model's outputs mean."""

    CLASSIFIER = "classifier"
    CLASSIFIER_EMBEDDING = "classifier+embedding"
    DETECTOR = "detector"
    # A detector whose results carry a classifier's embedding of the region, for learning.
    DETECTOR_EMBEDDING = "detector+embedding"

    @property
    def finds_boxes(self) -> bool:
        """Whether results hold boxes."""
        return self in (Kind.DETECTOR, Kind.DETECTOR_EMBEDDING)


@dataclass(frozen=True, slots=True)
class Layout:
    """Which output position holds what."""

    kind: Kind
    scores: int
    embedding: int | None = None
    boxes: int | None = None
    classes: int | None = None
    count: int | None = None
    heads: tuple[gfl.Head, ...] = ()


def _flat(t: TensorInfo) -> int | None:
    """The length of a [1, N] (or [N]) output, else None."""
    dims = [d for d in t.shape if d != 1] if t.shape and t.shape[0] == 1 else list(t.shape)
    return dims[0] if len(dims) == 1 else None


def detect_layout(
    outputs: Sequence[TensorInfo],
    labels: int | None = None,
    input_hw: tuple[int, int] | None = None,
) -> Layout:
    """Recognise a classifier (with or without embedding), or an SSD or NanoDet detector."""
    shapes = [list(t.shape) for t in outputs]
    if labels and input_hw and (heads := gfl.find_heads(outputs, labels, input_hw)):
        return Layout(Kind.DETECTOR, scores=heads[0].scores, boxes=heads[0].boxes, heads=heads)
    if len(outputs) == 4:  # TFLite_Detection_PostProcess: boxes, classes, scores, count
        boxes = [i for i, t in enumerate(outputs) if len(t.shape) == 3 and t.shape[2] == 4]
        count = [i for i, t in enumerate(outputs) if int(np.prod(t.shape)) == 1]
        rest = [i for i in range(4) if i not in boxes + count]
        if len(boxes) == 1 and len(count) == 1 and len(rest) == 2:
            # The op writes classes then scores; models re-exported by TF2 permute the outputs.
            # Names keep the op's order (":1" classes, ":2" scores) where they survive.
            first, second = rest
            if outputs[first].name.endswith(":2") or outputs[second].name.endswith(":1"):
                first, second = second, first
            return Layout(
                Kind.DETECTOR, scores=second, boxes=boxes[0], classes=first, count=count[0]
            )
    flat = [_flat(t) for t in outputs]
    if len(outputs) == 1 and flat[0] and flat[0] > 1:
        return Layout(Kind.CLASSIFIER, scores=0)
    if len(outputs) == 2 and all(flat):
        hinted = [
            i for i, t in enumerate(outputs) if any(h in t.name.lower() for h in _EMBEDDING_HINTS)
        ]
        if len(hinted) == 1:
            embedding = hinted[0]
        elif labels is not None and sum(n in (labels, labels + 1) for n in flat if n) == 1:
            embedding = next(i for i, n in enumerate(flat) if n not in (labels, labels + 1))
        else:
            embedding = 1
        return Layout(Kind.CLASSIFIER_EMBEDDING, scores=1 - embedding, embedding=embedding)
    raise ModelError(
        f"Model outputs {shapes} are not a layout mlwatch knows: one [1, N] score vector, "
        "scores plus a [1, D] embedding, an SSD detector's boxes, classes, scores and count, "
        "or a NanoDet detector's score and box maps per stride"
    )


def dequantize(values: np.ndarray[Any, Any], info: TensorInfo) -> np.ndarray[Any, Any]:
    """Real values of an output tensor, as float32."""
    if info.quantized:
        return (values.astype(np.float32) - info.zero_point) * np.float32(info.scale)
    return values.astype(np.float32, copy=False)


def probabilities(scores: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Scores as probabilities: already-probability outputs pass, logits go through softmax."""
    if scores.size and float(scores.min()) >= 0.0 and float(scores.max()) <= 1.0:
        return scores
    shifted = np.exp(scores - scores.max())
    result: np.ndarray[Any, Any] = shifted / shifted.sum()
    return result


def top_k(scores: np.ndarray[Any, Any], k: int, threshold: float = 0.0) -> list[tuple[int, float]]:
    """The k best (index, score) pairs at or above `threshold`, best first."""
    # A stable sort ranks ties by index: argpartition picks among tied scores (a quantized
    # model's many zeros) differently from one numpy build or CPU to the next.
    best = np.argsort(-scores, kind="stable")[: max(k, 0)]
    return [(int(i), float(scores[i])) for i in best if scores[i] >= threshold]


def group_scores(scores: np.ndarray[Any, Any], groups: Mapping[str, list[int]]) -> dict[str, float]:
    """The summed probability of each label group."""
    return {name: float(scores[idx].sum()) for name, idx in groups.items()}


@dataclass(frozen=True, slots=True)
class DetectionFilter:
    """Per-label minimum score and minimum box area, and a maximum area (shares of the frame)."""

    min_score: float = 0.5
    min_area: float = 0.0
    per_label: Mapping[str, tuple[float, float]] | None = None
    # A box filling the frame is the model guessing at texture, not a person at the door.
    max_area: float = 1.0

    def keeps(self, d: Detection) -> bool:
        """Whether the detection passes this label's score and area floors and the ceiling."""
        score, area = (self.per_label or {}).get(d.label, (self.min_score, self.min_area))
        return d.score >= score and area <= d.area <= self.max_area

    @property
    def floor(self) -> float:
        """The lowest score any label keeps."""
        return min([self.min_score, *(s for s, _ in (self.per_label or {}).values())])


def head_detections(
    raw: Sequence[np.ndarray[Any, Any]],
    layout: Layout,
    outputs: Sequence[TensorInfo],
    labels: Mapping[int, str],
    keep: DetectionFilter,
    *,
    input_hw: tuple[int, int],
) -> list[Detection]:
    """Decode a NanoDet-layout model's heads into detections after per-class NMS, best first."""
    real = list(raw)
    for head in layout.heads:
        for i in (head.scores, head.boxes):
            real[i] = dequantize(raw[i], outputs[i])
    floor = min(keep.floor, gfl.CANDIDATE_FLOOR)
    boxes, scores, classes = gfl.decode(real, layout.heads, input_hw, floor=floor)
    found = []
    for i in gfl.nms(boxes, scores, classes):
        class_id = int(classes[i])
        x0, y0, x1, y1 = (float(v) for v in boxes[i])
        d = Detection(labels.get(class_id, f"class {class_id}"), float(scores[i]), (x0, y0, x1, y1))
        if keep.keeps(d):
            found.append(d)
    return found


# What Home Assistant entries keep of a detector: scores from the candidate floor up (the review's
# grey zone lies below the thresholds), boxes from about 45x45 pixels of a 1080p frame, and none
# that fills nine tenths of the frame.
ENTRY_FILTER = DetectionFilter(min_score=gfl.CANDIDATE_FLOOR, min_area=0.001, max_area=0.9)


def _integral(values: np.ndarray[Any, Any]) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < 1e-6))


def detections(
    outputs: Sequence[np.ndarray[Any, Any]],
    layout: Layout,
    labels: Mapping[int, str],
    keep: DetectionFilter,
) -> list[Detection]:
    """Parse SSD post-processed outputs into detections, best first."""
    if layout.boxes is None or layout.classes is None or layout.count is None:
        raise ValueError("detections() needs a detector layout")
    boxes = outputs[layout.boxes].reshape(-1, 4)
    classes = outputs[layout.classes].reshape(-1)
    scores = outputs[layout.scores].reshape(-1)
    if not _integral(classes) and _integral(scores):
        # The names did not tell the order apart; class ids are whole numbers, scores are not.
        classes, scores = scores, classes
    count = min(int(outputs[layout.count].reshape(-1)[0]), boxes.shape[0])
    found = []
    for i in range(count):
        y0, x0, y1, x1 = (float(np.clip(v, 0.0, 1.0)) for v in boxes[i])
        class_id = round(float(classes[i]))
        d = Detection(labels.get(class_id, f"class {class_id}"), float(scores[i]), (x0, y0, x1, y1))
        if keep.keeps(d):
            found.append(d)
    return sorted(found, key=lambda d: -d.score)
