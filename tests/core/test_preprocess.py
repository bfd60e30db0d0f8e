"""Decoding camera bytes: headers, limits, reduced decode, ROI maths, the input table."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from custom_components.mlwatch.core.engine import Classifier
from custom_components.mlwatch.core.errors import ImageError, ImageTooLargeError
from custom_components.mlwatch.core.header import Header, read_header
from custom_components.mlwatch.core.preprocess import (
    crop,
    decode,
    default_normalization,
    input_lut,
    reduction,
)
from custom_components.mlwatch.core.result import FULL_FRAME, Roi
from devtools.photos import photo

MODEL = (224, 224)


def png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims a size; the data after it is junk, as a hostile file would be."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\x00" * 64


def jpeg_header_only(width: int, height: int) -> bytes:
    sof = (
        struct.pack(">BBHBHHB", 0xFF, 0xC0, 17, 8, height, width, 3)
        + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    )
    return b"\xff\xd8" + sof + b"\xff\xd9"


def test_jpeg_and_png_headers(jpeg: Callable[..., bytes]) -> None:
    assert read_header(jpeg("coffee", (1920, 1080))) == Header("jpeg", 1920, 1080)
    assert read_header(png(np.zeros((7, 5, 3), np.uint8))) == Header("png", 5, 7)


@pytest.mark.parametrize("data", [png_header_only(20000, 20000), jpeg_header_only(20000, 20000)])
def test_huge_image_is_refused_before_decoding(data: bytes) -> None:
    with pytest.raises(ImageTooLargeError, match=r"20000x20000 \(400,000,000 pixels\)") as err:
        decode(data, size=MODEL)
    assert err.value.key == "image_too_large"


def test_pixel_limit_is_configurable(jpeg: Callable[..., bytes]) -> None:
    with pytest.raises(ImageTooLargeError):
        decode(jpeg("coffee", (640, 480)), size=MODEL, max_pixels=640 * 480 - 1)
    image, _ = decode(jpeg("coffee", (640, 480)), size=MODEL, max_pixels=640 * 480)
    assert image.shape[2] == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Empty image"),
        (np.random.default_rng(0).bytes(5000), "Not a JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 100, "Not a JPEG or PNG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image is truncated"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "no frame header"),
        (b"\xff\xd8\x00\x00\x00\x00", "bad segment marker"),
        (png_header_only(0, 10), "0x10 pixels"),
    ],
)
def test_non_images_get_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message) as err:
        decode(data, size=MODEL)
    assert err.value.key == "invalid_image"


def test_truncated_jpeg_is_refused(jpeg: Callable[..., bytes]) -> None:
    data = jpeg("chelsea")
    with pytest.raises(ImageError, match="truncated"):
        decode(data[: len(data) // 2], size=MODEL)


def test_corrupt_jpeg_body_is_refused(jpeg: Callable[..., bytes]) -> None:
    # A valid header, then no Huffman tables or scan: libjpeg cannot decode it.
    with pytest.raises(ImageError, match="could not be decoded"):
        decode(jpeg_header_only(640, 480), size=MODEL)


def test_corrupt_png_body_is_refused() -> None:
    with pytest.raises(ImageError, match="could not be decoded"):
        decode(png_header_only(64, 64), size=MODEL)


def test_png_with_alpha_grayscale_and_tiny_images_decode_to_three_channels(
    classifier: Classifier,
) -> None:
    rgba = cv2.cvtColor(cv2.cvtColor(photo("chelsea"), cv2.COLOR_RGB2BGR), cv2.COLOR_BGR2BGRA)
    rgba[..., 3] = 0  # fully transparent: the colour must still be what the model sees
    gray = cv2.cvtColor(photo("chelsea"), cv2.COLOR_RGB2GRAY)
    ok, gray_jpeg = cv2.imencode(".jpg", gray)
    assert ok
    for data in (png(rgba), gray_jpeg.tobytes(), png(np.full((1, 1, 3), 200, np.uint8))):
        image, _ = decode(data, size=MODEL)
        assert image.ndim == 3
        assert image.shape[2] == 3
        assert classifier.classify(data).top
    assert classifier.classify(png(rgba)).score("cat") >= 0.5


@pytest.mark.parametrize(
    ("size", "roi", "factor"),
    [
        ((1920, 1080), FULL_FRAME, 4),  # 1080 / 8 = 135 < 224, 1080 / 4 = 270
        ((3840, 2160), FULL_FRAME, 8),
        ((640, 480), FULL_FRAME, 2),
        ((320, 240), FULL_FRAME, 1),
        ((1920, 1080), Roi(0.5, 0.5, 0.25, 0.25), 1),  # 480x270 region: no room to shrink
        ((3840, 2160), Roi(0.0, 0.0, 0.5, 0.5), 4),
    ],
)
def test_reduced_decode_still_covers_the_model_input(
    size: tuple[int, int], roi: Roi, factor: int
) -> None:
    assert reduction(Header("jpeg", *size), roi, MODEL) == factor
    assert reduction(Header("png", *size), roi, MODEL) == 1


def test_decoded_region_covers_the_input(jpeg: Callable[..., bytes]) -> None:
    roi = Roi(0.25, 0.25, 0.5, 0.5)
    image, header = decode(jpeg("chelsea", (1920, 1080)), roi=roi, size=MODEL)
    assert header == Header("jpeg", 1920, 1080)
    assert image.shape[:2] == (540, 960)  # half size: a quarter of that is too small for 224
    region = crop(image, roi)
    assert region.shape[:2] == (270, 480)
    assert region.base is not None  # a view, not a copy


@pytest.mark.parametrize(
    ("roi", "pixels"),
    [
        (FULL_FRAME, (0, 0, 1920, 1080)),
        (Roi(0.9, 0.9, 0.1, 0.1), (1728, 972, 1920, 1080)),
        (Roi(0.999, 0.999, 0.001, 0.001), (1918, 1078, 1920, 1080)),
        (Roi(0.5, 0.5, 1e-6, 1e-6), (960, 540, 961, 541)),  # never empty
        (Roi(0.1, 0.2, 0.9, 0.8), (192, 216, 1920, 1080)),
    ],
)
def test_roi_maths_at_frame_edges(roi: Roi, pixels: tuple[int, int, int, int]) -> None:
    assert roi.pixels(1920, 1080) == pixels


@pytest.mark.parametrize(
    "args",
    [
        (1.0, 0.0, 0.1, 0.1),
        (-0.1, 0, 0.5, 0.5),
        (0, 0, 0, 0.5),
        (0.5, 0.5, 0.6, 0.1),
        (0, 0.5, 0.1, 0.51),
    ],
)
def test_invalid_roi(args: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError, match="Region"):
        Roi(*args)


def test_input_table_for_the_default_int8_model_is_pixel_minus_128() -> None:
    mean, std = default_normalization(np.dtype(np.int8), 1 / 128, -1)
    assert (mean, std) == (127.0, 128.0)
    lut = input_lut(np.dtype(np.int8), 1 / 128, -1, mean, std)
    assert lut.dtype == np.int8
    np.testing.assert_array_equal(lut.astype(int), np.arange(256) - 128)


def test_input_table_for_uint8_models_is_the_identity() -> None:
    mean, std = default_normalization(np.dtype(np.uint8), 1 / 128, 128)
    np.testing.assert_array_equal(
        input_lut(np.dtype(np.uint8), 1 / 128, 128, mean, std), np.arange(256)
    )


def test_input_table_for_float_models_normalises() -> None:
    mean, std = default_normalization(np.dtype(np.float32), 0.0, 0)
    lut = input_lut(np.dtype(np.float32), 0.0, 0, mean, std)
    assert lut.dtype == np.float32
    assert lut[0] == pytest.approx(-1.0)
    assert lut[255] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("dtype", "scale", "zero_point"), [(np.int8, 1 / 128, -1), (np.uint8, 0.0078125, 128)]
)
def test_quantization_round_trip(dtype: type[np.integer], scale: float, zero_point: int) -> None:
    mean, std = 120.0, 60.0  # configured, not the default: values clip at the ends of the range
    lut = input_lut(np.dtype(dtype), scale, zero_point, mean, std)
    real = (np.arange(256) - mean) / std
    back = (lut.astype(np.float64) - zero_point) * scale
    inside = (real >= (np.iinfo(dtype).min - zero_point) * scale) & (
        real <= (np.iinfo(dtype).max - zero_point) * scale
    )
    np.testing.assert_allclose(back[inside], real[inside], atol=scale / 2 + 1e-9)
    assert inside.sum() > 100
    info = np.iinfo(dtype)
    assert set(lut[~inside & (real < 0)].tolist()) <= {info.min}
    assert set(lut[~inside & (real > 0)].tolist()) <= {info.max}
