"""The `scripts/develop` demo: a real HA with a demo doorbell camera and mlwatch already set up."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
from pathlib import Path

from dashboard import review_dashboard, write_dashboard
from live_hass import REPO, LiveHass, make_frames, show

USERNAME = "demo"
PASSWORD = "mlwatch-demo"  # noqa: S105 - a local demo account, printed for the user
# What the camera sees, and for how many seconds. The detector is sure of the person and unsure
# of the cat on the mat (it scores about 0.5): that is the one it asks about.
SCENES = [("empty", 20), ("person", 20), ("empty", 20), ("cat_on_mat", 20)]


async def ensure_entries(hass: LiveHass, camera_file: Path) -> None:
    """The demo camera (a real local_file camera) and mlwatch for it, made through the flows."""
    domains = {e["domain"] for e in await hass.request("GET", "/api/config/config_entries/entry")}
    if "local_file" not in domains:
        await hass.add_local_file_camera(camera_file, "Front door")
    if "mlwatch" not in domains:
        result = await hass.config_flow(
            "mlwatch",
            {"next_step_id": "local"},
            {"camera": "camera.front_door", "model": "detector", "device": "auto"},
        )
        # The detector's defaults watch people; the demo also watches the cat, and asks when unsure.
        changes = {
            "watched": ["person", "cat"],
            "ask_when_unsure": True,
            "triggers": ["input_boolean.doorbell"],
        }
        await hass.options_flow(result["result"]["entry_id"], {**changes, "scan_interval": 5})


async def main() -> None:
    """Start HA, set up the demo, then show the camera its scenes in turn."""
    config = REPO / ".dev-config"
    hass = LiveHass(config, int(os.environ.get("MLWATCH_DEV_PORT", "8123")))
    hass.write_config()
    write_dashboard(config, review_dashboard("camera.front_door"), keep=True)
    frames = make_frames(config / "frames")
    camera_file = config / "frames" / "front_door.jpg"
    show(camera_file, frames["empty"])
    print(
        f"Starting Home Assistant on {hass.url} (log: {config / 'home-assistant.log'}) ...",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await hass.start()
        await hass.onboard_or_login(USERNAME, PASSWORD)
        await ensure_entries(hass, camera_file)
        print(
            f"\nReady: open {hass.url} and log in as {USERNAME} / {PASSWORD}\n"
            "  The Overview shows mlwatch's review card: its questions, heat map and tags.\n"
            "  Settings > Devices & services > mlwatch > Front door shows the entities.\n"
            "  The demo camera shows an empty scene, a person, the empty scene again and a cat on\n"
            "  the mat, 20 s each; mlwatch (the bundled detector) scans it every 5 s and asks\n"
            "  about what it is unsure of; turning on input_boolean.doorbell starts a burst.\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        for scene, seconds in itertools.cycle(SCENES):
            show(camera_file, frames[scene])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            if stop.is_set():
                break
    finally:
        code = await hass.stop()
        print(f"Home Assistant stopped (exit code {code}).")


if __name__ == "__main__":
    asyncio.run(main())
