"""A personal model as it scores frames and as it is stored: one label's logistic head.

`learning` trains it; this is what every frame runs (`Head.score`) and what `learned` keeps on
disk, so it imports no solver.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import CorruptLearnedError
from .logistic import FloatArray, sigmoid

# base: a base label's correction; new: a taught label's head; own: a base label's head of its
# own, a taught label's features with the base model's "no" beside them (`base_feature`).
Kind = Literal["base", "new", "own"]
KINDS = ("base", "new", "own")
CLIP = 1e-4
# Under this score the base model says no, and a head of its own keeps that; over it the answers
# decide, since where the model is in two minds is where it misses and where it errs.
FLOOR = 0.05


def raw(embeddings: np.ndarray[Any, Any], kind: Kind) -> FloatArray:
    """Embeddings as a head of `kind` takes them: a new label's signed square roots."""
    if kind == "base":
        return np.asarray(embeddings, dtype=np.float64)
    # In place on one copy: a retrain's thousands of answers are tens of MB per copy.
    out: FloatArray = np.array(embeddings, dtype=np.float64)
    negative = np.signbit(out)
    np.sqrt(np.abs(out, out=out), out=out)
    return np.negative(out, out=out, where=negative)


def unit_rows(embeddings: np.ndarray[Any, Any]) -> FloatArray:
    """Rows scaled to unit length; a zero row stays zero."""
    out: FloatArray = np.array(embeddings, dtype=np.float64)
    normalise_rows(out[None, :] if out.ndim == 1 else out)
    return out


def normalise_rows(x: FloatArray, chunk: int = 1024) -> FloatArray:
    """`x`'s rows scaled to unit length in place (a row of zero or unknown length becomes zero)."""
    for start in range(0, len(x), chunk):  # no temporary as big as x
        rows = x[start : start + chunk]
        norms = np.sqrt(np.add.reduce(rows * rows, axis=-1, keepdims=True))
        known = norms > 0
        np.divide(rows, norms, out=rows, where=known)
        rows[~known[:, 0]] = 0.0
    return x


def base_logits(base_scores: Iterable[float | None] | np.ndarray[Any, Any]) -> FloatArray:
    """The base model's clipped log-odds; a missing score counts as 0 (the model did not see it)."""
    values = [0.0 if s is None else s for s in base_scores]
    p = np.clip(np.asarray(values, dtype=np.float64), CLIP, 1.0 - CLIP)
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def base_feature(
    base_scores: Iterable[float | None] | np.ndarray[Any, Any], kind: Kind
) -> FloatArray:
    """What a head of `kind` takes of the base model: its log-odds; for `own`, under FLOOR only."""
    logits = base_logits(base_scores)
    if kind != "own":
        return logits
    floor = math.log(FLOOR) - math.log1p(-FLOOR)
    out: FloatArray = np.minimum(logits - floor, 0.0)
    return out


def number(value: object) -> bool:
    """A real number, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(data: Mapping[str, Any], name: str) -> float:
    value = data[name]
    if not number(value) or not math.isfinite(value):
        raise CorruptLearnedError(f"{name} is not a finite number")
    return float(value)


def _encode(values: np.ndarray[Any, Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def _decode(encoded: object, name: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    """`_encode`'s vector; anything wrong is a CorruptLearnedError."""
    if not isinstance(encoded, str):
        raise CorruptLearnedError(f"a learned head's {name} are not text")
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as err:
        raise CorruptLearnedError(f"a learned head's {name} are not base64: {err}") from err
    if not raw or len(raw) % 4:
        raise CorruptLearnedError(f"a learned head's {name} have a broken length")
    values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.isfinite(values).all():
        raise CorruptLearnedError(f"a learned head's {name} are not finite")
    return values


@dataclass(frozen=True)
class Head:
    """The personal model of one label on one camera."""

    label: str
    kind: Kind
    weights: np.ndarray[Any, np.dtype[np.float32]]
    center: np.ndarray[Any, np.dtype[np.float32]]  # a new label's answers' mean `raw` embedding
    base_weight: float
    bias: float
    model_sha256: str  # the embedding space (`embedding.space`): the model and the recipe
    answers: int
    trained_at: float

    def scores(
        self, embeddings: np.ndarray[Any, Any], base_scores: np.ndarray[Any, Any] | Sequence[Any]
    ) -> FloatArray:
        """Probabilities for (n, d) embeddings and their (n,) base scores (ignored when new)."""
        x = unit_rows(raw(embeddings, self.kind) - self.center)
        z = x @ self.weights.astype(np.float64) + self.bias
        if self.kind != "new":
            z = z + self.base_weight * base_feature(base_scores, self.kind)
        return sigmoid(z)

    def score(self, embedding: np.ndarray[Any, Any], base_score: float | None) -> float:
        """The probability for one frame."""
        x = raw(np.ravel(embedding), self.kind) - self.center
        norm = float(np.sqrt(x @ x))
        z = (float(x @ self.weights) / norm if norm > 0 else 0.0) + self.bias
        if self.kind != "new":
            z += self.base_weight * float(base_feature([base_score], self.kind)[0])
        return 0.5 * (1.0 + math.tanh(0.5 * z))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form; weights and centre as base64 of little-endian float32."""
        return {
            "label": self.label,
            "kind": self.kind,
            "weights": _encode(self.weights),
            "center": _encode(self.center),
            "base_weight": self.base_weight,
            "bias": self.bias,
            "model_sha256": self.model_sha256,
            "answers": self.answers,
            "trained_at": self.trained_at,
        }

    @classmethod
    def from_dict(cls, data: object) -> Head:
        """Parse `to_dict`'s form; anything wrong is a CorruptLearnedError."""
        fields = ("label", "kind", "weights", "center", "base_weight", "bias", "model_sha256")
        if not isinstance(data, dict) or set(data) != {*fields, "answers", "trained_at"}:
            raise CorruptLearnedError("a learned head has missing or unknown fields")
        label, kind, sha, answers = (data[k] for k in ("label", "kind", "model_sha256", "answers"))
        if not (isinstance(label, str) and label and isinstance(sha, str)):
            raise CorruptLearnedError("a learned head's label or model hash is not text")
        if kind not in KINDS:
            raise CorruptLearnedError(f"unknown head kind {kind!r}")
        if not (isinstance(answers, int) and not isinstance(answers, bool) and answers >= 0):
            raise CorruptLearnedError("a learned head's answer count is not a count")
        weights, center = _decode(data["weights"], "weights"), _decode(data["center"], "centre")
        if weights.size != center.size:
            raise CorruptLearnedError("a learned head's weights and centre differ in size")
        return cls(
            label=label,
            kind=kind,
            weights=weights,
            center=center,
            base_weight=_finite(data, "base_weight"),
            bias=_finite(data, "bias"),
            model_sha256=sha,
            answers=answers,
            trained_at=_finite(data, "trained_at"),
        )
