"""The Media panel: mlwatch → camera → pending / confirmed / rejected → label → frames."""

from __future__ import annotations

from http import HTTPStatus
from typing import cast

import pytest
from homeassistant.components import media_source
from homeassistant.components.media_source import BrowseMediaSource
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch.const import DOMAIN
from tests import FakeCamera, cat_detected
from tests.const import CAMERA

ROOT = f"media-source://{DOMAIN}"


async def children(hass: HomeAssistant, path: str = "") -> list[BrowseMediaSource]:
    """What the Media panel lists under mlwatch's `path`."""
    found = await media_source.async_browse_media(hass, f"{ROOT}/{path}" if path else ROOT)
    return cast("list[BrowseMediaSource]", list(found.children or []))


@pytest.fixture(autouse=True)
async def _media_source(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "media_source", {})


async def test_frames_by_camera_verdict_and_label_play_in_the_media_panel(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    detected = await cat_detected(hass, loaded, fake_camera)
    assert [(c.title, c.identifier) for c in await children(hass)] == [("Front door", CAMERA)]
    assert [c.title for c in await children(hass, CAMERA)] == ["Pending", "Confirmed", "Rejected"]
    (frame,) = await children(hass, f"{CAMERA}/pending")
    assert frame.title.startswith("cat 9")
    assert " % · " in frame.title
    assert frame.can_play
    client = await hass_client()
    played = await media_source.async_resolve_media(hass, f"{ROOT}/{frame.identifier}", None)
    resp = await client.get(played.url)
    assert (resp.status, played.mime_type) == (HTTPStatus.OK, "image/jpeg")

    await hass.services.async_call(
        DOMAIN, "confirm_detection", {"detection_id": detected["detection_id"]}, blocking=True
    )
    assert await children(hass, f"{CAMERA}/pending") == []
    assert [c.title for c in await children(hass, f"{CAMERA}/confirmed")] == ["cat"]
    (filed,) = await children(hass, f"{CAMERA}/confirmed/cat")
    assert (filed.identifier or "").endswith(detected["detection_id"])
    played = await media_source.async_resolve_media(hass, f"{ROOT}/{filed.identifier}", None)
    resp = await client.get(played.url)
    assert resp.status == HTTPStatus.OK
    assert (await resp.read())[:2] == b"\xff\xd8"
    assert filed.thumbnail is not None
    assert (await client.get(filed.thumbnail)).status == HTTPStatus.OK
    assert await children(hass, f"{CAMERA}/rejected") == []


async def test_a_bad_identifier_is_unresolvable(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    for identifier in (f"{CAMERA}/secrets", f"{CAMERA}"):
        with pytest.raises(media_source.Unresolvable):
            await media_source.async_resolve_media(hass, f"{ROOT}/{identifier}", None)
    with pytest.raises(media_source.Unresolvable):
        await media_source.async_browse_media(hass, f"{ROOT}/{CAMERA}/secrets")
