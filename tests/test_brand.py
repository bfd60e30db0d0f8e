"""The brand images HA 2026.3+ (and HACS) read from custom_components/mlwatch/brand/."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageChops, ImageStat

ROOT = Path(__file__).parents[1]
BRAND = ROOT / "custom_components" / "mlwatch" / "brand"
ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {"logo.png": 128, "logo@2x.png": 256, "dark_logo.png": 128, "dark_logo@2x.png": 256}
# Pillow and FreeType releases antialias edges a little differently; a redrawn image is the same
# picture when its pixels differ by less than this on average (0-255 per channel).
SAME_PICTURE = 1.0


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_brand", ROOT / "scripts" / "make_brand.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _open(name: str) -> Image.Image:
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        loaded: Image.Image = image.copy()
    return loaded


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean difference of two pictures as seen on a grey background (hidden colour ignored)."""
    seen = [
        Image.alpha_composite(Image.new("RGBA", i.size, (128, 128, 128, 255)), i) for i in (a, b)
    ]
    return max(ImageStat.Stat(ImageChops.difference(*seen).convert("RGB")).mean)


def test_the_brand_folder_holds_exactly_the_drawn_images() -> None:
    assert sorted(p.name for p in BRAND.iterdir()) == sorted([*ICONS, *LOGOS])


@pytest.mark.parametrize(("name", "size"), ICONS.items())
def test_icons_are_square_transparent_and_trimmed(name: str, size: int) -> None:
    image = _open(name)
    assert image.mode == "RGBA"
    assert image.size == (size, size)
    alpha = image.getchannel("A")
    assert alpha.getpixel((0, 0)) == 0  # a rounded tile: the corners show the background
    assert alpha.getpixel((size // 2, size // 2)) == 255
    assert alpha.getbbox() == (0, 0, size, size)  # no empty margin


@pytest.mark.parametrize(("name", "height"), LOGOS.items())
def test_logos_are_landscape_transparent_and_trimmed(name: str, height: int) -> None:
    image = _open(name)
    assert image.mode == "RGBA"
    assert image.height == height
    assert image.width > 2 * height
    alpha = image.getchannel("A")
    assert alpha.getpixel((image.width - 1, 0)) == 0
    assert alpha.getbbox() == (0, 0, image.width, image.height)


def test_the_committed_images_are_what_the_script_draws() -> None:
    drawn = _script().render()
    assert sorted(drawn) == sorted([*ICONS, *LOGOS])
    for name, image in drawn.items():
        committed = _open(name)
        assert committed.size == image.size, name
        assert _difference(committed, image) < SAME_PICTURE, name


def test_the_comparison_tells_the_light_logo_from_the_dark_one() -> None:
    light, dark = _open("logo.png"), _open("dark_logo.png")
    assert light.size == dark.size
    assert _difference(light, dark) > 10 * SAME_PICTURE
