"""Camera JPEGs as they come: bytes after the end marker, truncation, EXIF orientation."""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from PIL import Image

from custom_components.mlwatch.core.engine import Classifier
from custom_components.mlwatch.core.errors import ImageError
from custom_components.mlwatch.core.header import Header, read_header
from custom_components.mlwatch.core.preprocess import decode, reduction
from custom_components.mlwatch.core.result import Roi
from devtools.photos import encode as encoded
from devtools.photos import photo, tagged

MODEL = (224, 224)
EOI = b"\xff\xd9"


def segment(data: bytes, codes: set[int]) -> tuple[int, int]:
    """Start and end of the first segment with one of `codes` (walks lengths, not a byte search)."""
    pos = 2
    while data[pos + 1] not in codes:
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return pos, pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]


def grown(data: bytes, height: float, width: float = 1.0) -> bytes:
    """The same data under a frame header that claims more rows (and columns)."""
    start, _ = segment(data, {0xC0, 0xC2})
    rows, cols = struct.unpack(">HH", data[start + 5 : start + 9])
    claim = struct.pack(">HH", int(rows * height), int(cols * width))
    return data[: start + 5] + claim + data[start + 9 :]


@pytest.mark.parametrize(
    "tail",
    [b"\r\n", b"GARBAGE!!!", np.random.default_rng(9).bytes(100_000), b"\0" * 5000],
    ids=["crlf", "text", "100k", "nuls"],
)
def test_bytes_after_the_end_marker_are_not_the_image(
    jpeg: Callable[..., bytes], tail: bytes
) -> None:
    data = jpeg("chelsea", (640, 480))
    image, header = decode(data + tail, size=MODEL)
    expected, _ = decode(data, size=MODEL)
    assert header == Header("jpeg", 640, 480)
    np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize(
    "params",
    [(), (cv2.IMWRITE_JPEG_RST_INTERVAL, 2), (cv2.IMWRITE_JPEG_PROGRESSIVE, 1)],
    ids=["baseline", "restarts", "progressive"],
)
def test_truncated_jpeg_with_the_end_marker_put_back_is_refused(params: tuple[int, ...]) -> None:
    data = encoded("chelsea", (640, 480), *params)
    _, scan = segment(data, {0xDA})
    # Cut inside the first scan: later progressive scans only add detail, so cut early.
    with pytest.raises(ImageError, match="truncated") as err:
        decode(data[: scan + 2000] + EOI, size=MODEL)
    assert err.value.key == "invalid_image"


@pytest.mark.parametrize("params", [(), (cv2.IMWRITE_JPEG_PROGRESSIVE, 1)])
def test_header_claiming_more_pixels_than_the_data_holds_is_refused(
    params: tuple[int, ...],
) -> None:
    data = encoded("coffee", (320, 240), *params)
    with pytest.raises(ImageError, match="truncated"):
        decode(grown(data, 2.0), size=MODEL)
    with pytest.raises(ImageError, match="truncated"):
        decode(grown(data, 1.1, 1.5), size=MODEL)


def _coarse(image: np.ndarray) -> np.ndarray:
    size = (image.shape[1] // 16, image.shape[0] // 16)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.int16)


def test_truncation_fuzz_refuses_with_the_typed_error_and_never_fills_grey() -> None:
    progressive = encoded("astronaut", (480, 640), cv2.IMWRITE_JPEG_PROGRESSIVE, 1)
    bases = [
        encoded("chelsea", (640, 480)),
        encoded(
            "coffee", (320, 240), cv2.IMWRITE_JPEG_QUALITY, 60, cv2.IMWRITE_JPEG_RST_INTERVAL, 3
        ),
        encoded("rocket", (400, 300), cv2.IMWRITE_JPEG_SAMPLING_FACTOR, 0x111111),
        tagged(Image.fromarray(photo("chelsea")).resize((320, 240)), 6),
        progressive,
    ]
    whole = [decode(b, size=MODEL)[0] for b in bases]
    rng = np.random.default_rng(2026)
    outcome: Counter[str] = Counter()
    for _ in range(2000):
        index = int(rng.integers(len(bases)))
        data = bases[index]
        _, scan = segment(data, {0xDA})
        match int(rng.integers(3)):
            case 0:  # cut in the image data, end marker put back, maybe with trailing bytes
                tail = (b"", b"\r\n", b"\0" * 64)[int(rng.integers(3))]
                case = data[: int(rng.integers(scan, len(data) - 2))] + EOI + tail
            case 1:  # the frame header claims more than the data holds
                case = grown(data, rng.uniform(1.02, 3.0), rng.uniform(1.0, 2.0))
            case _:  # cut anywhere, no end marker, maybe NUL padding
                case = (
                    data[: int(rng.integers(2, len(data) - 2))] + b"\0" * int(rng.integers(2)) * 999
                )
        try:
            image, _ = decode(case, size=MODEL)
        except ImageError as err:  # anything else is a crash and fails the test
            outcome[f"refused: {err.key}"] += 1
            continue
        # Only a progressive frame cut in a detail scan gets through: it is whole, just less sharp.
        assert bases[index] is progressive
        assert image.shape == whole[index].shape
        assert int(np.abs(_coarse(image) - _coarse(whole[index])).max()) <= 16
        outcome["whole but less detail"] += 1
    assert set(outcome) == {"refused: invalid_image", "whole but less detail"}
    assert outcome["refused: invalid_image"] >= 1800


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_the_upright_frame_and_its_size(
    classifier: Classifier, orientation: int, kind: str
) -> None:
    upright = Image.fromarray(photo("astronaut")).resize((320, 240))
    data = tagged(upright, orientation, kind)
    assert read_header(data).size == (320, 240)
    image, _ = decode(data, size=MODEL)
    expected = cv2.cvtColor(np.asarray(upright), cv2.COLOR_RGB2BGR).astype(np.int16)
    assert float(np.abs(image.astype(np.int16) - expected).mean()) < 4
    assert classifier.classify(data).frame_size == (320, 240)


def test_region_and_frame_size_follow_the_upright_frame(classifier: Classifier) -> None:
    # The cat sits bottom-right of the upright frame; the camera stores it turned (tag 6).
    upright = Image.fromarray(photo("coffee")).resize((1280, 720))
    upright.paste(Image.fromarray(photo("chelsea")).resize((640, 360)), (640, 360))
    result = classifier.classify(tagged(upright, 6), Roi(0.5, 0.5, 0.5, 0.5))
    assert result.frame_size == (1280, 720)
    assert result.score("cat") >= 0.8


def test_reduced_decode_is_chosen_on_the_upright_region() -> None:
    # Stored 1080x1920 turned (6): the left half of the upright frame is 960x1080, room for 1/4.
    header = Header("jpeg", 1080, 1920, 6)
    assert header.size == (1920, 1080)
    assert reduction(header, Roi(0.0, 0.0, 0.5, 1.0), MODEL) == 4
