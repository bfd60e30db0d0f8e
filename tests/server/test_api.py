"""Every endpoint of the server, on the real model with real photos."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from mlwatch_core.embedding import RECIPE, space
from mlwatch_core.wire import result_from_json
from mlwatch_server import __version__

from devtools.photos import snapshot

from .conftest import SHA256, Serve

MANIFEST = Path(__file__).parents[2] / "custom_components" / "mlwatch" / "manifest.json"


async def test_health_describes_model_device_and_queue(serve: Serve) -> None:
    client = await serve()
    resp = await client.get("/health")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__ == json.loads(MANIFEST.read_text())["version"]
    assert body["model"] == {
        "name": "efficientnet_lite0_int8.tflite",
        "sha256": SHA256,
        "embedding_space": space(SHA256, RECIPE),
        "kind": "classifier+embedding",
        "labels": 1000,
        "input": [224, 224],
    }
    assert body["device"] == "cpu"
    assert body["label_names"][285] == "Egyptian cat"
    assert "cat" in body["groups"]
    assert body["queue"] == {"depth": 0, "waiting": 0, "running": 0, "limit": 16, "workers": 1}


async def test_classify_raw_jpeg_matches_in_process(serve: Serve, classifiers: list) -> None:
    client = await serve()
    image = snapshot("chelsea")
    resp = await client.post(
        "/v1/mlwatch/classify", data=image, headers={"Content-Type": "image/jpeg"}
    )
    assert resp.status == 200
    body = await resp.json()
    remote = result_from_json(body)
    local = classifiers[0].classify(image)
    assert remote.best is not None
    assert remote.best[0] == local.top[0][0] == "Egyptian cat"
    assert remote.score("cat") == pytest.approx(local.score("cat"), abs=1e-5)
    assert remote.score("cat") > 0.9
    assert remote.frame_size == (1920, 1080)
    assert remote.embedding is None  # opt-in only
    assert set(body["timings"]) == {"decode", "preprocess", "invoke", "post", "queue", "total"}
    assert body["timings"]["total"] >= body["timings"]["invoke"] > 0
    assert body["model"] == {"sha256": SHA256, "embedding_space": space(SHA256, RECIPE)}


async def test_classify_multipart_with_roi_and_embedding(serve: Serve, classifiers: list) -> None:
    client = await serve()
    image = snapshot("coffee")
    form = aiohttp.FormData()
    form.add_field("image", image, filename="frame.jpg", content_type="image/jpeg")
    form.add_field("roi", "0.25, 0.1, 0.5, 0.8")
    form.add_field("embedding", "true")
    resp = await client.post("/v1/mlwatch/classify", data=form)
    assert resp.status == 200
    remote = result_from_json(await resp.json())
    assert (remote.roi.x, remote.roi.width) == (0.25, 0.5)
    assert remote.embedding is not None
    assert len(remote.embedding) == 1280
    local = classifiers[0].classify(image, remote.roi)
    assert local.embedding is not None
    # float32 both ways: what the server sent is what it computed, to the JSON's 6 digits.
    assert np.abs(np.asarray(remote.embedding) - local.embedding).max() < 1e-5
    assert remote.top[0][0] == local.top[0][0] == "espresso"


async def test_roi_as_query_parameter(serve: Serve) -> None:
    client = await serve()
    resp = await client.post(
        "/v1/mlwatch/classify?roi=0,0,0.5,0.5&embedding=1",
        data=snapshot("chelsea"),
        headers={"Content-Type": "image/jpeg"},
    )
    body = await resp.json()
    assert body["roi"] == [0, 0, 0.5, 0.5]
    assert len(body["embedding"]) == 1280


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "invalid_image"),
        (b"GIF89a not a frame we take", "invalid_image"),
        (b"\xff\xd8\xff\xe0 truncated", "invalid_image"),
        (snapshot("chelsea")[:600], "invalid_image"),  # the header survives, the pixels do not
    ],
)
async def test_garbage_bodies_are_400(serve: Serve, body: bytes, code: str) -> None:
    client = await serve()
    resp = await client.post("/v1/mlwatch/classify", data=body)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == code
    assert (await client.get("/health")).status == 200


async def test_bad_roi_and_missing_image_field_are_400(serve: Serve) -> None:
    client = await serve()
    resp = await client.post("/v1/mlwatch/classify?roi=0.9,0,0.5,1", data=snapshot("chelsea"))
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_roi"
    form = aiohttp.FormData()
    form.add_field("picture", snapshot("chelsea"), filename="x.jpg")
    resp = await client.post("/v1/mlwatch/classify", data=form)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "no_image"


async def test_detection_is_deepstack_shaped_and_refuses_a_classifier(serve: Serve) -> None:
    client = await serve()
    form = aiohttp.FormData()
    form.add_field("image", snapshot("chelsea"), filename="x.jpg")
    form.add_field("min_confidence", "0.4")
    resp = await client.post("/v1/vision/detection", data=form)
    assert resp.status == 400
    body = await resp.json()
    assert body["success"] is False
    assert "classifier" in body["error"]
    assert body["code"] == 400
    resp = await client.post("/v1/vision/detection", data=snapshot("chelsea"))
    assert resp.status == 400
    assert "multipart" in (await resp.json())["error"]


async def test_unknown_custom_model_is_404(serve: Serve) -> None:
    client = await serve()
    form = aiohttp.FormData()
    form.add_field("image", snapshot("chelsea"), filename="x.jpg")
    resp = await client.post("/v1/vision/custom/other", data=form)
    assert resp.status == 404
    assert "efficientnet_lite0_int8" in (await resp.json())["error"]


async def test_metrics_count_requests_rejections_and_inference(serve: Serve) -> None:
    client = await serve()
    for _ in range(3):
        await client.post("/v1/mlwatch/classify", data=snapshot("chelsea"))
    await client.post("/v1/mlwatch/classify", data=b"nope")
    metrics = await (await client.get("/metrics")).json()
    assert metrics["requests"]["/v1/mlwatch/classify"] == 4
    assert metrics["responses"]["200"] == 3
    assert metrics["responses"]["400"] == 1
    assert metrics["rejected"] == {"invalid_image": 1}
    assert metrics["inference"]["count"] == 3
    assert 0 < metrics["inference"]["ms_p50"] <= metrics["inference"]["ms_p95"]
    assert metrics["queue"]["depth"] == 0


async def test_each_request_logs_one_json_line(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    from mlwatch_server.observe import JsonFormatter

    client = await serve()
    with caplog.at_level("INFO", logger="mlwatch_server"):
        await client.post(
            "/v1/mlwatch/classify", data=snapshot("chelsea"), headers={"X-Request-Id": "abc123"}
        )
    (record,) = [r for r in caplog.records if r.name == "mlwatch_server"]
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "POST /v1/mlwatch/classify 200"
    assert line["request_id"] == "abc123"
    assert line["status"] == 200
    assert line["remote"] == "127.0.0.1"
    assert line["ms"] > 0
