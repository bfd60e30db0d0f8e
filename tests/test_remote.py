"""mlwatch on an mlwatch server: the flows, detections and feedback, outages, fallback, reauth."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch.const import (
    CONF_BURST_SIZE,
    CONF_WATCHED,
    DATASET_DIR,
    DOMAIN,
    EVENT_DETECTION,
)
from custom_components.mlwatch.core import embedding
from custom_components.mlwatch.remote import RETRY_PRIMARY_AFTER
from devtools.net import free_port
from devtools.server import ServerProcess
from tests import (
    FakeCamera,
    add_entry,
    burst,
    camera_error,
    counting_reloads,
    server_data,
    settle_answers,
    start,
    start_burst,
    state,
    step_until,
    submit,
    unload,
    usage_reports,
    variants,
)
from tests.const import CAT, EMPTY, TOP, USER


@pytest.fixture
async def server(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[ServerProcess]:
    """A real mlwatch server with an API key."""
    proc = ServerProcess(tmp_path / "server.log")
    await proc.start()
    yield proc
    await proc.kill()


async def test_server_flow_then_the_same_detections_and_feedback(
    hass: HomeAssistant, fake_camera: FakeCamera, server: ServerProcess
) -> None:
    flow = await start(hass, "server")
    assert flow["step_id"] == "server"
    result = await submit(hass, flow, server_data(server))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"] == {**server_data(server), "backend": "server"}
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    info = entry.runtime_data.backend.info
    assert (info.kind, len(info.labels), info.device) == (
        "classifier+embedding",
        1000,
        "cpu (server)",
    )
    assert state(hass, TOP).state == "espresso"  # the empty mat, classified on the server

    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    fake_camera.play([CAT, CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, entry)
    (detected,) = events
    assert detected.data["label"] == "cat"
    assert detected.data["confidence"] > 0.9
    await hass.services.async_call(
        DOMAIN, "confirm_detection", {"detection_id": detected.data["detection_id"]}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_confirmed_detections").state == "1"
    metrics = await server.metrics()
    assert metrics["inference"]["count"] >= 8  # type: ignore[index]
    await unload(hass, entry)


async def test_diagnostics_redact_the_key(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    entry = await add_entry(hass, options, server_data(server))
    data = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert data["entry"]["data"]["api_key"] == "**REDACTED**"
    assert data["entry"]["data"]["url"] == server.url
    assert data["model"]["device"] == "cpu (server)"
    assert data["model"]["name"] == f"efficientnet_lite0_int8.tflite @ {server.url}"
    await unload(hass, entry)


async def test_server_flow_errors_then_success(
    hass: HomeAssistant, fake_camera: FakeCamera, server: ServerProcess
) -> None:
    flow = await start(hass, "server")
    cases = [
        (server_data(server, api_key="wrong"), {"base": "invalid_auth"}),
        (server_data(server, api_key=""), {"base": "invalid_auth"}),
        (server_data(server, url=f"http://127.0.0.1:{free_port()}"), {"base": "cannot_connect"}),
        (server_data(server, url="ftp://nas"), {"url": "invalid_url"}),
        (server_data(server, fallback_url="nas:8780"), {"fallback_url": "invalid_url"}),
    ]
    for data, errors in cases:
        flow = await submit(hass, flow, data)
        assert (flow["type"], flow["step_id"], flow["errors"]) == (
            FlowResultType.FORM,
            "server",
            errors,
        ), data
    fake_camera.play([camera_error()])
    flow = await submit(hass, flow, server_data(server))
    assert flow["errors"] == {"base": "cannot_read_camera"}
    fake_camera.play([EMPTY])
    result = await submit(hass, flow, server_data(server))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await unload(hass, result["result"])


async def test_deepstack_flow_refuses_a_classifier_server(
    hass: HomeAssistant, fake_camera: FakeCamera, server: ServerProcess
) -> None:
    flow = await start(hass, "deepstack")
    assert flow["step_id"] == "deepstack"
    flow = await submit(hass, flow, server_data(server))
    assert flow["errors"] == {"base": "server_error"}
    assert "classifier" in flow["description_placeholders"]["error"]
    flow = await submit(hass, flow, server_data(server, api_key="wrong"))
    assert flow["errors"] == {"base": "invalid_auth"}


async def test_two_cameras_share_one_server(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.states.async_set("camera.garden", "idle", {"friendly_name": "Garden"})
    front = await add_entry(hass, options, server_data(server))
    garden = MockConfigEntry(
        domain=DOMAIN,
        title="Garden",
        unique_id="camera.garden",
        data={"backend": "server", **server_data(server, camera="camera.garden")},
        options=options,
    )
    garden.add_to_hass(hass)
    assert await hass.config_entries.async_setup(garden.entry_id)
    await hass.async_block_till_done()
    await burst(hass, front, garden)  # both at once
    assert state(hass, "sensor.garden_top_label").state == "espresso"
    assert state(hass, TOP).state == "espresso"
    assert "failed" not in caplog.text
    metrics = await server.metrics()
    frames = 2 + 2 * options[CONF_BURST_SIZE]  # two first refreshes, two bursts
    # A burst frame due while the last is still at the server is dropped, not queued: on a
    # slow run one was (13 served of 14). Served or dropped, every frame was handled.
    dropped = sum(e.runtime_data.data.frames_dropped for e in (front, garden))
    served: int = metrics["inference"]["count"]  # type: ignore[index]
    assert served + dropped >= frames
    await unload(hass, front)
    await unload(hass, garden)


async def test_server_killed_mid_burst_then_back(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await add_entry(hass, {**options, CONF_BURST_SIZE: 200}, server_data(server))
    c = entry.runtime_data
    await start_burst(hass, entry)
    await step_until(hass, entry, lambda: c.data.frames_processed >= 4)
    await server.kill()
    await step_until(hass, entry, lambda: state(hass, TOP).state == STATE_UNAVAILABLE)
    assert state(hass, "binary_sensor.front_door_cat").state == STATE_UNAVAILABLE
    await server.start()
    await step_until(hass, entry, lambda: state(hass, TOP).state == "espresso")
    assert c.bursting  # the same burst went on through the outage
    assert caplog.text.count("Cannot classify the snapshot from camera.front_door") == 1
    assert "classified again" in caplog.text
    await unload(hass, entry)


async def test_fallback_server_takes_over_and_the_primary_gets_its_frames_back(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
    tmp_path: Path,
) -> None:
    fallback = ServerProcess(tmp_path / "fallback.log")
    await fallback.start()
    try:
        entry = await add_entry(
            hass, {**options, CONF_BURST_SIZE: 5}, server_data(server, fallback_url=fallback.url)
        )
        await server.kill()
        # The backend's own clock, moved by hand: the loop's and the servers' stay real.
        now = [1000.0]
        clock = SimpleNamespace(monotonic=lambda: now[0], perf_counter=time.perf_counter)
        with patch("custom_components.mlwatch.remote.time", clock):
            await burst(hass, entry)
            assert state(hass, TOP).state == "espresso"  # never unavailable: the fallback answered
            served = (await fallback.metrics())["inference"]["count"]  # type: ignore[index]
            # Every frame went to the fallback, or was dropped while the one before was slow.
            assert served + entry.runtime_data.frames_dropped >= 5
            assert served >= 1
            await server.start()
            now[0] += RETRY_PRIMARY_AFTER + 1  # the primary is due again
            await burst(hass, entry)
            await burst(hass, entry)
        primary = (await server.metrics())["inference"]["count"]  # type: ignore[index]
        assert primary >= 5
        await unload(hass, entry)
    finally:
        await fallback.kill()


async def test_changed_key_asks_for_reauth_and_the_new_key_reloads(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await add_entry(hass, options, server_data(server))
    assert entry.state is ConfigEntryState.LOADED
    await server.kill()
    server.api_key = "rotated-key-4567"
    await server.start()
    await burst(hass, entry)
    assert state(hass, TOP).state == STATE_UNAVAILABLE
    (flow,) = entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    assert flow["step_id"] == "reauth_confirm"
    result = await submit(hass, flow, {"api_key": "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    with counting_reloads(hass) as reload:
        result = await submit(hass, flow, {"api_key": "rotated-key-4567"})
        assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
        await hass.async_block_till_done()
    assert usage_reports(caplog) == []
    assert reload.await_count == 1
    assert entry.data["api_key"] == "rotated-key-4567"
    assert entry.state is ConfigEntryState.LOADED
    assert state(hass, TOP).state == "espresso"
    await unload(hass, entry)


async def test_setup_waits_for_a_server_that_is_down_and_refuses_a_wrong_key(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
) -> None:
    down = await add_entry(
        hass, options, server_data(server, url=f"http://127.0.0.1:{free_port()}")
    )
    assert down.state is ConfigEntryState.SETUP_RETRY
    await hass.config_entries.async_remove(down.entry_id)
    refused = await add_entry(hass, options, server_data(server, api_key="wrong"))
    assert refused.state is ConfigEntryState.SETUP_ERROR
    assert refused.async_get_active_flows(hass, {SOURCE_REAUTH})


# Made at import, not on the event loop: decoding the sample photos is blocking I/O.
MISO_YES = variants("chelsea", range(4))
MISO_NO = [variants(name, [seed])[0] for seed, name in enumerate(("coffee", "astronaut") * 2)]
HELD_OUT = variants("chelsea", range(10, 13)) + variants("coffee", range(10, 16))


async def _miso_scores(hass: HomeAssistant, fake_camera: FakeCamera, entry: Any) -> list[float]:
    """The personal scores a burst over the held-out frames gets for the taught label."""
    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    fake_camera.play(HELD_OUT)
    await burst(hass, entry)
    return [e.data["personal_score"] for e in events if e.data["label"] == "Miso"]


async def test_answers_through_the_server_teach_as_in_process(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    server: ServerProcess,
    options: dict[str, Any],
    freezer: FrozenDateTimeFactory,  # after the server: its start waits on the loop's clock
) -> None:
    del freezer  # retrains run when settle_answers moves HA's clock
    watched = {**options, CONF_WATCHED: ["cat", "Miso"]}
    remote = await add_entry(hass, watched, server_data(server))
    for frames, verdict in ((MISO_YES, "confirmed"), (MISO_NO, "rejected")):
        for frame in frames:
            fake_camera.play([frame])
            await hass.services.async_call(
                DOMAIN,
                "teach",
                {"config_entry_id": remote.entry_id, "label": "Miso", "verdict": verdict},
                blocking=True,
            )
    await settle_answers(hass)
    taught = remote.runtime_data.data.learning["Miso"]
    assert (taught.state, taught.positives, taught.negatives) == ("active", 4, 4)
    through_server = await _miso_scores(hass, fake_camera, remote)
    await unload(hass, remote)
    await hass.config_entries.async_remove(remote.entry_id)
    # The relit copies the server embedded, then the same made again in process.
    images = Path(hass.config.path(DATASET_DIR, "dataset", "images"))
    copies = await hass.async_add_executor_job(_take_copies, images)
    assert len(copies) == 8
    # In process, from the same answers (their embeddings came from the server).
    local = await add_entry(hass, watched, {"backend": "local", **USER})
    retrained = await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": local.entry_id}, blocking=True, return_response=True
    )
    assert retrained is not None
    mine = retrained["Miso"]
    assert isinstance(mine, dict)
    assert (mine["state"], mine["personal_f1"]) == ("active", taught.personal_f1)
    in_process = await _miso_scores(hass, fake_camera, local)
    assert len(through_server) == len(in_process) == 1
    assert in_process[0] == pytest.approx(through_server[0], abs=0.01)
    again = await hass.async_add_executor_job(_take_copies, images)
    assert again.keys() == copies.keys()
    for name, (vectors, space) in copies.items():
        assert again[name][1] == space
        assert np.allclose(again[name][0], vectors, atol=0.02 * float(np.abs(vectors).max()))
    await unload(hass, local)


def _take_copies(images: Path) -> dict[str, tuple[Any, str]]:
    """Every answer's relit copies as kept (their embeddings, their space), then removed."""
    out = {}
    for path in images.glob("*.var"):
        vectors, space = embedding.unpack_all(path.read_bytes())
        out[path.name] = (np.asarray(vectors), space)
        path.unlink()
    return out
