"""Real frames for the learning tests: seeded crops, flips, light and noise of sample photos."""

from __future__ import annotations

from functools import cache
from typing import Any

import cv2
import numpy as np

from custom_components.mlwatch.core.engine import Classifier
from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.photos import photo

FRAME_SIZE = (320, 240)
Frame = tuple[np.ndarray[Any, Any], dict[str, float]]


@cache
def classifier() -> Classifier:
    """The bundled model, loaded once for every learning test."""
    from custom_components.mlwatch.core.engine import Settings

    return Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))


def augmented(name: str, seed: int) -> bytes:
    """One camera frame of a sample photo: a random crop, maybe mirrored, relit, noisy."""
    rng = np.random.default_rng([seed, *name.encode()])
    image = photo(name)
    h, w = image.shape[:2]
    scale = rng.uniform(0.7, 1.0)
    ch, cw = int(h * scale), int(w * scale)
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    crop = image[y : y + ch, x : x + cw].astype(np.float64)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = crop * rng.uniform(0.6, 1.3) + rng.normal(0.0, rng.uniform(0.0, 8.0), crop.shape)
    rgb = np.clip(crop, 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(cv2.resize(rgb, FRAME_SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])
    assert ok
    return bytes(data.tobytes())


@cache
def frames(name: str, count: int, start: int = 0) -> tuple[Frame, ...]:
    """`count` augmented frames of `name`: (embedding, {label or group: score}) each."""
    out: list[Frame] = []
    for seed in range(start, start + count):
        result = classifier().classify(augmented(name, seed))
        assert result.embedding is not None
        groups = {g: result.score(g) for g in ("cat", "dog", "package")}
        out.append((np.asarray(result.embedding), dict(result.scores) | groups))
    return tuple(out)
