"""The NanoDet head decode (GFL), NMS, and which boxes stand in the region."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from custom_components.mlwatch.core import gfl
from custom_components.mlwatch.core.postprocess import (
    DetectionFilter,
    Kind,
    detect_layout,
    head_detections,
)
from custom_components.mlwatch.core.result import Detection, Roi
from custom_components.mlwatch.core.tensor import TensorInfo

INPUT = (64, 96)  # rows, cols: not square, so rows and columns cannot be swapped unnoticed
LABELS = {0: "person", 1: "cat", 2: "car"}
BINS = 4  # reg_max 3


def info(index: int, shape: tuple[int, ...], dtype: Any = np.float32, scale: float = 0.0) -> Any:
    return TensorInfo(index, f"out{index}", shape, np.dtype(dtype), scale, 0)


def _maps(layout: str = "nhwc") -> tuple[list[np.ndarray[Any, Any]], list[TensorInfo]]:
    """Two strides (8, 16), scores 0 and flat distributions; each head as (scores, boxes)."""
    raw: list[np.ndarray[Any, Any]] = []
    infos: list[TensorInfo] = []
    for stride in (8, 16):
        rows, cols = INPUT[0] // stride, INPUT[1] // stride
        for channels in (len(LABELS), 4 * BINS):
            shape = {
                "nchw": (1, channels, rows, cols),
                "nhwc": (1, rows, cols, channels),
                "flat": (1, rows * cols, channels),  # as NanoDet's own exports give them
            }[layout]
            raw.append(np.zeros(shape, np.float32))
            infos.append(info(len(infos), shape))
    return raw, infos


def _place(
    raw: list[np.ndarray[Any, Any]],
    head: int,
    cell: tuple[int, int],
    label: int,
    score: float,
    sides: tuple[int, int, int, int],
    layout: str = "nhwc",
) -> None:
    """Put a box at a cell: its score, and each side's distribution peaked at `sides` bins."""
    scores, boxes = raw[2 * head], raw[2 * head + 1]
    r, c = cell
    logits = np.full(4 * BINS, -30.0, np.float32)
    for side, b in enumerate(sides):
        logits[side * BINS + b] = 30.0
    if layout == "nchw":
        scores[0, label, r, c] = score
        boxes[0, :, r, c] = logits
    elif layout == "flat":
        index = r * INPUT[1] // (8 << head) + c
        scores[0, index, label] = score
        boxes[0, index, :] = logits
    else:
        scores[0, r, c, label] = score
        boxes[0, r, c, :] = logits


@pytest.mark.parametrize("layout", ["nhwc", "nchw", "flat"])
def test_decode_puts_a_known_box_where_it_was_built(layout: str) -> None:
    raw, infos = _maps(layout)
    heads = gfl.find_heads(infos, len(LABELS), INPUT)
    assert heads is not None
    assert [(h.stride, h.rows, h.cols) for h in heads] == [(8, 8, 12), (16, 4, 6)]
    # Stride 8, row 2, column 3: centre (3.5 * 8, 2.5 * 8) = (28, 20) in input pixels.
    _place(raw, 0, (2, 3), 1, 0.9, (2, 1, 3, 2), layout)
    boxes, scores, classes = gfl.decode(raw, heads, INPUT)
    assert classes.tolist() == [1]
    assert scores.tolist() == pytest.approx([0.9])
    expected = [(28 - 16) / 96, (20 - 8) / 64, (28 + 24) / 96, (20 + 16) / 64]
    assert boxes[0].tolist() == pytest.approx(expected, abs=1e-6)


def test_logit_scores_go_through_a_sigmoid_and_low_cells_are_skipped() -> None:
    raw, infos = _maps()
    for i in (0, 2):
        raw[i][:] = -9.0  # logits: sigmoid(-9) ~ 0.0001
    _place(raw, 1, (1, 1), 0, 2.0, (1, 1, 1, 1))
    heads = gfl.find_heads(infos, len(LABELS), INPUT)
    assert heads is not None
    boxes, scores, classes = gfl.decode(raw, heads, INPUT)
    assert classes.tolist() == [0]
    assert scores.tolist() == pytest.approx([1 / (1 + np.exp(-2.0))])
    # Stride 16, centre (24, 24), one bin = 16 px each side.
    assert boxes[0].tolist() == pytest.approx([8 / 96, 8 / 64, 40 / 96, 40 / 64], abs=1e-6)


def test_boxes_are_clipped_to_the_input() -> None:
    raw, infos = _maps()
    _place(raw, 0, (0, 0), 2, 0.8, (3, 3, 1, 1))
    heads = gfl.find_heads(infos, len(LABELS), INPUT)
    assert heads is not None
    boxes, _, _ = gfl.decode(raw, heads, INPUT)
    assert boxes[0][:2].tolist() == [0.0, 0.0]


def test_nothing_above_the_floor_decodes_to_nothing() -> None:
    raw, infos = _maps()
    heads = gfl.find_heads(infos, len(LABELS), INPUT)
    assert heads is not None
    boxes, scores, classes = gfl.decode(raw, heads, INPUT)
    assert boxes.shape == (0, 4)
    assert scores.size == classes.size == 0


