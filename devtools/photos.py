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


def on_scene(
    subject: str, scene: str, size: tuple[int, int] = (1280, 720), share: float = 0.6
) -> bytes:
    """`subject` standing at the bottom middle of `scene`, `share` of its height, as a JPEG."""
    width, height = size
    frame = cv2.resize(photo(scene), size, interpolation=cv2.INTER_AREA)
    picture = photo(subject)
    h = round(height * share)
    w = round(picture.shape[1] * h / picture.shape[0])
    x0 = (width - w) // 2
    frame[height - h :, x0 : x0 + w] = cv2.resize(picture, (w, h), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
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


@cache
def variant(name: str, seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """Another camera frame of the photo: a seeded crop, maybe mirrored, relit, noisy, JPEG."""
    rng = np.random.default_rng([seed, *name.encode()])
    image = photo(name)
    h, w = image.shape[:2]
    scale = rng.uniform(0.7, 1.0)
    ch, cw = int(h * scale), int(w * scale)
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    part = image[y : y + ch, x : x + cw].astype(np.float64)
    if rng.random() < 0.5:
        part = part[:, ::-1]
    part = part * rng.uniform(0.6, 1.3) + rng.normal(0.0, rng.uniform(0.0, 8.0), part.shape)
    rgb = np.clip(part, 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])
    assert ok  # noqa: S101 - OpenCV reports a failed encode only this way
    return bytes(data.tobytes())
