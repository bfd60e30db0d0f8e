"""Measuring a personal model on the user's own answers, with a protocol that never sees its test.

Few answers (≤ LOO_MAX): leave-one-out, so every answer is tested once by a model trained on all
the others. More: a time-ordered split per class, trained on the oldest two thirds of the
positives and of the negatives and tested on the newest third, as the model will be used.

A base label's personal model takes one of two forms, and these held-out answers choose: a head
of its own (kind "own"), which learns as a taught label does but keeps the base model's "no"
beside the embedding, or the correction of the base model (`learning`'s base head), which repairs
only what the answers show wrong. The head of its own also learns what the base model misses, and
it found a dog that no answer showed better than the correction did (bench/README.md measures
both), so it stays unless the correction does better on F1 at the threshold, then on average
precision; the correction is for a base model that already explains the answers. Past LOO_MAX
answers a retrain from the last version keeps its form (a head of the embedding alone, kind "new",
stored before heads of their own kept the model's say, becomes "own"): the data outweigh either
prior by then, and a second cold fit of thousands of answers would break the retrain's one-second
budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from .errors import CorruptLearnedError
from .head import KINDS, Head, Kind
from .learning import Answer, Fitted, arrays, fit, left_out
from .logistic import FloatArray

State = Literal["learning", "shadow", "active"]
STATES = ("learning", "shadow", "active")
PROTOCOLS = ("none", "leave-one-out", "time-ordered split")
MIN_BASE_POSITIVES = 2
MIN_BASE_NEGATIVES = 2
# A new label is watchable once taught this many of each; the benchmark checks it.
MIN_NEW_POSITIVES = 3
MIN_NEW_NEGATIVES = 3
LOO_MAX = 60
DEFAULT_PRECISION_TARGET = 0.9
# The thresholds a suggestion chooses from: what the options' number field can hold.
GRID = np.round(np.arange(0.05, 1.0, 0.01), 2)
TEST_SHARE = 1.0 / 3.0
COUNTS = ("tp", "fp", "fn", "tn")


@dataclass(frozen=True)
class Metrics:
    """Precision, recall and F1 at a threshold; each is 0 where it is undefined."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, predicted: np.ndarray[Any, Any], truth: np.ndarray[Any, Any]) -> Metrics:
        """The metrics of boolean predictions against boolean truth."""
        p, t = np.asarray(predicted, dtype=bool), np.asarray(truth, dtype=bool)
        tp, fp = int(np.sum(p & t)), int(np.sum(p & ~t))
        fn, tn = int(np.sum(~p & t)), int(np.sum(~p & ~t))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, tp, fp, fn, tn)

    @classmethod
    def from_dict(cls, data: object) -> Metrics:
        """Parse `asdict`'s form; anything wrong is a CorruptLearnedError."""
        if not isinstance(data, dict) or set(data) != {"precision", "recall", "f1", *COUNTS}:
            raise CorruptLearnedError("metrics have missing or unknown fields")
        counts = [data[k] for k in COUNTS]
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise CorruptLearnedError("metrics counts are not counts")
        rates = [data[k] for k in ("precision", "recall", "f1")]
        if not all(_rate(r) for r in rates):
            raise CorruptLearnedError("metrics rates are not numbers in [0, 1]")
        precision, recall, f1 = (float(r) for r in rates)
        return cls(precision, recall, f1, *counts)


def _rate(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= 1.0
    )


