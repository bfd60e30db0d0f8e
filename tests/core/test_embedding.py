"""A kept embedding comes back as it went in, to int8 precision; damage is a typed error."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from custom_components.mlwatch.core.dataset import Dataset, PendingItem, new_id
from custom_components.mlwatch.core.embedding import pack, space, unpack
from custom_components.mlwatch.core.errors import CorruptEmbeddingError, ModelError
from devtools.photos import snapshot

SHA = "ab" * 32
FRAME = snapshot("chelsea", (640, 480))
CROP = snapshot("chelsea", (224, 224))


def vector(seed: int = 0, dims: int = 1280) -> np.ndarray:
    # Like the model's: non-negative after ReLU6, mostly small.
    return np.random.default_rng(seed).gamma(0.5, 0.4, dims).astype(np.float32)


def test_round_trip_within_half_a_code() -> None:
    v = vector()
    back, sha = unpack(pack(v, SHA))
    assert sha == SHA
    step = float(np.abs(v).max()) / 127
    assert np.abs(np.asarray(back) - v).max() <= step / 2 + 1e-6
    assert len(pack(v, SHA)) == 4 + 1 + 2 + 4 + 32 + 1280  # 1.3 kB, not 5 kB of float32


def test_zeros_and_an_unknown_model() -> None:
    back, sha = unpack(pack([0.0] * 8, ""))
    assert list(back) == [0.0] * 8
    assert sha == ""


@pytest.mark.parametrize(
    ("values", "sha"),
    [([], SHA), ([1.0, float("nan")], SHA), ([float("inf")], SHA), ([1.0], "xyz"), ([1.0], "ab")],
)
def test_what_cannot_be_packed_is_typed(values: list[float], sha: str) -> None:
    with pytest.raises(CorruptEmbeddingError):
        pack(values, sha)


def test_damaged_bytes_are_only_ever_the_typed_error() -> None:
    good = pack(vector(1, 64), SHA)
    rng = random.Random(7)  # noqa: S311 - a seeded fuzz, not a secret
    outcomes = {"refused": 0, "read": 0}
    for _ in range(2000):  # bounded and seeded
        data = bytearray(good)
        match rng.randrange(3):
            case 0:
                data = data[: rng.randrange(len(data))]
            case 1:
                data[rng.randrange(len(data))] = rng.randrange(256)
            case _:
                data += bytes(rng.randrange(1, 4))
        try:
            back, _ = unpack(bytes(data))
        except CorruptEmbeddingError:
            outcomes["refused"] += 1
        else:
            assert all(np.isfinite(back))
            outcomes["read"] += 1
    assert outcomes["refused"] > 0
    assert outcomes["read"] > 0  # a flipped code is still an embedding, just another one


def test_the_embedding_follows_the_item_into_the_dataset(tmp_path: Path) -> None:
    store = Dataset(tmp_path)
    store.load()
    with_one = PendingItem(new_id(), "camera.door", "cat", "detection", {"cat": 0.9}, SHA)
    without = PendingItem(new_id(), "camera.door", "cat", "detection", {"cat": 0.9}, SHA)
    packed = pack(vector(2), SHA)
    store.add_pending(with_one, FRAME, CROP, packed)
    store.add_pending(without, FRAME, CROP)
    store.record(with_one.id, "confirmed")
    store.record(without.id, "rejected")
    assert store.embedding(with_one.id) == packed
    assert store.embedding(without.id) is None
    # Taught again under another label: a new answer, with the same frame and embedding.
    taught = store.teach(with_one.id, "Miso", "confirmed")
    assert (taught["label"], taught["source"], taught["verdict"]) == ("Miso", "teach", "confirmed")
    assert taught["id"] != with_one.id
    assert store.embedding(taught["id"]) == packed
    reloaded = Dataset(tmp_path)
    reloaded.load()
    assert {r["id"] for r in reloaded.rows()} == {with_one.id, without.id, taught["id"]}
    assert reloaded.embedding(taught["id"]) == packed


def test_a_space_names_the_model_and_the_recipe() -> None:
    # Recipe 1's space is the model's digest itself: what was stored before recipes existed.
    assert space(SHA, 1) == SHA
    two = space(SHA, 2)
    assert len(two) == 64
    assert two not in (SHA, space("cd" * 32, 2))
    assert space(SHA, 2) == two  # deterministic: the server and the integration agree
    assert space("", 2) == ""  # no model digest (DeepStack): nothing to compare with
    with pytest.raises(ModelError):
        space(SHA, 3)
