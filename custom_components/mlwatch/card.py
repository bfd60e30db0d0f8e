"""The review card, served by the integration and loaded on every dashboard without a resource."""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

CARD_FILE = Path(__file__).parent / "frontend" / "mlwatch-review-card.js"
CARD_URL = "/mlwatch/frontend/mlwatch-review-card.js"


def _version() -> str:
    """A short hash of the bundle: a new release is a new URL, so no browser keeps the old one."""
    return hashlib.sha256(CARD_FILE.read_bytes()).hexdigest()[:12]


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the bundle; when the frontend runs, have it load the bundle as a module."""
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    if "frontend" not in hass.config.components:  # HA without its UI (some tests, headless)
        return
    # Imported here: the frontend module is heavy, and absent where the UI is.
    from homeassistant.components.frontend import add_extra_js_url

    version = await hass.async_add_executor_job(_version)
    add_extra_js_url(hass, f"{CARD_URL}?v={version}")
