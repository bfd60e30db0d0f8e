"""The stored crop and the drawn frame use the upright frame the model saw (EXIF orientation)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from custom_components.mlwatch.annotate import BOX_COLOUR, ROI_COLOUR, annotate, crop
from custom_components.mlwatch.core.engine import Classifier, Settings
from custom_components.mlwatch.core.postprocess import Detection
from custom_components.mlwatch.core.result import Roi
from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.photos import photo, tagged

CAT_CORNER = Roi(0.5, 0.5, 0.5, 0.5)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))


@pytest.fixture(scope="module")
def turned() -> bytes:
    """Coffee with the cat bottom-right when upright, stored turned as a camera does (tag 6)."""
    upright = Image.fromarray(photo("coffee")).resize((1280, 720))
    upright.paste(Image.fromarray(photo("chelsea")).resize((640, 360)), (640, 360))
    return tagged(upright, 6)


def opened(data: bytes) -> Image.Image:
    """Pixels as stored, EXIF ignored, as many training tools read them."""
    with Image.open(io.BytesIO(data)) as image:
        rgb: Image.Image = image.convert("RGB")
    return rgb


def test_crop_is_the_region_the_model_saw(classifier: Classifier, turned: bytes) -> None:
    seen = classifier.classify(turned, CAT_CORNER)
    assert seen.score("cat") >= 0.8
    stored = crop(turned, CAT_CORNER)
    assert opened(stored).size == (640, 360)
    assert classifier.classify(stored).score("cat") >= 0.8


def test_whole_turned_frame_is_stored_upright(turned: bytes) -> None:
    assert opened(crop(turned, None)).size == (1280, 720)
    upright = tagged(Image.fromarray(photo("coffee")).resize((320, 240)), 1)
    assert crop(upright, None) is upright  # nothing to turn: the camera's bytes as they came


def test_region_and_boxes_are_drawn_on_the_upright_frame(turned: bytes) -> None:
    drawn = opened(annotate(turned, CAT_CORNER, [Detection("cat", 0.9, (0.75, 0.75, 1.0, 1.0))]))
    assert drawn.size == (1280, 720)

    def near(xy: tuple[int, int], colour: tuple[int, int, int]) -> bool:
        pixel = drawn.getpixel(xy)
        assert isinstance(pixel, tuple)
        return all(abs(a - b) <= 40 for a, b in zip(pixel, colour, strict=False))

    # The region starts at (640, 360); the box, relative to the frame, covers its lower right
    # sixteenth, which is the region's lower right quarter.
    assert near((641, 540), ROI_COLOUR)
    assert near((961, 630), BOX_COLOUR)
