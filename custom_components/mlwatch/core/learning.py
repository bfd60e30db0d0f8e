"""The personal model: a logistic head per label on the embedding, learned from the user's answers.

A base label (one the model has) learns a correction of the base model: logistic regression on
[embedding, logit(base score)] whose Gaussian prior is centred on the base model, so with no
answers it is the base model and the MAP estimate moves only as far as the evidence pushes it.
A new label ("the postman") is plain logistic regression on the embedding. Embeddings are
L2-normalised first, so one prior scale means the same on every frame.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import CorruptLearnedError
from .logistic import FloatArray, fit_dual, fit_primal, sigmoid

Kind = Literal["base", "new"]
KINDS = ("base", "new")

# On unit-norm embeddings a prior w ~ N(0, I/λ) makes the correction w·x at any frame N(0, 1/λ) in
# log-odds; λ = 1/16 (sd 4) lets a few answers move a frame anywhere in ±8 (0.03 %..99.97 %) but
# keeps frames unlike any answer near the base model (their cosines to answers are ~0.1-0.3).
LAMBDA = 1.0 / 16.0
# The base model's log-odds may be rescaled by about 0..2 and shifted by about ±2 (2 sd) a priori:
# a global change of the base model needs much more evidence than a local correction.
BASE_WEIGHT_SD = 1.0
BIAS_SD = 1.0
CLIP = 1e-4


@dataclass(frozen=True)
class Answer:
    """One user answer about one frame, for one label."""

    embedding: np.ndarray[Any, Any]
    base_score: float | None  # the base model's probability; None if it has no such label
    positive: bool
    time: float


def unit_rows(embeddings: np.ndarray[Any, Any]) -> FloatArray:
    """Rows scaled to unit length; a zero row stays zero."""
    x = np.asarray(embeddings, dtype=np.float64)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    out: FloatArray = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    return out


def base_logits(base_scores: Iterable[float | None] | np.ndarray[Any, Any]) -> FloatArray:
    """The base model's clipped log-odds; a missing score counts as 0 (the model did not see it)."""
    values = [0.0 if s is None else s for s in base_scores]
    p = np.clip(np.asarray(values, dtype=np.float64), CLIP, 1.0 - CLIP)
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(data: Mapping[str, Any], name: str) -> float:
    value = data[name]
    if not _number(value) or not math.isfinite(value):
        raise CorruptLearnedError(f"{name} is not a finite number")
    return float(value)


