"""Format, size and orientation of a JPEG or PNG from its header: plain Python, no decoder."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from . import jpeg
from .errors import ImageError

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Header:
    """Format, stored size and EXIF orientation (1..8), read before any decode."""

    kind: str
    width: int
    height: int
    orientation: int = 1

    @property
    def size(self) -> tuple[int, int]:
        """Width and height once upright, as OpenCV decodes it and the model sees it."""
        if self.orientation >= 5:  # 5..8 turn the frame a quarter
            return self.height, self.width
        return self.width, self.height


def read_header(data: bytes) -> Header:
    """Read width and height of a JPEG or PNG without decoding it."""
    if data.startswith(_PNG_SIGNATURE):
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise ImageError("PNG image is truncated or corrupt (no IHDR header)")
        width, height = struct.unpack(">II", data[16:24])
        return _checked(Header("png", width, height, _png_orientation(data)))
    if data.startswith(b"\xff\xd8"):
        found = jpeg.frame(data)
        return _checked(Header("jpeg", found.width, found.height, found.orientation))
    if not data:
        raise ImageError("Empty image (0 bytes)")
    raise ImageError("Not a JPEG or PNG image")


def _png_orientation(data: bytes) -> int:
    """The orientation in an eXIf chunk before the image data (OpenCV applies it to PNGs too)."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"eXIf":
            return jpeg.exif_orientation(data[pos + 8 : pos + 8 + length])
        if kind in (b"IDAT", b"IEND"):
            break
        pos += 12 + length
    return 1


def _checked(header: Header) -> Header:
    if header.width <= 0 or header.height <= 0:
        raise ImageError(f"Image header says {header.width}x{header.height} pixels")
    return header
