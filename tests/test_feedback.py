"""Feedback actions and storage in HA: every error path, restarts, full disks, the frame view."""

from __future__ import annotations

import asyncio
import csv
import errno
import threading
import time
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch.const import (
    CONF_ASK_WHEN_UNSURE,
    CONF_ON_THRESHOLD,
    CONF_REVIEWS_PER_DAY,
    CONF_ROI,
    CONF_UNSURE_LOW,
    CONF_WATCHED,
    DOMAIN,
    EVENT_REVIEW_REQUESTED,
)
from custom_components.mlwatch.core import files as files_module
from custom_components.mlwatch.core.dataset import PendingItem, new_id
from custom_components.mlwatch.feedback import DATA_DATASET, async_get_dataset
from tests import FakeCamera, burst, camera_error, cat_detected, settle_answers, state, variants
from tests.const import CAMERA, CAT, EMPTY


async def detect(hass: HomeAssistant, entry: MockConfigEntry, fake_camera: FakeCamera) -> str:
    """Run a burst with a cat and return the detection id."""
    detection_id: str = (await cat_detected(hass, entry, fake_camera))["detection_id"]
    return detection_id


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_confirm_updates_sensors_and_precision(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    detection_id = await detect(hass, loaded, fake_camera)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_pending_reviews").state == "1"
    response = await call(hass, "confirm_detection", {"detection_id": detection_id})
    assert response == {
        "id": detection_id,
        "camera": CAMERA,
        "label": "cat",
        "verdict": "confirmed",
        "corrected_label": "",
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_confirmed_detections").state == "1"
    assert state(hass, "sensor.front_door_pending_reviews").state == "0"
    assert state(hass, "sensor.front_door_cat_precision").state == "100.0"
    # Wrong after all, and it was a dog: the second verdict replaces the first.
    response = await call(hass, "reject_detection", {"detection_id": detection_id, "label": "dog"})
    assert (response["verdict"], response["corrected_label"]) == ("rejected", "dog")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_rejected_detections").state == "1"
    assert state(hass, "sensor.front_door_confirmed_detections").state == "0"
    assert state(hass, "sensor.front_door_cat_precision").state == "0.0"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"detection_id": new_id()}, "unknown_detection"),
        ({"detection_id": "../../secrets"}, "unknown_detection"),
        ({"detection_id": "0" * 31 + "/"}, "unknown_detection"),
    ],
)
async def test_unknown_and_malformed_ids(
    hass: HomeAssistant, loaded: MockConfigEntry, data: dict[str, str], key: str
) -> None:
    for service in ("confirm_detection", "reject_detection"):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, data)
        assert err.value.translation_key == key


@pytest.mark.parametrize(
    "label", ["../x", "a/b", "..", "x" * 101, "line\nbreak", "\U0001f431" * 26]
)
async def test_labels_cannot_escape_the_dataset(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry, label: str
) -> None:
    detection_id = await detect(hass, loaded, fake_camera)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "reject_detection", {"detection_id": detection_id, "label": label})
    assert err.value.translation_key == "invalid_label"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "review_frame", {"camera": CAMERA, "label": label, "verdict": "confirmed"})
    assert err.value.translation_key == "invalid_label"
    store = await async_get_dataset(hass)
    assert store.rows() == []


async def test_review_frame_files_the_current_frame(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry, options: dict[str, Any]
) -> None:
    fake_camera.play(["coffee"])
    response = await call(
        hass, "review_frame", {"camera": CAMERA, "label": "guacamole", "verdict": "rejected"}
    )
    assert (response["label"], response["verdict"]) == ("guacamole", "rejected")
    store = await async_get_dataset(hass)
    (row,) = store.rows()
    assert row["source"] == "manual"
    assert "espresso" in row["scores"]
    fake_camera.play([camera_error()])
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "review_frame", {"camera": CAMERA, "label": "cat", "verdict": "confirmed"})
    assert err.value.translation_key == "capture_failed"


