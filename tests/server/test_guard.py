"""Auth, size and pixel limits, the bounded queue, timeouts and clients that go away."""

from __future__ import annotations

import asyncio
import hmac
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, cast
from unittest.mock import patch

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from mlwatch_server.auth import STATE, authorize
from mlwatch_server.errors import ApiError

from devtools.photos import snapshot

from .conftest import Gated, Serve
from .conftest import image_form as _form

KEY = "s3cret-key-0123456789"


async def _until(client: TestClient[Any, Any], done: Callable[[dict[str, int]], bool]) -> None:
    """Poll the server's own queue counters (it has no push channel to wait on)."""
    for _ in range(1000):
        if done((await (await client.get("/health")).json())["queue"]):
            return
        await asyncio.sleep(0.01)
    pytest.fail("the queue never got there")


def _huge_jpeg_header(width: int, height: int) -> bytes:
    """A JPEG whose frame header claims `width` x `height`: a decompression bomb's opening."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x00" * 9
    return b"\xff\xd8" + sof + b"\xff\xd9"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": f"Bearer {KEY}x"}, 401),
        ({"Authorization": KEY}, 401),  # not a bearer token
        ({"Authorization": f"Bearer {KEY}"}, 200),
        ({"Authorization": f"bearer {KEY}"}, 200),
    ],
)
async def test_api_key_as_bearer(serve: Serve, headers: dict[str, str], status: int) -> None:
    client = await serve(api_key=KEY)
    for path in ("/health", "/metrics"):
        resp = await client.get(path, headers=headers)
        assert resp.status == status
    resp = await client.post("/v1/mlwatch/classify", data=snapshot("chelsea"), headers=headers)
    assert resp.status == status
    if status == 401:
        assert (await resp.json())["error"]["code"] == "invalid_auth"


async def test_deepstack_api_key_form_field(serve: Serve) -> None:
    client = await serve(api_key=KEY)
    resp = await client.post("/v1/vision/detection", data=_form(snapshot("chelsea"), api_key="no"))
    assert resp.status == 401
    assert (await resp.json()) == {
        "success": False,
        "error": "Missing or wrong API key",
        "code": 401,
    }
    resp = await client.post("/v1/vision/detection", data=_form(snapshot("chelsea"), api_key=KEY))
    assert resp.status == 400  # past auth: the classifier has no boxes


async def test_key_is_compared_in_constant_time(serve: Serve) -> None:
    """Every check goes through hmac.compare_digest on equal-length digests, whatever was sent."""
    client = await serve(api_key=KEY)
    seen: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((len(a), len(b)))
        return real(a, b)

    with patch("mlwatch_server.auth.hmac.compare_digest", side_effect=spy):
        for token in ("x", KEY[:-1], KEY + KEY, KEY):
            await client.get("/health", headers={"Authorization": f"Bearer {token}"})
        await client.get("/health")
    assert seen == [(32, 32)] * 5


async def test_remote_clients_need_a_key(serve: Serve) -> None:
    client = await serve()
    app = cast("TestServer", client.server).app
    remote = make_mocked_request(
        "GET", "/health", app=app, transport=_transport(("192.0.2.7", 50000))
    )
    with pytest.raises(ApiError) as err:
        authorize(remote)
    assert err.value.status == 403
    local = make_mocked_request("GET", "/health", app=app, transport=_transport(("::1", 1, 0, 0)))
    authorize(local)
    app[STATE].config = replace(app[STATE].config, allow_remote_without_key=True)
    authorize(remote)


def _transport(peer: tuple[object, ...]) -> object:
    class Transport:
        def get_extra_info(self, name: str, default: object = None) -> object:
            return peer if name == "peername" else default

        def is_closing(self) -> bool:
            return False

    return Transport()


async def test_body_limit_413_before_reading(serve: Serve) -> None:
    image = snapshot("chelsea")
    client = await serve(max_body_bytes=len(image) - 1)
    resp = await client.post("/v1/mlwatch/classify", data=image)
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "too_large"
    resp = await client.post("/v1/mlwatch/classify", data=_form(image))
    assert resp.status == 413
    metrics = await (await client.get("/metrics")).json()
    assert metrics["rejected"]["too_large"] == 2
    assert metrics["inference"]["count"] == 0


async def test_body_limit_without_content_length(serve: Serve) -> None:
    image = snapshot("chelsea")
    client = await serve(max_body_bytes=len(image) // 2)

    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse early
        for i in range(0, len(image), 65536):
            yield image[i : i + 65536]

    resp = await client.post("/v1/mlwatch/classify", data=chunks())
    assert resp.status == 413


async def test_pixel_limit_refuses_before_decode(serve: Serve, gated: Gated) -> None:
    client = await serve(workers=[gated], max_pixels=8_000_000)
    gated.gate.set()
    resp = await client.post("/v1/mlwatch/classify", data=_huge_jpeg_header(60000, 60000))
    assert resp.status == 413
    body = await resp.json()
    assert body["error"]["code"] == "image_too_large"
    assert "60000x60000" in body["error"]["message"]
    assert gated.calls == 0  # never queued, never decoded
    resp = await client.post("/v1/mlwatch/classify", data=snapshot("chelsea", (4000, 2250)))
    assert resp.status == 413  # 9 MP is over 8 MP
    assert (await client.post("/v1/mlwatch/classify", data=snapshot("chelsea"))).status == 200


async def test_full_queue_is_503_with_retry_after(serve: Serve, gated: Gated) -> None:
    client = await serve(workers=[gated], queue=2)
    image = snapshot("chelsea")
    first = asyncio.create_task(client.post("/v1/mlwatch/classify", data=image))
    await asyncio.get_running_loop().run_in_executor(None, gated.entered.acquire)
    waiting = [
        asyncio.create_task(client.post("/v1/mlwatch/classify", data=image)) for _ in range(2)
    ]
    await _until(client, lambda queue: queue["waiting"] == 2)
    refused = await asyncio.gather(
        *(client.post("/v1/mlwatch/classify", data=image) for _ in range(5))
    )
    assert [r.status for r in refused] == [503] * 5
    # Refused before the upload: a request whose body never comes still gets its 503.
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(
        b"POST /v1/mlwatch/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"
    )
    async with asyncio.timeout(10):
        assert (await reader.readline()).startswith(b"HTTP/1.1 503")
    writer.close()
    await writer.wait_closed()
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert (await refused[0].json())["error"]["code"] == "queue_full"
    gated.gate.set()
    done = await asyncio.gather(first, *waiting)
    assert [r.status for r in done] == [200] * 3
    metrics = await (await client.get("/metrics")).json()
    assert metrics["rejected"] == {"queue_full": 6}
    assert metrics["queue"]["depth"] == 0


async def test_timeout_is_504_and_the_busy_interpreter_is_not_reused(
    serve: Serve, gated: Gated
) -> None:
    client = await serve(workers=[gated], timeout=0.3)
    image = snapshot("chelsea")
    resp = await client.post("/v1/mlwatch/classify", data=image)
    assert resp.status == 504
    assert (await resp.json())["error"]["code"] == "timeout"
    health = await (await client.get("/health")).json()
    assert health["queue"]["running"] == 1  # still on its thread: nobody else gets it
    resp = await client.post("/v1/mlwatch/classify", data=image)
    assert resp.status == 504  # timed out waiting for the interpreter
    assert gated.calls == 1
    gated.gate.set()
    await _until(client, lambda queue: queue["depth"] == 0)
    assert (await client.post("/v1/mlwatch/classify", data=image)).status == 200


async def test_client_gone_mid_upload_and_while_queued(serve: Serve, gated: Gated) -> None:
    client = await serve(workers=[gated])
    host, port = client.server.host, client.server.port
    image = snapshot("chelsea")
    head = (
        f"POST /v1/mlwatch/classify HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: image/jpeg\r\nContent-Length: {len(image)}\r\n\r\n"
    ).encode()
    # Half a body, then gone.
    _, writer = await asyncio.open_connection(host, port)
    writer.write(head + image[: len(image) // 2])
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    # A whole request, gone while it waits for the interpreter.
    _, writer = await asyncio.open_connection(host, port)
    writer.write(head + image)
    await writer.drain()
    await asyncio.get_running_loop().run_in_executor(None, gated.entered.acquire)
    writer.close()
    await writer.wait_closed()
    gated.gate.set()
    await _until(client, lambda queue: queue["depth"] == 0)
    assert gated.calls == 1  # the half upload never reached the interpreter
    assert (await client.post("/v1/mlwatch/classify", data=image)).status == 200
