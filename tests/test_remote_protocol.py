"""Servers that misbehave at the HTTP boundary: busy, not mlwatch, another model, nonsense."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from custom_components.mlwatch.const import CONF_CAMERA
from custom_components.mlwatch.remote import ServerResponseError
from devtools.photos import snapshot as jpeg_snapshot
from tests import FakeCamera, add_entry, burst, start, state, submit, unload
from tests.const import CAMERA, EMPTY, TOP

HEALTH = {
    "model": {"name": "mat.tflite", "sha256": "aa11", "kind": "classifier", "labels": 2},
    "label_names": ["cat", "mat"],
    "groups": [],
    "device": "cpu",
}
CAT = {
    "top": [{"label": "cat", "score": 0.9}, {"label": "mat", "score": 0.1}],
    "scores": {"cat": 0.9, "mat": 0.1},
    "groups": {},
    "detections": [],
    "frame": {"width": 1280, "height": 720},
    "roi": [0, 0, 1, 1],
    "timings": {"decode": 1, "preprocess": 1, "invoke": 1, "post": 1},
    "model": {"sha256": "aa11"},
}
# Scores that open no episode: a burst then ends with its last frame.
MAT = {**CAT, "top": [{"label": "mat", "score": 0.9}], "scores": {"mat": 0.9, "cat": 0.1}}


@dataclass
class Script:
    """What the stand-in server answers next: (status, JSON body, headers) per endpoint."""

    health: tuple[int, Any] = (200, HEALTH)
    classify: tuple[int, Any] = (200, CAT)
    detection: tuple[int, Any] = (200, {"success": True, "predictions": []})
    calls: list[str] = field(default_factory=list)


@pytest.fixture
async def fake(socket_enabled: None) -> AsyncGenerator[tuple[Script, str]]:
    """An HTTP server that says what the test scripts, on a loopback port."""
    script = Script()

    def answer(which: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            await request.read()
            script.calls.append(which)
            status, body = getattr(script, which)
            headers = {"Retry-After": "1"} if status == 503 else {}
            return web.json_response(body, status=status, headers=headers)

        return handler

    app = web.Application()
    app.router.add_get("/health", answer("health"))
    app.router.add_post("/v1/mlwatch/classify", answer("classify"))
    app.router.add_post("/v1/vision/detection", answer("detection"))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield script, f"http://127.0.0.1:{server.port}"
    await server.close()


async def test_not_an_mlwatch_server(
    hass: HomeAssistant, fake_camera: FakeCamera, fake: tuple[Script, str]
) -> None:
    script, url = fake
    script.health = (200, {"status": "ok"})
    flow = await start(hass, "server")
    flow = await submit(hass, flow, {CONF_CAMERA: CAMERA, "url": url})
    assert flow["errors"] == {"base": "server_error"}
    script.health = (200, HEALTH)
    script.classify = (200, {"top": "nonsense"})
    flow = await submit(hass, flow, {CONF_CAMERA: CAMERA, "url": url})
    assert flow["errors"] == {"base": "server_error"}
    script.classify = (500, {"error": {"message": "exploded"}})
    flow = await submit(hass, flow, {CONF_CAMERA: CAMERA, "url": url})
    assert flow["errors"] == {"base": "server_error"}
    assert "exploded" in flow["description_placeholders"]["error"]


async def test_a_busy_server_drops_frames_and_stays_available(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    fake: tuple[Script, str],
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    script, url = fake
    entry = await add_entry(hass, options, {CONF_CAMERA: CAMERA, "url": url})
    assert state(hass, TOP).state == "cat"
    coordinator = entry.runtime_data
    script.classify = (503, {"error": {"code": "queue_full", "message": "All busy"}})
    await burst(hass, entry)
    assert coordinator.frames_dropped == options["burst_size"]
    assert state(hass, TOP).state == "cat"  # still the last answer, not unavailable
    assert state(hass, "sensor.front_door_frames_dropped").state == str(options["burst_size"])
    assert "failed" not in caplog.text  # alive and busy is not an outage
    await unload(hass, entry)


async def test_another_model_is_reported_once_and_nonsense_is_an_outage(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    fake: tuple[Script, str],
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    script, url = fake
    entry = await add_entry(hass, options, {CONF_CAMERA: CAMERA, "url": url})
    script.classify = (200, {**MAT, "model": {"sha256": "bb22"}})
    await burst(hass, entry)
    assert caplog.text.count("runs a different model than the one set up (bb22)") == 1
    script.classify = (200, {**MAT, "frame": None})
    await burst(hass, entry)
    assert state(hass, TOP).state == STATE_UNAVAILABLE
    assert "sent an unreadable result" in caplog.text
    await unload(hass, entry)


async def test_an_embedding_from_another_space_is_not_learned_from(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    fake: tuple[Script, str],
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    script, url = fake
    vector = [0.5, 0.25, 0.0]
    # A server from before embedding recipes says no space: its embeddings are the model's.
    script.classify = (200, {**MAT, "embedding": vector})
    entry = await add_entry(hass, options, {CONF_CAMERA: CAMERA, "url": url})
    coordinator = entry.runtime_data
    assert coordinator.backend.info.embedding_space == "aa11"
    await burst(hass, entry)
    assert list(coordinator.last_result.embedding) == vector
    other = {"sha256": "aa11", "embedding_space": "cc33"}
    script.classify = (200, {**MAT, "embedding": vector, "model": other})
    await burst(hass, entry)
    await burst(hass, entry)
    assert coordinator.last_result.embedding is None
    assert coordinator.last_result.score("mat") == pytest.approx(0.9)  # the scores still count
    assert caplog.text.count("takes embeddings another way") == 1
    await unload(hass, entry)


async def test_deepstack_refusals(
    hass: HomeAssistant, fake_camera: FakeCamera, fake: tuple[Script, str], options: dict[str, Any]
) -> None:
    script, url = fake
    script.detection = (200, {"success": False, "error": "model not loaded"})
    flow = await start(hass, "deepstack")
    flow = await submit(hass, flow, {CONF_CAMERA: CAMERA, "url": url})
    assert flow["errors"] == {"base": "server_error"}
    assert flow["description_placeholders"]["error"] == "model not loaded"
    script.detection = (200, {"success": True, "predictions": []})
    entry = await add_entry(
        hass, options, {"backend": "deepstack", CONF_CAMERA: CAMERA, "url": url}
    )
    assert entry.state is ConfigEntryState.LOADED
    assert "health" not in script.calls  # DeepStack has no health endpoint: the frame is the test
    backend = entry.runtime_data.backend
    with pytest.raises(Exception, match="Not an image"):
        await backend.classify(b"definitely not a jpeg")
    # A prediction without its box is the server's fault, said as such, not a crash.
    script.detection = (200, {"success": True, "predictions": [{"label": "cat"}]})
    with pytest.raises(ServerResponseError, match="Unreadable predictions"):
        await backend.classify(jpeg_snapshot(EMPTY, (640, 360)))
    await unload(hass, entry)
