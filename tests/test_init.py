"""Setting up, unloading and reloading entries; what happens when the model or Coral is missing."""

from __future__ import annotations

import asyncio
import shutil
import sys
import threading
from pathlib import Path

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.loader import async_get_integration
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import (
    CONF_DEVICE,
    CONF_LABELS_PATH,
    CONF_MODEL,
    CONF_MODEL_PATH,
    DATASET_DIR,
    DEFAULT_LABELS_FILE,
    DOMAIN,
    MODEL_CUSTOM,
)
from custom_components.mlwatch.core.result import Result
from tests import FakeCamera, camera_error
from tests.const import EDGETPU_MODEL
from tests.teaching import MISO, taught


def inference_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"{DOMAIN}_inference")]


async def test_integration_loads_from_custom_components(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.config_flow
    # Nothing that lacks musl wheels: HA OS must be able to load the integration.
    assert integration.requirements == []


async def test_setup_unload_reload_leave_nothing_behind(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry
) -> None:
    # The first cycle also loads our dependencies (camera, http) whose listeners stay; every
    # later cycle must leave the bus, the tasks and the threads exactly as it found them.
    snapshots: list[tuple[dict[str, int], int]] = []
    for _ in range(3):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert len(inference_threads()) == 1
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert len(inference_threads()) == 1
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.NOT_LOADED
        assert inference_threads() == []
        # A store with a save pending holds a final-write listener until the save happens
        # (registries save seconds after a change): it is HA's, it comes and goes with timing,
        # and a slow run compared a pending save with none. Every other listener must match.
        listeners = hass.bus.async_listeners()
        listeners.pop(EVENT_HOMEASSISTANT_FINAL_WRITE, None)
        snapshots.append((listeners, len(hass.data.get("integrations", {}))))
    assert snapshots[1] == snapshots[2]


async def test_unload_waits_for_a_retrain_under_way_before_releasing_the_model(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await taught(hass, fake_camera, loaded)
    images = Path(hass.config.path(DATASET_DIR, "dataset", "images"))
    # Answers kept without embeddings: the retrain asks the model for them again.
    for emb in await hass.async_add_executor_job(lambda: list(images.glob("*.emb"))):
        await hass.async_add_executor_job(emb.unlink)
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = loaded.runtime_data
    backend, real = coordinator.backend, coordinator.backend.classify
    asked, go_on = asyncio.Event(), asyncio.Event()

    async def gated(image: bytes, roi: object = None) -> Result:
        asked.set()
        await go_on.wait()
        result: Result = await real(image, None)
        return result

    monkeypatch.setattr(backend, "classify", gated)
    retrain = hass.async_create_task(coordinator.learner.async_retrain(force=True))
    await asked.wait()
    unload = hass.async_create_task(hass.config_entries.async_unload(loaded.entry_id))
    done, _ = await asyncio.wait({unload}, timeout=0.5)
    go_on.set()
    assert not done  # the model stays loaded while the retrain needs it
    assert await unload
    status = await retrain
    assert (status[MISO].positives, status[MISO].negatives, status[MISO].version) == (4, 4, 2)
    assert inference_threads() == []


async def test_missing_edgetpu_falls_back_to_cpu_and_raises_a_repair_issue(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_DEVICE: "usb"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.backend.info.device == "cpu"
    issue = issue_registry.async_get_issue(DOMAIN, f"edgetpu_missing_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "edgetpu_missing"
    assert issue.translation_placeholders is not None
    assert "libedgetpu.so.1" in issue.translation_placeholders["error"]
    assert issue.severity is ir.IssueSeverity.WARNING
    # Back on the CPU by choice: the issue goes away with the reload.
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_DEVICE: "cpu"})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"edgetpu_missing_{entry.entry_id}") is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_removing_the_entry_removes_its_issue(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_DEVICE: "pci:0"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"edgetpu_missing_{entry.entry_id}")
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"edgetpu_missing_{entry.entry_id}") is None


def _custom(hass: HomeAssistant, model: Path) -> dict[str, str]:
    folder = Path(hass.config.path("models"))
    folder.mkdir(exist_ok=True)
    shutil.copy(model, folder / "m.tflite")
    shutil.copy(DEFAULT_LABELS_FILE, folder / "l.txt")
    return {
        CONF_MODEL: MODEL_CUSTOM,
        CONF_MODEL_PATH: "models/m.tflite",
        CONF_LABELS_PATH: "models/l.txt",
    }


async def test_edgetpu_model_without_coral_retries_later(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    custom = await hass.async_add_executor_job(_custom, hass, EDGETPU_MODEL)
    hass.config_entries.async_update_entry(entry, data={**entry.data, **custom, CONF_DEVICE: "usb"})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "needs a Coral Edge TPU" in str(entry.reason)
    assert issue_registry.async_get_issue(DOMAIN, f"edgetpu_missing_{entry.entry_id}")
    assert inference_threads() == []


async def test_broken_model_is_a_setup_error(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry
) -> None:
    custom = await hass.async_add_executor_job(
        _custom, hass, DEFAULT_LABELS_FILE
    )  # text, not a model
    hass.config_entries.async_update_entry(entry, data={**entry.data, **custom})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "not a TFLite model" in str(entry.reason)


async def test_camera_down_at_startup_retries(
    hass: HomeAssistant, fake_camera: FakeCamera, entry: MockConfigEntry
) -> None:
    fake_camera.play([camera_error("Camera not ready")])
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert inference_threads() == []  # the model loaded for the attempt was released


async def test_no_opencv_is_a_clear_runtime_error(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As on HA OS: the integration loads, but the in-process runtime cannot be imported.
    for name in [m for m in sys.modules if m.startswith("custom_components.mlwatch.core.")]:
        if name.rsplit(".", 1)[1] in ("engine", "preprocess"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cv2", None)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "OpenCV or numpy cannot be imported" in str(entry.reason)
