"""A camera that stores its frames turned (EXIF orientation 6): HA keeps and draws them upright."""

from __future__ import annotations

import io
from collections.abc import Generator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import FormData
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.camera import Image as CameraImage
from homeassistant.core import HomeAssistant
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.mlwatch.const import (
    BACKEND_DEEPSTACK,
    CONF_BACKEND,
    CONF_ROI,
    CONF_SCAN_INTERVAL,
    CONF_URL,
)
from custom_components.mlwatch.core.engine import Classifier, Settings
from custom_components.mlwatch.core.result import Roi
from custom_components.mlwatch.feedback import async_get_dataset
from custom_components.mlwatch.remote import DeepStackBackend
from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.photos import photo, tagged
from tests import SCAN_EVERY, scan
from tests.const import CAMERA

CAT_CORNER = "0.5, 0.5, 0.5, 0.5"


def turned_frame() -> bytes:
    """Coffee with the cat bottom-right when upright (1280x720), stored turned as 720x1280."""
    upright = Image.fromarray(photo("coffee")).resize((1280, 720))
    upright.paste(Image.fromarray(photo("chelsea")).resize((640, 360)), (640, 360))
    return tagged(upright, 6)


def size_and_cat(data: bytes | Path) -> tuple[tuple[int, int], float]:
    """Stored pixel size (EXIF ignored, as training tools often do) and the model's cat score."""
    data = data.read_bytes() if isinstance(data, Path) else data
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
    classifier = Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))
    return size, classifier.classify(data).score("cat")


@pytest.fixture
def turned_camera(hass: HomeAssistant) -> Generator[bytes]:
    """The camera entity, serving the turned frame every time."""
    frame = turned_frame()
    hass.states.async_set(CAMERA, "idle", {"friendly_name": "Front door"})

    async def get_image(*_: Any, **__: Any) -> CameraImage:
        return CameraImage("image/jpeg", frame)

    with patch("homeassistant.components.camera.async_get_image", get_image):
        yield frame


async def test_review_keeps_the_upright_region_the_model_saw(
    hass: HomeAssistant, turned_camera: bytes, entry: MockConfigEntry, options: dict[str, Any]
) -> None:
    hass.config_entries.async_update_entry(entry, options={**options, CONF_ROI: CAT_CORNER})
    assert await hass.config_entries.async_setup(entry.entry_id)
    response = await hass.services.async_call(
        "mlwatch",
        "review_frame",
        {"camera": CAMERA, "label": "cat", "verdict": "confirmed"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    store = await async_get_dataset(hass)
    crop = await hass.async_add_executor_job(
        (store.images / f"{response['id']}_crop.jpg").read_bytes
    )
    size, cat = await hass.async_add_executor_job(size_and_cat, crop)
    assert size == (640, 360)  # the upright quarter, not a quarter of the stored 720x1280
    assert cat >= 0.8
    await hass.config_entries.async_unload(entry.entry_id)


async def test_detection_image_and_pending_crop_are_upright(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    turned_camera: bytes,
    entry: MockConfigEntry,
    options: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    # Frames on a periodic scan, so the episode's frames and their keeping end before the checks.
    hass.config_entries.async_update_entry(
        entry,
        options={
            **options,
            CONF_ROI: CAT_CORNER,
            CONF_SCAN_INTERVAL: SCAN_EVERY.total_seconds(),
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await scan(hass, freezer, frames=2)
    detection = entry.runtime_data.data.last_detection
    assert detection is not None
    assert detection.event.best_frame.result.frame_size == (1280, 720)
    client = await hass_client()
    resp = await client.get("/api/image_proxy/image.front_door_last_detection")
    assert resp.status == HTTPStatus.OK
    drawn = await resp.read()
    size, _ = await hass.async_add_executor_job(size_and_cat, drawn)
    assert size == (1280, 720)
    # The frame kept for a verdict later: its crop is the region the model saw.
    store = await async_get_dataset(hass)
    assert await hass.async_add_executor_job(store.unreviewed, CAMERA)
    path = await hass.async_add_executor_job(store.frame_path, detection.event.detection_id, "crop")
    size, cat = await hass.async_add_executor_job(size_and_cat, path)
    assert size == (640, 360)
    assert cat >= 0.8
    await hass.config_entries.async_unload(entry.entry_id)


async def test_deepstack_gets_the_frame_upright_and_boxes_are_in_its_pixels(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    frame = await hass.async_add_executor_job(turned_frame)
    sent: list[bytes] = []

    async def detect(method: str, url: URL, data: FormData) -> AiohttpClientMockResponse:
        sent.extend(v for _, _, v in data._fields if isinstance(v, bytes))
        # A box around the cat, in pixels of the frame the server got.
        cat = {"label": "cat", "confidence": 0.9, "x_min": 700, "y_min": 400}
        body = {"success": True, "predictions": [{**cat, "x_max": 1260, "y_max": 700}]}
        return AiohttpClientMockResponse(method, url, json=body)

    aioclient_mock.post("http://deepstack.local/v1/vision/detection", side_effect=detect)
    backend = DeepStackBackend(
        hass, {CONF_URL: "http://deepstack.local", CONF_BACKEND: BACKEND_DEEPSTACK}
    )
    result = await backend.classify(frame, Roi(0.5, 0.5, 0.5, 0.5))
    assert result.frame_size == (1280, 720)
    (image,) = sent
    size, _ = await hass.async_add_executor_job(size_and_cat, image)
    assert size == (1280, 720)  # upright pixels, whatever the server does with EXIF
    (cat,) = result.detections
    assert cat.box == pytest.approx((700 / 1280, 400 / 720, 1260 / 1280, 700 / 720))
