"""The HTTP API: health, metrics, mlwatch's classify and a DeepStack-compatible detection."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from mlwatch_core.embedding import space
from mlwatch_core.engine import Classifier
from mlwatch_core.errors import ImageError, ImageTooLargeError, MlwatchError
from mlwatch_core.header import read_header
from mlwatch_core.result import Result, Roi
from mlwatch_core.wire import deepstack_error, deepstack_to_json, result_to_json

from . import __version__
from .auth import STATE, State, authorize, bearer, form_key
from .body import read_image, too_large
from .config import ServerConfig
from .conn import ConnectionGuard
from .errors import ApiError
from .observe import quiet_bad_requests
from .pool import InferencePool, QueueFullError, now_ms

_LOGGER = logging.getLogger("mlwatch_server")
DEEPSTACK_MIN_CONFIDENCE = 0.45  # DeepStack's documented default


def _error_body(request: web.Request, err: ApiError) -> dict[str, Any]:
    if request.path.startswith("/v1/vision/"):
        return deepstack_error(err.message, err.status)
    return {"error": {"code": err.code, "message": err.message}}


@web.middleware
async def guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Errors as JSON, counters, and one structured log line per request."""
    state = request.app[STATE]
    start = now_ms()
    route = request.match_info.route.resource
    path = route.canonical if route is not None else "unmatched"
    state.metrics.requests[path] += 1
    state.connections.started(request.protocol)
    status = 500
    try:
        response = await handler(request)
        status = response.status
    except ApiError as err:
        status = err.status
        state.metrics.rejected[err.code] += 1
        return web.json_response(_error_body(request, err), status=status, headers=err.headers)
    except web.HTTPRequestEntityTooLarge:
        status = 413
        state.metrics.rejected["too_large"] += 1
        api = too_large(state.config.max_body_bytes)
        return web.json_response(_error_body(request, api), status=413)
    except web.HTTPException as err:
        status = err.status
        raise
    except ConnectionError:
        status = 499  # the client went away before we answered
        state.metrics.rejected["client_gone"] += 1
        raise
    finally:
        state.connections.finished(request.protocol)
        state.metrics.responses[str(status)] += 1
        _LOGGER.info(
            "%s %s %s",
            request.method,
            path,
            status,
            extra={
                "request_id": request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12],
                "remote": request.remote,
                "status": status,
                "ms": round(now_ms() - start, 2),
                "queue": state.pool.depth,
            },
        )
    return response


def _roi(text: str | None) -> Roi | None:
    try:
        return Roi.parse(text or "")
    except ValueError as err:
        raise ApiError(400, "invalid_roi", f"roi: {err}") from err


def _queue_full(state: State) -> ApiError:
    p50 = state.metrics.percentile(0.5) or 1000.0
    wait = math.ceil(p50 * max(1, state.pool.depth) / state.pool.size / 1000)
    return ApiError(
        503, "queue_full", "All interpreters are busy", {"Retry-After": str(max(1, wait))}
    )


def _admit(request: web.Request) -> None:
    """Refuse before the upload is read: under a flood, reading bodies to refuse them costs most."""
    state = request.app[STATE]
    if state.pool.full:
        raise _queue_full(state)


async def _classify(request: web.Request, image: bytes, roi: Roi | None) -> tuple[Result, float]:
    """Check the image's header, then queue it for an interpreter."""
    state = request.app[STATE]
    try:
        header = read_header(image)
    except ImageError as err:
        raise ApiError(400, "invalid_image", str(err)) from err
    if header.width * header.height > state.config.max_pixels:
        raise ApiError(
            413,
            "image_too_large",
            f"{header.width}x{header.height} is more than {state.config.max_pixels} pixels",
        )
    try:
        done = await state.pool.run(lambda clf: clf.classify(image, roi), state.config.timeout)
    except QueueFullError as err:
        raise _queue_full(state) from err
    except TimeoutError as err:
        raise ApiError(504, "timeout", f"Not done within {state.config.timeout} s") from err
    except ImageTooLargeError as err:
        raise ApiError(413, "image_too_large", str(err)) from err
    except ImageError as err:
        raise ApiError(400, "invalid_image", str(err)) from err
    except MlwatchError as err:
        raise ApiError(500, err.key, str(err)) from err
    state.metrics.inference(done.value.timings.total)
    return done.value, done.queued_ms


async def health(request: web.Request) -> web.Response:
    """Model, device, version and queue: what a client checks before it relies on us."""
    authorize(request)
    state = request.app[STATE]
    return web.json_response(
        {"status": "ok", "version": __version__, **state.model, "queue": _queue(state)}
    )


