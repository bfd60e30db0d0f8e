"""The review card: served by the integration, and loaded by the frontend without a resource."""

from __future__ import annotations

from http import HTTPStatus

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch.card import CARD_FILE, CARD_URL


async def test_the_bundle_is_served_to_anyone_and_loaded_as_a_module(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> None:
    client = await hass_client_no_auth()  # the frontend loads modules before it logs in
    reply = await client.get(CARD_URL)
    assert reply.status == HTTPStatus.OK
    assert await reply.read() == CARD_FILE.read_bytes()
    assert "mlwatch-review-card" in CARD_FILE.read_text(encoding="utf-8")
    # No frontend in this HA: nothing asked it to load the card, and nothing failed.
    assert "frontend" not in hass.config.components


async def test_with_the_frontend_every_dashboard_loads_the_card_at_its_version(
    hass: HomeAssistant,
) -> None:
    from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL

    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, "mlwatch", {})
    (url,) = (u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if u.startswith(CARD_URL))
    assert url.startswith(f"{CARD_URL}?v=")
    assert len(url.split("=")[1]) == 12
