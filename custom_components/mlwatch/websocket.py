"""The dashboard's data: questions and answers, learning, the heat map, tags, live changes."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import (
    CONF_CAMERA,
    DOMAIN,
    EVENT_DETECTION,
    EVENT_REVIEW_REQUESTED,
    SIGNAL_DATASET_UPDATED,
    SIGNAL_LEARNING_UPDATED,
)
from .coordinator import MlwatchConfigEntry
from .core.dataset import VERDICTS
from .feedback import async_get_dataset, frame_url, pending_days
from .services import async_answer, async_entry_for
from .validation import vol


def _loaded(hass: HomeAssistant, camera: str | None) -> list[MlwatchConfigEntry]:
    entries: list[MlwatchConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    return [
        e
        for e in entries
        if e.state is ConfigEntryState.LOADED and camera in (None, e.data[CONF_CAMERA])
    ]


@websocket_api.websocket_command(
    {vol.Required("type"): "mlwatch/pending", vol.Optional("camera"): cv.entity_id}
)
@websocket_api.async_response
async def ws_pending(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The questions waiting for an answer, newest first: one camera's, or every camera's."""
    store = await async_get_dataset(hass)
    items = await hass.async_add_executor_job(store.unreviewed, msg.get("camera"))
    out = []
    for item in sorted(items, key=lambda i: i.time, reverse=True):
        url = frame_url(hass, item.id, pending_days(hass, item.camera))
        out.append(
            {
                "id": item.id,
                "camera": item.camera,
                "label": item.label,
                "source": item.source,
                "score": item.scores.get(item.label),
                "personal_score": item.personal,
                "decided_by": item.decided_by,
                "scores": item.scores,
                "time": item.time,
                "image_url": url,
                "crop_url": f"{url}&crop=1",
            }
        )
    connection.send_result(msg["id"], {"items": out})


@websocket_api.websocket_command(
    {
        vol.Required("type"): "mlwatch/answer",
        vol.Required("item_id"): cv.string,  # "id" is the message's own
        vol.Required("verdict"): vol.In(VERDICTS),
        vol.Optional("label"): cv.string,
    }
)
@websocket_api.async_response
async def ws_answer(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Answer one question: the same path as the confirm and reject actions."""
    row = await async_answer(hass, msg["item_id"], msg["verdict"], msg.get("label"))
    connection.send_result(msg["id"], row)


@websocket_api.websocket_command(
    {vol.Required("type"): "mlwatch/learning", vol.Optional("camera"): cv.entity_id}
)
@callback
def ws_learning(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Each loaded camera's personal models, as its last snapshot has them."""
    cameras = {}
    for entry in _loaded(hass, msg.get("camera")):
        data = entry.runtime_data.data
        cameras[entry.data[CONF_CAMERA]] = {
            "entry_id": entry.entry_id,
            "title": entry.title,
            "available": data.learning_available,
            "labels": {label: status.as_dict() for label, status in data.learning.items()},
            "watched": entry.runtime_data.watched,
            "thresholds": entry.runtime_data.thresholds,
            "known": entry.runtime_data.learner.known_labels(),
        }
    connection.send_result(msg["id"], {"cameras": cameras})


PERIOD = {
    vol.Required("camera"): cv.entity_id,
    vol.Optional("hours", default=24): vol.All(vol.Coerce(float), vol.Range(min=1, max=24 * 90)),
}


@websocket_api.websocket_command(
    {
        vol.Required("type"): "mlwatch/timeline",
        **PERIOD,
        vol.Optional("bucket_minutes", default=10): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=24 * 60)
        ),
    }
)
@websocket_api.async_response
async def ws_timeline(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The heat map: per watched label and time bucket, the best score, and episode starts."""
    coordinator = async_entry_for(hass, camera=msg["camera"]).runtime_data
    end = time.time()
    bucket = msg["bucket_minutes"] * 60
    start = end - msg["hours"] * 3600
    timeline = await coordinator.history.async_timeline(
        coordinator.watched, start=start, end=end, bucket=bucket
    )
    connection.send_result(
        msg["id"],
        {
            "start": timeline.start,
            "bucket": timeline.bucket,
            "labels": timeline.scores,
            "episodes": timeline.episodes,
            "frames": timeline.frames,
        },
    )


@websocket_api.websocket_command({vol.Required("type"): "mlwatch/tags", **PERIOD})
@websocket_api.async_response
async def ws_tags(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """The tag cloud: what the model saw most often, over the same period."""
    coordinator = async_entry_for(hass, camera=msg["camera"]).runtime_data
    end = time.time()
    seen = await coordinator.history.async_tags(start=end - msg["hours"] * 3600, end=end)
    tags = [{"label": label, "count": count} for label, count in seen.most_common(50)]
    connection.send_result(msg["id"], {"tags": tags})


@websocket_api.websocket_command(
    {
        vol.Required("type"): "mlwatch/frames",
        vol.Required("camera"): cv.entity_id,
        vol.Required("start"): vol.Coerce(float),
        vol.Required("end"): vol.Coerce(float),
        vol.Optional("limit", default=100): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
    }
)
@websocket_api.async_response
async def ws_frames(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """One heat-map cell's frames, newest first: when, the top labels and the watched scores."""
    coordinator = async_entry_for(hass, camera=msg["camera"]).runtime_data
    records = await coordinator.history.async_frames(
        start=msg["start"], end=msg["end"], limit=msg["limit"]
    )
    frames = [{"time": r.time, "top": list(r.top), "scores": dict(r.scores)} for r in records]
    connection.send_result(msg["id"], {"frames": frames})


@websocket_api.websocket_command({vol.Required("type"): "mlwatch/subscribe"})
@callback
def ws_subscribe(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    """Tell the client whenever a question, an answer or a detection changes what it shows."""

    @callback
    def changed(reason: str, camera: str | None = None) -> None:
        event = {"reason": reason, "camera": camera}
        connection.send_message(websocket_api.event_message(msg["id"], event))

    @callback
    def on_bus(event: Event[dict[str, Any]]) -> None:
        kind = "detection" if event.event_type == EVENT_DETECTION else "question"
        changed(kind, event.data.get("camera"))

    @callback
    def on_dataset() -> None:
        changed("dataset")

    @callback
    def on_learning(camera: str) -> None:
        changed("learning", camera)

    unsubscribes = [
        async_dispatcher_connect(hass, SIGNAL_DATASET_UPDATED, on_dataset),
        async_dispatcher_connect(hass, SIGNAL_LEARNING_UPDATED, on_learning),
        hass.bus.async_listen(EVENT_DETECTION, on_bus),
        hass.bus.async_listen(EVENT_REVIEW_REQUESTED, on_bus),
    ]

    @callback
    def unsubscribe() -> None:
        for undo in unsubscribes:
            undo()

    connection.subscriptions[msg["id"]] = unsubscribe
    connection.send_result(msg["id"])


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the dashboard's commands (each needs a logged-in connection)."""
    for command in (
        *(ws_pending, ws_answer, ws_learning, ws_timeline, ws_tags, ws_frames, ws_subscribe),
    ):
        websocket_api.async_register_command(hass, command)
