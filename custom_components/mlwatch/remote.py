"""Inference on a server: an mlwatch server, or a DeepStack / CodeProject.AI detection server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .annotate import orientation, upright
from .backend import ModelInfo, ServerAuthError, ServerBusyError, ServerUnavailableError
from .const import (
    BACKEND_DEEPSTACK,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_FALLBACK_URL,
    CONF_SERVER_MODEL,
    CONF_URL,
)
from .core.errors import ImageError, MlwatchError
from .core.header import read_header
from .core.labels import COCO_LABELS
from .core.result import FULL_FRAME, Result, Roi
from .core.wire import deepstack_from_json, result_from_json

_LOGGER = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)
# After a server fails, the next frames go to the fallback; the primary is tried again after this.
RETRY_PRIMARY_AFTER = 30.0
_UNAVAILABLE = (502, 503, 504)


class ServerResponseError(MlwatchError):
    """The server answered, but not with something mlwatch can use."""

    key = "server_error"


def _urls(data: dict[str, Any]) -> list[str]:
    urls = [data[CONF_URL], data.get(CONF_FALLBACK_URL) or ""]
    return [u.strip().rstrip("/") for u in urls if u and u.strip()]


class _Servers:
    """The primary and fallback URLs, and which of them failed recently."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._failed_at: dict[str, float] = {}

    def order(self) -> list[str]:
        """Servers that have not failed lately first, in configured order."""
        now = time.monotonic()
        fresh = [u for u in self.urls if now - self._failed_at.get(u, -1e9) > RETRY_PRIMARY_AFTER]
        return fresh + [u for u in self.urls if u not in fresh]

    def failed(self, url: str, err: object) -> None:
        if url not in self._failed_at:
            _LOGGER.warning("mlwatch server %s failed (%s); trying the next one", url, err)
        self._failed_at[url] = time.monotonic()

    def answered(self, url: str) -> None:
        if self._failed_at.pop(url, None) is not None:
            _LOGGER.info("mlwatch server %s answers again", url)


