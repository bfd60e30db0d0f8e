"""Request bodies: bounded in bytes and in time, and never uploaded before the key is checked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from aiohttp import BodyPartReader, MultipartReader, StreamReader, web

from .errors import ApiError

_FIELD_LIMIT = 4096  # form fields other than the image are a few characters
# What may arrive before the key is checked: DeepStack's api_key and a few settings fit.
PREAUTH_BYTES = 64 * 1024
_FRAMING = 64 * 1024  # boundaries and part headers around an image of the largest size
# aiohttp's multipart parser raises these (some as assertions) on a malformed body.
_MALFORMED = (ValueError, AssertionError, RuntimeError)

type Gate = Callable[[dict[str, str]], None]


class _Budget:
    """The request's stream, handing out at most `limit` bytes in all (a line is short)."""

    def __init__(self, stream: StreamReader, limit: int, over: Callable[[], int]) -> None:
        self._stream, self.limit, self._over, self._used = stream, limit, over, 0

    def _take(self, data: bytes) -> bytes:
        self._used += len(data)
        if self._used > self.limit:
            self.limit = self._over()  # raises to refuse, or allows the whole body
        return data

    async def read(self, n: int = -1) -> bytes:
        return self._take(await self._stream.read(n))

    async def readline(self, **limits: int | None) -> bytes:
        # aiohttp caps a line (at 128 KiB); newer ones pass max_line_length, older ones cannot.
        return self._take(await self._stream.readline(**limits))

    def unread_data(self, data: bytes) -> None:
        self._used -= len(data)
        self._stream.unread_data(data)

    def at_eof(self) -> bool:
        return self._stream.at_eof()


def too_large(limit: int) -> ApiError:
    """The 413 of a body over `limit` bytes."""
    return ApiError(413, "too_large", f"Body larger than {limit} bytes")


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    """A form part, refused as soon as it outgrows `limit` (a chunked upload has no length)."""
    data = bytearray()
    while chunk := await part.read_chunk():
        data += chunk
        if len(data) > limit:
            raise too_large(limit)
    return bytes(data)


async def read_image(
    request: web.Request, limit: int, within: float, gate: Gate | None = None
) -> tuple[bytes, dict[str, str]]:
    """The image (multipart `image`, or the raw body) and the other form fields."""
    # A `gate` checks the key on the fields before the image, raising to refuse: until it has
    # passed, at most PREAUTH_BYTES are read and nothing is uploaded.
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    try:
        async with asyncio.timeout(within):
            if request.content_type != "multipart/form-data":
                return await request.read(), {}
            return await _read_form(request, limit, gate)
    except TimeoutError as err:
        raise ApiError(408, "body_timeout", f"The body took longer than {within} s") from err
    except _MALFORMED as err:
        raise ApiError(400, "invalid_form", f"Malformed multipart form: {err}") from err
    except web.RequestPayloadError as err:  # a content encoding that does not decode
        raise ApiError(400, "invalid_body", " ".join(str(err).split())) from err


class _Form:
    """The fields read so far and the gate that has yet to see them."""

    def __init__(self, limit: int, gate: Gate | None) -> None:
        self.fields: dict[str, str] = {}
        self.limit, self.gate = limit, gate

    def admit(self) -> int:
        """Check the key once, on the fields so far; then the whole body may come."""
        if self.gate is None:
            raise too_large(self.limit)
        gate, self.gate = self.gate, None
        gate(self.fields)
        return self.limit + _FRAMING


async def _read_form(
    request: web.Request, limit: int, gate: Gate | None
) -> tuple[bytes, dict[str, str]]:
    form = _Form(limit, gate)
    stream = _Budget(request.content, PREAUTH_BYTES if gate else limit + _FRAMING, form.admit)
    image: bytes | None = None
    try:
        reader = MultipartReader(request.headers, cast("StreamReader", stream))
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if form.gate is not None and (part.name == "image" or part.filename):
                stream.limit = form.admit()  # nothing is uploaded before the key is checked
            if part.name == "image":
                image = await _read_part(part, limit)
            elif part.name and not part.filename:  # uploads other than `image` are ignored
                value = await _read_part(part, _FIELD_LIMIT)
                form.fields[part.name] = value.decode(errors="replace")
            else:
                await part.release()
    except (*_MALFORMED, web.RequestPayloadError):
        if form.gate is not None:
            form.admit()  # a stranger learns nothing about the form, only that the key is wrong
        raise
    if form.gate is not None:
        form.admit()
    if image is None:
        raise ApiError(400, "no_image", "The form has no 'image' field")
    return image, form.fields
