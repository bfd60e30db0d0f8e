"""Real frames for the learning tests (seeded crops, flips, light and noise of sample photos)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from custom_components.mlwatch.core.engine import Classifier
from custom_components.mlwatch.core.evaluation import Report, assess
from custom_components.mlwatch.core.learning import Answer
from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.photos import variant

FRAME_SIZE = (320, 240)
Frame = tuple[np.ndarray[Any, Any], dict[str, float]]


@cache
def classifier() -> Classifier:
    """The bundled model, loaded once for every learning test."""
    from custom_components.mlwatch.core.engine import Settings

    return Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))


@cache
def frames(name: str, count: int, start: int = 0) -> tuple[Frame, ...]:
    """`count` augmented frames of `name`: (embedding, {label or group: score}) each."""
    out: list[Frame] = []
    for seed in range(start, start + count):
        result = classifier().classify(variant(name, seed, FRAME_SIZE))
        assert result.embedding is not None
        groups = {g: result.score(g) for g in ("cat", "dog", "package")}
        out.append((np.asarray(result.embedding), dict(result.scores) | groups))
    return tuple(out)


def evaluate(answers: Any, **how: Any) -> Report:
    """`assess`'s report alone."""
    return assess(answers, **how)[0]


OTHERS = ("chelsea", "astronaut", "rocket", "camera", "brick")


def answers(
    name: str, label: str, count: int, start: int, t0: float, *, positive: bool
) -> list[Answer]:
    """`count` answers about frames of photo `name`, with the base model's score for `label`."""
    return [
        Answer(embedding=e, base_score=s.get(label), positive=positive, time=t0 + i)
        for i, (e, s) in enumerate(frames(name, count, start))
    ]


def yes(name: str, label: str, count: int, start: int = 0, t0: float = 0.0) -> list[Answer]:
    """Frames of `name` confirmed as `label`."""
    return answers(name, label, count, start, t0, positive=True)


def no(name: str, label: str, count: int, start: int = 0, t0: float = 0.0) -> list[Answer]:
    """Frames of `name` rejected for `label`."""
    return answers(name, label, count, start, t0, positive=False)