class _HttpBackend:
    """Shared parts: one HA client session, the servers, error mapping."""

    def __init__(self, hass: HomeAssistant, data: dict[str, Any]) -> None:
        self._session = async_get_clientsession(hass)
        self._servers = _Servers(_urls(data))
        self._key: str | None = data.get(CONF_API_KEY) or None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"} if self._key else {}

    async def _request(
        self,
        method: str,
        path: str,
        data: bytes | Callable[[], aiohttp.FormData] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """The first server that answers: its URL and JSON; auth and image errors are final."""
        last: object = None
        busy = True  # until a server fails in another way than a full queue
        for url in self._servers.order():
            try:
                async with self._session.request(
                    method,
                    url + path,
                    headers=self._headers(),
                    timeout=TIMEOUT,
                    # A form is consumed by sending it: a fallback server gets a fresh one.
                    data=data() if callable(data) else data,
                    params=params,
                ) as resp:
                    unavailable = resp.status in _UNAVAILABLE
                    body = None if unavailable else await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                self._servers.failed(url, err)
                last, busy = err, False
                continue
            if unavailable:  # busy or restarting: the next server may answer
                last = f"{url} answered {resp.status}"
                if resp.status == 503:  # queue full: alive, so not marked failed
                    continue
                self._servers.failed(url, last)
                busy = False
                continue
            self._servers.answered(url)
            if resp.status in (401, 403):
                raise ServerAuthError(f"{url} refused the API key: {_message(body)}")
            if resp.status in (400, 413):
                raise ImageError(f"{url}: {_message(body)}")
            if resp.status != 200 or not isinstance(body, dict):
                raise ServerResponseError(f"{url} answered {resp.status}: {_message(body)}")
            return url, body
        if busy and last is not None:
            raise ServerBusyError(f"Every server is busy: {last}")
        raise ServerUnavailableError(f"No mlwatch server answered: {last}")

    async def close(self) -> None:
        """The session is HA's own; nothing to release."""


def _message(body: object) -> str:
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message", err))
        if err is not None:
            return str(err)
    return str(body)[:200]


class MlwatchServerBackend(_HttpBackend):
    """The same core on an mlwatch server: same scores, same labels, same groups."""

    info: ModelInfo

    def __init__(self, hass: HomeAssistant, data: dict[str, Any]) -> None:
        """Servers and key; `create` asks the server what it runs."""
        super().__init__(hass, data)
        self._other_model: set[str] = set()
        self._other_space: set[str] = set()

    @classmethod
    async def create(cls, hass: HomeAssistant, data: dict[str, Any]) -> MlwatchServerBackend:
        """Ask the server what it runs (`/health`); raises on bad key or no server."""
        self = cls(hass, data)
        url, health = await self._request("GET", "/health")
        try:
            self.info = ModelInfo(
                name=f"{health['model']['name']} @ {url}",
                sha256=health["model"]["sha256"],
                # A server from before embedding recipes took the model's own (recipe 1).
                embedding_space=health["model"].get("embedding_space", health["model"]["sha256"]),
                kind=health["model"]["kind"],
                labels=list(health["label_names"]),
                groups=list(health["groups"]),
                device=f"{health['device']} (server)",
                fallback_reason=health.get("fallback_reason"),
            )
        except (KeyError, TypeError) as err:
            raise ServerResponseError(f"{url} is not an mlwatch server: {err}") from err
        return self

    async def classify(self, image: bytes, roi: Roi | None = None) -> Result:
        """Send the frame, get the result as the in-process backend would give it."""
        # The embedding too: the personal model learns from it (issue 13), as in process.
        params = {"embedding": "1"}
        if roi is not None:
            params["roi"] = f"{roi.x},{roi.y},{roi.width},{roi.height}"
        url, body = await self._request(
            "POST",
            "/v1/mlwatch/classify",
            data=image,
            params=params,
        )
        model = body.get("model", {})
        sha256 = model.get("sha256")
        if sha256 and sha256 != self.info.sha256 and url not in self._other_model:
            self._other_model.add(url)  # said once per server: a fallback may run another model
            _LOGGER.warning("%s runs a different model than the one set up (%s)", url, sha256)
        try:
            result = result_from_json(body)
        except (KeyError, TypeError, ValueError) as err:
            raise ServerResponseError(f"{url} sent an unreadable result: {err}") from err
        if sha256 and model.get("embedding_space", sha256) != self.info.embedding_space:
            if url not in self._other_space:
                self._other_space.add(url)
                _LOGGER.warning("%s takes embeddings another way: they are not learned from", url)
            # From another space it would teach the heads nonsense; the crop is kept instead.
            result = replace(result, embedding=None)
        return result


class DeepStackBackend(_HttpBackend):
    """A DeepStack / CodeProject.AI server's detections, as mlwatch scores per label."""

    def __init__(self, hass: HomeAssistant, data: dict[str, Any]) -> None:
        """Detection, or a named custom model (`/v1/vision/custom/<name>`)."""
        super().__init__(hass, data)
        self._hass = hass
        name = (data.get(CONF_SERVER_MODEL) or "").strip()
        self._path = f"/v1/vision/custom/{name}" if name else "/v1/vision/detection"
        self.info = ModelInfo(
            name=f"{name or 'detection'} @ {self._servers.urls[0]}",
            sha256="",
            embedding_space="",
            kind="detector",
            labels=list(COCO_LABELS),
            groups=[],
            device="DeepStack/CodeProject.AI server",
            fallback_reason=None,
        )

    @classmethod
    async def create(cls, hass: HomeAssistant, data: dict[str, Any]) -> DeepStackBackend:
        """No health endpoint in that API: the first frame proves the server."""
        return cls(hass, data)

    async def classify(self, image: bytes, roi: Roi | None = None) -> Result:
        """Detect in the whole frame and keep the boxes standing in the region."""
        start = time.perf_counter()
        try:
            if orientation(image) != 1:
                # Servers differ on EXIF: sent upright, its boxes are in the frame the crop and
                # the drawing use. Turning decodes, so not on the event loop.
                image = await self._hass.async_add_executor_job(upright, image)
            # DeepStack answers in pixels and does not say the frame's size: the header does.
            header = read_header(image)
        except (OSError, ValueError) as err:
            raise ImageError(f"Not an image: {err}") from err

        def form() -> aiohttp.FormData:
            fields = aiohttp.FormData()
            fields.add_field("image", image, filename="frame.jpg", content_type="image/jpeg")
            fields.add_field("min_confidence", "0.1")
            if self._key:
                fields.add_field("api_key", self._key)
            return fields

        try:
            _, body = await self._request("POST", self._path, data=form)
        except ImageError as err:
            # The frame's header was read above: a refusal is about the server's model or API.
            raise ServerResponseError(str(err)) from err
        if not body.get("success", False):
            raise ServerResponseError(_message(body))
        elapsed = (time.perf_counter() - start) * 1000
        try:
            return deepstack_from_json(
                body, (header.width, header.height), roi or FULL_FRAME, elapsed_ms=elapsed
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ServerResponseError(f"Unreadable predictions: {err!r}") from err


def remote_backend_class(data: dict[str, Any]) -> type[MlwatchServerBackend | DeepStackBackend]:
    """Which remote backend an entry's data names."""
    return DeepStackBackend if data.get(CONF_BACKEND) == BACKEND_DEEPSTACK else MlwatchServerBackend
