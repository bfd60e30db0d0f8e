"""Config, options and reconfigure flows, as the UI drives them: every error, then recovery."""

from __future__ import annotations

import contextlib
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.requirements import RequirementsNotFound
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import (
    CONF_CAMERA,
    CONF_DEVICE,
    CONF_K,
    CONF_LABELS_PATH,
    CONF_MODEL,
    CONF_MODEL_PATH,
    CONF_N,
    CONF_OFF_THRESHOLD,
    CONF_ON_THRESHOLD,
    CONF_ROI,
    CONF_THREADS,
    CONF_UNSURE_LOW,
    CONF_WATCHED,
    DEFAULT_OPTIONS,
    DOMAIN,
    MODEL_CUSTOM,
)
from tests import FakeCamera, camera_error, custom_files, label_choices, on_form, start, submit
from tests.const import CAMERA, EDGETPU_MODEL, USER

BACKEND = "custom_components.mlwatch.backend"


async def test_user_flow_tests_camera_and_model_then_creates_entry(
    hass: HomeAssistant, fake_camera: FakeCamera
) -> None:
    flow = await start(hass)
    assert flow["type"] is FlowResultType.FORM
    assert flow["step_id"] == "local"
    served = fake_camera.served
    result = await submit(hass, flow, USER)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Front door"
    assert result["data"] == {**USER, "backend": "local"}
    assert result["options"] == DEFAULT_OPTIONS
    assert result["result"].unique_id == CAMERA
    assert fake_camera.served == served + 2  # the flow's test frame, then setup's first frame
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_custom_model_under_the_config_folder(
    hass: HomeAssistant, fake_camera: FakeCamera
) -> None:
    files = await hass.async_add_executor_job(custom_files, hass)
    flow = await start(hass)
    flow = await submit(hass, flow, {**USER, CONF_MODEL: MODEL_CUSTOM})
    assert flow["step_id"] == "custom_model"
    result = await submit(hass, flow, files)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {**USER, CONF_MODEL: MODEL_CUSTOM, **files, "backend": "local"}
    await hass.async_block_till_done()


async def test_custom_model_with_its_own_normalisation(
    hass: HomeAssistant, fake_camera: FakeCamera
) -> None:
    files = await hass.async_add_executor_job(custom_files, hass)
    flow = await start(hass)
    flow = await submit(hass, flow, {**USER, CONF_MODEL: MODEL_CUSTOM})
    result = await submit(hass, flow, {**files, "mean": 0, "std": 255})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (result["data"]["mean"], result["data"]["std"]) == (0, 255)
    await hass.async_block_till_done()
    classifier = result["result"].runtime_data.backend._classifier
    assert (classifier.mean, classifier.std) == (0, 255)


