"""Relit copies of an answer: darker and lighter crops, kept packed, taught labels learn from."""

from __future__ import annotations

import dataclasses
import io
import json
import random

import numpy as np
import pytest
from PIL import Image

from custom_components.mlwatch.core.answered import answers_for
from custom_components.mlwatch.core.embedding import pack, pack_all, unpack_all
from custom_components.mlwatch.core.errors import CorruptEmbeddingError, ImageError
from custom_components.mlwatch.core.evaluation import LOO_MAX, held_out_scores
from custom_components.mlwatch.core.learning import COPIES_MAX, Answer, arrays
from custom_components.mlwatch.core.relight import GAMMAS, relit
from devtools.photos import snapshot

from .learning_frames import OTHERS, classifier, evaluate, no, yes

SHA = "cd" * 32


def mean_level(image: bytes) -> float:
    with Image.open(io.BytesIO(image)) as opened:
        return float(np.asarray(opened.convert("L"), np.float32).mean())


def test_a_crop_relit_darker_and_lighter_keeps_its_size() -> None:
    crop = snapshot("chelsea", (224, 224))
    dark, light = (relit(crop, gamma) for gamma in GAMMAS)
    assert mean_level(dark) < mean_level(crop) - 20 < mean_level(light) - 40
    for image in (dark, light):
        with Image.open(io.BytesIO(image)) as opened:
            assert (opened.format, opened.size) == ("JPEG", (224, 224))


def test_a_png_or_grey_crop_is_relit_too_and_garbage_is_typed() -> None:
    out = io.BytesIO()
    Image.new("L", (8, 8), 128).save(out, "PNG")
    assert mean_level(relit(out.getvalue(), 2.0)) == pytest.approx(63, abs=2)
    for damaged in (b"", b"\xff\xd8\xff garbage", snapshot("chelsea", (64, 64))[:200]):
        with pytest.raises(ImageError):
            relit(damaged, 0.6)


def test_the_copies_embed_as_other_frames_of_the_same_thing() -> None:
    crop = snapshot("chelsea", (224, 224))
    own = np.asarray(classifier().classify(crop).embedding)
    for gamma in GAMMAS:
        copy = np.asarray(classifier().classify(relit(crop, gamma)).embedding)
        cosine = own @ copy / np.linalg.norm(own) / np.linalg.norm(copy)
        assert 0.5 < cosine < 0.995  # a view the answers lacked, of the same cat


def test_copies_pack_together_and_damage_is_typed() -> None:
    rng = np.random.default_rng(3)
    vectors = [rng.random(64, np.float32) for _ in GAMMAS]
    back, sha = unpack_all(pack_all(vectors, SHA))
    assert sha == SHA
    assert np.allclose(np.asarray(back), np.asarray(vectors), atol=1 / 127)
    other = pack(vectors[0], "ef" * 32)
    for damaged in (b"", pack_all(vectors, SHA)[:-1], pack_all(vectors, SHA) + other):
        with pytest.raises(CorruptEmbeddingError):
            unpack_all(damaged)
    shorter = pack(vectors[0][:8], SHA)
    with pytest.raises(CorruptEmbeddingError):
        unpack_all(pack_all(vectors, SHA) + shorter)


def test_damaged_copies_are_only_ever_the_typed_error() -> None:
    good = pack_all([np.linspace(0, 1, 16), np.linspace(1, 0, 16)], SHA)
    rng = random.Random(11)  # noqa: S311 - a seeded fuzz, not a secret
    for _ in range(1000):  # bounded and seeded
        data = bytearray(good)
        data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.5:
            data = data[: rng.randrange(len(data))]
        try:
            back, _ = unpack_all(bytes(data))
        except CorruptEmbeddingError:
            continue
        assert all(np.isfinite(v).all() for v in back)


def row(item_id: str, verdict: str, label: str = "Miso") -> dict[str, str]:
    scores = json.dumps({"cat": 0.5})
    return {"id": item_id, "label": label, "corrected_label": "", "verdict": verdict,
            "scores": scores, "time": str(len(item_id))}  # fmt: skip


def test_only_a_taught_labels_answers_carry_their_copies() -> None:
    rows = [row("a", "confirmed"), row("bb", "rejected"), row("ccc", "confirmed", "cat")]
    vectors = {r["id"]: np.full(4, i, np.float32) for i, r in enumerate(rows)}
    copies = {"a": [np.ones(4), np.zeros(4)], "bb": [np.ones(5), np.ones(5)]}
    taught = answers_for(rows, vectors, "Miso", "new", copies)
    assert [len(a.copies) for a in taught] == [2, 0, 0]  # bb's are of another size
    base = answers_for(rows, vectors, "cat", "base", copies)
    assert base
    assert all(not a.copies for a in base)


def test_copies_are_rows_of_their_answer_while_answers_are_few() -> None:
    def some(n: int) -> list[Answer]:
        e = np.ones(4, np.float32)
        return [Answer(e * i, None, i % 2 == 0, float(i), (e, e)) for i in range(1, n + 1)]

    x, _, y, owner = arrays(some(3), "new")
    assert owner.tolist() == [0, 1, 2, 0, 0, 1, 1, 2, 2]
    assert y.tolist() == [0, 1, 0, 0, 0, 1, 1, 0, 0]
    assert len(x) == 9
    x, _, _, owner = arrays(some(COPIES_MAX + 1), "new")
    assert len(x) == len(owner) == COPIES_MAX + 1  # the answers show the light by then


def test_leave_one_out_holds_an_answers_copies_out_with_it() -> None:
    # Each positive is the only frame of its photo, and its copies are that very frame: a model
    # that saw them would recognise it.
    found = [*yes("coffee", "x", 1), *yes("rocket", "x", 1, 5), *yes("clock", "x", 1, 9)]
    for name in OTHERS:
        found += no(name, "x", 2)
    found = [dataclasses.replace(a, copies=(a.embedding, a.embedding)) for a in found]
    report = evaluate(found, kind="new", threshold=0.5)
    assert report.protocol == "leave-one-out"
    assert report.personal.tp == 0


def test_a_time_ordered_split_holds_an_answers_copies_out_with_it() -> None:
    rng = np.random.default_rng(5)
    count = LOO_MAX + 30
    found = [
        Answer(e, None, bool(i % 2), float(i), (e, e))
        for i, e in enumerate(rng.normal(size=(count, 256)).astype(np.float32))
    ]
    held = held_out_scores(found, "new")
    assert held.protocol == "time-ordered split"
    truth = np.array([a.positive for a in found])[held.tested]
    # The labels are noise: a split that trained on a tested answer's copies would know it.
    assert np.mean((held.scores >= 0.5) == truth) < 0.75