@dataclass(frozen=True)
class Head:
    """The personal model of one label on one camera."""

    label: str
    kind: Kind
    weights: np.ndarray[Any, np.dtype[np.float32]]
    base_weight: float
    bias: float
    model_sha256: str
    answers: int
    trained_at: float

    def scores(
        self, embeddings: np.ndarray[Any, Any], base_scores: np.ndarray[Any, Any] | Sequence[Any]
    ) -> FloatArray:
        """Probabilities for (n, d) embeddings and their (n,) base scores (ignored when new)."""
        z = unit_rows(embeddings) @ self.weights.astype(np.float64) + self.bias
        if self.kind == "base":
            z = z + self.base_weight * base_logits(base_scores)
        return sigmoid(z)

    def score(self, embedding: np.ndarray[Any, Any], base_score: float | None) -> float:
        """The probability for one frame."""
        x = np.asarray(embedding, dtype=np.float64)
        norm = float(np.sqrt(x @ x))
        z = (float(x @ self.weights) / norm if norm > 0 else 0.0) + self.bias
        if self.kind == "base":
            z += self.base_weight * float(base_logits([base_score])[0])
        return 0.5 * (1.0 + math.tanh(0.5 * z))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form; weights as base64 of little-endian float32."""
        raw = np.ascontiguousarray(self.weights, dtype="<f4").tobytes()
        return {
            "label": self.label,
            "kind": self.kind,
            "weights": base64.b64encode(raw).decode("ascii"),
            "base_weight": self.base_weight,
            "bias": self.bias,
            "model_sha256": self.model_sha256,
            "answers": self.answers,
            "trained_at": self.trained_at,
        }

    @classmethod
    def from_dict(cls, data: object) -> Head:
        """Parse `to_dict`'s form; anything wrong is a CorruptLearnedError."""
        fields = ("label", "kind", "weights", "base_weight", "bias", "model_sha256", "answers")
        if not isinstance(data, dict) or set(data) != {*fields, "trained_at"}:
            raise CorruptLearnedError("a learned head has missing or unknown fields")
        label, kind, sha, encoded, answers = (
            data[k] for k in ("label", "kind", "model_sha256", "weights", "answers")
        )
        if not (isinstance(label, str) and label and isinstance(sha, str)):
            raise CorruptLearnedError("a learned head's label or model hash is not text")
        if kind not in KINDS:
            raise CorruptLearnedError(f"unknown head kind {kind!r}")
        if not (isinstance(answers, int) and not isinstance(answers, bool) and answers >= 0):
            raise CorruptLearnedError("a learned head's answer count is not a count")
        if not isinstance(encoded, str):
            raise CorruptLearnedError("a learned head's weights are not text")
        try:
            raw = base64.b64decode(encoded.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as err:
            raise CorruptLearnedError(f"a learned head's weights are not base64: {err}") from err
        if not raw or len(raw) % 4:
            raise CorruptLearnedError("a learned head's weights have a broken length")
        weights = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if not np.isfinite(weights).all():
            raise CorruptLearnedError("a learned head's weights are not finite")
        return cls(
            label=label,
            kind=kind,
            weights=weights,
            base_weight=_finite(data, "base_weight"),
            bias=_finite(data, "bias"),
            model_sha256=sha,
            answers=answers,
            trained_at=_finite(data, "trained_at"),
        )


def _prior(d: int, kind: Kind) -> tuple[FloatArray, FloatArray]:
    """Prior mean and variance of [w, (base_weight), bias]."""
    extra = [1.0, 0.0] if kind == "base" else [0.0]
    sd = [BASE_WEIGHT_SD, BIAS_SD] if kind == "base" else [BIAS_SD]
    mean = np.concatenate([np.zeros(d), extra])
    var = np.concatenate([np.full(d, 1.0 / LAMBDA), np.square(sd)])
    return mean, var


def _design(x: FloatArray, logits: FloatArray, kind: Kind) -> FloatArray:
    ones = np.ones((len(x), 1))
    columns = [x, logits[:, None], ones] if kind == "base" else [x, ones]
    out: FloatArray = np.hstack(columns)
    return out


def fit(x: FloatArray, logits: FloatArray, y: FloatArray, kind: Kind) -> FloatArray:
    """θ = [w, (base_weight), bias] for unit rows x, base log-odds and labels y in {0, 1}."""
    mean, var = _prior(x.shape[1], kind)
    if not len(y):
        return mean
    phi = _design(x, logits, kind)
    if len(y) < phi.shape[1]:
        return fit_dual(phi, y, mean, var)
    start = mean.copy()
    if kind == "new":  # the optimum does not depend on it; Newton gets there in fewer steps
        start[-1] = float(base_logits([float(np.mean(y))])[0])
    return fit_primal(phi, y, mean, var, start)


def arrays(answers: Sequence[Answer]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unit embeddings, base log-odds and labels of `answers`."""
    x = unit_rows(np.stack([np.ravel(a.embedding) for a in answers]))
    y = np.array([1.0 if a.positive else 0.0 for a in answers])
    return x, base_logits(a.base_score for a in answers), y


def head_from(
    theta: FloatArray, *, label: str, kind: Kind, model_sha256: str, answers: int, now: float
) -> Head:
    """A Head of fitted parameters."""
    d = len(theta) - (2 if kind == "base" else 1)
    return Head(
        label=label,
        kind=kind,
        weights=theta[:d].astype(np.float32),
        base_weight=float(theta[d]) if kind == "base" else 0.0,
        bias=float(theta[-1]),
        model_sha256=model_sha256,
        answers=answers,
        trained_at=now,
    )


def train(
    answers: Sequence[Answer],
    *,
    label: str,
    kind: Kind,
    model_sha256: str,
    now: float,
    dims: int = 0,
) -> Head:
    """The MAP head for `label` from `answers`; with none, the base model (or 0.5 for new)."""
    if answers:
        x, logits, y = arrays(answers)
    else:
        x, logits, y = np.zeros((0, dims or 1)), np.zeros(0), np.zeros(0)
    theta = fit(x, logits, y, kind)
    return head_from(
        theta, label=label, kind=kind, model_sha256=model_sha256, answers=len(answers), now=now
    )


def _true_label(row: Mapping[str, str]) -> str | None:
    """What the frame shows by the answer, or None when the answer only says what it is not."""
    if row["corrected_label"]:
        return row["corrected_label"]
    return row["label"] if row["verdict"] == "confirmed" else None


def answers_for(
    rows: Iterable[Mapping[str, str]], embeddings: Mapping[str, np.ndarray[Any, Any]], label: str
) -> list[Answer]:
    """The answers verdict rows give about `label`, oldest first.

    A row names what the frame shows when it was confirmed (its label) or corrected (the
    correction). That is a positive for `label` if it is `label`, else a negative (a frame
    confirmed as something else). A rejection of `label` is a negative. A rejection of another
    label without a correction says nothing about `label` and is skipped, as is a row without
    an embedding, with unreadable scores or time, or whose embedding's size differs from the
    first one's. base_score is the row's score for `label` (None when the model has none).
    """
    out: list[Answer] = []
    size: int | None = None
    for row in rows:
        vector = embeddings.get(row.get("id", ""))
        if vector is None:
            continue
        shown = _true_label(row)
        if shown == label:
            positive = True
        elif row["label"] == label or shown is not None:
            positive = False
        else:
            continue
        try:
            scores = json.loads(row["scores"])
            score = scores.get(label) if isinstance(scores, dict) else None
            when = float(row["time"])
        except ValueError:
            continue
        embedding = np.ravel(np.asarray(vector, dtype=np.float32))
        if not (_number(score) or score is None) or not math.isfinite(when):
            continue
        if size is None:
            size = embedding.size
        if embedding.size != size or not np.isfinite(embedding).all():
            continue
        base = None if score is None else float(score)
        out.append(Answer(embedding=embedding, base_score=base, positive=positive, time=when))
    return sorted(out, key=lambda a: a.time)


def near_duplicate(
    embedding: np.ndarray[Any, Any] | Sequence[float],
    answered: np.ndarray[Any, Any] | Sequence[np.ndarray[Any, Any] | Sequence[float]],
    cosine: float = 0.98,
) -> bool:
    """Whether `embedding` is nearly the same frame as one already answered (rows of `answered`)."""
    if not len(answered):
        return False
    similarity = unit_rows(np.atleast_2d(np.asarray(answered))) @ unit_rows(np.ravel(embedding))
    return bool(np.max(similarity) >= cosine)
