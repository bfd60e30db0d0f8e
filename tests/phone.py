"""The phone as a user holds it: the shipped blueprint notifies, and its buttons answer."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_mock_service

from tests.const import CAMERA

BLUEPRINT = (
    Path(__file__).parents[1] / "blueprints" / "automation" / "mlwatch" / "ask_on_phone.yaml"
)


async def phone_automation(
    hass: HomeAssistant, labels: list[str], **inputs: Any
) -> list[ServiceCall]:
    def install() -> None:
        target = Path(hass.config.path("blueprints/automation/mlwatch"))
        target.mkdir(parents=True)
        shutil.copy(BLUEPRINT, target / BLUEPRINT.name)

    await hass.async_add_executor_job(install)
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_phone")
    config = {
        "automation": {
            "use_blueprint": {
                "path": "mlwatch/ask_on_phone.yaml",
                "input": {
                    "notify_action": "notify.mobile_app_phone",
                    "cameras": [CAMERA],
                    "labels": labels,
                    **inputs,
                },
            }
        }
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    return calls


async def answer_on_phone(hass: HomeAssistant, action: str) -> None:
    """A tap on a notification's button, as the companion app reports it."""
    hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    await hass.async_block_till_done()
