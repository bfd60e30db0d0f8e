"""Helpers the test modules share: a camera serving real photos, the flows, bursts, servers.

As in HA core's `tests/components/<domain>/__init__.py`: test modules import these, never
each other.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.camera import Image
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.mlwatch.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_CAMERA,
    CONF_LABEL_THRESHOLDS,
    CONF_LABELS_PATH,
    CONF_MODEL_PATH,
    CONF_WATCHED,
    DEFAULT_LABELS_FILE,
    DEFAULT_MODEL_FILE,
    DOMAIN,
    EVENT_DETECTION,
    SERVICE_SCAN,
)
from devtools.photos import snapshot, variant
from devtools.server import KEY, ServerProcess
from tests.const import CAMERA, CAT, EMPTY

# Enough intervals for any burst a test starts, and the tracking of its episodes.
MAX_BURST_STEPS = 200
# The periodic scan of `scanning_options`: frames only come when a test moves the clock.
SCAN_EVERY = timedelta(minutes=1)
# Where HA's report_usage() logs (HA 2026.6+: "has an update listener and should use it for
# scheduling a reload ... will stop working in Home Assistant 2026.12.0").
FRAME_LOGGER = "homeassistant.helpers.frame"


class BlockingCallLog(logging.Handler):
    """Collects HA's 'Detected blocking call' reports whose offender is mlwatch's own code."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        offender = re.search(r"\) in (\S+), line \d+: ", message)
        if offender and "/custom_components/mlwatch/" in offender.group(1):
            self.found.append(message)


@dataclass
class FakeCamera:
    """Serves a scripted sequence of frames; the last one repeats. Items: photo, JPEG or error."""

    frames: list[str | bytes | BaseException] = field(default_factory=lambda: [EMPTY])
    served: int = 0
    gate: asyncio.Event | None = None  # while set up and not set, every frame waits: a slow camera
    size: tuple[int, int] = (1280, 720)

    def play(self, frames: Iterable[str | bytes | BaseException]) -> None:
        self.frames = list(frames)
        self.served = 0

    async def get_image(self, hass: HomeAssistant, entity_id: str, *_: Any, **__: Any) -> Image:
        del entity_id
        item = self.frames[min(self.served, len(self.frames) - 1)]
        self.served += 1
        if self.gate is not None:
            await self.gate.wait()
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, bytes):
            return Image("image/jpeg", item)
        # Encoding is slow enough to trip HA's slow-callback warning: off the loop, like real I/O.
        content = await hass.async_add_executor_job(snapshot, item, self.size)
        return Image("image/jpeg", content)


def state(hass: HomeAssistant, entity_id: str) -> State:
    """The entity's state, which must exist."""
    current = hass.states.get(entity_id)
    assert current is not None, f"{entity_id} does not exist"
    return current


def camera_error(message: str = "Camera is offline") -> HomeAssistantError:
    return HomeAssistantError(message)


async def step_until(
    hass: HomeAssistant, entry: MockConfigEntry, predicate: Callable[[], bool]
) -> None:
    """Step the entry's burst an interval at a time until `predicate` holds."""
    for _ in range(MAX_BURST_STEPS):
        if predicate():
            return
        await step(hass, entry)
    raise AssertionError(f"not true after {MAX_BURST_STEPS} burst intervals")


