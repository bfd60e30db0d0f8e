"""An embedding kept with an answer: int8 codes and one scale, with the model that made it.

Standard library only, so that HA OS's remote path can keep embeddings without numpy. The
layout is `MLWE`, a format byte, the dimension (uint16), the scale (float32), the model's
sha256 (32 bytes) and one signed byte per dimension, all little-endian.

The 32 bytes name the embedding's *space*: the model and the recipe that took the embedding
(`space()`). Two vectors compare only within one space; a learned head, too, belongs to one.
"""

from __future__ import annotations

import hashlib
import math
import struct
from array import array
from collections.abc import Iterable

from .errors import CorruptEmbeddingError, ModelError

MAGIC = b"MLWE"
FORMAT = 1
_HEADER = struct.Struct("<4sBHf32s")
_LIMIT = 127  # symmetric codes: -127..127, so that the scale maps both signs alike
MAX_DIMS = 65535
# How a frame becomes an embedding. 1: the region's own; 2: the mean of the region's and of its
# centre's (`CENTRE`), a second, closer look that the benchmark measured better for taught labels.
RECIPES = (1, 2)
RECIPE = 2


def check_recipe(recipe: int) -> None:
    """Raise ModelError unless `recipe` is one of RECIPES."""
    if recipe not in RECIPES:
        raise ModelError(f"Embedding recipe {recipe!r} is not one of {RECIPES}")


def space(model_sha256: str, recipe: int) -> str:
    """The digest naming the space of `recipe`'s embeddings by the model `model_sha256`."""
    check_recipe(recipe)
    if recipe == 1 or not model_sha256:
        # Recipe 1's space is the model's own digest: what every embedding stored before
        # recipes existed carries, so they stay valid, and an older server's still compare.
        return model_sha256
    return hashlib.sha256(f"mlwatch embedding recipe {recipe}:{model_sha256}".encode()).hexdigest()


def pack(vector: Iterable[float], model_sha256: str) -> bytes:
    """The vector as int8 codes with one scale; `model_sha256` is the model's hex digest."""
    values = [float(v) for v in vector]
    if not values or len(values) > MAX_DIMS or not all(math.isfinite(v) for v in values):
        raise CorruptEmbeddingError(f"An embedding needs 1-{MAX_DIMS} finite values")
    try:
        digest = bytes.fromhex(model_sha256) if model_sha256 else bytes(32)
    except ValueError as err:
        raise CorruptEmbeddingError(f"{model_sha256!r} is not a sha256 digest") from err
    if len(digest) != len(bytes(32)):
        raise CorruptEmbeddingError(f"{model_sha256!r} is not a sha256 digest")
    peak = max(abs(v) for v in values)
    scale = peak / _LIMIT if peak > 0 else 1.0
    codes = array("b", (max(-_LIMIT, min(_LIMIT, round(v / scale))) for v in values))
    return _HEADER.pack(MAGIC, FORMAT, len(values), scale, digest) + codes.tobytes()


def unpack(data: bytes) -> tuple[array[float], str]:
    """The vector (float32) and the model's sha256 ("" when unknown); a damaged one is typed."""
    if len(data) < _HEADER.size:
        raise CorruptEmbeddingError("The embedding is cut short")
    magic, version, dims, scale, digest = _HEADER.unpack_from(data)
    if magic != MAGIC or version != FORMAT:
        raise CorruptEmbeddingError("Not an embedding in a format mlwatch knows")
    if dims == 0 or len(data) != _HEADER.size + dims or not (math.isfinite(scale) and scale > 0):
        raise CorruptEmbeddingError("The embedding's size or scale is damaged")
    codes = array("b", data[_HEADER.size :])
    if any(c < -_LIMIT for c in codes):
        raise CorruptEmbeddingError("The embedding holds a code it cannot have")
    sha = "" if digest == bytes(32) else digest.hex()
    return array("f", (c * scale for c in codes)), sha


def pack_all(vectors: Iterable[Iterable[float]], model_sha256: str) -> bytes:
    """Several vectors of one space, one `pack` after another (a frame's relit copies)."""
    return b"".join(pack(vector, model_sha256) for vector in vectors)


def unpack_all(data: bytes) -> tuple[list[array[float]], str]:
    """`pack_all`'s vectors and their space; a damaged or mixed one is typed."""
    vectors: list[array[float]] = []
    spaces = set()
    at = 0
    while at < len(data):
        if len(data) - at < _HEADER.size:
            raise CorruptEmbeddingError("The embeddings are cut short")
        end = at + _HEADER.size + _HEADER.unpack_from(data, at)[2]
        vector, sha = unpack(data[at:end])
        vectors.append(vector)
        spaces.add(sha)
        at = end
    if not vectors or len(spaces) != 1 or len({len(v) for v in vectors}) != 1:
        raise CorruptEmbeddingError("The embeddings are missing or of different spaces")
    return vectors, spaces.pop()
