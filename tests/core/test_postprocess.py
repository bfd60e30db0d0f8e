"""Output layouts, dequantization, softmax, top-k, groups and SSD detections."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from custom_components.mlwatch.core.engine import Classifier, Settings
from custom_components.mlwatch.core.errors import ModelError
from custom_components.mlwatch.core.labels import LabelGroup
from custom_components.mlwatch.core.postprocess import (
    DetectionFilter,
    Kind,
    Layout,
    dequantize,
    detect_layout,
    detections,
    group_scores,
    probabilities,
    top_k,
)
from custom_components.mlwatch.core.result import Detection
from custom_components.mlwatch.core.tensor import TensorInfo
from devtools import DEFAULT_MODEL


def info(
    shape: tuple[int, ...],
    name: str = "out",
    dtype: Any = np.float32,
    scale: float = 0.0,
    zp: int = 0,
) -> TensorInfo:
    return TensorInfo(0, name, shape, np.dtype(dtype), scale, zp)


def test_single_score_vector_is_a_classifier() -> None:
    assert detect_layout([info((1, 1001))]) == Layout(Kind.CLASSIFIER, scores=0)


def test_embedding_found_by_name_by_label_count_or_position() -> None:
    by_name = detect_layout([info((1, 1280), "image_embedding"), info((1, 1000), "probs")])
    assert (by_name.scores, by_name.embedding) == (1, 0)
    by_count = detect_layout([info((1, 64)), info((1, 10))], labels=10)
    assert (by_count.scores, by_count.embedding) == (1, 0)
    by_position = detect_layout([info((1, 10)), info((1, 10))])
    assert (by_position.scores, by_position.embedding) == (0, 1)


def _ssd(order: list[str], named: bool) -> list[TensorInfo]:
    shapes = {"boxes": (1, 10, 4), "classes": (1, 10), "scores": (1, 10), "count": (1,)}
    suffix = {"boxes": "", "classes": ":1", "scores": ":2", "count": ":3"}
    return [
        info(
            shapes[k],
            f"TFLite_Detection_PostProcess{suffix[k]}" if named else f"StatefulPartitionedCall:{i}",
        )
        for i, k in enumerate(order)
    ]


@pytest.mark.parametrize("named", [True, False])
def test_ssd_layout_in_both_orders_seen_in_the_wild(named: bool) -> None:
    tf1 = detect_layout(_ssd(["boxes", "classes", "scores", "count"], named))
    assert (tf1.kind, tf1.boxes, tf1.classes, tf1.scores, tf1.count) == (Kind.DETECTOR, 0, 1, 2, 3)
    tf2 = detect_layout(_ssd(["scores", "boxes", "count", "classes"], named))
    assert (tf2.boxes, tf2.count) == (1, 2)
    if named:
        assert (tf2.classes, tf2.scores) == (3, 0)


@pytest.mark.parametrize(
    "outputs",
    [
        [info((1, 10, 10, 3))],
        [info((1, 1))],
        [info((1, 10)), info((1, 10)), info((1, 10))],
        [info((1, 10, 4)), info((1, 10, 4)), info((1, 10)), info((1,))],
    ],
)
def test_unknown_layouts_are_explained(outputs: list[TensorInfo]) -> None:
    with pytest.raises(ModelError, match="not a layout mlwatch knows"):
        detect_layout(outputs)


def test_dequantize_uses_scale_and_zero_point() -> None:
    q = np.array([-128, -1, 127], np.int8)
    np.testing.assert_allclose(
        dequantize(q, info((3,), dtype=np.int8, scale=1 / 256, zp=-128)),
        [0, 127 / 256, 1 - 1 / 256],
    )
    f = np.array([0.5], np.float32)
    assert dequantize(f, info((1,))) is f


def test_probabilities_pass_through_and_logits_get_softmax() -> None:
    p = np.array([0.1, 0.9], np.float32)
    assert probabilities(p) is p
    s = probabilities(np.array([2.0, -1.0, 0.5], np.float32))
    assert s.sum() == pytest.approx(1.0)
    assert list(np.argsort(s)) == [1, 2, 0]


def test_top_k_and_threshold() -> None:
    scores = np.array([0.1, 0.5, 0.05, 0.3, 0.05])
    assert top_k(scores, 3) == [(1, 0.5), (3, 0.3), (0, 0.1)]
    assert top_k(scores, 3, threshold=0.2) == [(1, 0.5), (3, 0.3)]
    assert len(top_k(scores, 50)) == 5
    assert top_k(scores, 0) == []


def test_group_scores_add_up() -> None:
    assert group_scores(np.array([0.2, 0.3, 0.5]), {"a": [0, 2]}) == {"a": pytest.approx(0.7)}


LABELS = {0: "person", 2: "car", 16: "cat"}


def _raw(swap: bool = False) -> tuple[list[np.ndarray], Layout]:
    boxes = np.array(
        [[[0.1, 0.1, 0.5, 0.5], [0.0, 0.0, 0.05, 0.05], [-0.2, 0.5, 0.4, 1.3], [0, 0, 1, 1]]],
        np.float32,
    )
    classes = np.array([[16, 0, 2, 0]], np.float32)
    scores = np.array([[0.9, 0.8, 0.6, 0.99]], np.float32)
    count = np.array([3], np.float32)
    layout = Layout(Kind.DETECTOR, scores=2, boxes=0, classes=1, count=3)
    if swap:  # names did not say which is which, and the guess was wrong
        classes, scores = scores, classes
    return [boxes, classes, scores, count], layout


@pytest.mark.parametrize("swap", [False, True])
def test_detections_parse_clip_and_respect_count(swap: bool) -> None:
    raw, layout = _raw(swap)
    found = detections(raw, layout, LABELS, DetectionFilter(min_score=0.5))
    assert [d.label for d in found] == ["cat", "person", "car"]  # the 4th is beyond count
    cat = found[0]
    assert cat.box == pytest.approx((0.1, 0.1, 0.5, 0.5))  # ymin, xmin, ymax, xmax -> x, y order
    assert found[2].box == pytest.approx((0.5, 0.0, 1.0, 0.4))  # clipped to the region
    assert cat.area == pytest.approx(0.16)


def test_detection_filters_per_label_score_and_area() -> None:
    raw, layout = _raw()
    keep = DetectionFilter(min_score=0.5, min_area=0.01, per_label={"cat": (0.95, 0.0)})
    assert [d.label for d in detections(raw, layout, LABELS, keep)] == ["car"]
    assert DetectionFilter().keeps(Detection("x", 0.5, (0, 0, 0, 0)))


def test_detections_need_a_detector_layout() -> None:
    with pytest.raises(ValueError, match="detector layout"):
        detections([], Layout(Kind.CLASSIFIER, scores=0), LABELS, DetectionFilter())


class _StubDetector:
    """A stand-in interpreter for an SSD model with the TF2 output order."""

    def __init__(self, **_: Any) -> None:
        self._input = np.zeros((1, 300, 300, 3), np.uint8)
        boxes, classes, scores, count = _raw()[0]
        self._outputs = [scores, boxes, count, classes]

    def allocate_tensors(self) -> None: ...

    def get_input_details(self) -> list[dict[str, Any]]:
        return [
            {
                "index": 0,
                "name": "image",
                "shape": [1, 300, 300, 3],
                "dtype": np.uint8,
                "quantization": (0.0078125, 128),
            }
        ]

    def get_output_details(self) -> list[dict[str, Any]]:
        names = [
            "StatefulPartitionedCall:1",
            "StatefulPartitionedCall:3",
            "StatefulPartitionedCall:0",
            "StatefulPartitionedCall:2",
        ]
        return [
            {"index": 10 + i, "name": n, "shape": list(o.shape), "dtype": np.float32}
            for i, (n, o) in enumerate(zip(names, self._outputs, strict=True))
        ]

    def tensor(self, index: int) -> Callable[[], np.ndarray]:
        assert index == 0
        return lambda: self._input

    def invoke(self) -> None:
        assert self._input.any()  # the frame was written into the input buffer

    def get_tensor(self, index: int) -> np.ndarray:
        return self._outputs[index - 10].copy()


def test_detector_through_the_facade(tmp_path: Path, jpeg: Callable[..., bytes]) -> None:
    (tmp_path / "coco.txt").write_text("0 person\n2 car\n16 cat\n")
    runtime = types.SimpleNamespace(Interpreter=_StubDetector, load_delegate=None)
    settings = Settings(
        detection_filter=DetectionFilter(min_score=0.7), groups=(LabelGroup("pets", ("cat",)),)
    )
    clf = Classifier(DEFAULT_MODEL, tmp_path / "coco.txt", settings, runtime=runtime)  # type: ignore[arg-type]
    assert clf.kind is Kind.DETECTOR
    assert clf.labels == ["person", "car", "cat"]
    result = clf.classify(jpeg("chelsea"))
    assert [d.label for d in result.detections] == ["cat", "person"]
    assert result.top == [("cat", pytest.approx(0.9)), ("person", pytest.approx(0.8))]
    assert result.score("cat") == pytest.approx(0.9)
    assert result.score("car") == 0.0
    assert result.score("pets") == pytest.approx(0.9)
    assert result.embedding is None


def test_top_k_ranks_tied_scores_by_index_whatever_the_numpy_build() -> None:
    # A quantized model's output: a few classes scored, the rest exactly zero.
    scores = np.zeros(1000, np.float32)
    scores[[281, 282, 285]] = [0.76, 0.1, 0.08]
    assert top_k(scores, 5) == [
        (281, pytest.approx(0.76)),
        (282, pytest.approx(0.1)),
        (285, pytest.approx(0.08)),
        (0, 0.0),
        (1, 0.0),
    ]
    assert top_k(scores, 0) == []
