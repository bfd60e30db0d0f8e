"""The personal model: a logistic head per label on the embedding, learned from the user's answers.

A base label (one the model has) learns a correction of the base model: logistic regression on
[embedding, logit(base score)] whose Gaussian prior is centred on the base model, so with no answers
it is the base model and the MAP estimate moves only as far as the evidence pushes it. A new label
("the postman") is logistic regression on the embedding, which it sees as its signed square root (a
post-ReLU embedding is a bag of activations whose few big values drown the rest), minus the mean of
its answers when they hold both classes (what every frame of the camera shares, the scene, says
nothing about the label), and with both classes weighing the same in total (which frames a user
answered, so their ratio, is an artefact of asking, not the camera's odds). bench/README.md measures
why: with 5 answers of each kind this doubles a new label's recall at 0.6, while for a base label it
gains little and lets one rejected false-alarm pattern generalise less, so a base head keeps the
plain embedding. Once a base label has two answers of each kind it learns a head of its own instead
(kind "own": a new label's features, with the base model's "no" beside them and a prior centred on
the base model, as the correction's) unless its answers show the correction does better
(`evaluation` chooses): the correction repairs only what the answers show wrong, which is not enough
where the base model misses most. The model's "no" (its log-odds under `head.FLOOR`) stays in
because a head of the embedding alone says about 0.5 of any kind of frame no answer showed, the
empty mat the user never answered about included, where the base model knows better: for `dog` it
held a third of such frames at or over the off-threshold, keeping episodes open. Its scores over the
floor do not: where the model is in two minds is where it misses and errs, so there the answers
decide (bench/README.md measures both). Rows are then scaled to unit length, so one prior scale
means the same on every frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .head import Head, Kind, base_feature, base_logits, normalise_rows, raw, unit_rows
from .logistic import FloatArray, Preconditioner, dual, fit_dual, fit_primal, sigmoid

# On unit-norm embeddings a prior w ~ N(0, I/λ) makes the correction w·x at any frame N(0, 1/λ) in
# log-odds; λ = 1/16 (sd 4) lets a few answers move a frame anywhere in ±8 (0.03 %..99.97 %) but
# keeps frames unlike any answer near the base model (their cosines to answers are ~0.1-0.3).
LAMBDA = 1.0 / 16.0
# The base model's log-odds may be rescaled by about 0..2 and shifted by about ±2 (2 sd) a priori:
# a global change of the base model needs much more evidence than a local correction.
BASE_WEIGHT_SD = 1.0
BIAS_SD = 1.0
# Relit copies (`relight`) teach light the answers have not shown yet. Three rows an answer past
# this many would push a retrain of thousands past its second; and by then the answers show it.
COPIES_MAX = 1000


@dataclass(frozen=True)
class Answer:
    """One user answer about one frame, for one label."""

    embedding: np.ndarray[Any, Any]
    base_score: float | None  # the base model's probability; None if it has no such label
    positive: bool
    time: float
    # The same frame relit and embedded again (`relight`): only a taught label's answers have them.
    copies: tuple[np.ndarray[Any, Any], ...] = ()


def weights(y: FloatArray, kind: Kind) -> FloatArray:
    """Per-answer weights: for a new label both classes weigh the same in total, n in all."""
    n, positives = len(y), float(np.sum(y))
    if kind == "base" or positives in (0.0, float(n)):
        return np.ones(n)
    out: FloatArray = np.where(y > 0, n / (2 * positives), n / (2 * (n - positives)))
    return out


def _prior(d: int, kind: Kind) -> tuple[FloatArray, FloatArray]:
    """Prior mean and variance of [w, (base_weight), bias]."""
    extra = [1.0, 0.0] if kind != "new" else [0.0]
    sd = [BASE_WEIGHT_SD, BIAS_SD] if kind != "new" else [BIAS_SD]
    mean = np.concatenate([np.zeros(d), extra])
    var = np.concatenate([np.full(d, 1.0 / LAMBDA), np.square(sd)])
    return mean, var


def _design(p: FloatArray, center: FloatArray, logits: FloatArray, kind: Kind) -> FloatArray:
    """[unit rows of p - center, (base log-odds), 1], built in one array: no copy of p besides."""
    n, d = p.shape
    phi = np.empty((n, d + (2 if kind != "new" else 1)))
    np.subtract(p, center, out=phi[:, :d])
    normalise_rows(phi[:, :d])
    if kind != "new":
        phi[:, d] = logits
    phi[:, -1] = 1.0
    return phi


@dataclass(frozen=True)
class Fitted:
    """Fitted parameters θ = [w, (base_weight), bias] and the centre of their features."""

    theta: FloatArray
    center: FloatArray
    # The primal solver's last preconditioner: a fit of nearly the same answers may steer by it.
    preconditioner: Preconditioner | None = field(default=None, repr=False, compare=False)

    def predict(self, embeddings: FloatArray, logits: FloatArray, kind: Kind) -> FloatArray:
        """Probabilities for `raw` (n, d) embeddings and their base log-odds."""
        x = unit_rows(embeddings - self.center)
        d = x.shape[1]
        z = x @ self.theta[:d] + self.theta[-1]
        if kind != "new":
            z = z + self.theta[d] * logits
        return sigmoid(z)


def fit(
    p: FloatArray, logits: FloatArray, y: FloatArray, kind: Kind, start: Head | Fitted | None = None
) -> Fitted:
    """The MAP head for `raw` embeddings p, base log-odds and labels y in {0, 1}, from `start`."""
    mean, var = _prior(p.shape[1], kind)
    if not len(y):
        return Fitted(mean, np.zeros(p.shape[1]))
    # Answers of one class only share what makes them that class: centring on them would leave
    # the bias alone to move every frame, so they are not centred.
    both = 0 < np.sum(y) < len(y)
    center = p.mean(axis=0) if kind != "base" and both else np.zeros(p.shape[1])
    phi = _design(p, center, logits, kind)
    c = weights(y, kind)
    if len(y) < phi.shape[1]:
        return Fitted(fit_dual(phi, y, mean, var, c), center)
    # The prior makes the objective strictly convex: the optimum is the same from any start, and
    # from the label's last version (all but the newest answers) it is a Newton step or two away.
    theta, steer = mean.copy(), None
    if isinstance(start, Fitted) and start.theta.size == mean.size:
        theta, steer = start.theta.copy(), start.preconditioner  # fitted on most of these answers
    elif isinstance(start, Head) and start.kind == kind and start.weights.size == p.shape[1]:
        extra = [start.base_weight, start.bias] if kind != "new" else [start.bias]
        theta = np.concatenate([start.weights.astype(np.float64), extra])
    elif kind == "new":  # the optimum does not depend on it; Newton gets there in fewer steps
        theta[-1] = float(base_logits([float(np.average(y, weights=c))])[0])
    solved = fit_primal(phi, y, mean, var, theta, c=c, preconditioner=steer)
    return Fitted(solved.theta, center, solved.preconditioner)


def left_out(
    x: FloatArray, logits: FloatArray, y: FloatArray, owner: np.ndarray[Any, Any], kind: Kind
) -> FloatArray:
    """Each answer's score by `fit` on every row of the others (`arrays`'s rows and owners).

    `fit`'s own arithmetic, only in the dual and from one Gram matrix: a fold's centring and
    unit rows are its inner products' (x·c = the row's mean product with the fold's rows), so
    no fold touches the embedding's d dimensions again.
    """
    count, d = int(owner.max()) + 1, x.shape[1]
    mean, var = _prior(d, kind)
    if len(x) > d:  # `fit` would take the primal: fold by fold, as it does
        folds = [owner != i for i in range(count)]
        fits = [fit(x[keep], logits[keep], y[keep], kind) for keep in folds]
        return np.array(
            [f.predict(x[i : i + 1], logits[i : i + 1], kind)[0] for i, f in enumerate(fits)]
        )
    gram = x @ x.T
    scores = np.empty(count)
    for i in range(count):
        rows = np.flatnonzero(owner != i)
        both = np.append(rows, i)  # the fold's rows, then the answer it tests
        g = gram[np.ix_(both, both)]
        if kind != "base" and 0 < np.sum(y[rows]) < len(rows):  # centred, as `fit` centres
            r = g[:, :-1].mean(axis=1)
            g = g - r[:, None] - r[None, :] + r[:-1].mean()
        norm = np.sqrt(np.clip(np.diagonal(g), 0.0, None))
        inverse = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
        k = var[0] * (g * inverse[:, None] * inverse[None, :]) + var[-1]
        m = np.zeros(len(both))
        if kind != "new":
            k += var[d] * np.outer(logits[both], logits[both])
            m = mean[d] * logits[both]
        a = dual(k[:-1, :-1], m[:-1], y[rows], weights(y[rows], kind))
        scores[i] = sigmoid(m[-1] + k[-1, :-1] @ a)
    return scores


def arrays(
    answers: Sequence[Answer], kind: Kind
) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray[Any, Any]]:
    """`raw` embeddings, base features, labels of the answers, then their copies'; rows' answers."""
    owner = list(range(len(answers)))
    rows = [a.embedding for a in answers]
    if len(answers) <= COPIES_MAX:
        for i, answer in enumerate(answers):
            owner.extend([i] * len(answer.copies))
            rows.extend(answer.copies)
    x = raw(np.stack([np.ravel(r) for r in rows]), kind)
    y = np.array([1.0 if answers[i].positive else 0.0 for i in owner])
    return x, base_feature((answers[i].base_score for i in owner), kind), y, np.array(owner)


def head_from(
    fitted: Fitted, *, label: str, kind: Kind, model_sha256: str, answers: int, now: float
) -> Head:
    """A Head of fitted parameters."""
    theta = fitted.theta
    d = len(theta) - (2 if kind != "new" else 1)
    return Head(
        label=label,
        kind=kind,
        weights=theta[:d].astype(np.float32),
        center=fitted.center.astype(np.float32),
        base_weight=float(theta[d]) if kind != "new" else 0.0,
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
    start: Head | Fitted | None = None,
) -> Head:
    """The MAP head for `label` from `answers` (from `start`); with none, the base model or 0.5."""
    if answers:
        x, logits, y, _ = arrays(answers, kind)
    else:
        x, logits, y = np.zeros((0, dims or 1)), np.zeros(0), np.zeros(0)
    return head_from(
        fit(x, logits, y, kind, start),
        label=label,
        kind=kind,
        model_sha256=model_sha256,
        answers=len(answers),
        now=now,
    )
