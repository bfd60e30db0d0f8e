"""The server's default model: the bundled detector, on DeepStack's route and on mlwatch's own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from mlwatch_core.engine import Classifier
from mlwatch_core.wire import result_from_json
from mlwatch_server.cli import load
from mlwatch_server.config import parse

from devtools.photos import snapshot

from .conftest import Serve, image_form

DEFAULT = parse(["--device", "cpu"], {})
PERSON = snapshot("astronaut", (1280, 720))


@pytest.fixture(scope="module")
def workers() -> list[Classifier]:
    """The server's default: the detector, with the classifier's embedding of the region."""
    loaded: list[Classifier] = load(DEFAULT)
    return loaded


async def test_health_names_the_detector(serve: Serve, workers: list[Classifier]) -> None:
    client = await serve(workers=workers, **_model())
    body = await (await client.get("/health")).json()
    assert body["model"]["name"] == "nanodet_fp16.tflite"
    assert body["model"]["kind"] == "detector+embedding"
    assert body["groups"] == ["animal", "vehicle"]


async def test_deepstack_detection_finds_the_person_in_pixels(
    serve: Serve, workers: list[Classifier]
) -> None:
    client = await serve(workers=workers, **_model())
    resp = await client.post("/v1/vision/detection", data=image_form(PERSON))
    assert resp.status == 200
    body = await resp.json()
    person = max(
        (p for p in body["predictions"] if p["label"] == "person"), key=lambda p: p["confidence"]
    )
    assert person["confidence"] >= 0.6
    # The astronaut stands left of the middle of the 1280 x 720 frame, from the head down.
    assert person["x_min"] < 450 < person["x_max"] <= 1280
    assert person["y_min"] < 360 < person["y_max"] <= 720


async def test_mlwatch_classify_gives_boxes_and_the_embedding(
    serve: Serve, workers: list[Classifier]
) -> None:
    client = await serve(workers=workers, **_model())
    resp = await client.post(
        "/v1/mlwatch/classify?embedding=1&roi=0,0.3,0.7,0.7",
        data=PERSON,
        headers={"Content-Type": "image/jpeg"},
    )
    assert resp.status == 200
    result = result_from_json(await resp.json())
    assert result.score("person") >= 0.6
    assert result.detections[0].label == "person"
    assert result.embedding is not None
    assert len(result.embedding) == 1280


def _model() -> dict[str, Any]:
    return {"model": DEFAULT.model, "labels": DEFAULT.labels, "embedder": DEFAULT.embedder}


def test_the_default_is_the_detector_with_the_classifier_beside_it() -> None:
    assert DEFAULT.model.name == "nanodet_fp16.tflite"
    assert DEFAULT.labels.name == "coco_labels.txt"
    assert DEFAULT.embedder is not None
    assert DEFAULT.embedder[0].name == "efficientnet_lite0_int8.tflite"
    classifier = parse(["--model", "classifier"], {})
    assert replace(classifier, embedder=None) == classifier
