"""Camera bytes to input tensor: header check, reduced-size decode, region of interest, resize."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .errors import ImageError, ImageTooLargeError
from .result import FULL_FRAME, Roi

DEFAULT_MAX_PIXELS = 50_000_000  # beyond 8K (33 MP); a decode above this costs > 150 MB
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_REDUCED = {
    8: cv2.IMREAD_REDUCED_COLOR_8,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    2: cv2.IMREAD_REDUCED_COLOR_2,
}


@dataclass(frozen=True, slots=True)
class Header:
    """Format and size read from the first bytes, before any decode."""

    kind: str
    width: int
    height: int


def read_header(data: bytes) -> Header:
    """Read width and height of a JPEG or PNG without decoding it."""
    if data.startswith(_PNG_SIGNATURE):
        if len(data) < 24 or data[12:16] != b"IHDR":  # noqa: PLR2004
            raise ImageError("PNG image is truncated or corrupt (no IHDR header)")
        width, height = struct.unpack(">II", data[16:24])
        return _checked(Header("png", width, height))
    if data.startswith(b"\xff\xd8"):
        return _checked(_jpeg_header(data))
    if not data:
        raise ImageError("Empty image (0 bytes)")
    raise ImageError("Not a JPEG or PNG image")


def _jpeg_header(data: bytes) -> Header:
    """Walk the JPEG segments to the start-of-frame marker."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:  # noqa: PLR2004
            raise ImageError("JPEG image is corrupt (bad segment marker)")
        marker = data[pos + 1]
        if marker == 0xFF:  # noqa: PLR2004 - fill byte
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return Header("jpeg", width, height)
        pos += 2 + length
    raise ImageError("JPEG image is truncated or corrupt (no frame header)")


def _checked(header: Header) -> Header:
    if header.width <= 0 or header.height <= 0:
        raise ImageError(f"Image header says {header.width}x{header.height} pixels")
    return header


def reduction(header: Header, roi: Roi, size: tuple[int, int]) -> int:
    """The largest JPEG decode reduction (8, 4, 2 or 1) whose ROI still covers the model input."""
    if header.kind != "jpeg":
        return 1
    x0, y0, x1, y1 = roi.pixels(header.width, header.height)
    model_w, model_h = size
    for factor in (8, 4, 2):
        if (x1 - x0) / factor >= model_w and (y1 - y0) / factor >= model_h:
            return factor
    return 1


def decode(
    data: bytes,
    *,
    roi: Roi = FULL_FRAME,
    size: tuple[int, int],
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[np.ndarray[Any, Any], Header]:
    """Decode to BGR uint8, at reduced size where the ROI still covers `size` (width, height)."""
    header = read_header(data)
    if header.width * header.height > max_pixels:
        raise ImageTooLargeError(
            f"Image is {header.width}x{header.height} ({header.width * header.height:,} pixels); "
            f"the limit is {max_pixels:,}"
        )
    if header.kind == "jpeg" and not data[-4096:].rstrip(b"\0").endswith(b"\xff\xd9"):
        # libjpeg would fill the missing rows with grey and say nothing: refuse a half frame.
        raise ImageError("JPEG image is truncated (no end-of-image marker)")
    factor = reduction(header, roi, size)
    flag = _REDUCED.get(factor, cv2.IMREAD_COLOR)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if image is None:
        raise ImageError(f"{header.kind.upper()} image could not be decoded (corrupt data)")
    return image, header


def crop(image: np.ndarray[Any, Any], roi: Roi) -> np.ndarray[Any, Any]:
    """The ROI of a decoded frame, as a view (no copy)."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = roi.pixels(width, height)
    return image[y0:y1, x0:x1]


def input_lut(
    dtype: np.dtype[Any],
    scale: float,
    zero_point: int,
    mean: float | Sequence[float],
    std: float | Sequence[float],
) -> Any:  # noqa: ANN401
    """A table from pixel value to input value: normalise, then quantize if needed.

    Shape (256,) for one mean/std, or (256, 1, 3) for per-channel (RGB) values, which is the
    form cv2.LUT applies channel by channel.
    """
    means, stds = (
        np.atleast_1d(np.asarray(mean, np.float64)),
        np.atleast_1d(np.asarray(std, np.float64)),
    )
    per_channel = means.size > 1 or stds.size > 1
    pixels = (
        np.arange(256, dtype=np.float64).reshape(256, 1, 1) if per_channel else np.arange(256.0)
    )
    values = (pixels - (means.reshape(1, 1, -1) if per_channel else means[0])) / (
        stds.reshape(1, 1, -1) if per_channel else stds[0]
    )
    if per_channel:
        values = np.broadcast_to(values, (256, 1, 3))
    if np.issubdtype(dtype, np.integer) and scale:
        info = np.iinfo(dtype)
        values = np.clip(np.round(values / scale + zero_point), info.min, info.max)
    return np.ascontiguousarray(values.astype(dtype))


def default_normalization(
    dtype: np.dtype[Any], scale: float, zero_point: int
) -> tuple[float, float]:
    """Mean and std when neither metadata nor settings give them.

    Quantized models get their raw pixels (uint8) or pixels shifted by 128 (int8): solving
    (p - mean) / std / scale + zero_point = p - shift gives mean = shift + zero_point and
    std = 1 / scale. Float models get [-1, 1], the most common convention.
    """
    if np.issubdtype(dtype, np.integer) and scale:
        shift = 128 if dtype == np.int8 else 0
        return float(shift + zero_point), 1.0 / scale
    return 127.5, 127.5
