"""The steps of the live tests, as a user takes them: the camera, the flows, a ring, an answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from live_hass import LiveHass

CAMERA = "camera.front_door"
ENTRIES = "/api/config/config_entries/entry"

LOCAL = ({"next_step_id": "local"}, {"camera": CAMERA, "model": "default", "device": "cpu"})


async def add_camera(live: LiveHass) -> None:
    """The demo camera, a real local_file camera, through its own flow."""
    frame = live.config_dir / "frames" / "front_door.jpg"
    camera = await live.add_local_file_camera(frame, "Front door")
    assert camera["type"] == "create_entry"


async def setup_watch(
    live: LiveHass, flow: tuple[dict[str, Any], ...] = LOCAL, **options: Any
) -> str:
    """The demo camera and mlwatch for it, through the same flows the UI uses."""
    if not any(e["domain"] == "local_file" for e in await live.request("GET", ENTRIES)):
        await add_camera(live)
    menu = await live.config_flow("mlwatch")
    assert (menu["type"], menu["step_id"]) == ("menu", "user")
    assert menu["menu_options"] == ["local", "server", "deepstack"]
    created = await live.config_flow("mlwatch", *flow)
    assert created["type"] == "create_entry", created
    entry_id: str = created["result"]["entry_id"]
    saved = await live.options_flow(
        entry_id,
        {
            "watched": ["cat"],
            "triggers": ["input_boolean.doorbell"],
            "k": 2,
            "n": 3,
            "cooldown": 0,
            **options,
        },
    )
    assert saved["type"] == "create_entry", saved
    # Saving options reloads the entry; the doorbell only counts once the new one listens.
    await asyncio.sleep(1)
    await wait_loaded(live, entry_id)
    return entry_id


async def wait_loaded(live: LiveHass, entry_id: str) -> None:
    """Until the entry is set up (HA answers HTTP before it has set up every entry)."""
    async with asyncio.timeout(60):
        while True:
            entries = await live.request("GET", "/api/config/config_entries/entry")
            if next(e for e in entries if e["entry_id"] == entry_id)["state"] == "loaded":
                return
            await asyncio.sleep(0.2)


async def until(live: LiveHass, sensor: str, ready: Any) -> dict[str, Any]:
    """The sensor's state object once it exists and `ready(state)` holds."""
    async with asyncio.timeout(60):
        while True:
            states: list[dict[str, Any]] = await live.request("GET", "/api/states")
            found = next((s for s in states if s["entity_id"] == sensor), None)
            if found is not None and ready(found):
                return found
            await asyncio.sleep(0.2)


class Events:
    """Events from the websocket, collected in the background."""

    def __init__(self, stream: AsyncIterator[dict[str, Any]]) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump(stream))

    @classmethod
    async def subscribe(cls, live: LiveHass, *event_types: str) -> Events:
        events = cls(live.events(*event_types))
        await events.next("subscribed")
        return events

    async def _pump(self, stream: AsyncIterator[dict[str, Any]]) -> None:
        async for event in stream:
            await self.queue.put(event)

    async def next(self, event_type: str, timeout: float = 30) -> dict[str, Any]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                event = await self.queue.get()
                if event["event_type"] == event_type:
                    return event

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def ring(live: LiveHass) -> None:
    await live.request(
        "POST", "/api/services/input_boolean/turn_off", {"entity_id": "input_boolean.doorbell"}
    )
    await live.request(
        "POST", "/api/services/input_boolean/turn_on", {"entity_id": "input_boolean.doorbell"}
    )


async def confirm(live: LiveHass, detection_id: str) -> list[tuple[str, str]]:
    """Confirm as the phone's button does; the verdict log's (id, verdict) lines after it."""
    await live.request(
        "POST", "/api/services/mlwatch/confirm_detection", {"detection_id": detection_id}
    )
    log = live.config_dir / "mlwatch" / "dataset" / "verdicts.jsonl"
    return [(r["id"], r["verdict"]) for r in map(json.loads, log.read_text().splitlines())]


def frames(live: LiveHass) -> dict[str, Path]:
    folder = live.config_dir / "frames"
    return {
        "cat": folder / "cat.jpg",
        "empty": folder / "empty.jpg",
        "person": folder / "person.jpg",
        "camera": folder / "front_door.jpg",
    }


async def frames_seen(live: LiveHass, entry_id: str) -> tuple[int, bool]:
    """The entry's frames processed so far, and whether a burst is under way."""
    diagnostics = await live.request("GET", f"/api/diagnostics/config_entry/{entry_id}")
    seen = diagnostics["data"]["frames"]
    return seen["processed"], seen["bursting"]


async def burst_over(live: LiveHass, entry_id: str, since: int = 0, frames: int = 0) -> None:
    """Until no burst is under way, with at least `frames` processed after `since` frames."""
    async with asyncio.timeout(30):
        while True:
            processed, bursting = await frames_seen(live, entry_id)
            if processed >= since + frames and not bursting:
                return
            await asyncio.sleep(0.1)