def _queue(state: State) -> dict[str, int]:
    pool = state.pool
    return {
        "depth": pool.depth,
        "waiting": pool.waiting,
        "running": pool.running,
        "limit": pool.limit,
        "workers": pool.size,
    }


async def metrics(request: web.Request) -> web.Response:
    """Counters since start, as JSON."""
    authorize(request)
    state = request.app[STATE]
    body = state.metrics.snapshot(_queue(state))
    body["connections"] = state.connections.snapshot()
    return web.json_response(body)


async def classify(request: web.Request) -> web.Response:
    """Mlwatch's own API: labels, scores, groups, boxes, timings; the embedding on request."""
    authorize(request)
    _admit(request)
    start = now_ms()
    config = request.app[STATE].config
    image, fields = await read_image(request, config.max_body_bytes, config.body_timeout)
    roi = _roi(fields.get("roi", request.query.get("roi")))
    want = fields.get("embedding", request.query.get("embedding", "")).lower()
    result, queued = await _classify(request, image, roi)
    body = result_to_json(result, embedding=want in ("1", "true", "yes"))
    body["timings"]["queue"] = round(queued, 3)
    body["timings"]["total"] = round(now_ms() - start, 3)
    model = request.app[STATE].model["model"]
    body["model"] = {"sha256": model["sha256"], "embedding_space": model["embedding_space"]}
    return web.json_response(body)


async def detection(request: web.Request) -> web.Response:
    """DeepStack / CodeProject.AI `/v1/vision/detection`: boxes in pixels, for detector models."""
    start = now_ms()
    state = request.app[STATE]
    # DeepStack's api_key comes in the form: it is checked before the image is read (body.py).
    checked = state.config.api_key is None or bearer(request) is not None
    if checked or request.content_type != "multipart/form-data":
        authorize(request)
    if request.content_type != "multipart/form-data":
        raise ApiError(400, "no_image", "Send the image as the multipart form field 'image'")
    _admit(request)
    config = state.config
    gate = None if checked else lambda fields: form_key(request, fields)
    image, fields = await read_image(request, config.max_body_bytes, config.body_timeout, gate)
    if "name" in request.match_info and request.match_info["name"] != state.config.name:
        raise ApiError(404, "unknown_model", f"This server runs '{state.config.name}'")
    if not state.kind.finds_boxes:
        raise ApiError(
            400,
            "not_a_detector",
            "This server runs a classifier, which finds no boxes: use /v1/mlwatch/classify",
        )
    try:
        min_confidence = float(fields.get("min_confidence", DEEPSTACK_MIN_CONFIDENCE))
    except ValueError as err:
        raise ApiError(400, "invalid_min_confidence", "min_confidence must be a number") from err
    result, _ = await _classify(request, image, None)
    return web.json_response(
        deepstack_to_json(result, min_confidence=min_confidence, process_ms=now_ms() - start)
    )


def model_description(config: ServerConfig, classifier: Classifier, sha256: str) -> dict[str, Any]:
    """The model part of `/health`."""
    return {
        "model": {
            "name": config.model.name,
            "sha256": sha256,
            # What its embeddings are comparable with: the integration keys its answers by it.
            "embedding_space": space(sha256, classifier.settings.embedding_recipe),
            "kind": str(classifier.kind),
            "labels": len(classifier.labels),
            "input": list(classifier.size),
        },
        "device": classifier.runner.device,
        "fallback_reason": classifier.runner.fallback_reason,
        "label_names": list(classifier.labels),
        "groups": sorted(classifier.groups),
    }


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """On shutdown, after the last request has its answer: finish jobs, stop the threads."""
    yield
    await app[STATE].pool.drain()


def create_app(
    config: ServerConfig, classifiers: Sequence[Classifier], sha256: str
) -> web.Application:
    """The application around loaded classifiers (one per worker thread)."""
    quiet_bad_requests()
    app = web.Application(middlewares=[guard], client_max_size=config.max_body_bytes)
    pool: InferencePool[Classifier] = InferencePool(classifiers, config.queue)
    first = classifiers[0]
    connections = ConnectionGuard(config.header_timeout, config.max_connections)
    model = model_description(config, first, sha256)
    app[STATE] = State(config, pool, model, first.kind, connections)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/v1/mlwatch/classify", classify)
    app.router.add_post("/v1/vision/detection", detection)
    app.router.add_post("/v1/vision/custom/{name}", detection)

    app.cleanup_ctx.append(_lifecycle)
    return app
