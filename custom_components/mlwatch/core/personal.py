"""One label's retrain, as the integration and the benchmark both do it: measured, then trained."""

from __future__ import annotations

from collections.abc import Sequence

from .evaluation import DEFAULT_PRECISION_TARGET, Report, assess
from .head import Head, Kind
from .learning import Answer, train


def retrain(
    answers: Sequence[Answer],
    *,
    label: str,
    kind: Kind,
    threshold: float,
    model_sha256: str,
    now: float,
    precision_target: float = DEFAULT_PRECISION_TARGET,
    start: Head | None = None,
) -> tuple[Head, Report]:
    """The held-out report (it chooses a base label's form) and the head trained on every answer."""
    report, begin = assess(
        answers, kind=kind, threshold=threshold, precision_target=precision_target, start=start
    )
    head = train(
        answers,
        label=label,
        kind=report.head_kind,
        model_sha256=model_sha256,
        now=now,
        start=begin,
    )
    return head, report
