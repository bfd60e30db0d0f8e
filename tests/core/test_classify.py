"""The default model on real photos, through the one facade the integration calls."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from custom_components.mlwatch.core import preprocess
from custom_components.mlwatch.core.embedding import RECIPE
from custom_components.mlwatch.core.engine import CENTRE, Classifier, Settings
from custom_components.mlwatch.core.errors import ModelError
from custom_components.mlwatch.core.postprocess import Kind
from custom_components.mlwatch.core.result import Roi
from devtools import DEFAULT_LABELS, DEFAULT_MODEL

CATS = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}


def test_default_model_is_int8_with_probabilities_and_embedding(classifier: Classifier) -> None:
    assert classifier.kind is Kind.CLASSIFIER_EMBEDDING
    inp = classifier.runner.input
    assert inp.shape == (1, 224, 224, 3)
    assert inp.dtype == np.int8
    assert len(classifier.labels) == 1000
    assert classifier.labels[924] == "guacamole"
    assert set(classifier.groups) == {"cat", "dog", "package"}


@pytest.mark.parametrize("size", [(1920, 1080), (640, 480)])
def test_cat_photo_is_a_cat(
    classifier: Classifier, jpeg: Callable[..., bytes], size: tuple[int, int]
) -> None:
    result = classifier.classify(jpeg("chelsea", size))
    top3 = {label for label, _ in result.top[:3]}
    assert top3 & CATS
    assert result.score("cat") >= 0.5
    assert result.score("dog") < 0.1
    assert result.frame_size == size


def test_coffee_photo_is_espresso_or_a_cup(
    classifier: Classifier, jpeg: Callable[..., bytes]
) -> None:
    result = classifier.classify(jpeg("coffee"))
    assert {label for label, _ in result.top[:3]} & {"espresso", "cup", "coffee mug"}
    assert result.score("cat") < 0.05


def test_result_carries_probabilities_embedding_and_timings(
    classifier: Classifier, jpeg: Callable[..., bytes]
) -> None:
    result = classifier.classify(jpeg("chelsea"))
    assert sum(result.scores.values()) == pytest.approx(1.0, abs=0.05)
    assert len(result.scores) == 1000
    assert result.score("Egyptian cat") == result.scores["Egyptian cat"]
    assert result.score("no such label") == 0.0
    assert result.best == result.top[0]
    assert [s for _, s in result.top] == sorted((s for _, s in result.top), reverse=True)
    assert isinstance(result.embedding, np.ndarray)
    assert result.embedding.shape == (1280,)
    assert result.embedding.dtype == np.float32
    assert np.linalg.norm(result.embedding) > 0
    t = result.timings
    assert min(t.decode, t.preprocess, t.invoke, t.post) > 0
    assert t.total == pytest.approx(t.decode + t.preprocess + t.invoke + t.post)


def test_embeddings_of_similar_frames_are_closer_than_of_different_ones(
    classifier: Classifier, jpeg: Callable[..., bytes]
) -> None:
    def emb(data: bytes) -> np.ndarray:
        e = np.asarray(classifier.classify(data).embedding)
        unit: np.ndarray = e / np.linalg.norm(e)
        return unit

    cat_hd, cat_vga, coffee = (
        emb(jpeg("chelsea")),
        emb(jpeg("chelsea", (640, 480))),
        emb(jpeg("coffee")),
    )
    assert float(cat_hd @ cat_vga) > float(cat_hd @ coffee) + 0.2


def test_region_of_interest_is_what_the_model_sees(
    classifier: Classifier, jpeg: Callable[..., bytes]
) -> None:
    frame = jpeg("chelsea")
    whole = classifier.classify(frame)
    corner = classifier.classify(frame, Roi(0.0, 0.0, 0.15, 0.15))
    assert corner.roi == Roi(0.0, 0.0, 0.15, 0.15)
    assert corner.score("cat") < whole.score("cat")


def test_concurrent_calls_match_sequential_ones(
    classifier: Classifier, jpeg: Callable[..., bytes]
) -> None:
    frames = [jpeg(name) for name in ("chelsea", "coffee", "astronaut", "rocket")] * 3
    sequential = [classifier.classify(f).top for f in frames]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda f: classifier.classify(f).top, frames))
    assert concurrent == sequential


def test_recipe_2_embedding_is_the_mean_of_the_region_and_its_centre(
    classifier: Classifier, jpeg: Callable[..., bytes]
) -> None:
    first = Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2, embedding_recipe=1))
    image = jpeg("chelsea", (640, 480))
    region, _ = preprocess.decode(image, size=classifier.size)
    whole = np.asarray(first.embed(region))
    centre = np.asarray(first.embed(preprocess.crop(region, CENTRE)))
    assert classifier.settings.embedding_recipe == RECIPE == 2
    expected = (whole + centre) / 2
    mean, single = classifier.classify(image), first.classify(image)
    assert np.abs(np.asarray(single.embedding) - whole).max() < 1e-5
    assert np.abs(np.asarray(mean.embedding) - expected).max() < 1e-5
    assert np.abs(np.asarray(classifier.embed(region)) - expected).max() < 1e-5
    assert np.abs(expected - whole).max() > 0.1  # a different vector, not a rounding
    # Only the embedding changes: scores, and so thresholds, are the region's own.
    assert mean.top == single.top
    assert mean.groups == single.groups


def test_an_unknown_embedding_recipe_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="recipe"):
        Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(embedding_recipe=3))