async def _prepare(
    hass: HomeAssistant, fake_camera: FakeCamera, setup: str
) -> tuple[dict[str, Any], dict[str, str], list[Any]]:
    """Form data, custom-model paths and patches that provoke one error."""
    data: dict[str, Any] = dict(USER)
    custom = {**data, CONF_MODEL: MODEL_CUSTOM}
    if setup == "camera":
        fake_camera.play([camera_error(), "coffee"])
    elif setup == "bad_frame":
        return data, {}, [patch("tests.snapshot", return_value=b"not an image")]
    elif setup == "runtime":
        missing = RequirementsNotFound(DOMAIN, ["ai-edge-litert==2.3.0"])
        return data, {}, [patch(f"{BACKEND}.async_process_requirements", side_effect=missing)]
    elif setup == "edgetpu":
        data[CONF_DEVICE] = "usb"
    elif setup == "edgetpu_model":
        return custom, await hass.async_add_executor_job(custom_files, hass, EDGETPU_MODEL), []
    elif setup == "missing_model":
        return (
            custom,
            {CONF_MODEL_PATH: "mlwatch/nope.tflite", CONF_LABELS_PATH: "mlwatch/nope.txt"},
            [],
        )
    elif setup == "outside":
        return custom, {CONF_MODEL_PATH: "../../etc/passwd", CONF_LABELS_PATH: "labels.txt"}, []
    return data, {}, []


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("camera", "cannot_read_camera"),
        ("bad_frame", "cannot_read_camera"),
        ("runtime", "runtime_unavailable"),
        ("edgetpu", "edgetpu_not_found"),
        ("edgetpu_model", "model_needs_edgetpu"),
        ("missing_model", "invalid_model"),
        ("outside", "path_outside_config"),
    ],
)
async def test_each_error_shows_on_the_form_then_recovers(
    hass: HomeAssistant, fake_camera: FakeCamera, setup: str, error: str
) -> None:
    data, files, patches = await _prepare(hass, fake_camera, setup)
    flow = await start(hass)
    with contextlib.ExitStack() as stack:
        for p in patches:
            stack.enter_context(p)
        result = await submit(hass, flow, data)
        if files:
            result = await submit(hass, result, files)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"]["error"]
    # Recovery: the default model on the CPU, with a working camera.
    if files:
        fixed = await hass.async_add_executor_job(custom_files, hass)
        result = await submit(hass, result, fixed)
    else:
        result = await submit(hass, result, {**data, CONF_DEVICE: "cpu"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_same_camera_twice_aborts(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry
) -> None:
    flow = await start(hass)
    result = await submit(hass, flow, USER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_to_a_custom_model_and_back(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    files = await hass.async_add_executor_job(custom_files, hass)
    flow = await loaded.start_reconfigure_flow(hass)
    assert flow["step_id"] == "reconfigure"
    flow = await submit(hass, flow, {**USER, CONF_MODEL: MODEL_CUSTOM})
    assert flow["step_id"] == "custom_model"
    result = await submit(hass, flow, files)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded.data == {**USER, CONF_MODEL: MODEL_CUSTOM, **files, "backend": "local"}
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED

    flow = await loaded.start_reconfigure_flow(hass)
    result = await submit(hass, flow, USER)
    assert result["reason"] == "reconfigure_successful"
    assert loaded.data == {**USER, "backend": "local"}  # the custom paths are gone
    await hass.async_block_till_done()


async def test_reconfigure_to_another_camera_and_its_errors(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    hass.states.async_set("camera.garden", "idle", {"friendly_name": "Garden"})
    other = MockConfigEntry(
        domain=DOMAIN, data={**USER, CONF_CAMERA: "camera.taken"}, unique_id="camera.taken"
    )
    other.add_to_hass(hass)
    flow = await loaded.start_reconfigure_flow(hass)
    result = await submit(hass, flow, {**USER, CONF_CAMERA: "camera.taken"})
    assert result["reason"] == "already_configured"

    flow = await loaded.start_reconfigure_flow(hass)
    fake_camera.play([camera_error(), "coffee"])
    result = await submit(hass, flow, {**USER, CONF_CAMERA: "camera.garden"})
    assert result["errors"] == {"base": "cannot_read_camera"}
    result = await submit(hass, result, {**USER, CONF_CAMERA: "camera.garden"})
    assert result["reason"] == "reconfigure_successful"
    assert loaded.unique_id == "camera.garden"
    assert loaded.title == "Garden"
    await hass.async_block_till_done()


async def test_options_flow_offers_groups_and_labels_and_reloads(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    flow = await hass.config_entries.options.async_init(loaded.entry_id)
    assert flow["type"] is FlowResultType.FORM
    choices = label_choices(flow)
    assert choices[:3] == ["cat", "dog", "package"]
    assert "guacamole" in choices
    assert len(choices) == 1003
    # Number fields come back from the form as floats.
    new = {
        **on_form(loaded.options),
        CONF_WATCHED: ["guacamole", "dog"],
        CONF_ROI: "0.25, 0.5, 0.5, 0.5",
        CONF_K: 2.0,
        CONF_THREADS: 1.0,
    }
    coordinator = loaded.runtime_data
    result = await hass.config_entries.options.async_configure(flow["flow_id"], new)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded.runtime_data is not coordinator  # reloaded
    assert loaded.runtime_data.watched == ["guacamole", "dog"]
    assert hass.states.get("binary_sensor.front_door_guacamole") is not None
    assert loaded.runtime_data.roi is not None
    assert type(loaded.options[CONF_K]) is int
    assert type(loaded.options[CONF_THREADS]) is int


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({CONF_WATCHED: []}, {CONF_WATCHED: "nothing_watched"}),
        ({CONF_ON_THRESHOLD: 0.4, CONF_OFF_THRESHOLD: 0.5}, {CONF_OFF_THRESHOLD: "off_above_on"}),
        ({CONF_UNSURE_LOW: 0.6}, {CONF_UNSURE_LOW: "unsure_above_on"}),
        ({CONF_K: 5, CONF_N: 3}, {CONF_K: "k_above_n"}),
        ({CONF_ROI: "0.5, 0.5, 0.6, 0.1"}, {CONF_ROI: "invalid_roi"}),
        ({CONF_ROI: "half"}, {CONF_ROI: "invalid_roi"}),
        ({CONF_ROI: "0.1, 0.1, 0.5"}, {CONF_ROI: "invalid_roi"}),
    ],
)
async def test_options_errors_then_recovery(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    change: dict[str, Any],
    errors: dict[str, str],
) -> None:
    flow = await hass.config_entries.options.async_init(loaded.entry_id)
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {**on_form(loaded.options), **change}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], on_form(loaded.options)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_options_of_an_entry_that_is_not_loaded_read_the_labels_file(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    choices = label_choices(flow)
    assert choices[:3] == ["cat", "dog", "package"]
    assert len(choices) == 1003
