"""DeepStack detection on a real SSD detector (a test-only fixture, see tests/models/README.md)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mlwatch_core.engine import Classifier
from mlwatch_core.labels import load_labels
from mlwatch_core.wire import result_from_json
from mlwatch_server.app import DEEPSTACK_MIN_CONFIDENCE
from mlwatch_server.cli import load
from PIL import Image

from devtools.photos import snapshot, tagged

from .conftest import BASE, Serve
from .conftest import image_form as _form

# Fetched by scripts/fetch-test-models (scripts/test runs it); never part of the integration.
CACHE = Path(__file__).parents[2] / ".cache" / "test-models"
MODEL = CACHE / "mobilenet_ssd_v2_coco_quant_postprocess.tflite"
LABELS = CACHE / "coco_labels.txt"
MODEL_SHA256 = "7046f31a72ec0045a57b94199144c96cf5840c7dc106b808b64a1ed5559aa0cd"
PREDICTION_KEYS = {"label", "confidence", "x_min", "y_min", "x_max", "y_max"}


@pytest.fixture(scope="module")
def detector() -> list[Classifier]:
    """The SSD detector, loaded as the server loads it; missing files fail, they never skip."""
    if not MODEL.is_file() or not LABELS.is_file():
        pytest.fail(
            f"The test detector is missing from {CACHE}: run scripts/fetch-test-models "
            "(scripts/test runs it for you)",
            pytrace=False,
        )
    if hashlib.sha256(MODEL.read_bytes()).hexdigest() != MODEL_SHA256:
        pytest.fail(
            f"{MODEL} is not the pinned test detector: run scripts/fetch-test-models",
            pytrace=False,
        )
    loaded: list[Classifier] = load(replace(BASE, model=MODEL, labels=LABELS))
    return loaded


@pytest.fixture
def start(serve: Serve, detector: list[Classifier]) -> Serve:
    """Start a server around the detector, with settings overridden per test."""

    async def run(**overrides: Any) -> TestClient[Any, Any]:
        return await serve(workers=detector, model=MODEL, labels=LABELS, **overrides)

    return run


async def _detect(
    client: TestClient[Any, Any],
    image: bytes,
    path: str = "/v1/vision/detection",
    bearer: str | None = None,
    **fields: str,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else None
    resp = await client.post(path, data=_form(image, **fields), headers=headers)
    body: dict[str, Any] = await resp.json()
    return resp.status, body


def _best(body: dict[str, Any]) -> dict[str, Any]:
    best: dict[str, Any] = max(body["predictions"], key=lambda p: p["confidence"])
    return best


async def test_labels_file_with_id_gaps_is_read_by_id(detector: list[Classifier]) -> None:
    labels = load_labels(LABELS)
    # COCO's 90 ids name 80 classes: id 11 is one of the gaps, so "stop sign" stays at 12.
    assert len(labels) == 80
    assert (labels[0], labels[16], labels[12], labels[89]) == (
        "person",
        "cat",
        "stop sign",
        "toothbrush",
    )
    assert 11 not in labels
    assert detector[0].label_map == labels


async def test_health_reports_a_detector_with_80_labels(start: Serve) -> None:
    client = await start()
    body = await (await client.get("/health")).json()
    assert body["model"]["kind"] == "detector"
    assert body["model"]["labels"] == 80
    assert body["model"]["input"] == [300, 300]
    assert body["model"]["name"] == MODEL.name
    assert body["device"] == "cpu"
    assert body["label_names"][0] == "person"
    assert "cat" in body["label_names"]


async def test_detection_on_a_cat_is_deepstack_shaped(start: Serve) -> None:
    client = await start()
    status, body = await _detect(client, snapshot("chelsea"))
    assert status == 200
    assert body["success"] is True
    assert body["code"] == 200
    assert body["moduleId"] == "mlwatch"
    assert body["count"] == len(body["predictions"]) >= 1
    assert isinstance(body["inferenceMs"], int)
    assert isinstance(body["processMs"], int)
    assert body["processMs"] >= 0
    for p in body["predictions"]:
        assert set(p) == PREDICTION_KEYS
        assert p["confidence"] >= DEEPSTACK_MIN_CONFIDENCE  # the default filter applies
        coords = (p["x_min"], p["y_min"], p["x_max"], p["y_max"])
        assert all(isinstance(v, int) for v in coords)
        assert 0 <= p["x_min"] < p["x_max"] <= 1920
        assert 0 <= p["y_min"] < p["y_max"] <= 1080
    best = _best(body)
    assert best["label"] == "cat"
    assert best["confidence"] > 0.8
    # The cat fills most of the photo; a box in the wrong units or axes would not.
    assert best["x_max"] - best["x_min"] > 1920 / 2
    assert best["y_max"] - best["y_min"] > 1080 / 2


@pytest.mark.parametrize(("photo", "size"), [("chelsea", (1920, 1080)), ("coffee", (640, 480))])
async def test_pixel_boxes_are_the_relative_boxes_times_the_frame(
    start: Serve, photo: str, size: tuple[int, int]
) -> None:
    client = await start()
    image = snapshot(photo, size)
    # min_confidence 0 keeps every box the server found, so both lists hold the same boxes.
    status, deepstack = await _detect(client, image, min_confidence="0")
    assert status == 200
    resp = await client.post(
        "/v1/mlwatch/classify", data=image, headers={"Content-Type": "image/jpeg"}
    )
    relative = (await resp.json())["detections"]
    assert len(deepstack["predictions"]) == len(relative) >= 1
    width, height = size
    for p, d in zip(deepstack["predictions"], relative, strict=True):
        assert p["label"] == d["label"]
        assert p["confidence"] == pytest.approx(d["score"], abs=1e-4)
        x0, y0, x1, y1 = d["box"]
        assert abs(p["x_min"] - x0 * width) <= 1
        assert abs(p["y_min"] - y0 * height) <= 1
        assert abs(p["x_max"] - x1 * width) <= 1
        assert abs(p["y_max"] - y1 * height) <= 1


async def test_min_confidence_filters_predictions(start: Serve) -> None:
    client = await start()
    image = snapshot("chelsea")
    counts: dict[float, int] = {}
    for threshold in (0.0, 0.45, 0.85, 0.99):
        status, body = await _detect(client, image, min_confidence=str(threshold))
        assert status == 200
        assert all(p["confidence"] >= threshold for p in body["predictions"])
        assert body["count"] == len(body["predictions"])
        counts[threshold] = body["count"]
    assert counts[0.0] > counts[0.45] >= counts[0.85] >= counts[0.99]
    assert counts[0.99] < counts[0.45]
    _, default = await _detect(client, image)
    assert default["count"] == counts[DEEPSTACK_MIN_CONFIDENCE]

    status, body = await _detect(client, image, min_confidence="high")
    assert status == 400
    assert body["success"] is False
    assert body["code"] == 400


async def test_api_key_as_form_field_or_bearer(start: Serve) -> None:
    client = await start(api_key="s3cret")
    image = snapshot("chelsea")
    status, body = await _detect(client, image, api_key="s3cret")
    assert status == 200
    assert _best(body)["label"] == "cat"
    status, body = await _detect(client, image, bearer="s3cret")
    assert status == 200
    assert body["count"] >= 1
    for fields in ({"api_key": "wrong"}, {}):
        status, body = await _detect(client, image, **fields)
        assert status == 401
        assert body["success"] is False
        assert body["code"] == 401
        assert "predictions" not in body


async def test_custom_route_answers_to_the_file_stem(start: Serve) -> None:
    client = await start()
    image = snapshot("chelsea")
    status, body = await _detect(client, image, f"/v1/vision/custom/{MODEL.stem}")
    assert status == 200
    assert _best(body)["label"] == "cat"
    status, body = await _detect(client, image, "/v1/vision/custom/yolov5")
    assert status == 404
    assert body["success"] is False
    assert MODEL.stem in body["error"]


async def test_custom_route_answers_to_model_name(start: Serve) -> None:
    client = await start(model_name="coco-ssd")
    image = snapshot("chelsea")
    status, body = await _detect(client, image, "/v1/vision/custom/coco-ssd")
    assert status == 200
    assert _best(body)["label"] == "cat"
    status, _ = await _detect(client, image, f"/v1/vision/custom/{MODEL.stem}")
    assert status == 404


@pytest.mark.parametrize(
    ("photo", "label"), [("chelsea", "cat"), ("astronaut", "person"), ("coffee", "cup")]
)
async def test_best_prediction_names_what_is_in_the_photo(
    start: Serve, photo: str, label: str
) -> None:
    client = await start()
    status, body = await _detect(client, snapshot(photo))
    assert status == 200
    assert _best(body)["label"] == label


async def test_classify_on_the_detector_returns_relative_boxes(
    start: Serve, detector: list[Classifier]
) -> None:
    client = await start()
    image = snapshot("chelsea")
    resp = await client.post(
        "/v1/mlwatch/classify", data=image, headers={"Content-Type": "image/jpeg"}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["frame"] == {"width": 1920, "height": 1080}
    assert body["detections"]
    for d in body["detections"]:
        x0, y0, x1, y1 = d["box"]
        assert 0.0 <= x0 < x1 <= 1.0
        assert 0.0 <= y0 < y1 <= 1.0
    assert body["detections"][0]["label"] == "cat"
    assert body["top"][0]["label"] == "cat"
    assert body["scores"]["cat"] == body["detections"][0]["score"] > 0.8
    remote = result_from_json(body)
    local = detector[0].classify(image)
    assert remote.groups == pytest.approx(local.groups)
    assert [d.label for d in remote.detections] == [d.label for d in local.detections]
    for r, loc in zip(remote.detections, local.detections, strict=True):
        assert r.score == pytest.approx(loc.score, abs=1e-5)
        assert r.box == pytest.approx(loc.box, abs=1e-5)


async def test_pixel_boxes_are_in_the_upright_frame_of_a_turned_jpeg(start: Serve) -> None:
    # The camera stores 1080x1920 with EXIF orientation 6; the model sees 1920x1080 upright.
    with Image.open(io.BytesIO(snapshot("chelsea"))) as upright:
        turned = tagged(upright, 6)
    client = await start()
    status, body = await _detect(client, turned)
    assert status == 200
    _, plain = await _detect(client, snapshot("chelsea"))
    best, expected = _best(body), _best(plain)
    assert best["label"] == expected["label"] == "cat"
    for key in ("x_min", "y_min", "x_max", "y_max"):
        assert abs(best[key] - expected[key]) <= 20  # re-encoded once: the same box, give or take
