"""Hostile clients: malformed forms, uploads before the key, slow senders, too many connections."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import aiohttp
import pytest

from devtools.photos import snapshot
from tests.const import KEY

from .conftest import Serve
from .conftest import image_form as _form

BOUNDARY = "mlwatch-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
PATHS = (
    "/v1/mlwatch/classify",
    "/v1/vision/detection",
    "/v1/vision/custom/efficientnet_lite0_int8",
)


def _multipart(*parts: tuple[str, bytes, str | None], boundary: str = BOUNDARY) -> bytes:
    """A form, byte for byte: (name, value, filename) per part."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def _status(body: dict[str, Any], path: str) -> str:
    """The error code in either shape (DeepStack's has only the message)."""
    if path.startswith("/v1/vision/"):
        assert body["success"] is False
        return str(body["error"])
    return str(body["error"]["code"])


VALID = _multipart(("image", snapshot("chelsea"), "f.jpg"), ("roi", b"0,0,1,1", None))
MALFORMED = {
    "no boundary": ("multipart/form-data", VALID),
    "wrong boundary": ("multipart/form-data; boundary=other", VALID),
    "truncated": (MULTIPART, VALID[: len(VALID) // 2]),
    "headers only": (MULTIPART, VALID[:90]),
    "garbage": (MULTIPART, random.Random(7).randbytes(5000)),  # noqa: S311 - seeded, no secret
    "empty": (MULTIPART, b""),
    "boundary too long": ("multipart/form-data; boundary=" + "b" * 80, VALID),
    "no closing boundary": (MULTIPART, VALID[: -len(BOUNDARY) - 6]),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_multipart_is_400_without_a_traceback(
    serve: Serve, caplog: pytest.LogCaptureFixture, path: str, case: str
) -> None:
    content_type, body = MALFORMED[case]
    client = await serve()
    with caplog.at_level(logging.INFO):
        resp = await client.post(path, data=body, headers={"Content-Type": content_type})
        assert resp.status == 400, await resp.text()
        answer = await resp.json()
    if path.startswith("/v1/vision/"):
        assert answer["success"] is False
        assert answer["code"] == 400
    else:
        assert answer["error"]["code"] in ("invalid_form", "no_image")
    assert _errors(caplog) == []
    assert (await client.get("/health")).status == 200


BAD_ENCODINGS = {
    "chunk size": b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "gzip": b"Content-Encoding: gzip\r\nContent-Length: 10\r\n\r\n0123456789",
    "deflate": b"Content-Encoding: deflate\r\nContent-Length: 10\r\n\r\n0123456789",
}


@pytest.mark.parametrize("path", PATHS[:2])
@pytest.mark.parametrize("content_type", ["image/jpeg", MULTIPART])
@pytest.mark.parametrize("case", sorted(BAD_ENCODINGS))
async def test_bodies_that_do_not_decode_are_400_without_a_traceback(
    serve: Serve, caplog: pytest.LogCaptureFixture, path: str, content_type: str, case: str
) -> None:
    client = await serve()
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n".encode()
    with caplog.at_level(logging.INFO):
        writer.write(head + BAD_ENCODINGS[case])
        async with asyncio.timeout(10):
            status = await reader.readline()
            await reader.read()  # until the server hangs up: its logging is done
        writer.close()
    assert status.split(b" ")[1] == b"400", status
    assert _errors(caplog) == []
    assert not [r for r in caplog.records if r.exc_info]  # no traceback at any level


async def test_fuzzed_forms_never_answer_500(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Seeded and bounded: 150 mutations of a valid form, on both kinds of endpoint."""
    rng = random.Random(20261201)  # noqa: S311 - seeded, no secret
    client = await serve()
    small = _multipart(("min_confidence", b"0.5", None), ("image", snapshot("chelsea"), "f.jpg"))
    statuses: set[int] = set()
    with caplog.at_level(logging.INFO):
        for i in range(150):
            body = bytearray(small)
            for _ in range(rng.randrange(1, 4)):
                at = rng.randrange(len(body))
                match rng.randrange(4):
                    case 0:
                        del body[at:]
                    case 1:
                        body[at] = rng.randrange(256)
                    case 2:
                        body[at:at] = rng.choice([b"\r\n", b"--", BOUNDARY.encode(), b"\r\n\r\n"])
                    case _:
                        del body[at : at + rng.randrange(1, 200)]
            resp = await client.post(
                PATHS[i % 2], data=bytes(body), headers={"Content-Type": MULTIPART}
            )
            statuses.add(resp.status)
            await resp.read()
    assert statuses <= {200, 400, 413}, statuses
    assert 400 in statuses
    assert _errors(caplog) == []


async def _answer_before_the_body(
    host: str, port: int | None, head: str, start: bytes = b""
) -> bytes:
    """Send the headers (and `start`) of a 5 MB request, never the rest: the status line."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head += f"Host: x\r\nContent-Type: {MULTIPART}\r\nContent-Length: 5000000\r\n\r\n"
        writer.write(head.encode() + start)
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize(
    ("path", "auth"),
    [(path, "Authorization: Bearer wrong\r\n") for path in PATHS]
    + [("/v1/mlwatch/classify", "")],  # DeepStack's routes read the form's key: see below
)
async def test_the_key_is_checked_before_any_body(serve: Serve, path: str, auth: str) -> None:
    client = await serve(api_key=KEY)
    host, port = client.server.host, client.server.port
    line = await _answer_before_the_body(host, port, f"POST {path} HTTP/1.1\r\n{auth}")
    assert line.startswith(b"HTTP/1.1 401")
    line = await _answer_before_the_body(host, port, f"GET /health HTTP/1.1\r\n{auth}")
    assert line.startswith(b"HTTP/1.1 401")


@pytest.mark.parametrize(
    "start",
    [
        # DeepStack's api_key after the image: the image is never read without the key.
        _multipart(("image", snapshot("chelsea"), "f.jpg"))[:400],
        # Fields and preamble that never end: no more than 64 KiB is read without the key.
        b"x" * 100 + b"\r\n" + b"junk line\r\n" * 20000,
        _multipart(*((f"f{i}", b"v" * 3000, None) for i in range(40)))[:-30],
    ],
    ids=["image first", "endless preamble", "endless fields"],
)
async def test_deepstack_form_key_comes_before_the_image(serve: Serve, start: bytes) -> None:
    client = await serve(api_key=KEY)
    host, port = client.server.host, client.server.port
    line = await _answer_before_the_body(
        host, port, "POST /v1/vision/detection HTTP/1.1\r\n", start
    )
    assert line.startswith(b"HTTP/1.1 401")


async def test_deepstack_form_key_first_is_accepted(serve: Serve) -> None:
    client = await serve(api_key=KEY)
    image = snapshot("chelsea")
    resp = await client.post("/v1/vision/detection", data=_form(image, api_key=KEY))
    assert resp.status == 400  # past auth: the classifier has no boxes
    form = aiohttp.FormData()
    form.add_field("image", image, filename="f.jpg", content_type="image/jpeg")
    form.add_field("api_key", KEY)
    resp = await client.post("/v1/vision/detection", data=form)
    assert resp.status == 401
    assert "before the image" in (await resp.json())["error"]