async def burst(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Start a burst on each entry with `mlwatch.scan`, and step time until all have ended."""
    for entry in entries:
        await start_burst(hass, entry)
    await run_bursts(hass, *entries)


async def cat_detected(hass: HomeAssistant, entry: MockConfigEntry, camera: Any) -> dict[str, Any]:
    """Run a burst with a cat on `camera` (a FakeCamera) and return the detection event's data."""
    events: list[Any] = []
    unsub = hass.bus.async_listen(EVENT_DETECTION, events.append)
    camera.play([CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, entry)
    unsub()
    data: dict[str, Any] = events[0].data
    return data


async def start_burst(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Start a burst with `mlwatch.scan`; its first frame starts, the rest wait for time."""
    await hass.services.async_call(
        DOMAIN, SERVICE_SCAN, {ATTR_CONFIG_ENTRY_ID: entry.entry_id}, blocking=True
    )


async def run_bursts(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Step each running burst one interval at a time, every frame done, until all have ended."""
    for _ in range(MAX_BURST_STEPS):
        # A burst's next frame is a timer: done means no frame in flight.
        await hass.async_block_till_done(wait_background_tasks=True)
        if not any(e.runtime_data.data.bursting for e in entries):
            return
        await step(hass, *entries)
    raise AssertionError(f"bursts still running after {MAX_BURST_STEPS} intervals")


async def step(hass: HomeAssistant, *entries: MockConfigEntry, intervals: int = 1) -> None:
    """Move time on by the longest burst interval, `intervals` times, each frame to its end."""
    every = timedelta(seconds=max(e.runtime_data.scheduler.config.burst_interval for e in entries))
    for _ in range(intervals):
        await hass.async_block_till_done(wait_background_tasks=True)
        async_fire_time_changed(hass, dt_util.utcnow() + every)
        await hass.async_block_till_done(wait_background_tasks=True)


async def settle_answers(hass: HomeAssistant) -> None:
    """Let the answers settle: the debounced retrain runs (in the executor) and ends."""
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)


def on_form(options: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's options as the options form takes them: without what only repairs set."""
    return {k: v for k, v in options.items() if k != CONF_LABEL_THRESHOLDS}


def label_choices(flow: Mapping[str, Any]) -> list[str]:
    """The labels a flow's form offers to watch, in order."""
    schema = flow["data_schema"]
    assert schema is not None
    key = next(k for k in schema.schema if k == CONF_WATCHED)
    choices: list[str] = schema.schema[key].config["options"]
    return choices


def variants(name: str, seeds: Iterable[int]) -> list[bytes]:
    """Camera frames of a sample photo, one per seed; call at import, not on the event loop."""
    return [variant(name, seed) for seed in seeds]


async def scan(hass: HomeAssistant, freezer: FrozenDateTimeFactory, frames: int = 1) -> None:
    """Take `frames` frames on the periodic scan, each one interval of frozen time, to its end."""
    for _ in range(frames):
        freezer.tick(SCAN_EVERY)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def start(hass: HomeAssistant, backend: str = "local") -> dict[str, Any]:
    """Open the flow and pick where the model runs from its first menu."""
    menu: dict[str, Any] = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )  # type: ignore[assignment]
    assert menu["type"] is FlowResultType.MENU
    assert menu["menu_options"] == ["local", "server", "deepstack"]
    return await submit(hass, menu, {"next_step_id": backend})


async def submit(hass: HomeAssistant, flow: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await hass.config_entries.flow.async_configure(flow["flow_id"], data)  # type: ignore[assignment]
    return result


def custom_files(hass: HomeAssistant, model: Path = DEFAULT_MODEL_FILE) -> dict[str, str]:
    folder = Path(hass.config.path("mlwatch"))
    folder.mkdir(exist_ok=True)
    shutil.copy(model, folder / "model.tflite")
    shutil.copy(DEFAULT_LABELS_FILE, folder / "labels.txt")
    return {CONF_MODEL_PATH: "mlwatch/model.tflite", CONF_LABELS_PATH: "mlwatch/labels.txt"}


def server_data(server: ServerProcess, **extra: Any) -> dict[str, Any]:
    return {CONF_CAMERA: CAMERA, "url": server.url, "api_key": KEY, **extra}


async def add_entry(
    hass: HomeAssistant, options: dict[str, Any], data: dict[str, Any]
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Front door",
        unique_id=CAMERA,
        data={"backend": "server", **data},
        options=options,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def usage_reports(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What HA reported about mlwatch's use of its APIs (deprecations, wrong threads)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == FRAME_LOGGER and "'mlwatch'" in r.getMessage()
    ]


@contextmanager
def counting_reloads(hass: HomeAssistant) -> Generator[AsyncMock]:
    """Counts reloads, whoever asks: an update listener or a flow's scheduled reload."""
    with patch.object(
        hass.config_entries, "async_reload", wraps=hass.config_entries.async_reload
    ) as reload:
        yield reload
