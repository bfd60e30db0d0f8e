"""The `mlwatch.classify` and `mlwatch.scan` actions: responses and every error."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import DOMAIN, SERVICE_CLASSIFY, SERVICE_SCAN
from tests import FakeCamera, camera_error, run_bursts
from tests.const import CAMERA, CAT


@pytest.mark.usefixtures("steady_clock")
@pytest.mark.parametrize("target", ["camera", "config_entry_id"])
async def test_classify_returns_what_the_camera_sees_now(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry, target: str
) -> None:
    fake_camera.play([CAT])
    coordinator = loaded.runtime_data
    processed = coordinator.data.frames_processed
    data = {"camera": CAMERA} if target == "camera" else {"config_entry_id": loaded.entry_id}
    response = await hass.services.async_call(
        DOMAIN, SERVICE_CLASSIFY, data, blocking=True, return_response=True
    )
    assert response is not None
    assert response["camera"] == CAMERA
    assert response["config_entry_id"] == loaded.entry_id
    labels = response["labels"]
    assert isinstance(labels, list)
    assert labels[0] == {"label": "Egyptian cat", "score": pytest.approx(0.766, abs=0.02)}
    assert len(labels) == 5
    groups = response["groups"]
    assert isinstance(groups, dict)
    assert groups["cat"] == pytest.approx(0.95, abs=0.03)
    assert response["watched"] == {"cat": groups["cat"]}
    assert response["detections"] == []
    assert response["timings_ms"] == {
        "decode": 1.0,
        "preprocess": 1.0,
        "invoke": 1.0,
        "post": 1.0,
        "total": 4.0,
    }
    assert response["frame_size"] == [1280, 720]
    # A look, not a vote: the debouncer and the counters did not see it.
    assert coordinator.data.frames_processed == processed
    assert coordinator.data.open_episodes == {}


async def test_scan_starts_a_burst(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    coordinator = loaded.runtime_data
    processed = coordinator.data.frames_processed
    await hass.services.async_call(DOMAIN, SERVICE_SCAN, {"camera": CAMERA}, blocking=True)
    assert coordinator.bursting
    await run_bursts(hass, loaded)
    assert not coordinator.bursting
    assert coordinator.data.frames_processed == processed + 6  # the burst's size


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "no_target"),
        ({"camera": "camera.unknown"}, "entry_not_found"),
        ({"config_entry_id": "nope"}, "entry_not_found"),
    ],
)
async def test_unknown_targets_are_validation_errors(
    hass: HomeAssistant, loaded: MockConfigEntry, data: dict[str, str], key: str
) -> None:
    for service in (SERVICE_CLASSIFY, SERVICE_SCAN):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, service, data, blocking=True, return_response=service == SERVICE_CLASSIFY
            )
        assert err.value.translation_key == key


async def test_an_entry_of_another_integration_is_not_ours(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, SERVICE_SCAN, {"config_entry_id": other.entry_id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"


async def test_both_targets_at_once_is_refused(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    with pytest.raises(Exception, match="two or more values in the same group of exclusion"):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SCAN,
            {"camera": CAMERA, "config_entry_id": loaded.entry_id},
            blocking=True,
        )


async def test_unloaded_entry(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    await hass.config_entries.async_unload(loaded.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, SERVICE_CLASSIFY, {"camera": CAMERA}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "entry_not_loaded"


async def test_classify_with_the_camera_down(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    fake_camera.play([camera_error("Connection refused")])
    with pytest.raises(HomeAssistantError, match="Connection refused") as err:
        await hass.services.async_call(
            DOMAIN, SERVICE_CLASSIFY, {"camera": CAMERA}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "classify_failed"
