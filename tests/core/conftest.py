"""Fixtures for the HA-free core tests: real photos as camera snapshots, and the real model."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from skimage import data as samples

from custom_components.mlwatch.core.engine import Classifier, Settings

MODELS = Path(__file__).parents[2] / "custom_components" / "mlwatch" / "models"
DEFAULT_MODEL = MODELS / "efficientnet_lite0_int8.tflite"
DEFAULT_LABELS = MODELS / "imagenet_labels.txt"
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")


@cache
def photo(name: str) -> np.ndarray[Any, Any]:
    """One of scikit-image's bundled CC0 sample photos, RGB."""
    image: np.ndarray[Any, Any] = getattr(samples, name)()
    return image


@cache
def snapshot(name: str, size: tuple[int, int] = (1920, 1080), quality: int = 90) -> bytes:
    """The photo as a camera would send it: a JPEG at `size` (width, height)."""
    bgr = cv2.cvtColor(
        cv2.resize(photo(name), size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR
    )
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    """Factory for doorbell-sized JPEG snapshots of the sample photos."""
    return snapshot


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The bundled default model, loaded once."""
    return Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))