async def test_review_frame_keeps_the_region_crop(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry, options: dict[str, Any]
) -> None:
    hass.config_entries.async_update_entry(
        entry, options={**options, CONF_ROI: "0.5, 0.5, 0.5, 0.5"}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    response = await call(
        hass, "review_frame", {"camera": CAMERA, "label": "cat", "verdict": "confirmed"}
    )
    store = await async_get_dataset(hass)

    def sizes() -> tuple[int, int]:
        from PIL import Image

        with Image.open(store.images / f"{response['id']}_crop.jpg") as crop:
            width, height = crop.size
            return width, height

    assert await hass.async_add_executor_job(sizes) == (640, 360)  # a quarter of 1280x720
    await hass.config_entries.async_unload(entry.entry_id)


async def test_export_reads_back_and_stays_inside(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    detection_id = await detect(hass, loaded, fake_camera)
    await call(hass, "confirm_detection", {"detection_id": detection_id})
    await call(hass, "review_frame", {"camera": CAMERA, "label": "cat", "verdict": "rejected"})
    result = await call(hass, "export_dataset", {"config_entry_id": loaded.entry_id, "path": "v1"})
    root = Path(hass.config.path("mlwatch", "exports", "v1"))
    assert result == {
        "positives": 1,
        "negatives": 1,
        "items": 2,
        "skipped": 0,
        "path": str(root),
    }

    def read_back() -> list[dict[str, str]]:
        with (root / "manifest.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            assert (root / row["file"]).stat().st_size > 1000
        return rows

    rows = await hass.async_add_executor_job(read_back)
    assert {r["file"].split("/")[0] for r in rows} == {"positives", "negatives"}
    assert {r["model_sha256"] for r in rows} == {loaded.runtime_data.backend.info.embedding_space}
    default = await call(hass, "export_dataset", {})
    assert Path(default["path"]).parent == root.parent
    for bad in ("../outside", "/etc", ".hidden", "a/b", "x" * 65):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "export_dataset", {"path": bad})
        assert err.value.translation_key == "export_path"


async def test_pending_detections_survive_a_restart(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    detection_id = await detect(hass, loaded, fake_camera)
    await hass.config_entries.async_unload(loaded.entry_id)
    hass.data.pop(DATA_DATASET)  # as after a restart: the store is read again from disk
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_pending_reviews").state == "1"
    await call(hass, "confirm_detection", {"detection_id": detection_id})
    store = await async_get_dataset(hass)
    assert [r["id"] for r in store.rows()] == [detection_id]


async def test_hundred_concurrent_verdicts(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    store = await async_get_dataset(hass)
    items = [
        PendingItem(new_id(), CAMERA, "cat", "detection", {"cat": 0.9}, "0" * 64)
        for _ in range(100)
    ]

    def add() -> None:
        for it in items:
            store.add_pending(it, b"\xff\xd8frame", b"\xff\xd8crop")

    await hass.async_add_executor_job(add)
    services = ["confirm_detection", "reject_detection"]
    await asyncio.gather(
        *(call(hass, services[i % 2], {"detection_id": it.id}) for i, it in enumerate(items))
    )
    lines = await hass.async_add_executor_job(store.log.path.read_text)
    assert len(lines.splitlines()) == 100
    assert {r["id"] for r in store.rows()} == {it.id for it in items}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_rejected_detections").state == "50"


async def test_a_flood_of_answers_holds_one_worker_of_ha_s_executor_at_a_time(
    hass: HomeAssistant, loaded: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await async_get_dataset(hass)
    items = [
        PendingItem(new_id(), CAMERA, "cat", "detection", {"cat": 0.9}, "0" * 64) for _ in range(40)
    ]

    def add() -> None:
        for it in items:
            store.add_pending(it, b"\xff\xd8frame", b"\xff\xd8crop")

    await hass.async_add_executor_job(add)
    record, guard = store.record, threading.Lock()
    running, peak = 0, 0

    def counted(*args: Any) -> dict[str, str]:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.005)  # long enough for piled-up jobs to overlap
            return record(*args)
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(store, "record", counted)
    await asyncio.gather(
        *(call(hass, "confirm_detection", {"detection_id": it.id}) for it in items)
    )
    # Queued on the loop, not parked on the dataset's lock in 40 of HA's 64 shared workers.
    assert peak == 1
    assert len(store.rows()) == 40


async def test_full_disk_raises_a_repair_issue_not_a_crash(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    issue_registry: ir.IssueRegistry,
) -> None:
    real_write = files_module.os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files_module.os, "write", full)
    detection_id = await detect(hass, loaded, fake_camera)  # the detection still fires
    issue = issue_registry.async_get_issue(DOMAIN, "disk_full")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "review_frame", {"camera": CAMERA, "label": "cat", "verdict": "confirmed"})
    assert err.value.translation_key == "disk_full"
    assert hass.states.get("binary_sensor.front_door_cat") is not None
    monkeypatch.setattr(files_module.os, "write", real_write)
    await call(hass, "review_frame", {"camera": CAMERA, "label": "cat", "verdict": "confirmed"})
    assert issue_registry.async_get_issue(DOMAIN, "disk_full") is None
    with pytest.raises(ServiceValidationError):
        await call(hass, "confirm_detection", {"detection_id": detection_id})  # it was never kept


async def test_frame_view_serves_pending_frames_to_logged_in_clients(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    detection_id = await detect(hass, loaded, fake_camera)
    client = await hass_client()
    resp = await client.get(f"/api/mlwatch/frame/{detection_id}")
    assert resp.status == HTTPStatus.OK
    assert resp.content_type == "image/jpeg"
    frame = await resp.read()
    crop = await (await client.get(f"/api/mlwatch/frame/{detection_id}?crop=1")).read()
    assert frame[:2] == crop[:2] == b"\xff\xd8"
    assert (await client.get(f"/api/mlwatch/frame/{new_id()}")).status == HTTPStatus.NOT_FOUND
    assert (await client.get("/api/mlwatch/frame/secrets.yaml")).status == HTTPStatus.NOT_FOUND
    traversal = await client.get("/api/mlwatch/frame/..%2F..%2Fsecrets.yaml")
    assert traversal.status in (
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.NOT_FOUND,
    )  # HA's filter, or ours
    anonymous = await hass_client_no_auth()
    assert (
        await anonymous.get(f"/api/mlwatch/frame/{detection_id}")
    ).status == HTTPStatus.UNAUTHORIZED


async def _asking(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    options: dict[str, Any],
    watched: list[str],
    *,
    per_day: int,
) -> list[Event[dict[str, Any]]]:
    """Set up asking about the cat photo (its labels' scores lie in the grey zone); the asks."""
    unsure = {
        **options,
        CONF_WATCHED: watched,
        CONF_ON_THRESHOLD: 0.9,
        CONF_UNSURE_LOW: 0.05,
        CONF_ASK_WHEN_UNSURE: True,
        CONF_REVIEWS_PER_DAY: per_day,
    }
    hass.config_entries.async_update_entry(entry, options=unsure)
    assert await hass.config_entries.async_setup(entry.entry_id)
    requests: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_REVIEW_REQUESTED, requests.append)
    return requests


async def _bursts_of(
    hass: HomeAssistant, entry: MockConfigEntry, camera: FakeCamera, frame: str
) -> None:
    """Three bursts of the same frame."""
    camera.play([frame])
    for _ in range(3):
        await burst(hass, entry)


# Made at import, not on the event loop: decoding the sample photos is blocking I/O.
CAT_VARIANTS = variants(CAT, range(4))


async def test_review_budget_per_day(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
) -> None:
    requests = await _asking(hass, entry, options, ["Egyptian cat", "tabby"], per_day=2)
    for frame in CAT_VARIANTS[:3]:  # three bursts, each would ask about both labels
        fake_camera.play([frame])
        await burst(hass, entry)
    assert len(requests) == 2
    assert {r.data["label"] for r in requests} == {"Egyptian cat", "tabby"}
    first = requests[0].data
    assert first["image_url"].startswith(f"/api/mlwatch/frame/{first['review_id']}?")
    # A new day brings a new budget.
    freezer.tick(timedelta(days=1))
    fake_camera.play([CAT_VARIANTS[3]])
    await burst(hass, entry)
    assert len(requests) == 4
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_same_frame_is_asked_about_once_and_never_once_answered(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
) -> None:
    requests = await _asking(hass, entry, options, ["tabby"], per_day=9)
    await _bursts_of(hass, entry, fake_camera, CAT)  # the mat as it is, burst after burst
    (asked,) = requests  # asking again, unanswered, would teach nothing
    await call(hass, "reject_detection", {"detection_id": asked.data["review_id"]})
    await settle_answers(hass)
    # After a restart (the questions asked are forgotten) the answered frame is still known.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(days=1))
    await burst(hass, entry)
    assert len(requests) == 1
    fake_camera.play([CAT_VARIANTS[0]])  # another view of it is worth a question
    await burst(hass, entry)
    assert len(requests) == 2
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_base_label_is_not_asked_about_the_empty_mat_a_taught_one_would_be(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
) -> None:
    # Far below the grey zone the base model's score is informed: nothing to ask, burst on burst.
    requests = await _asking(hass, entry, options, ["tabby"], per_day=9)
    await _bursts_of(hass, entry, fake_camera, EMPTY)
    assert requests == []
    # A taught label's score there is a guess: with nothing answered, a frame is worth asking.
    learner = entry.runtime_data.learner
    vectors = [np.ones(8, np.float32), np.zeros(8, np.float32)]
    assert await learner.async_least_known("tabby", vectors, [], novel=True) is None
    assert await learner.async_least_known("Miso", vectors, [], novel=True) == 0
    assert await learner.async_least_known("tabby", vectors, [], novel=False) == 0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_bad_byte_in_the_old_manifest_stops_nothing(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The issue's reproduction: a verdict, then a row cut inside a multi-byte character.
    old = PendingItem(new_id(), CAMERA, "cat", "detection", {"cat": 0.9}, "0" * 64)
    manifest = Path(hass.config.path("mlwatch", "dataset", "manifest.csv"))
    content = (
        b"id,camera,label,verdict,corrected_label,source,scores,model_sha256,time\n"
        + f'{old.id},{CAMERA},cat,confirmed,,detection,"{{""cat"": 0.9}}",{"0" * 64},1\n'.encode()
        + f"{new_id()},{CAMERA},cat,rejected,".encode()
        + b"\xf0\x9f"
    )

    def write() -> None:
        manifest.parent.mkdir(parents=True)
        manifest.write_bytes(content)

    await hass.async_add_executor_job(write)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_confirmed_detections").state == "1"
    detection_id = await detect(hass, entry, fake_camera)  # the event fires
    await call(hass, "confirm_detection", {"detection_id": detection_id})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "sensor.front_door_confirmed_detections").state == "2"
    set_aside = [r for r in caplog.records if "Set aside 1 unreadable line" in r.getMessage()]
    assert len(set_aside) == 1
    corrupt = Path(hass.config.path("mlwatch", "dataset", "corrupt"))
    kept = await hass.async_add_executor_job(lambda: [p.read_bytes() for p in corrupt.iterdir()])
    assert kept == [content.rsplit(b"\n", 1)[1] + b"\n"]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_corrupt_pending_item_answers_typed(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    detection_id = await detect(hass, loaded, fake_camera)
    store = await async_get_dataset(hass)
    meta = store.pending_dir / detection_id / "meta.json"
    await hass.async_add_executor_job(meta.write_bytes, b'{"id": "cut sho')
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "confirm_detection", {"detection_id": detection_id})
    assert err.value.translation_key == "corrupt_item"
