"""Test-only integration `looplag` (installed by conftest): how late the loop runs a 10 ms timer."""

from __future__ import annotations

import importlib
import importlib.util
import time
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers.typing import ConfigType

# Whichever schema library this HA validates with (probatio from 2026, voluptuous before).
_vol: Any = importlib.import_module(
    "probatio" if importlib.util.find_spec("probatio") else "voluptuous"
)
_SCHEMA = _vol.Schema({_vol.Optional("reset", default=False): bool})
DOMAIN = "looplag"
PERIOD = 0.01


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Tick every 10 ms; publish the worst lateness as sensor.loop_lag_max (ms)."""
    worst = [0.0]
    due = [time.monotonic() + PERIOD]

    @callback
    def tick() -> None:
        now = time.monotonic()
        worst[0] = max(worst[0], now - due[0])
        due[0] = now + PERIOD
        hass.loop.call_later(PERIOD, tick)

    @callback
    def report(call: ServiceCall) -> None:
        hass.states.async_set(
            "sensor.loop_lag_max", str(round(worst[0] * 1000, 2)), {"unit_of_measurement": "ms"}
        )
        if call.data.get("reset"):
            worst[0] = 0.0

    hass.loop.call_later(PERIOD, tick)
    hass.services.async_register(DOMAIN, "report", report, schema=_SCHEMA)
    return True