@dataclass(frozen=True)
class Report:
    """How a label's personal model did on held-out answers, beside the base model."""

    positives: int
    negatives: int
    protocol: str
    threshold: float
    personal: Metrics
    base: Metrics | None  # None for a new label
    state: State
    head_kind: Kind  # the form to train (`head.Head.kind`): a base label's evaluation chooses
    precision_target: float = DEFAULT_PRECISION_TARGET
    suggested_threshold: float | None = None  # reaches the target on these answers

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Report:
        """Parse `to_dict`'s form; anything wrong is a CorruptLearnedError."""
        names = (
            *("positives", "negatives", "protocol", "threshold", "personal", "base", "state"),
            *("precision_target", "suggested_threshold"),
        )
        if not isinstance(data, dict) or set(data) - {"head_kind"} != set(names):
            raise CorruptLearnedError("a report has missing or unknown fields")
        # A report stored before the forms were chosen has no head_kind: its label's kind.
        head_kind = data.get("head_kind", "new" if data["base"] is None else "base")
        if head_kind not in KINDS:
            raise CorruptLearnedError(f"a report's head kind {head_kind!r} is unknown")
        counts = (data["positives"], data["negatives"])
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise CorruptLearnedError("a report's answer counts are not counts")
        if data["protocol"] not in PROTOCOLS or data["state"] not in STATES:
            raise CorruptLearnedError("a report's protocol or state is unknown")
        suggested = data["suggested_threshold"]
        if not all(_rate(t) for t in (data["threshold"], data["precision_target"])) or not (
            suggested is None or _rate(suggested)
        ):
            raise CorruptLearnedError("a report's threshold or target is not in [0, 1]")
        base = None if data["base"] is None else Metrics.from_dict(data["base"])
        return cls(
            positives=counts[0],
            negatives=counts[1],
            protocol=data["protocol"],
            threshold=float(data["threshold"]),
            personal=Metrics.from_dict(data["personal"]),
            base=base,
            state=data["state"],
            head_kind=head_kind,
            precision_target=float(data["precision_target"]),
            suggested_threshold=None if suggested is None else float(suggested),
        )


def _ready(positives: int, negatives: int, kind: Kind) -> bool:
    if kind == "base":
        return positives >= MIN_BASE_POSITIVES and negatives >= MIN_BASE_NEGATIVES
    return positives >= MIN_NEW_POSITIVES and negatives >= MIN_NEW_NEGATIVES


@dataclass(frozen=True)
class HeldOut:
    """A protocol's held-out personal scores of the tested answers."""

    protocol: str
    tested: np.ndarray[Any, Any]  # the tested answers' indices
    scores: FloatArray
    fitted: Fitted | None  # the split's fit on the other answers; None for leave-one-out


def held_out_scores(answers: Sequence[Answer], kind: Kind, start: Head | None = None) -> HeldOut:
    """The held-out personal scores of `answers` by the protocol their number calls for."""
    x, logits, y, owner = arrays(answers, kind)
    n = len(answers)
    if n <= LOO_MAX:  # an answer's relit copies are held out with it: they are the same frame
        return HeldOut("leave-one-out", np.arange(n), left_out(x, logits, y, owner, kind), None)
    times = np.array([a.time for a in answers])
    test: list[int] = []
    for cls in (1.0, 0.0):
        mine = np.flatnonzero(y[:n] == cls)
        mine = mine[np.argsort(times[mine], kind="stable")]
        test.extend(int(i) for i in mine[len(mine) - math.ceil(len(mine) * TEST_SHARE) :])
    tested = np.sort(np.array(test, dtype=np.int64))
    train = np.flatnonzero(~np.isin(owner, tested))
    # Newton may start from a head that saw the tested answers: the optimum does not depend on
    # where it starts (`fit`), so the held-out scores are those of a cold start, only sooner.
    fitted = fit(x[train], logits[train], y[train], kind, start)
    scores = fitted.predict(x[tested], logits[tested], kind)
    return HeldOut("time-ordered split", tested, scores, fitted)


