"""DeepStack's JSON: what the server writes, the remote backend reads back, from one module."""

from __future__ import annotations

import pytest

from custom_components.mlwatch.core.result import FULL_FRAME, Detection, Result, Roi, Timings
from custom_components.mlwatch.core.wire import (
    deepstack_error,
    deepstack_from_json,
    deepstack_to_json,
)

CAT = Detection("cat", 0.9, (0.1, 0.1, 0.3, 0.4))
DOG = Detection("dog", 0.6, (0.6, 0.5, 0.9, 0.9))
FAINT_CAT = Detection("cat", 0.5, (0.7, 0.1, 0.8, 0.2))


def _detected(*found: Detection) -> Result:
    return Result([], {}, list(found), None, Timings(1.0, 2.0, 12.4, 3.0), (640, 480))


def test_what_the_server_writes_the_client_reads_back() -> None:
    body = deepstack_to_json(_detected(CAT, DOG), min_confidence=0.1, process_ms=20.2)
    assert (body["success"], body["count"], body["inferenceMs"], body["processMs"]) == (
        True,
        2,
        12,
        20,
    )
    back = deepstack_from_json(body, (640, 480), FULL_FRAME, elapsed_ms=5.0)
    assert [d.label for d in back.detections] == ["cat", "dog"]
    for sent, read in zip((CAT, DOG), back.detections, strict=True):
        assert read.score == sent.score
        # Pixels are whole numbers: within half a pixel of the box sent.
        assert read.box == pytest.approx(sent.box, abs=0.5 / 480)
    assert back.top == [("cat", 0.9), ("dog", 0.6)]
    assert (back.timings.invoke, back.timings.post, back.frame_size) == (12.0, 5.0, (640, 480))


def test_the_server_leaves_out_what_is_below_min_confidence() -> None:
    body = deepstack_to_json(_detected(CAT, DOG), min_confidence=0.7, process_ms=0)
    assert [p["label"] for p in body["predictions"]] == ["cat"]


def test_the_client_keeps_the_boxes_standing_in_the_region_relative_to_the_frame() -> None:
    body = deepstack_to_json(_detected(DOG, CAT), min_confidence=0.1, process_ms=0)
    left = Roi(0.0, 0.0, 0.5, 1.0)
    back = deepstack_from_json(body, (640, 480), left, elapsed_ms=0)
    assert [d.label for d in back.detections] == ["cat"]
    assert back.detections[0].box == pytest.approx((0.1, 0.1, 0.3, 0.4), abs=1 / 640)
    assert back.roi == left


def test_a_label_scores_its_best_box_and_results_rank_best_first() -> None:
    body = deepstack_to_json(_detected(FAINT_CAT, DOG, CAT), min_confidence=0.1, process_ms=0)
    back = deepstack_from_json(body, (640, 480), FULL_FRAME, elapsed_ms=0)
    assert [d.score for d in back.detections] == [0.9, 0.6, 0.5]
    assert back.scores == {"cat": 0.9, "dog": 0.6}


def test_an_error_is_deepstack_shaped() -> None:
    assert deepstack_error("no image", 400) == {"success": False, "error": "no image", "code": 400}


def test_a_prediction_without_its_box_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        deepstack_from_json(
            {"predictions": [{"label": "cat"}]}, (640, 480), FULL_FRAME, elapsed_ms=0
        )
