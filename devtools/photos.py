"""Real photos as cameras send them: scikit-image's bundled CC0 samples, encoded as JPEG."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import cv2
import numpy as np
from PIL import Image
from skimage import data as samples

# What exif_transpose applies for each orientation is undone here, so the tag turns it back.
_STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
_GREY = 2  # a grey photo (the cameraman, as at night) has no channel axis


@cache
def photo(name: str) -> np.ndarray[Any, Any]:
    """One of scikit-image's sample photos, RGB."""
    image: np.ndarray[Any, Any] = getattr(samples, name)()
    if image.ndim == _GREY:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return image


def encode(name: str, size: tuple[int, int], *params: int) -> bytes:
    """The photo resized to `size` (width, height), as a JPEG with OpenCV's `params`."""
    bgr = cv2.cvtColor(
        cv2.resize(photo(name), size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR
    )
    ok, encoded = cv2.imencode(".jpg", bgr, list(params))
    assert ok  # noqa: S101 - OpenCV reports a failed encode only this way
    return encoded.tobytes()


@cache
def snapshot(
    name: str = "chelsea", size: tuple[int, int] = (1920, 1080), quality: int = 90
) -> bytes:
    """The photo as a camera would send it: a JPEG at `size` (width, height)."""
    return encode(name, size, cv2.IMWRITE_JPEG_QUALITY, quality)


def tagged(upright: Image.Image, orientation: int, kind: str = "JPEG") -> bytes:
    """`upright` stored as a camera would with EXIF orientation `orientation`."""
    method = _STORE[orientation]
    stored = upright if method is None else upright.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    stored.save(
        out, format=kind, exif=exif.tobytes(), **({"quality": 92} if kind == "JPEG" else {})
    )
    return out.getvalue()
