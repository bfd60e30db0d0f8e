"""The shipped blueprint inside HA: detection -> phone notification -> button -> dataset."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.mlwatch.const import (
    CONF_ASK_WHEN_UNSURE,
    CONF_ON_THRESHOLD,
    CONF_UNSURE_LOW,
    CONF_WATCHED,
)
from custom_components.mlwatch.core.dataset import new_id
from custom_components.mlwatch.feedback import async_get_dataset
from tests import FakeCamera, burst
from tests.const import CAMERA, CAT, EMPTY
from tests.phone import answer_on_phone, phone_automation


async def test_detection_notifies_with_snapshot_and_confirm_files_it(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    calls = await phone_automation(hass, ["cat"])
    fake_camera.play([CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, loaded)
    assert len(calls) == 1
    data: dict[str, Any] = calls[0].data
    detection_id = data["data"]["tag"].removeprefix("mlwatch-")
    assert data["title"] == "cat at Front door"
    assert data["message"] == "95% sure. Was it right?"
    assert data["data"]["image"].startswith(f"/api/mlwatch/frame/{detection_id}?mlwatch_sig=")
    assert data["data"]["actions"] == [
        {"action": f"MLWATCH_CONFIRM_{detection_id}", "title": "Confirm"},
        {"action": f"MLWATCH_REJECT_{detection_id}", "title": "Reject", "destructive": True},
    ]
    looks = {k: data["data"][k] for k in ("group", "clickAction", "url", "channel", "priority")}
    assert looks == {
        "group": f"mlwatch-{CAMERA}",
        "clickAction": f"entityId:{CAMERA}",  # a tap opens the camera
        "url": f"entityId:{CAMERA}",
        "channel": "mlwatch",
        "priority": "high",
    }
    assert data["data"]["push"] == {"interruption-level": "active"}

    await answer_on_phone(hass, f"MLWATCH_CONFIRM_{detection_id}")
    # Every phone stops asking.
    assert calls[-1].data == {
        "message": "clear_notification",
        "data": {"tag": f"mlwatch-{detection_id}"},
    }
    store = await async_get_dataset(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert any(r["id"] == detection_id for r in store.rows())
    (row,) = store.rows()
    assert (row["label"], row["verdict"], row["source"]) == ("cat", "confirmed", "detection")
    # Changing one's mind: the Reject button of the same notification replaces the verdict.
    await answer_on_phone(hass, f"MLWATCH_REJECT_{detection_id}")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert store.rows()[0]["verdict"] == "rejected"


async def test_other_labels_and_foreign_actions_are_ignored(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    calls = await phone_automation(hass, ["package"])
    fake_camera.play([CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, loaded)
    assert calls == []
    await answer_on_phone(hass, "OPEN_GARAGE")
    store = await async_get_dataset(hass)
    assert store.rows() == []


@pytest.mark.parametrize("answer", ["CONFIRM", "REJECT"])
async def test_is_this_a_question_when_unsure(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    entry: MockConfigEntry,
    options: dict[str, Any],
    answer: str,
) -> None:
    # The cat photo scores ~0.77 for "Egyptian cat": between 0.5 and 0.9 is the grey zone.
    hass.config_entries.async_update_entry(
        entry,
        options={
            **options,
            CONF_WATCHED: ["Egyptian cat"],
            CONF_ON_THRESHOLD: 0.9,
            CONF_UNSURE_LOW: 0.5,
            CONF_ASK_WHEN_UNSURE: True,
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    calls = await phone_automation(hass, [])
    fake_camera.play([CAT])
    await burst(hass, entry)
    assert len(calls) == 1
    data: dict[str, Any] = calls[0].data
    assert data["title"] == "Is this Egyptian cat?"
    assert data["message"] == "mlwatch is unsure (77%) about Front door."
    assert [a["title"] for a in data["data"]["actions"]] == ["Yes", "No"]
    review_id = data["data"]["tag"].removeprefix("mlwatch-")
    await answer_on_phone(hass, f"MLWATCH_{answer}_{review_id}")
    store = await async_get_dataset(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(store.rows()) == 1
    row = store.rows()[0]
    assert (row["id"], row["source"], row["label"]) == (review_id, "review", "Egyptian cat")
    assert row["verdict"] == ("confirmed" if answer == "CONFIRM" else "rejected")
    assert [c.data["message"] for c in calls[1:]] == ["clear_notification"]  # no new question
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_phones_are_picked_as_devices_and_told_when_a_question_expired(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    app = MockConfigEntry(domain="mobile_app")
    app.add_to_hass(hass)
    phones = [
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=app.entry_id, identifiers={("mobile_app", name)}, name=name
        )
        .id
        for name in ("Phone", "Anna's Pixel")
    ]
    pixel = async_mock_service(hass, "notify", "mobile_app_anna_s_pixel")
    calls = await phone_automation(
        hass,
        ["cat"],
        notify_action="",
        phones=phones,
        open_on_tap="/lovelace/0",
        ios_interruption_level="time-sensitive",
    )
    fake_camera.play([CAT, CAT, EMPTY, EMPTY, EMPTY, EMPTY])
    await burst(hass, loaded)
    assert len(calls) == len(pixel) == 1
    assert calls[0].data["data"]["clickAction"] == "/lovelace/0"
    assert calls[0].data["data"]["push"] == {"interruption-level": "time-sensitive"}
    await answer_on_phone(hass, f"MLWATCH_CONFIRM_{new_id()}")  # expired long ago, or never was
    for phone in (calls, pixel):
        assert [c.data["message"] for c in phone[1:]] == [
            "clear_notification",
            "That question has expired; nothing was filed.",
        ]
    assert (await async_get_dataset(hass)).rows() == []
