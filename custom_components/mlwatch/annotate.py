"""Draw what the model looked at (the region) and found (boxes) onto a snapshot, with Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont, ImageOps

from .core.result import Detection, Roi

ROI_COLOUR = (255, 200, 0)
BOX_COLOUR = (255, 40, 40)
_ORIENTATION = 0x0112


def _upright(image: bytes) -> Image.Image:
    """The frame as the model saw it: OpenCV turns it by its EXIF orientation, so do we."""
    with Image.open(io.BytesIO(image)) as opened:
        turned = ImageOps.exif_transpose(opened)  # a new image; None only when in place
        return (turned or opened).convert("RGB")


def _jpeg(frame: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def orientation(image: bytes) -> int:
    """The EXIF orientation of an encoded frame (1, upright, when absent); reads the header only."""
    with Image.open(io.BytesIO(image)) as opened:
        value = opened.getexif().get(_ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(image: bytes) -> bytes:
    """The frame turned by its EXIF orientation, as a JPEG without one (executor thread)."""
    return _jpeg(_upright(image), 95)


def annotate(image: bytes, roi: Roi | None, detections: Sequence[Detection]) -> bytes:
    """Return a JPEG of `image` with the region and detection boxes drawn (executor thread)."""
    frame = _upright(image)
    draw = ImageDraw.Draw(frame)
    width, height = frame.size
    line = max(2, width // 400)
    if roi:
        x0, y0, x1, y1 = roi.pixels(width, height)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=ROI_COLOUR, width=line)
    # Readable on a phone's notification: a fortieth of the frame's height, Pillow's own font.
    font = ImageFont.load_default(size=max(12, height // 40))
    for d in detections:
        bx0, by0, bx1, by1 = d.box
        box = (bx0 * width, by0 * height, bx1 * width, by1 * height)
        draw.rectangle(box, outline=BOX_COLOUR, width=line)
        at = (box[0] + 2 * line, box[1] + line)
        text = f"{d.label} {d.score:.0%}"
        draw.rectangle(draw.textbbox(at, text, font=font), fill=(0, 0, 0))
        draw.text(at, text, fill=BOX_COLOUR, font=font)
    return _jpeg(frame, 85)


def crop(image: bytes, roi: Roi | None) -> bytes:
    """The region the model saw, upright, as a JPEG (the frame itself when whole and upright)."""
    if roi is None and orientation(image) == 1:
        return image
    frame = _upright(image)
    # Training tools often ignore EXIF: the stored pixels are turned like the model's were.
    return _jpeg(frame.crop(roi.pixels(*frame.size)) if roi else frame, 90)
