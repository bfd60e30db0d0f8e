"""JPEG structure without decoding: frame header, EXIF orientation, where the image data ends."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from .errors import ImageError

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0..7 carry no length
_APP1, _SOS, _EOI = 0xE1, 0xDA, 0xD9
_ORIENTATION_TAG = 0x0112
# Inside entropy-coded data, 0xFF is followed by 0x00 (stuffing), RSTn or fill 0xFF; anything
# else is the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


@dataclass(frozen=True, slots=True)
class Frame:
    """Size from the start-of-frame segment and the EXIF orientation (1 when absent)."""

    width: int
    height: int
    orientation: int = 1


@dataclass(frozen=True, slots=True)
class Extent:
    """Where the end-of-image marker is, and how many scans come before it."""

    end: int
    scans: int


def _segment(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """The marker at `pos`: its code, its position and where its payload ends; None at the end."""
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:  # stray bytes: libjpeg skips to the next marker
            raise ImageError("JPEG image is corrupt (bad segment marker)")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE or marker == _EOI:
            return marker, pos, pos + 2
        if pos + 4 > len(data):
            return None
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        return marker, pos, pos + 2 + length
    return None


def frame(data: bytes) -> Frame:
    """Walk the segments to the start-of-frame marker, reading EXIF orientation on the way."""
    pos, orientation = 2, 1
    while (segment := _segment(data, pos)) is not None:
        marker, start, end = segment
        if marker in _SOF:
            if start + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[start + 5 : start + 9])
            return Frame(width, height, orientation)
        if marker in (_SOS, _EOI):
            break
        if marker == _APP1 and data.startswith(b"Exif\0\0", start + 4):
            orientation = exif_orientation(data[start + 10 : end])
        pos = end
    raise ImageError("JPEG image is truncated or corrupt (no frame header)")


def exif_orientation(tiff: bytes) -> int:
    """The orientation tag (1..8) of an EXIF block's first IFD; 1 if absent or unreadable."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            break
        tag, kind = struct.unpack(order + "HH", tiff[entry : entry + 4])
        if tag == _ORIENTATION_TAG and kind == 3:  # SHORT
            (value,) = struct.unpack(order + "H", tiff[entry + 8 : entry + 10])
            return value if 1 <= value <= 8 else 1
    return 1


def extent(data: bytes) -> Extent:
    """Follow segments and scans to the end-of-image marker; bytes after it are not the image's."""
    pos, scans = 2, 0
    while pos < len(data):
        if data[pos] != 0xFF:
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
        segment = _segment(data, pos)
        if segment is None:
            break
        marker, start, end = segment
        if marker == _EOI:
            return Extent(start, scans)
        pos = end
        if marker == _SOS:
            scans += 1
            found = _NEXT_MARKER.search(data, end)
            if found is None:
                break
            pos = found.start()
    raise ImageError("JPEG image is truncated (no end-of-image marker)")