def average_precision(scores: np.ndarray[Any, Any], truth: np.ndarray[Any, Any]) -> float:
    """Precision averaged over the positives' ranks: how well the scores order, at any threshold.

    Equal scores rank in answer order (a stable sort): two forms that score alike tie exactly.
    """
    positive = np.asarray(truth, dtype=bool)
    if not positive.any():
        return 0.0
    hits = positive[np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")]
    ranks = np.flatnonzero(hits) + 1
    return float(np.mean(np.arange(1, len(ranks) + 1) / ranks))


Scored = tuple[FloatArray, Metrics]  # held-out scores and their metrics at the threshold


def _better(scores: Scored, than: Scored, truth: np.ndarray[Any, Any]) -> bool:
    """Whether held-out scores (and their metrics) beat `than`'s: on F1, then average precision."""
    # Not on log-likelihood: a new label's head weighs both classes the same, which moves its
    # probabilities by design, so the likelihood of unbalanced answers favours the correction.
    # Average precision ranks, and that shift leaves the ranks alone. A full tie keeps `than`.
    if scores[1].f1 != than[1].f1:
        return scores[1].f1 > than[1].f1
    return average_precision(scores[0], truth) > average_precision(than[0], truth)


def suggest_threshold(
    scores: np.ndarray[Any, Any], truth: np.ndarray[Any, Any], target: float
) -> float | None:
    """Of the thresholds that reach `target` precision with the most recall, the middle one."""
    fired = np.asarray(scores, dtype=np.float64)[None, :] >= GRID[:, None]
    positive = np.asarray(truth, dtype=bool)
    tp, fp = (fired & positive).sum(axis=1), (fired & ~positive).sum(axis=1)
    reach = (tp > 0) & (tp >= target * (tp + fp))
    if not reach.any():
        return None
    chosen = GRID[reach & (tp == tp[reach].max())]
    # The middle, not the lowest: as far from the answers on either side as they allow.
    middle = (chosen.min() + chosen.max()) / 2
    return float(chosen[np.argmin(np.abs(chosen - middle))])


def assess(
    answers: Sequence[Answer],
    *,
    kind: Kind,
    threshold: float,
    precision_target: float = DEFAULT_PRECISION_TARGET,
    start: Head | None = None,
) -> tuple[Report, Head | Fitted | None]:
    """The held-out report of a label's answers, and where training on them all starts Newton.

    Deterministic; `start` as `fit`. Past leave-one-out that start is the time-ordered split's fit
    of the chosen form (on two thirds of the answers, from `start`), whose preconditioner also
    steers the training; else `start`.
    """
    truth = np.array([a.positive for a in answers], dtype=bool)
    positives, negatives = int(truth.sum()), int((~truth).sum())
    base_scores = np.array([a.base_score or 0.0 for a in answers])
    base_all = base_scores >= threshold
    if not _ready(positives, negatives, kind):
        nothing = Metrics.of(np.zeros(0), np.zeros(0))
        base = Metrics.of(base_all, truth) if kind == "base" else None
        learning = Report(
            *(positives, negatives, "none", threshold, nothing, base, "learning", kind),
            precision_target=precision_target,
        )
        return learning, start
    forms: list[Kind] = [kind]
    if kind == "base":  # the forms a base label compares (see the module)
        forms = ["own", "base"]
        if start is not None and len(answers) > LOO_MAX:  # a head of its own keeps the base in
            forms = ["base" if start.kind == "base" else "own"]
    held = held_out_scores(answers, forms[0], start)
    tested = held.tested
    head_kind, personal = forms[0], Metrics.of(held.scores >= threshold, truth[tested])
    for other in forms[1:]:  # the same answers are tested: the protocol depends on their times
        own = held_out_scores(answers, other, start)
        mine = Metrics.of(own.scores >= threshold, truth[tested])
        if _better((own.scores, mine), (held.scores, personal), truth[tested]):
            held, head_kind, personal = own, other, mine
    scores = held.scores
    if kind == "base":
        base = Metrics.of(base_all[tested], truth[tested])
        state: State = "active" if personal.f1 > base.f1 else "shadow"
    else:
        base = None
        state = "active" if personal.f1 > 0 else "shadow"
    # The threshold for the scores that decide: the base model's while it does.
    deciding = base_scores[tested] if kind == "base" and state != "active" else scores
    suggested = suggest_threshold(deciding, truth[tested], precision_target)
    report = Report(
        *(positives, negatives, held.protocol, threshold, personal, base, state, head_kind),
        precision_target=precision_target,
        suggested_threshold=suggested,
    )
    return report, start if held.fitted is None else held.fitted
