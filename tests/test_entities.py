"""Entities as a dashboard shows them: registry entries and states, snapshotted as HA core does."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.mlwatch.const import CONF_SCAN_INTERVAL, DOMAIN
from tests import SCAN_EVERY, FakeCamera, scan, state
from tests.const import CAT, EMPTY

VOLATILE = props("access_token", "entity_picture", "detection_id")


@pytest.fixture
def options(options: dict[str, Any]) -> dict[str, Any]:
    """A periodic scan, so that a test takes its frames one by one by moving the clock."""
    return {**options, CONF_SCAN_INTERVAL: SCAN_EVERY.total_seconds()}


# The freezer first: freezegun re-patches clocks it saw before, so steady_clock must come after.
@pytest.mark.usefixtures("freezer", "steady_clock", "entity_registry_enabled_by_default")
async def test_entities_after_a_detection(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    fake_camera.play([CAT])
    # Frame by frame rather than a timed burst, so the counters in the snapshot are exact.
    await scan(hass, freezer, frames=2)
    assert loaded.runtime_data.data.open_episodes
    (device,) = dr.async_entries_for_config_entry(device_registry, loaded.entry_id)
    assert device.identifiers == {(DOMAIN, loaded.entry_id)}
    assert device == snapshot(
        name="device",
        exclude=props(
            "id",
            "config_entries",
            "created_at",
            "modified_at",
            "primary_config_entry",
            "config_entries_subentries",
        ),
    )
    entries = er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
    assert len(entries) == 14  # incl. the watched label's personal model
    assert {e.entity_id for e in entries if e.disabled_by} == set()
    for entry in sorted(entries, key=lambda e: e.entity_id):
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        current = state(hass, entry.entity_id)
        if entry.domain in ("event", "image"):  # their state is a timestamp
            assert current.state != "unknown"
            assert current.attributes == snapshot(
                name=f"{entry.entity_id}-attributes", exclude=VOLATILE
            )
        else:
            assert current == snapshot(name=f"{entry.entity_id}-state", exclude=VOLATILE)


async def test_per_frame_diagnostics_are_disabled_by_default(
    hass: HomeAssistant, loaded: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    disabled = {
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, loaded.entry_id)
        if e.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == {"sensor.front_door_inference_time", "sensor.front_door_frames_processed"}


async def test_image_entity_serves_the_annotated_best_frame(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    freezer: FrozenDateTimeFactory,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    client = await hass_client()
    resp = await client.get("/api/image_proxy/image.front_door_last_detection")
    assert resp.status != HTTPStatus.OK  # nothing detected yet: HA has no image to serve
    fake_camera.play([CAT, CAT, EMPTY])
    await scan(hass, freezer, frames=2)
    detection = loaded.runtime_data.data.last_detection
    assert detection is not None
    resp = await client.get("/api/image_proxy/image.front_door_last_detection")
    assert resp.status == HTTPStatus.OK
    assert resp.content_type == "image/jpeg"
    body = await resp.read()
    assert body[:2] == b"\xff\xd8"
    assert body != detection.event.best_frame.image  # drawn on, re-encoded


def _draw(image: bytes, roi: Any, detections: Any) -> Any:
    from custom_components.mlwatch.annotate import annotate

    return annotate(image, roi, detections)


async def test_annotation_draws_region_and_boxes(hass: HomeAssistant) -> None:
    import io

    from PIL import Image

    from custom_components.mlwatch.core.postprocess import Detection
    from custom_components.mlwatch.core.result import Roi

    def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
        value = image.getpixel(xy)
        assert isinstance(value, tuple)
        return tuple(int(v) for v in value)

    def render() -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        plain = io.BytesIO()
        Image.new("RGB", (1600, 800), (0, 0, 0)).save(plain, format="PNG")
        box = Detection("cat", 0.9, (0.5, 0.0, 0.75, 0.5))
        drawn = _draw(plain.getvalue(), Roi(0.5, 0.0, 0.5, 1.0), [box])
        with Image.open(io.BytesIO(drawn)) as out:
            rgb = out.convert("RGB")
            return pixel(rgb, (1597, 600)), pixel(rgb, (1198, 200)), pixel(rgb, (400, 400))

    roi_edge, box_edge, outside = await hass.async_add_executor_job(render)
    assert roi_edge[0] > 200  # yellow frame of the region
    assert roi_edge[1] > 150
    assert box_edge[0] > 200  # red box, placed in the frame's coordinates
    assert box_edge[1] < 100
    assert max(outside) < 30
