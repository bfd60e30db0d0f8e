"""Draw what the model looked at (the region) and found (boxes) onto a snapshot, with Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

from .core.postprocess import Detection
from .core.result import Roi

ROI_COLOUR = (255, 200, 0)
BOX_COLOUR = (255, 40, 40)


def annotate(image: bytes, roi: Roi | None, detections: Sequence[Detection]) -> bytes:
    """Return a JPEG of `image` with the region and detection boxes drawn (executor thread)."""
    with Image.open(io.BytesIO(image)) as opened:
        frame = opened.convert("RGB")
    draw = ImageDraw.Draw(frame)
    width, height = frame.size
    line = max(2, width // 400)
    x0, y0, x1, y1 = roi.pixels(width, height) if roi else (0, 0, width, height)
    if roi:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=ROI_COLOUR, width=line)
    # Boxes are relative to the region the model saw.
    rw, rh = x1 - x0, y1 - y0
    for d in detections:
        bx0, by0, bx1, by1 = d.box
        box = (x0 + bx0 * rw, y0 + by0 * rh, x0 + bx1 * rw, y0 + by1 * rh)
        draw.rectangle(box, outline=BOX_COLOUR, width=line)
        draw.text((box[0] + line, box[1] + line), f"{d.label} {d.score:.0%}", fill=BOX_COLOUR)
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=85)
    return out.getvalue()


def crop(image: bytes, roi: Roi | None) -> bytes:
    """The region the model saw, as a JPEG (the whole frame when there is no region)."""
    if roi is None:
        return image
    with Image.open(io.BytesIO(image)) as opened:
        frame = opened.convert("RGB")
    region = frame.crop(roi.pixels(*frame.size))
    out = io.BytesIO()
    region.save(out, format="JPEG", quality=90)
    return out.getvalue()
