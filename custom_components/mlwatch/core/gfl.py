"""NanoDet-style raw heads to boxes: the GFL decode and per-class NMS, vectorised with numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tensor import TensorInfo

# NanoDet's defaults: a box is suppressed by a better one of its class above this overlap.
NMS_IOU = 0.6
# Decoding every cell of every class is wasted work: cells below this score never become boxes.
CANDIDATE_FLOOR = 0.2
# Boxes entering NMS, best first: bounds its cost on a frame full of weak candidates.
MAX_CANDIDATES = 300
MAX_BOXES = 100

type Array = np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class Head:
    """One stride's pair of outputs: class scores and side-distance distributions."""

    scores: int
    boxes: int
    stride: int
    rows: int
    cols: int
    channels_first: bool


# The strides a flattened [1, cells, channels] map may have: NanoDet's 8, 16, 32 and beyond.
_STRIDES = (8, 16, 32, 64, 128)


def _grid(shape: tuple[int, ...], input_hw: tuple[int, int]) -> tuple[int, int, int, bool] | None:
    """(rows, cols, stride, channels_first) of a [1, H, W, C], [1, C, H, W] or [1, H*W, C] map."""
    height, width = input_hw
    if len(shape) == 3 and shape[0] == 1:
        for stride in _STRIDES:
            rows, cols = -(-height // stride), -(-width // stride)
            if rows * cols == shape[1]:
                return rows, cols, stride, False
        return None
    if len(shape) != 4 or shape[0] != 1:
        return None
    for rows, cols, first in ((shape[1], shape[2], False), (shape[2], shape[3], True)):
        if rows and cols and height % rows == 0 and width % cols == 0:
            stride = height // rows
            if stride == width // cols and stride > 1:
                return rows, cols, stride, first
    return None


def find_heads(
    outputs: Sequence[TensorInfo], labels: int, input_hw: tuple[int, int]
) -> tuple[Head, ...] | None:
    """The heads of a NanoDet-layout model (score and box map per stride), or None."""
    if len(outputs) < 2 or len(outputs) % 2:
        return None
    scores: dict[int, tuple[int, int, int, bool]] = {}
    boxes: dict[int, tuple[int, int, int, bool]] = {}
    bins = set()
    for i, t in enumerate(outputs):
        grid = _grid(t.shape, input_hw)
        if grid is None:
            return None
        channels = t.shape[1] if grid[3] else t.shape[-1]
        if channels == labels:
            scores[grid[2]] = (i, *grid[:2], grid[3])
        elif channels % 4 == 0 and channels >= 8:
            boxes[grid[2]] = (i, *grid[:2], grid[3])
            bins.add(channels)
        else:
            return None
    if not scores or sorted(scores) != sorted(boxes) or len(bins) != 1:
        return None
    heads = []
    for stride in sorted(scores):
        s, b = scores[stride], boxes[stride]
        if s[1:] != b[1:]:
            return None
        heads.append(Head(s[0], b[0], stride, s[1], s[2], s[3]))
    return tuple(heads)


def _cells(values: Array, head: Head) -> Array:
    """A head's map as [rows * cols, channels]."""
    if head.channels_first:
        return values.reshape(-1, head.rows * head.cols).T
    return values.reshape(head.rows * head.cols, -1)


def _sigmoid(x: Array) -> Array:
    result: Array = 1.0 / (1.0 + np.exp(-x))
    return result


def decode(
    raw: Sequence[Array],
    heads: Sequence[Head],
    input_hw: tuple[int, int],
    *,
    floor: float = CANDIDATE_FLOOR,
    centre_offset: float = 0.5,
) -> tuple[Array, Array, Array]:
    """Boxes (x0, y0, x1, y1 relative to the input), scores and class ids of cells above `floor`.

    `raw` holds the heads' real (dequantized) values. Scores outside [0, 1] are logits and go
    through a sigmoid; each side's bins go through a softmax, and the expected bin times the
    stride is that side's distance from the cell's centre.
    """
    height, width = input_hw
    found_boxes, found_scores, found_classes = [], [], []
    for head in heads:
        scores = _cells(raw[head.scores], head)
        if scores.size and (float(scores.min()) < 0.0 or float(scores.max()) > 1.0):
            scores = _sigmoid(scores)
        cell, cls = np.nonzero(scores >= floor)
        if not cell.size:
            continue
        dist = _cells(raw[head.boxes], head)[cell].reshape(cell.size, 4, -1).astype(np.float64)
        dist = np.exp(dist - dist.max(axis=2, keepdims=True))
        dist /= dist.sum(axis=2, keepdims=True)
        sides = dist @ np.arange(dist.shape[2], dtype=np.float64) * head.stride
        cx = (cell % head.cols + centre_offset) * head.stride
        cy = (cell // head.cols + centre_offset) * head.stride
        box = np.stack(
            [cx - sides[:, 0], cy - sides[:, 1], cx + sides[:, 2], cy + sides[:, 3]], axis=1
        )
        found_boxes.append(np.clip(box / (width, height, width, height), 0.0, 1.0))
        found_scores.append(scores[cell, cls].astype(np.float64))
        found_classes.append(cls)
    if not found_boxes:
        return np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_boxes), np.concatenate(found_scores), np.concatenate(found_classes)


def iou(box: Array, others: Array) -> Array:
    """Intersection over union of one x0, y0, x1, y1 box with each of `others`."""
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    result: Array = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return result


def nms(
    boxes: Array,
    scores: Array,
    classes: Array,
    *,
    threshold: float = NMS_IOU,
    limit: int = MAX_BOXES,
) -> Array:
    """Indices of the boxes kept by greedy per-class NMS, best first."""
    order = np.argsort(-scores, kind="stable")[:MAX_CANDIDATES]
    # Shifting each class to its own far-away square lets one pass suppress within classes only.
    shifted = boxes[order] + (classes[order] * 2.0)[:, None]
    keep: list[int] = []
    alive = np.ones(order.size, dtype=bool)
    for i in range(order.size):
        if not alive[i]:
            continue
        keep.append(int(order[i]))
        if len(keep) == limit:
            break
        rest = np.nonzero(alive[i + 1 :])[0] + i + 1
        alive[rest[iou(shifted[i], shifted[rest]) > threshold]] = False
    return np.asarray(keep, dtype=np.int64)
