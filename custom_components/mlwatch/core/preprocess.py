"""Camera bytes to input tensor: header check, reduced-size decode, region of interest, resize."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from . import jpeg
from .errors import ImageError, ImageTooLargeError
from .header import Header, read_header
from .result import FULL_FRAME, Roi

# The header reader lives in header.py (no OpenCV, no numpy); the old import path keeps working.
__all__ = [
    "DEFAULT_MAX_PIXELS",
    "Header",
    "crop",
    "decode",
    "default_normalization",
    "input_lut",
    "read_header",
    "reduction",
]

DEFAULT_MAX_PIXELS = 50_000_000  # beyond 8K (33 MP); a decode above this costs > 150 MB
# Zero bytes after the scan let libjpeg look ahead past the last code; it cannot finish the
# frame from them, so a scan that stops early suspends the decoder instead of filling grey.
_LOOKAHEAD = b"\0" * 16
_GREY = 128  # what libjpeg paints where coefficients are missing
_REDUCED = {
    8: cv2.IMREAD_REDUCED_COLOR_8,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    2: cv2.IMREAD_REDUCED_COLOR_2,
}


def reduction(header: Header, roi: Roi, size: tuple[int, int]) -> int:
    """The largest JPEG decode reduction (8, 4, 2 or 1) whose ROI still covers the model input."""
    if header.kind != "jpeg":
        return 1
    x0, y0, x1, y1 = roi.pixels(*header.size)
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
    payload, scans = data, 0
    if header.kind == "jpeg":
        found = jpeg.extent(data)
        scans = found.scans
        if scans == 1:
            payload = data[: found.end] + _LOOKAHEAD
    factor = reduction(header, roi, size)
    flag = _REDUCED.get(factor, cv2.IMREAD_COLOR)
    try:
        image = cv2.imdecode(np.frombuffer(payload, np.uint8), flag)
    except cv2.error as err:
        raise ImageError(f"{header.kind.upper()} image could not be decoded: {err}") from err
    if image is None:
        if scans == 1:
            raise ImageError("JPEG image is truncated (its data ends before the frame does)")
        raise ImageError(f"{header.kind.upper()} image could not be decoded (corrupt data)")
    width, height = header.size
    expected = (-(-height // factor), -(-width // factor))
    if image.shape[:2] == expected[::-1] != expected:
        # The decoder read the EXIF differently; what it turned is what the model sees.
        header = replace(header, orientation=1 if header.orientation >= 5 else 6)
    elif image.shape[:2] != expected:
        raise ImageError(
            f"Decoded {image.shape[1]}x{image.shape[0]} pixels where the header says "
            f"{expected[1]}x{expected[0]}"
        )
    if scans > 1 and _grey_tail(image, factor):
        # Progressive scans need the end marker, so the early stop cannot be caught as above.
        raise ImageError("JPEG image is truncated (its last blocks were filled with grey)")
    return image, header


def _grey_tail(image: np.ndarray[Any, Any], factor: int) -> bool:
    """Whether the last block is libjpeg's uniform grey for data that was not there."""
    block = max(2, 16 // factor)
    return bool(np.all(image[-block:, -block:] == _GREY))


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
) -> Any:
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
