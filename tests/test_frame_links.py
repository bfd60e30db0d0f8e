"""A notification's image loads on a phone without a login, through a signed link, while pending."""

from __future__ import annotations

import time
from http import HTTPStatus

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch.const import CONF_PENDING_DAYS
from custom_components.mlwatch.core.dataset import new_id
from custom_components.mlwatch.core.signing import token
from custom_components.mlwatch.feedback import (
    DATA_LINK_SECRET,
    SIGNATURE,
    async_load_link_secret,
)
from tests import FakeCamera, cat_detected


async def test_the_signed_link_loads_without_a_login_and_nothing_else_does(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    data = await cat_detected(hass, loaded, fake_camera)
    url, item = data["image_url"], data["detection_id"]
    path, signature = url.split(f"?{SIGNATURE}=")
    assert path == f"/api/mlwatch/frame/{item}"
    phone = await hass_client_no_auth()
    resp = await phone.get(url)
    assert resp.status == HTTPStatus.OK
    assert (await resp.read())[:2] == b"\xff\xd8"
    assert (await phone.get(f"{url}&crop=1")).status == HTTPStatus.OK
    secret = hass.data[DATA_LINK_SECRET]
    refused = [
        path,  # no signature: a login is needed
        f"{url[:-1]}{'0' if url[-1] != '0' else '1'}",  # tampered
        f"/api/mlwatch/frame/{new_id()}?{SIGNATURE}={signature}",  # another item's
        f"{path}?{SIGNATURE}={token(secret, item, 1000)}",  # expired long ago
    ]
    for link in refused:
        assert (await phone.get(link)).status == HTTPStatus.UNAUTHORIZED, link


async def test_links_survive_a_restart_and_last_as_long_as_pending_frames_are_kept(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    data = await cat_detected(hass, loaded, fake_camera)
    secret = hass.data.pop(DATA_LINK_SECRET)
    await async_load_link_secret(hass)  # what the next start does: the key is read back
    assert hass.data[DATA_LINK_SECRET] == secret
    phone = await hass_client_no_auth()
    assert (await phone.get(data["image_url"])).status == HTTPStatus.OK
    expires = int(data["image_url"].rsplit("=", 1)[1].split(".")[0])
    days = loaded.options[CONF_PENDING_DAYS]
    assert abs(expires - (time.time() + days * 86400)) < 120
