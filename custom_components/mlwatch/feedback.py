"""The feedback dataset inside HA: one store per instance, pending frames, the frame view."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web
from homeassistant.components.http import KEY_AUTHENTICATED, HomeAssistantView
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .annotate import crop
from .const import (
    CONF_CAMERA,
    CONF_PENDING_DAYS,
    DATASET_DIR,
    DEFAULT_PENDING_DAYS,
    DOMAIN,
    FRAME_URL,
    SIGNAL_DATASET_UPDATED,
)
from .core.dataset import Dataset, PendingItem
from .core.embedding import pack
from .core.errors import DatasetError, DatasetFullError, InvalidLabelError, UnknownItemError
from .core.result import FULL_FRAME, Result
from .core.signing import token, valid
from .errors import translated
from .frame import Decision, Frame

_LOGGER = logging.getLogger(__name__)
DATA_DATASET: HassKey[Dataset] = HassKey(f"{DOMAIN}_dataset")
_LOAD_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_dataset_lock")
_JOBS_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_dataset_jobs")
DATA_LINK_SECRET: HassKey[bytes] = HassKey(f"{DOMAIN}_link_secret")
SIGNATURE = "mlwatch_sig"
DISK_FULL_ISSUE = "disk_full"
DATASET_ISSUE = "dataset_error"


async def async_get_dataset(hass: HomeAssistant) -> Dataset:
    """The instance's dataset under <config>/mlwatch, loaded once (off the event loop)."""
    if (store := hass.data.get(DATA_DATASET)) is not None:
        return store
    async with hass.data.setdefault(_LOAD_LOCK, asyncio.Lock()):
        if (store := hass.data.get(DATA_DATASET)) is None:
            store = Dataset(Path(hass.config.path(DATASET_DIR)))
            await hass.async_add_executor_job(store.load)
            hass.data[DATA_DATASET] = store
    return store


async def async_dataset_job[T](hass: HomeAssistant, job: Callable[[Dataset], T]) -> T:
    """Run `job(dataset)` in the executor, one job at a time."""
    store = await async_get_dataset(hass)
    # The dataset writes under one lock anyway: queued here, a flood of answers waits on the
    # loop instead of parking dozens of HA's shared executor workers on that lock.
    async with hass.data.setdefault(_JOBS_LOCK, asyncio.Lock()):
        return await hass.async_add_executor_job(job, store)


@callback
def async_report(hass: HomeAssistant, err: DatasetError) -> HomeAssistantError:
    """Turn a dataset error into a repair issue and a translated HA error."""
    issue: dict[str, Any] = {
        "is_fixable": False,
        "severity": ir.IssueSeverity.ERROR,
        "translation_placeholders": {"path": hass.config.path(DATASET_DIR), "error": str(err)},
    }
    if isinstance(err, DatasetFullError):
        ir.async_create_issue(
            hass, DOMAIN, DISK_FULL_ISSUE, translation_key=DISK_FULL_ISSUE, **issue
        )
    # An unknown id or a bad label is the caller's mistake, not a broken dataset.
    elif not isinstance(err, UnknownItemError | InvalidLabelError):
        ir.async_create_issue(hass, DOMAIN, DATASET_ISSUE, translation_key=DATASET_ISSUE, **issue)
    return translated(HomeAssistantError, err)


@callback
def async_written(hass: HomeAssistant) -> None:
    """A write worked: the dataset issues are over, and sensors may count again."""
    ir.async_delete_issue(hass, DOMAIN, DISK_FULL_ISSUE)
    ir.async_delete_issue(hass, DOMAIN, DATASET_ISSUE)
    async_dispatcher_send(hass, SIGNAL_DATASET_UPDATED)


def pending_item(
    item_id: str,
    label: str,
    source: str,
    result: Result,
    *,
    camera: str,
    watched: list[str],
    model_sha256: str,
    decision: Decision | None = None,
) -> PendingItem:
    """The kept item for a frame: its top scores, every watched label's, and who decided."""
    scores = {name: round(score, 4) for name, score in result.top}
    scores.update({w: round(result.score(w), 4) for w in watched})
    item = PendingItem(item_id, camera, label, source, scores, model_sha256)
    if decision is None:
        return item
    personal = None if decision.personal is None else round(decision.personal, 4)
    return replace(item, decided_by=decision.decided_by, personal=personal)


