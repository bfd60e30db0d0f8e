"""The bundled detector on real photos: people where they stand, the cat, and an empty doorstep."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

from custom_components.mlwatch.core.engine import Classifier, Settings
from custom_components.mlwatch.core.labels import COCO_LABELS, load_labels
from custom_components.mlwatch.core.postprocess import ENTRY_FILTER, DetectionFilter, Kind
from custom_components.mlwatch.core.result import Roi
from devtools import DEFAULT_LABELS, DEFAULT_MODEL, DETECTOR_LABELS, DETECTOR_MODEL, REPO
from devtools.photos import photo

THRESHOLD = 0.6  # mlwatch's default on-threshold


@pytest.fixture(scope="module")
def detector() -> Classifier:
    """The bundled detector as Home Assistant entries run it, with the classifier's embedding."""
    settings = Settings(
        num_threads=2, detection_filter=ENTRY_FILTER, embedder=(DEFAULT_MODEL, DEFAULT_LABELS)
    )
    return Classifier(DETECTOR_MODEL, DETECTOR_LABELS, settings)


def jpeg(rgb: np.ndarray[Any, Any]) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def doorstep() -> np.ndarray[Any, Any]:
    """The benchmark's empty doorstep scene (wall, door, paving, mat), RGB."""
    spec = importlib.util.spec_from_file_location("make_doorstep", REPO / "bench/make_doorstep.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_doorstep", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    scene: Callable[[], np.ndarray[Any, Any]] = module.scene
    return cv2.cvtColor(np.clip(scene(), 0, 255).astype(np.uint8), cv2.COLOR_BGR2RGB)


def test_the_bundled_labels_are_coco_in_the_model_order(detector: Classifier) -> None:
    assert tuple(load_labels(DETECTOR_LABELS).values()) == COCO_LABELS
    assert detector.kind is Kind.DETECTOR_EMBEDDING
    assert [h.stride for h in detector.layout.heads] == [8, 16, 32]
    assert sorted(detector.groups) == ["animal", "vehicle"]


@pytest.mark.parametrize("name", ["astronaut", "camera"])
def test_a_person_photo_gives_a_person_with_a_box_on_them(detector: Classifier, name: str) -> None:
    result = detector.classify(jpeg(photo(name)))
    assert result.score("person") >= THRESHOLD
    best = next(d for d in result.detections if d.label == "person")
    x0, y0, x1, y1 = best.box
    # Both photos show one person standing left of the middle, from the head down.
    assert x0 < 0.35 < x1
    assert y0 < 0.5 < y1
    assert best.area > 0.2


def test_a_person_outside_the_region_does_not_count(detector: Classifier) -> None:
    image = jpeg(photo("astronaut"))
    assert detector.classify(image, Roi(0.1, 0.5, 0.5, 0.5)).score("person") >= THRESHOLD
    beside = detector.classify(image, Roi(0.8, 0.0, 0.2, 1.0))
    assert beside.score("person") == 0.0
    assert beside.detections == []


def test_the_cat_is_a_cat_and_an_animal() -> None:
    # Without the size ceiling: this close-up fills the frame, as a cat on a door mat does not.
    keep = DetectionFilter(min_score=0.3)
    settings = Settings(num_threads=2, detection_filter=keep)
    clf = Classifier(DETECTOR_MODEL, DETECTOR_LABELS, settings)
    result = clf.classify(jpeg(photo("chelsea")))
    animals = [d for d in result.detections if d.label in ("cat", "dog", "bird", "horse")]
    assert animals[0].label == "cat"
    assert result.groups["animal"] == pytest.approx(animals[0].score)
    assert result.groups["animal"] >= 0.4


def test_the_size_ceiling_drops_a_frame_filling_false_person(detector: Classifier) -> None:
    # The cat close-up scores a frame-sized "person" above 0.5; no one stands there.
    assert detector.classify(jpeg(photo("chelsea"))).score("person") == 0.0


def test_an_empty_doorstep_gives_nothing_at_the_threshold(detector: Classifier) -> None:
    result = detector.classify(jpeg(doorstep()))
    assert [d for d in result.detections if d.score >= THRESHOLD] == []
    assert result.score("person") < 0.3


def test_the_embedding_is_the_classifiers_view_of_the_region(detector: Classifier) -> None:
    image = jpeg(photo("chelsea"))
    region = Roi(0.25, 0.0, 0.5, 1.0)
    classifier = Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))
    expected = classifier.classify(image, region).embedding
    got = detector.classify(image, region).embedding
    assert got is not None
    assert expected is not None
    cosine = float(np.dot(got, expected) / np.linalg.norm(got) / np.linalg.norm(expected))
    assert cosine > 0.99
