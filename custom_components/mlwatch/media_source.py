"""The Media panel: mlwatch → camera → pending / confirmed / rejected (→ label) → frames."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.media_player import MediaClass, MediaType
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_CAMERA, DOMAIN, FRAME_URL
from .core.dataset import Dataset
from .feedback import async_get_dataset, frame_url, pending_days

FOLDERS = ("pending", "confirmed", "rejected")
THUMBNAIL_LIFE = timedelta(hours=1)


async def async_get_media_source(hass: HomeAssistant) -> MlwatchMediaSource:
    """The media source of every camera mlwatch watches."""
    return MlwatchMediaSource(hass)


def _title(label: str, score: object, when: float) -> str:
    """Like "cat 93 % · 14:02" (with the date when it was not today)."""
    at = dt_util.as_local(datetime.fromtimestamp(when, dt_util.UTC))
    clock = (
        at.strftime("%H:%M") if at.date() == dt_util.now().date() else at.strftime("%d %b %H:%M")
    )
    percent = f" {round(100 * score)} %" if isinstance(score, int | float) else ""
    return f"{label}{percent} · {clock}"


def _scores(row: dict[str, str]) -> dict[str, Any]:
    try:
        scores = json.loads(row["scores"])
    except ValueError:
        return {}
    return scores if isinstance(scores, dict) else {}


class MlwatchMediaSource(MediaSource):
    """Kept frames by camera and verdict; identifiers are camera[/folder[/label]][/item id]."""

    name = "mlwatch"

    def __init__(self, hass: HomeAssistant) -> None:
        """One source for the whole instance."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """The frame of a pending or answered item."""
        parts = (item.identifier or "").split("/")
        if len(parts) < 3 or parts[1] not in FOLDERS:
            raise Unresolvable(f"{item.identifier} is not a frame")
        url = FRAME_URL.format(item_id=parts[-1])
        return PlayMedia(url if parts[1] == "pending" else f"{url}?filed=1", "image/jpeg")

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """The cameras, a camera's folders, a folder's labels, or a label's frames."""
        parts = [p for p in (item.identifier or "").split("/") if p]
        store = await async_get_dataset(self.hass)
        if not parts:
            cameras = sorted(
                {e.data[CONF_CAMERA] for e in self.hass.config_entries.async_entries(DOMAIN)}
            )
            return self._folder("", "mlwatch", [self._folder(c, self._name(c)) for c in cameras])
        camera = parts[0]
        if len(parts) == 1:
            folders = [self._folder(f"{camera}/{f}", f.capitalize()) for f in FOLDERS]
            return self._folder(camera, self._name(camera), folders)
        if parts[1] == "pending":
            items = await self.hass.async_add_executor_job(store.unreviewed, camera)
            days = pending_days(self.hass, camera)
            frames = [
                self._frame(
                    f"{camera}/pending/{i.id}",
                    _title(i.label, i.scores.get(i.label), i.time),
                    frame_url(self.hass, i.id, days),
                )
                for i in sorted(items, key=lambda i: i.time, reverse=True)
            ]
            return self._folder(f"{camera}/pending", "Pending", frames)
        if parts[1] not in FOLDERS:
            raise Unresolvable(f"{item.identifier} is not an mlwatch folder")
        return await self._answered(store, camera, parts[1], parts[2] if len(parts) > 2 else None)

    async def _answered(
        self, store: Dataset, camera: str, verdict: str, label: str | None
    ) -> BrowseMediaSource:
        rows = [r for r in store.rows(camera) if r["verdict"] == verdict]
        where = f"{camera}/{verdict}"
        if label is None:
            labels = sorted({r["label"] for r in rows})
            return self._folder(
                where, verdict.capitalize(), [self._folder(f"{where}/{x}", x) for x in labels]
            )
        frames = []
        for row in sorted(rows, key=lambda r: float(r["time"]), reverse=True):
            if row["label"] != label:
                continue
            path = f"{FRAME_URL.format(item_id=row['id'])}?filed=1"
            thumbnail = async_sign_path(self.hass, path, THUMBNAIL_LIFE, use_content_user=True)
            title = _title(label, _scores(row).get(label), float(row["time"]))
            frames.append(self._frame(f"{where}/{label}/{row['id']}", title, thumbnail))
        return self._folder(f"{where}/{label}", label, frames)

    def _name(self, camera: str) -> str:
        state = self.hass.states.get(camera)
        return state.name if state else camera

    def _folder(
        self, identifier: str, title: str, children: list[BrowseMediaSource] | None = None
    ) -> BrowseMediaSource:
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=identifier,
            media_class=MediaClass.DIRECTORY,
            media_content_type=MediaType.IMAGE,
            title=title,
            can_play=False,
            can_expand=True,
            children=children,
            children_media_class=MediaClass.IMAGE,
        )

    def _frame(self, identifier: str, title: str, thumbnail: str) -> BrowseMediaSource:
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=identifier,
            media_class=MediaClass.IMAGE,
            media_content_type="image/jpeg",
            title=title,
            can_play=True,
            can_expand=False,
            thumbnail=thumbnail,
        )
