"""A real `hass` process for the end-to-end tests."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts" / "dev"))

from live_hass import LiveHass, make_frames, show

USERNAME = "owner"
PASSWORD = "e2e-password"  # noqa: S105 - a throwaway account in a temp folder


# Written into the live config only: hassfest's action validates every manifest.json in the tree.
LOOPLAG_MANIFEST = {
    "domain": "looplag",
    "name": "Loop lag probe (tests only)",
    "codeowners": [],
    "documentation": "https://github.com/mlwatch/mlwatch",
    "iot_class": "calculated",
    "requirements": [],
    "version": "0.0.1",
}


# The phone, for tests marked `phone`: the shipped blueprint, asking a script that fires what it
# was sent as the event `phone_notified`, so a test reads the payload a phone would get.
PHONE_YAML = """\
script:
  phone:
    alias: Phone (tests only)
    mode: queued
    sequence:
      - event: phone_notified
        event_data:
          title: "{{ title | default('') }}"
          message: "{{ message }}"
          data: "{{ data | default({}) }}"
automation:
  - alias: Ask on the phone
    use_blueprint:
      path: mlwatch/ask_on_phone.yaml
      input:
        notify_action: script.phone
"""


def _install_phone(config_dir: Path) -> None:
    """The shipped phone blueprint in a live config, and an automation of it that asks `PHONE`."""
    shipped = Path(__file__).parents[2] / "blueprints" / "automation" / "mlwatch"
    target = config_dir / "blueprints" / "automation" / "mlwatch"
    target.mkdir(parents=True)
    shutil.copy(shipped / "ask_on_phone.yaml", target)
    with (config_dir / "configuration.yaml").open("a") as f:
        f.write(PHONE_YAML)


def _install_looplag(config_dir: Path) -> None:
    """The loop-lag probe as the custom integration `looplag` of a live config."""
    target = config_dir / "custom_components" / "looplag"
    target.mkdir(parents=True)
    shutil.copyfile(Path(__file__).with_name("looplag_probe.py"), target / "__init__.py")
    (target / "manifest.json").write_text(json.dumps(LOOPLAG_MANIFEST), encoding="utf-8")


@pytest.fixture
async def live(
    request: pytest.FixtureRequest, tmp_path: Path, socket_enabled: None
) -> AsyncGenerator[LiveHass]:
    """HA running with a demo camera (showing an empty scene) and the loop-lag probe."""
    hass = LiveHass(tmp_path / "config")
    hass.write_config()
    if request.node.get_closest_marker("no_local_runtime"):
        # As on HA OS (musl): the TFLite runtime and OpenCV cannot be imported in HA's process.
        hass.env["PYTHONPATH"] = str(Path(__file__).parent / "no_local_runtime")
    _install_looplag(hass.config_dir)
    with (hass.config_dir / "configuration.yaml").open("a") as f:
        f.write("looplag:\n")
    if request.node.get_closest_marker("phone"):
        _install_phone(hass.config_dir)
    frames = make_frames(hass.config_dir / "frames")
    show(hass.config_dir / "frames" / "front_door.jpg", frames["empty"])
    await hass.start()
    await hass.onboard_or_login(USERNAME, PASSWORD)
    try:
        yield hass
    finally:
        await hass.stop()