def test_the_layout_is_recognised_and_quantized_heads_decode() -> None:
    raw, infos = _maps()
    _place(raw, 0, (4, 6), 0, 0.75, (2, 2, 2, 2))
    scale = 1 / 4  # scores and logits both representable: 0.75 -> 3, +-30 -> +-120
    quantized = [np.round(r / scale).astype(np.int8) for r in raw]
    qinfos = [info(i.index, i.shape, np.int8, scale) for i in infos]
    layout = detect_layout(qinfos, labels=len(LABELS), input_hw=INPUT)
    assert layout.kind is Kind.DETECTOR
    assert len(layout.heads) == 2
    found = head_detections(
        quantized, layout, qinfos, LABELS, DetectionFilter(min_score=0.5), input_hw=INPUT
    )
    assert [(d.label, round(d.score, 2)) for d in found] == [("person", 0.75)]
    cx, cy = 6.5 * 8, 4.5 * 8
    assert found[0].box == pytest.approx(
        ((cx - 16) / 96, (cy - 16) / 64, (cx + 16) / 96, (cy + 16) / 64), abs=1e-6
    )


@pytest.mark.parametrize(
    "shapes",
    [
        [(1, 8, 12, 3), (1, 8, 12, 16), (1, 4, 6, 3)],  # odd count
        [(1, 8, 12, 3), (1, 4, 6, 16)],  # a stride's pair is split
        [(1, 8, 12, 3), (1, 8, 12, 5)],  # box channels are not 4 sides of bins
        [(1, 8, 12, 3), (1, 8, 12, 16), (1, 4, 6, 3), (1, 4, 6, 32)],  # bins differ by stride
        [(1, 7, 12, 3), (1, 7, 12, 16)],  # 64 rows do not split into 7 cells
        [(1, 96), (1, 3)],  # a classifier with an embedding
        [(1, 100, 3), (1, 100, 16)],  # 100 cells are no stride's grid of 64 x 96
    ],
)
def test_other_layouts_are_not_heads(shapes: list[tuple[int, ...]]) -> None:
    infos = [info(i, s) for i, s in enumerate(shapes)]
    assert gfl.find_heads(infos, len(LABELS), INPUT) is None


def test_nms_keeps_the_best_of_overlapping_boxes_per_class_only() -> None:
    boxes = np.array(
        [
            [0.10, 0.10, 0.50, 0.50],  # cat, best
            [0.12, 0.12, 0.52, 0.52],  # cat, overlaps the best: suppressed
            [0.11, 0.11, 0.51, 0.51],  # car, same place: another class, kept
            [0.60, 0.60, 0.90, 0.90],  # cat, elsewhere: kept
        ]
    )
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    classes = np.array([1, 1, 2, 1])
    assert gfl.nms(boxes, scores, classes).tolist() == [0, 2, 3]
    assert gfl.nms(boxes, scores, classes, limit=2).tolist() == [0, 2]
    assert gfl.nms(boxes, scores, classes, threshold=0.99).tolist() == [0, 1, 2, 3]
    assert gfl.nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64)).tolist() == []


def test_nms_is_bounded_and_deterministic_on_many_seeded_random_boxes() -> None:
    rng = np.random.default_rng(7)
    corners = rng.random((2000, 2)) * 0.8
    boxes = np.concatenate([corners, corners + 0.05 + rng.random((2000, 2)) * 0.15], axis=1)
    scores = rng.random(2000)
    classes = rng.integers(0, 3, 2000)
    kept = gfl.nms(boxes, scores, classes)
    assert 0 < kept.size <= gfl.MAX_BOXES
    assert kept.tolist() == gfl.nms(boxes, scores, classes).tolist()
    assert list(scores[kept]) == sorted(scores[kept], reverse=True)
    for i, a in enumerate(kept):
        same = kept[i + 1 :][classes[kept[i + 1 :]] == classes[a]]
        assert np.all(gfl.iou(boxes[a], boxes[same]) <= gfl.NMS_IOU)


def test_iou_of_identical_disjoint_and_degenerate_boxes() -> None:
    box = np.array([0.0, 0.0, 0.5, 0.5])
    others = np.array([[0.0, 0.0, 0.5, 0.5], [0.6, 0.6, 0.9, 0.9], [0.2, 0.2, 0.2, 0.2]])
    assert gfl.iou(box, others).tolist() == pytest.approx([1.0, 0.0, 0.0])


MAT = Roi(0.3, 0.6, 0.4, 0.4)  # the lower middle of the frame


@pytest.mark.parametrize(
    ("box", "stands"),
    [
        ((0.4, 0.7, 0.6, 0.9), True),  # a cat on the mat
        ((0.35, 0.1, 0.65, 0.95), True),  # a person: waist above the mat, feet on it
        ((0.35, 0.1, 0.65, 0.5), False),  # a person behind the mat, in the street
        ((0.0, 0.7, 0.2, 0.9), False),  # beside the mat
        ((0.2, 0.62, 0.4, 0.8), True),  # centre x 0.3: on the region's edge
    ],
)
def test_a_box_stands_in_the_region_by_its_centre_or_its_feet(
    box: tuple[float, float, float, float], stands: bool
) -> None:
    assert MAT.holds(box) is stands


def test_the_filter_refuses_tiny_and_frame_filling_boxes() -> None:
    keep = DetectionFilter(min_score=0.3, min_area=0.01, max_area=0.8)
    assert keep.keeps(Detection("person", 0.9, (0.2, 0.2, 0.6, 0.9)))
    assert not keep.keeps(Detection("person", 0.9, (0.2, 0.2, 0.25, 0.25)))  # 0.0025
    assert not keep.keeps(Detection("person", 0.9, (0.0, 0.0, 1.0, 0.95)))  # the whole frame
    assert not keep.keeps(Detection("person", 0.2, (0.2, 0.2, 0.6, 0.9)))
    per_label = DetectionFilter(min_score=0.5, per_label={"cat": (0.25, 0.0)})
    assert per_label.floor == 0.25