def packed_embedding(result: Result, model_sha256: str) -> bytes | None:
    """Executor: the frame's embedding as the dataset keeps it, when the backend gave one."""
    return None if result.embedding is None else pack(result.embedding, model_sha256)


def _save(store: Dataset, *, item: PendingItem, frame: Frame, days: float, mb: float) -> None:
    """Executor: write the frame, the crop the model saw and its embedding; enforce the bounds."""
    roi = frame.result.roi
    store.add_pending(
        item,
        frame.image,
        crop(frame.image, None if roi == FULL_FRAME else roi),
        packed_embedding(frame.result, item.model_sha256),
    )
    store.prune(max_age=days * 86400, max_bytes=int(mb * 1024 * 1024))


async def async_save_pending(
    hass: HomeAssistant, item: PendingItem, frame: Frame, *, days: float, mb: float
) -> bool:
    """Keep a detection's frame for a later verdict; a broken dataset is an issue, not a crash."""
    try:
        await async_dataset_job(hass, partial(_save, item=item, frame=frame, days=days, mb=mb))
    except DatasetError as err:
        async_report(hass, err)
        _LOGGER.warning("Could not keep detection %s for review: %s", item.id, err)
        return False
    async_written(hass)
    return True


async def async_load_link_secret(hass: HomeAssistant) -> None:
    """The key of signed frame links, made once and kept in .storage, so links survive restarts."""
    store: Store[dict[str, str]] = Store(hass, 1, f"{DOMAIN}.frame_links", private=True)
    data = await store.async_load()
    if data is None or not isinstance(data.get("secret"), str):
        data = {"secret": secrets.token_hex(32)}
        await store.async_save(data)
    hass.data[DATA_LINK_SECRET] = bytes.fromhex(data["secret"])


def frame_url(hass: HomeAssistant, item_id: str, days: float) -> str:
    """A link to a pending frame that works without a login for `days` (while it is pending)."""
    expires = int(time.time() + days * 86400)
    signature = token(hass.data[DATA_LINK_SECRET], item_id, expires)
    return f"{FRAME_URL.format(item_id=item_id)}?{SIGNATURE}={signature}"


def pending_days(hass: HomeAssistant, camera: str) -> float:
    """How long the camera's entry keeps pending frames (the default when it has none)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data[CONF_CAMERA] == camera:
            return float(entry.options[CONF_PENDING_DAYS])
    return float(DEFAULT_PENDING_DAYS)


class FrameView(HomeAssistantView):
    """Serves pending frames to logged-in clients and to signed links (a phone's notification)."""

    url = FRAME_URL
    name = "api:mlwatch:frame"
    requires_auth = False  # checked in get: a login, or the item's signature

    async def get(self, request: web.Request, item_id: str) -> web.StreamResponse:
        """A pending item's frame (`?crop=1`: the region the model saw; `?filed=1`: answered)."""
        hass: HomeAssistant = request.app["hass"]
        signature = request.query.get(SIGNATURE, "")
        secret = hass.data.get(DATA_LINK_SECRET)
        signed = secret is not None and valid(secret, item_id, signature, time.time())
        if not (request.get(KEY_AUTHENTICATED) or signed):
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        kind = "crop" if request.query.get("crop") else "frame"
        try:
            store = await async_get_dataset(hass)
            if request.query.get("filed"):  # an answered frame, for the media browser
                path = await hass.async_add_executor_job(store.filed_path, item_id)
            else:
                path = await hass.async_add_executor_job(store.frame_path, item_id, kind)
        except UnknownItemError:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        except DatasetError as err:
            async_report(hass, err)
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
        return web.FileResponse(
            path, headers={"Content-Type": "image/jpeg", "Cache-Control": "private"}
        )


async def async_stats(hass: HomeAssistant, camera: str, labels: list[str]) -> dict[str, Any]:
    """Pending, confirmed, rejected and precision for one camera (directory reads in executor)."""
    store = await async_get_dataset(hass)

    def read() -> dict[str, Any]:
        return {**store.stats(camera, labels), "pending": len(store.unreviewed(camera))}

    return await hass.async_add_executor_job(read)
