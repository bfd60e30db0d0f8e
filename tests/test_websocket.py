"""The dashboard's websocket commands: the questions, answering them, learning, live changes."""

from __future__ import annotations

import asyncio
import time
from http import HTTPStatus

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.mlwatch.core.history import Record
from custom_components.mlwatch.feedback import async_get_dataset
from tests import FakeCamera, cat_detected, settle_answers
from tests.const import CAMERA


async def test_a_question_is_listed_answered_with_the_real_label_and_leaves_the_list(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    detected = await cat_detected(hass, loaded, fake_camera)
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": "mlwatch/pending", "camera": CAMERA})
    reply = await ws.receive_json()
    assert reply["success"]
    (item,) = reply["result"]["items"]
    assert (item["id"], item["camera"], item["label"], item["source"]) == (
        detected["detection_id"],
        CAMERA,
        "cat",
        "detection",
    )
    assert item["score"] > 0.6
    assert (item["decided_by"], item["personal_score"]) == ("base", None)  # nothing learned yet
    assert item["scores"]["cat"] == item["score"]
    phone = await hass_client_no_auth()
    for url in (item["image_url"], item["crop_url"]):  # the card shows them with no header
        assert (await phone.get(url)).status == HTTPStatus.OK

    await ws.send_json_auto_id(
        {"type": "mlwatch/answer", "item_id": item["id"], "verdict": "rejected", "label": "Miso"}
    )
    reply = await ws.receive_json()
    assert reply["success"]
    assert reply["result"]["corrected_label"] == "Miso"
    store = await async_get_dataset(hass)
    (row,) = store.rows(CAMERA)
    assert (row["verdict"], row["corrected_label"]) == ("rejected", "Miso")
    await ws.send_json_auto_id({"type": "mlwatch/pending"})
    assert (await ws.receive_json())["result"]["items"] == []

    await settle_answers(hass)  # the retrain after the answer
    await ws.send_json_auto_id({"type": "mlwatch/learning"})
    cameras = (await ws.receive_json())["result"]["cameras"]
    miso = cameras[CAMERA]["labels"]["Miso"]
    assert (miso["positives"], miso["state"]) == (1, "learning")
    assert cameras[CAMERA]["available"] is True
    # What the card's "something else" picker offers, and the heat map's hot colour starts at.
    assert {"cat", "Egyptian cat", "Miso"} <= set(cameras[CAMERA]["known"])
    assert cameras[CAMERA]["watched"] == list(cameras[CAMERA]["thresholds"]) == ["cat"]


async def test_an_unknown_question_is_a_translated_error(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {"type": "mlwatch/answer", "item_id": "0" * 32, "verdict": "confirmed"}
    )
    reply = await ws.receive_json()
    assert not reply["success"]
    assert reply["error"]["translation_key"] == "unknown_detection"
    await ws.send_json_auto_id({"type": "mlwatch/answer", "item_id": "0" * 32, "verdict": "maybe"})
    assert (await ws.receive_json())["error"]["code"] == "invalid_format"


async def test_subscribers_hear_of_detections_and_answers_until_they_unsubscribe(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await settle_answers(hass)  # the retrain every start runs
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": "mlwatch/subscribe"})
    subscribed = await ws.receive_json()
    assert subscribed["success"]
    detected = await cat_detected(hass, loaded, fake_camera)
    async with asyncio.timeout(5):
        heard = [(await ws.receive_json())["event"] for _ in range(2)]
    # The detection, and its frame kept for a verdict.
    assert heard == [
        {"reason": "dataset", "camera": None},
        {"reason": "detection", "camera": CAMERA},
    ]
    await hass.services.async_call(
        "mlwatch", "confirm_detection", {"detection_id": detected["detection_id"]}, blocking=True
    )
    async with asyncio.timeout(5):
        assert (await ws.receive_json())["event"]["reason"] == "dataset"
    await settle_answers(hass)  # the retrain the answer started: the card's learning table
    async with asyncio.timeout(5):
        heard = [(await ws.receive_json())["event"] for _ in range(1)]
    assert heard == [{"reason": "learning", "camera": CAMERA}]
    await ws.send_json_auto_id({"type": "unsubscribe_events", "subscription": subscribed["id"]})
    assert (await ws.receive_json())["success"]


async def test_the_heat_map_has_a_hot_cell_and_the_tag_cloud_the_label_after_a_burst(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await cat_detected(hass, loaded, fake_camera)
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {"type": "mlwatch/timeline", "camera": CAMERA, "hours": 24, "bucket_minutes": 10}
    )
    result = (await ws.receive_json())["result"]
    cat = result["labels"]["cat"]
    assert len(cat) == len(result["frames"]) == 144
    hot = max(range(144), key=lambda i: cat[i] or 0)
    assert hot == 143  # the burst was just now
    assert cat[hot] > 0.9
    assert sum(v is not None for v in cat) == 1
    assert result["frames"][hot] == 6
    assert result["episodes"]["cat"] == [hot]
    await ws.send_json_auto_id({"type": "mlwatch/tags", "camera": CAMERA, "hours": 24})
    tags = (await ws.receive_json())["result"]["tags"]
    assert {t["label"] for t in tags} >= {"Egyptian cat"}
    assert sum(t["count"] for t in tags) == 6
    start = result["start"] + hot * result["bucket"]
    await ws.send_json_auto_id(
        {"type": "mlwatch/frames", "camera": CAMERA, "start": start, "end": start + 600}
    )
    frames = (await ws.receive_json())["result"]["frames"]
    assert len(frames) == 6  # the burst's frames, not its episode mark
    assert [f["time"] for f in frames] == sorted((f["time"] for f in frames), reverse=True)
    assert max(f["scores"]["cat"] for f in frames) == cat[hot]
    assert "Egyptian cat" in {f["top"][0] for f in frames}
    await ws.send_json_auto_id(
        {"type": "mlwatch/frames", "camera": CAMERA, "start": start, "end": start + 600, "limit": 2}
    )
    assert len((await ws.receive_json())["result"]["frames"]) == 2
    await ws.send_json_auto_id({"type": "mlwatch/tags", "camera": "camera.nowhere"})
    reply = await ws.receive_json()
    assert reply["error"]["translation_key"] == "entry_not_found"


async def test_the_tags_read_after_another_request_s_write_has_finished(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The card asks for the heat map and the tags at once; a slow disk must not hide the
    # burst from the request that found the buffer already taken by the other one.
    store = loaded.runtime_data.history.store
    write = store.append

    def slow_append(records: list[Record]) -> None:
        time.sleep(0.3)
        write(records)

    monkeypatch.setattr(store, "append", slow_append)
    await cat_detected(hass, loaded, fake_camera)
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {"type": "mlwatch/timeline", "camera": CAMERA, "hours": 24, "bucket_minutes": 10}
    )
    await ws.send_json_auto_id({"type": "mlwatch/tags", "camera": CAMERA, "hours": 24})
    replies = [await ws.receive_json(), await ws.receive_json()]
    (tags,) = [r["result"]["tags"] for r in replies if "tags" in r["result"]]
    assert sum(t["count"] for t in tags) == 6
