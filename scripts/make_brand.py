#!/usr/bin/env python3
"""Draw mlwatch's brand images (an eye in a camera viewfinder) for custom_components/mlwatch/brand.

Run with the dev venv's Pillow: `.venv/bin/python scripts/make_brand.py`. The output depends only on
this file (and Pillow's antialiasing); tests/test_brand.py checks the committed PNGs against it.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).parents[1] / "custom_components" / "mlwatch" / "brand"
SUPERSAMPLE = 4
TILE = (21, 101, 192, 255)  # the blue tile
EYE = (255, 255, 255, 255)
PUPIL = (11, 37, 69, 255)
INK = {"light": (11, 37, 69, 255), "dark": (255, 255, 255, 255)}  # the wordmark on each theme
ICON_SIZES = {"icon.png": 256, "icon@2x.png": 512}
LOGO_HEIGHTS = {"logo.png": 128, "logo@2x.png": 256}
WORDMARK = "mlwatch"


def _eye_outline(
    cx: float, cy: float, half_width: float, half_height: float
) -> list[tuple[float, float]]:
    """An almond: two circular arcs meeting at the corners of the eye."""
    radius = (half_width**2 + half_height**2) / (2 * half_height)
    reach = math.asin(half_width / radius)
    steps = 96
    # Centre of the upper arc's circle lies below the eye, the lower arc's above it.
    upper = [
        (cx + radius * math.sin(a), cy - half_height + radius * (1 - math.cos(a)))
        for a in _angles(reach, steps)
    ]
    lower = [
        (cx - radius * math.sin(a), cy + half_height - radius * (1 - math.cos(a)))
        for a in _angles(reach, steps)
    ]
    return upper + lower


def _angles(reach: float, steps: int) -> list[float]:
    return [-reach + 2 * reach * i / steps for i in range(steps + 1)]


def _icon_canvas(s: int) -> Image.Image:
    """The square icon at full drawing size."""
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, s - 1, s - 1), radius=round(0.22 * s), fill=TILE)
    # Viewfinder corners: what a camera frames.
    inset, arm, width = round(0.14 * s), round(0.16 * s), round(0.045 * s)
    for x, dx in ((inset, 1), (s - 1 - inset, -1)):
        for y, dy in ((inset, 1), (s - 1 - inset, -1)):
            draw.line(
                [(x, y + dy * arm), (x, y), (x + dx * arm, y)], fill=EYE, width=width, joint="curve"
            )
    c = s / 2
    draw.polygon(_eye_outline(c, c, 0.30 * s, 0.17 * s), fill=EYE)
    iris, pupil, glint = 0.125 * s, 0.06 * s, 0.028 * s
    draw.ellipse((c - iris, c - iris, c + iris, c + iris), fill=TILE)
    draw.ellipse((c - pupil, c - pupil, c + pupil, c + pupil), fill=PUPIL)
    gx, gy = c + 0.045 * s, c - 0.045 * s
    draw.ellipse((gx - glint, gy - glint, gx + glint, gy + glint), fill=EYE)
    return image


def _draw_icon(size: int) -> Image.Image:
    """The icon drawn large and scaled down, for smooth edges."""
    return _icon_canvas(size * SUPERSAMPLE).resize((size, size), Image.Resampling.LANCZOS)


def _draw_logo(height: int, theme: str) -> Image.Image:
    """The icon and the wordmark beside it, trimmed to what is drawn."""
    s = height * SUPERSAMPLE
    font = ImageFont.load_default(size=round(0.78 * s))
    left, top, right, bottom = font.getbbox(WORDMARK)
    gap = round(0.18 * s)
    image = Image.new("RGBA", (s + gap + math.ceil(right - left), s), (0, 0, 0, 0))
    image.paste(_icon_canvas(s), (0, 0))
    draw = ImageDraw.Draw(image)
    # Centre the letters' ink (not the font's line box) on the icon.
    draw.text(
        (s + gap - left, (s - (bottom - top)) / 2 - top), WORDMARK, font=font, fill=INK[theme]
    )
    small = image.resize((round(image.width / SUPERSAMPLE), height), Image.Resampling.LANCZOS)
    return small.crop(small.getchannel("A").getbbox())


def render() -> dict[str, Image.Image]:
    """Every brand image by file name; the icon suits both themes, the logo's letters do not."""
    images = {name: _draw_icon(size) for name, size in ICON_SIZES.items()}
    for name, height in LOGO_HEIGHTS.items():
        images[name] = _draw_logo(height, "light")
        images[f"dark_{name}"] = _draw_logo(height, "dark")
    return images


def main() -> None:
    """Write the images, compressed as the brands rules ask; PNG carries no timestamp here."""
    BRAND.mkdir(exist_ok=True)
    for name, image in render().items():
        image.save(BRAND / name, format="PNG", optimize=True)
        print(f"{BRAND / name}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
