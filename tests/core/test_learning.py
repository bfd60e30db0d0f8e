"""The personal model on real embeddings of real photos: corrections, new labels, evaluation."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest

from custom_components.mlwatch.core.answered import (
    NOVEL,
    answers_for,
    least_known,
    near_duplicate,
    nearest,
)
from custom_components.mlwatch.core.errors import CorruptLearnedError, MlwatchError
from custom_components.mlwatch.core.evaluation import (
    MIN_NEW_NEGATIVES,
    MIN_NEW_POSITIVES,
    Metrics,
    Report,
    _better,
    assess,
    average_precision,
    held_out_scores,
    suggest_threshold,
)
from custom_components.mlwatch.core.head import CLIP, Head
from custom_components.mlwatch.core.learning import (
    Answer,
    Fitted,
    arrays,
    fit,
    left_out,
    train,
    weights,
)

from .learning_frames import OTHERS, evaluate, frames, no, yes
from .solver_counts import counted, counted_sketches

SHA = "ab" * 32
UNSEEN = ("coins", "clock", "grass", "gravel", "page", "text", "moon", "colorwheel", "logo")


def held_out(name: str, label: str, count: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings and base scores of frames no test trains on (seeds from 200)."""
    got = frames(name, count, 200)
    return np.stack([e for e, _ in got]), np.array([s[label] for _, s in got])


def trained(found: list[Answer], label: str, kind: str = "base") -> Head:
    return train(found, label=label, kind=kind, model_sha256=SHA, now=1.0)  # type: ignore[arg-type]


# The base model, corrected ------------------------------------------------------------------


def test_zero_answers_is_exactly_the_base_model() -> None:
    head = train([], label="cat", kind="base", model_sha256=SHA, now=1.0, dims=1280)
    for name in ("chelsea", "coffee", "moon"):
        x, base = held_out(name, "cat", 10)
        expected = np.clip(base, CLIP, 1 - CLIP)
        assert head.scores(x, base) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert [head.score(e, b) for e, b in zip(x, base, strict=True)] == pytest.approx(
            expected, rel=1e-9, abs=1e-12
        )
    assert (head.base_weight, head.bias, head.answers) == (1.0, 0.0, 0)


def test_the_evidence_decides_how_far_the_base_model_moves() -> None:
    x, base = held_out("moon", "nematode")
    cat_x, cat_base = held_out("chelsea", "nematode")
    means = []
    for count in (1, 3, 20):
        head = trained(no("moon", "nematode", count), "nematode")
        means.append(float(head.scores(x, base).mean()))
        # Frames unlike the answers barely move (in log-odds).
        moved = np.log(head.scores(cat_x, cat_base)) - np.log(np.clip(cat_base, CLIP, 1))
        assert np.abs(moved).max() < 1.5
    assert base.mean() > 0.25
    assert means[0] < base.mean() * 0.7  # one answer corrects...
    assert means[0] > 2 * means[1] > 4 * means[2]  # ...more answers move it further
    assert means[2] < 0.02


def test_rejecting_three_false_alarms_stops_them_while_true_detections_fire() -> None:
    # The model calls both the moon and the deep field "nematode"; the user watches for the
    # deep field: two earlier detections were confirmed, then three moon alarms are rejected.
    threshold = 0.3
    found = no("moon", "nematode", 3) + yes("hubble_deep_field", "nematode", 2, t0=10)
    head = trained(found, "nematode")
    moon, moon_base = held_out("moon", "nematode")
    deep, deep_base = held_out("hubble_deep_field", "nematode")
    assert (moon_base >= threshold).sum() >= 10  # the alarm the user saw
    assert (head.scores(moon, moon_base) < threshold).all()
    fired = deep_base >= threshold
    assert fired.sum() >= 10
    assert (head.scores(deep[fired], deep_base[fired]) >= threshold).all()


# New labels -----------------------------------------------------------------------------------


def test_a_new_label_taught_from_a_handful_of_frames() -> None:
    found = yes("coffee", "x", 5)
    for name in OTHERS:
        found += no(name, "x", 1)
    head = trained(found, "my mug", "new")
    assert head.kind == "new"
    assert head.base_weight == 0.0
    x, _ = held_out("coffee", "cat")
    assert (head.scores(x, np.zeros(len(x))) >= 0.6).all()
    for name in (*OTHERS, *UNSEEN):  # photos it was never shown too
        x, _ = held_out(name, "cat", 20)
        assert (head.scores(x, [None] * len(x)) < 0.6).all(), name


def test_more_rejections_do_not_make_a_new_label_doubt_its_own_frames() -> None:
    # Two confirmed mugs among more and more rejected frames of five other photos: what a user
    # who answers about whatever comes to the door gives. The old head took the ratio for the
    # camera's odds: its held-out mugs fell from 0.81 to 0.72 (lowest score) as rejections grew.
    x, _ = held_out("coffee", "cat")
    lowest = []
    for each in (1, 3, 6):
        found = yes("coffee", "x", 2)
        for name in OTHERS:
            found += no(name, "x", each)
        lowest.append(float(trained(found, "my mug", "new").scores(x, [None] * len(x)).min()))
    assert lowest == sorted(lowest)
    assert lowest[-1] >= 0.9


def test_only_a_new_label_with_both_kinds_of_answer_is_centred_and_balanced() -> None:
    y = np.array([1.0, 0, 0, 0])
    assert weights(y, "new") == pytest.approx([2.0, 2 / 3, 2 / 3, 2 / 3])
    assert weights(y, "base") == pytest.approx(np.ones(4))
    assert weights(np.zeros(3), "new") == pytest.approx(np.ones(3))
    both = trained(yes("coffee", "x", 2) + no("moon", "x", 2), "mug", "new")
    assert np.linalg.norm(both.center) > 0
    only_no = trained(no("moon", "x", 3), "mug", "new")
    base = trained(yes("coffee", "cup", 2) + no("moon", "cup", 2), "cup")
    assert not only_no.center.any()
    assert not base.center.any()


def test_held_out_scores_are_calibrated_probabilities() -> None:
    found = yes("coffee", "x", 12)
    for name in (*OTHERS, *UNSEEN):
        found += no(name, "x", 2)
    from custom_components.mlwatch.core.evaluation import held_out_scores

    held = held_out_scores(found, "new")
    protocol, scores = held.protocol, held.scores
    truth = np.array([a.positive for a in found])[held.tested]
    log_loss = -np.mean(np.log(np.where(truth, scores, 1 - scores)))
    brier = np.mean((scores - truth) ** 2)
    assert protocol == "leave-one-out"
    assert log_loss < 0.25  # a coin flip scores 0.69
    assert brier < 0.05


# Evaluation ------------------------------------------------------------------------------------


def test_a_personal_model_worse_than_the_base_is_never_active() -> None:
    # The oldest answers contradict the base model (it was right, the user's old answers were
    # not); on the newest, the base is perfect, so the personal model trained on the old loses.
    old = [replace(a, 0.1) for a in yes("coffee", "x", 30)]
    old += [replace(a, 0.9) for a in no("chelsea", "x", 30)]
    new = [replace(a, 0.9) for a in yes("chelsea", "x", 15, 100, t0=100)]
    new += [replace(a, 0.1) for a in no("coffee", "x", 15, 100, t0=100)]
    report = evaluate(old + new, kind="base", threshold=0.5)
    assert report.protocol == "time-ordered split"
    assert report.base is not None
    assert report.base.f1 == 1.0
    assert report.personal.f1 < report.base.f1
    assert report.state == "shadow"


def replace(answer: Answer, base_score: float) -> Answer:
    return Answer(answer.embedding, base_score, answer.positive, answer.time)


def test_a_personal_model_equal_to_a_perfect_base_stays_in_shadow() -> None:
    found = [replace(a, 0.9) for a in yes("coffee", "x", 6)]
    found += [replace(a, 0.1) for a in no("chelsea", "x", 6)]
    report = evaluate(found, kind="base", threshold=0.5)
    assert report.protocol == "leave-one-out"
    assert report.base == report.personal == Metrics(1.0, 1.0, 1.0, 6, 0, 0, 6)
    assert report.state == "shadow"


def test_the_suggested_threshold_is_the_middle_of_those_that_reach_the_target() -> None:
    truth = np.array([1, 1, 1, 0, 0], dtype=bool)
    # Every threshold in (0.20, 0.71] keeps all three positives and drops both negatives.
    assert suggest_threshold(np.array([0.71, 0.8, 0.9, 0.12, 0.2]), truth, 0.9) == 0.46
    # A negative at 0.75: 0.9 precision needs a threshold above it, and one positive is lost.
    assert suggest_threshold(np.array([0.71, 0.8, 0.9, 0.12, 0.75]), truth, 0.9) == 0.78
    # At 0.7 precision that negative may pass (3 of 4): all three positives, in (0.12, 0.71].
    assert suggest_threshold(np.array([0.71, 0.8, 0.9, 0.12, 0.75]), truth, 0.7) == 0.42
    # Nothing reaches it: a negative scores above every positive.
    assert suggest_threshold(np.array([0.71, 0.8, 0.9, 0.12, 0.99]), truth, 0.9) is None


def test_the_suggestion_follows_the_scores_that_decide() -> None:
    # In shadow the base decides, so its scores set the threshold; a new label has only its own.
    found = [replace(a, 0.9) for a in yes("coffee", "x", 6)]
    found += [replace(a, 0.29) for a in no("chelsea", "x", 6)]
    shadow = evaluate(found, kind="base", threshold=0.5, precision_target=0.95)
    assert (shadow.state, shadow.precision_target) == ("shadow", 0.95)
    assert shadow.suggested_threshold == 0.6  # the middle of (0.29, 0.90]
    new = evaluate(found, kind="new", threshold=0.5)
    assert new.suggested_threshold is not None
    assert new.suggested_threshold != shadow.suggested_threshold
    few = evaluate(found[:2], kind="new", threshold=0.5)
    assert (few.state, few.suggested_threshold) == ("learning", None)


def test_a_correction_that_beats_the_base_is_active() -> None:
    found = no("moon", "nematode", 6) + yes("hubble_deep_field", "nematode", 6)
    report = evaluate(found, kind="base", threshold=0.3)
    assert report.base is not None
    assert report.personal.f1 > report.base.f1
    assert report.state == "active"
    assert (report.positives, report.negatives) == (6, 6)


def test_a_base_label_the_model_misses_learns_the_frames_it_misses() -> None:
    # The base model finds four of the user's mugs and misses two (0.01 %). Held out, each missed
    # mug is lifted by the other: the personal model finds what the base model cannot.
    found = [replace(a, 1e-4 if i < 2 else 0.9) for i, a in enumerate(yes("coffee", "cup", 6))]
    for name in OTHERS[:3]:
        found += [replace(a, 1e-4) for a in no(name, "cup", 2)]
    report = evaluate(found, kind="base", threshold=0.5)
    assert (report.protocol, report.state) == ("leave-one-out", "active")
    assert report.base is not None
    assert report.personal.f1 == 1.0 > report.base.f1
    head = train(found, label="cup", kind=report.head_kind, model_sha256=SHA, now=1.0)
    x, _ = held_out("coffee", "cup", 10)
    assert (head.scores(x, np.full(10, 1e-4)) >= 0.5).all()
    assert (head.scores(*held_out("chelsea", "cup", 10)) < 0.5).all()


def test_a_head_of_its_own_keeps_the_base_models_say_where_no_answer_was() -> None:
    # The model calls the moon and the deep field "nematode"; the user rejects the moon and
    # confirms the deep field. Of a mug, which nobody answered about and the model scores 0, a
    # head of the embedding alone can only guess; one of its own leaves it to the model.
    found = no("moon", "nematode", 3) + yes("hubble_deep_field", "nematode", 3, t0=10)
    mugs, mug_base = held_out("coffee", "nematode", 10)
    assert (mug_base < 0.01).all()
    own = trained(found, "nematode", "own")
    assert (own.scores(mugs, mug_base) < 0.15).all()  # under the off-threshold: visits end
    alone = trained(found, "nematode", "new")
    assert (alone.scores(mugs, mug_base) > 0.3).mean() > 0.5
    deep, deep_base = held_out("hubble_deep_field", "nematode")
    assert (own.scores(deep, deep_base) >= 0.5).mean() > 0.9  # and it learned the deep field


def test_a_head_of_its_own_follows_the_answers_where_the_model_is_in_two_minds() -> None:
    # The user confirmed mugs the model found (0.9) and rejected cats it was unsure of (0.3). The
    # next mugs it misses (0.1) and the next cats it is sure of (0.9): the answers, not the
    # model's score, decide both (it held the mugs at 0.22 and the cats at 0.68 before FLOOR).
    found = [replace(a, 0.9) for a in yes("coffee", "cup", 3)]
    found += [replace(a, 0.3) for a in no("chelsea", "cup", 3, t0=10)]
    found += [replace(a, 1e-4) for a in no("astronaut", "cup", 3, t0=20)]
    own = trained(found, "cup", "own")
    (mugs, _), (cats, _) = held_out("coffee", "cup", 20), held_out("chelsea", "cup", 20)
    assert (own.scores(mugs, np.full(20, 0.1)) >= 0.6).all()
    assert (own.scores(cats, np.full(20, 0.9)) < 0.3).all()
    # Under FLOOR the model's no still counts: the same mugs scored 1e-4 come out lower.
    assert (own.scores(mugs, np.full(20, 1e-4)) < own.scores(mugs, np.full(20, 0.1))).all()


def test_answers_that_both_forms_explain_get_a_head_of_its_own() -> None:
    # Held out, both forms get every answer right: the answers cannot choose, so the form that
    # found a dog no answer showed better (bench/README.md) is kept, not the correction.
    found = yes("chelsea", "cat", 3) + no("astronaut", "cat", 3, t0=10)
    forms = [held_out_scores(found, kind).scores for kind in ("base", "own")]
    truth = np.array([a.positive for a in found])
    assert [average_precision(f, truth) for f in forms] == [1.0, 1.0]
    assert [Metrics.of(f >= 0.6, truth).f1 for f in forms] == [1.0, 1.0]
    assert evaluate(found, kind="base", threshold=0.6).head_kind == "own"


def test_a_base_model_that_explains_the_answers_keeps_the_correction() -> None:
    # Frames of one photo that only the base model tells apart: the embedding alone cannot.
    found = [replace(a, 0.9) for a in yes("coffee", "x", 6)]
    found += [replace(a, 0.1) for a in no("coffee", "x", 6, start=50)]
    report = evaluate(found, kind="base", threshold=0.5)
    assert (report.head_kind, report.personal.f1) == ("base", 1.0)


def test_a_tie_on_f1_goes_to_the_better_ranking_not_the_more_confident() -> None:
    # Both fire on both positives and one negative (F1 0.8). The correction ranks that negative
    # above a positive and is confident everywhere else; the balanced head ranks every positive
    # first, nearer 0.5, as its class weights make it. Ranking, not likelihood, decides.
    truth = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    correction = np.array([0.99, 0.9, 0.95, 0.01, 0.01, 0.01])
    own = np.array([0.7, 0.55, 0.52, 0.45, 0.45, 0.45])
    assert Metrics.of(own >= 0.5, truth).f1 == Metrics.of(correction >= 0.5, truth).f1 == 0.8
    likelihood = [np.mean(np.log(np.where(truth, p, 1 - p))) for p in (own, correction)]
    assert likelihood[0] < likelihood[1]
    assert (average_precision(own, truth), average_precision(correction, truth)) == (
        1.0,
        0.8333333333333333,
    )
    mine, theirs = ((p, Metrics.of(p >= 0.5, truth)) for p in (own, correction))
    assert _better(mine, theirs, truth)
    assert not _better(theirs, mine, truth)
    assert not _better(mine, mine, truth)  # a full tie keeps the correction


@pytest.mark.parametrize(("form", "kept"), [("base", "base"), ("own", "own"), ("new", "own")])
def test_past_leave_one_out_a_retrain_keeps_its_form(form: str, kept: str) -> None:
    # A base label's head of the embedding alone ("new"), as stored before, keeps the log-odds now.
    found = yes("coffee", "cat", 40) + no("chelsea", "cat", 40, t0=100)
    last = train(found[:-1], label="cat", kind=form, model_sha256=SHA, now=1.0)  # type: ignore[arg-type]
    report = evaluate(found, kind="base", threshold=0.5, start=last)
    assert (report.protocol, report.head_kind) == ("time-ordered split", kept)
    held = held_out_scores(found, kept, last)  # type: ignore[arg-type]
    expected = Metrics.of(held.scores >= 0.5, np.array([a.positive for a in found])[held.tested])
    assert report.personal == expected


def test_a_report_stored_before_forms_were_chosen_trains_its_labels_kind() -> None:
    found = yes("coffee", "cat", 3) + no("chelsea", "cat", 3)
    for kind in ("base", "new"):
        data = evaluate(found, kind=kind, threshold=0.6).to_dict()
        del data["head_kind"]
        assert Report.from_dict(data).head_kind == kind
    with pytest.raises(CorruptLearnedError):
        Report.from_dict({**data, "head_kind": "other"})


def test_leave_one_out_never_sees_the_answer_it_tests() -> None:
    # Each positive is the only frame of its photo: a model that saw it would recognise it.
    found = [*yes("coffee", "x", 1), *yes("rocket", "x", 1, 5)]
    found += yes("clock", "x", 1, 9)
    for name in OTHERS:
        found += no(name, "x", 2)
    report = evaluate(found, kind="new", threshold=0.5)
    assert report.protocol == "leave-one-out"
    assert report.personal.tp == 0
    assert report.state == "shadow"  # evaluated, but it recognises nothing


@pytest.mark.parametrize(
    ("kind", "relit"), [("new", False), ("new", True), ("base", False), ("own", False)]
)
def test_leave_one_out_from_one_gram_matrix_is_a_fit_per_fold(kind: str, relit: bool) -> None:
    found = [*yes("chelsea", "cat", 4), *no("coffee", "cat", 3), *no("rocket", "cat", 2, 4)]
    if relit:  # each answer with two other frames of its photo as its copies
        others = iter(frames(n, 18, 50) for n in ("chelsea", "coffee", "rocket"))
        pool = [e for group in others for e, _ in group]
        found = [
            dataclasses.replace(a, copies=(pool[2 * i], pool[2 * i + 1]))
            for i, a in enumerate(found)
        ]
    x, logits, y, owner = arrays(found, kind)  # type: ignore[arg-type]
    expected = []
    for i in range(len(found)):
        keep = owner != i
        fitted = fit(x[keep], logits[keep], y[keep], kind)  # type: ignore[arg-type]
        expected.append(fitted.predict(x[i : i + 1], logits[i : i + 1], kind)[0])  # type: ignore[arg-type]
    got = left_out(x, logits, y, owner, kind)  # type: ignore[arg-type]
    assert np.allclose(got, expected, atol=1e-6, rtol=0)
    assert np.ptp(got) > 0.5  # scores that differ, not one constant


def test_learning_until_there_are_enough_answers() -> None:
    few = yes("coffee", "x", MIN_NEW_POSITIVES - 1)
    few += no("chelsea", "x", MIN_NEW_NEGATIVES)
    report = evaluate(few, kind="new", threshold=0.5)
    assert (report.state, report.protocol, report.base) == ("learning", "none", None)
    enough = few + yes("coffee", "x", 1, 50)
    assert evaluate(enough, kind="new", threshold=0.5).state == "active"
    base = yes("chelsea", "cat", 1) + no("coffee", "cat", 3)
    report = evaluate(base, kind="base", threshold=0.5)
    assert report.state == "learning"
    assert report.base is not None
    assert report.base.tp == 1


def test_time_ordered_split_tests_the_newest_third_of_each_class() -> None:
    found = yes("coffee", "x", 31) + no("chelsea", "x", 40)
    report = evaluate(found, kind="new", threshold=0.5)
    assert report.protocol == "time-ordered split"
    p = report.personal
    assert (p.tp + p.fn, p.fp + p.tn) == (11, 14)


def test_metrics_are_zero_where_undefined() -> None:
    assert Metrics.of(np.zeros(3, bool), np.zeros(3, bool)) == Metrics(0, 0, 0, 0, 0, 0, 3)
    m = Metrics.of(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool))
    assert (m.precision, m.recall, m.f1, m.tp, m.fp, m.fn, m.tn) == (0.5, 0.5, 0.5, 1, 1, 1, 1)


def test_training_is_deterministic() -> None:
    found = yes("coffee", "x", 8) + no("chelsea", "x", 8)
    first, again = trained(found, "x"), trained(copy.deepcopy(found), "x")
    assert first.weights.tobytes() == again.weights.tobytes()
    assert (first.base_weight, first.bias) == (again.base_weight, again.bias)
    large = found * 90  # past the size where the solver works on the parameters
    assert trained(large, "x").weights.tobytes() == trained(large, "x").weights.tobytes()


def test_both_solvers_find_the_same_model() -> None:
    found = yes("coffee", "cat", 8) + no("chelsea", "cat", 8)
    small, large = trained(found, "cat"), trained(found * 100, "cat")  # 16 vs 1600 answers
    # 100 copies are 100 times the evidence, so only the direction must agree closely.
    x, base = held_out("coffee", "cat", 10)
    assert (small.scores(x, base) > 0.5).all()
    assert (large.scores(x, base) > small.scores(x, base)).all()


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per conjugate-gradient solve (a Newton step of the primal solver) from here on."""
    return counted(monkeypatch, "_conjugate_gradient")


def many(label: str) -> list[Answer]:
    """1600 answers: a time-ordered split, and the primal solver, where a retrain costs the most."""
    return (yes("coffee", label, 30) + no("chelsea", label, 30) + no("rocket", label, 20)) * 20


@pytest.mark.parametrize(("kind", "label"), [("base", "cat"), ("new", "x")])
def test_from_the_last_version_training_reaches_the_same_model_in_fewer_steps(
    kind: str, label: str, steps: list[int]
) -> None:
    found = many(label)
    last = train(found[:-1], label=label, kind=kind, model_sha256=SHA, now=1.0)  # type: ignore[arg-type]
    steps.clear()
    cold = train(found, label=label, kind=kind, model_sha256=SHA, now=2.0)  # type: ignore[arg-type]
    cold_steps, steps[:] = len(steps), []
    warm = train(found, label=label, kind=kind, model_sha256=SHA, now=2.0, start=last)  # type: ignore[arg-type]
    assert len(steps) <= 2 < cold_steps
    x, base = held_out("coffee", "cat", 10)
    assert np.abs(warm.scores(x, base) - cold.scores(x, base)).max() < 1e-3
    other = Head(**{**vars(last), "kind": "new" if kind == "base" else "base"})
    mismatched = train(found, label=label, kind=kind, model_sha256=SHA, now=2.0, start=other)  # type: ignore[arg-type]
    assert np.abs(mismatched.scores(x, base) - cold.scores(x, base)).max() < 1e-3


def test_a_split_started_from_a_head_that_saw_its_test_scores_it_as_a_cold_start() -> None:
    found = yes("coffee", "cat", 40, t0=0) + no("chelsea", "cat", 40, t0=100)
    found += yes("chelsea", "cat", 10, start=50, t0=200)  # the newest answers disagree
    saw_all = trained(found, "cat")
    cold = held_out_scores(found, "base")
    warm = held_out_scores(found, "base", start=saw_all)
    assert cold.protocol == warm.protocol == "time-ordered split"
    assert (cold.tested == warm.tested).all()
    assert np.abs(cold.scores - warm.scores).max() < 1e-3


@pytest.mark.parametrize(("kind", "label"), [("base", "cat"), ("new", "x")])
def test_with_nothing_to_start_from_training_starts_from_the_split_and_gets_as_far(
    kind: str, label: str, steps: list[int]
) -> None:
    found = many(label)
    report, begin = assess(found, kind=kind, threshold=0.6)  # type: ignore[arg-type]
    assert isinstance(begin, Fitted)
    assert begin.theta.size == 1280 + (2 if report.head_kind != "new" else 1)
    named = {"label": label, "kind": report.head_kind, "model_sha256": SHA, "now": 2.0}
    steps.clear()
    cold = train(found, **named)  # type: ignore[arg-type]
    cold_steps, steps[:] = len(steps), []
    warm = train(found, **named, start=begin)  # type: ignore[arg-type]
    assert len(steps) < cold_steps
    x, base = held_out("coffee", "cat", 10)
    assert np.abs(warm.scores(x, base) - cold.scores(x, base)).max() < 1e-3
    # With few answers (leave-one-out) there is no split: the last version is the start.
    few = found[:40]
    previous = train(few[:-1], **named)  # type: ignore[arg-type]
    assert assess(few, kind=kind, threshold=0.6, start=previous)[1] is previous  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "label"), [("base", "cat"), ("new", "x")])
def test_the_retrain_after_one_more_answer_sketches_one_preconditioner_not_two(
    kind: str, label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = many(label) * 2  # the split trains on more answers than weights: the primal solver
    named = {"label": label, "kind": kind, "model_sha256": SHA, "now": 2.0}
    last = train(found[:-1], **named)  # type: ignore[arg-type]
    cold = train(found, **named)  # type: ignore[arg-type]
    sketches = counted_sketches(monkeypatch)
    report, near = assess(found, kind=kind, threshold=0.6, start=last)  # type: ignore[arg-type]
    assert report.head_kind == kind
    assert isinstance(near, Fitted)
    assert near.preconditioner is not None
    assert len(sketches) == 1  # the split's
    again = train(found, **named, start=near)  # type: ignore[arg-type]
    assert len(sketches) == 1  # the training steers by the split's
    x, base = held_out("coffee", "cat", 10)
    assert np.abs(again.scores(x, base) - cold.scores(x, base)).max() < 1e-3


# Answers from verdict rows ----------------------------------------------------------------------


def _row(n: int, label: str, verdict: str, corrected: str = "") -> dict[str, str]:
    return {
        "id": f"{n:032x}",
        "label": label,
        "verdict": verdict,
        "corrected_label": corrected,
        "scores": json.dumps({"cat": 0.25 + n / 100, "dog": 0.5}),
        "time": f"{100 - n}.0",
    }


def test_answers_from_verdict_rows() -> None:
    rows = [
        _row(1, "cat", "confirmed"),  # positive
        _row(2, "cat", "rejected"),  # negative
        _row(3, "dog", "rejected", "cat"),  # the real label: positive
        _row(4, "dog", "confirmed"),  # confirmed as something else: negative
        _row(5, "dog", "rejected"),  # says only "not a dog": skipped
        _row(6, "cat", "rejected", "dog"),  # negative
        _row(7, "dog", "rejected", "parcel"),  # shown to be a parcel: negative
        _row(8, "cat", "confirmed"),  # no embedding: skipped
        _row(9, "cat", "confirmed") | {"scores": "{"},  # unreadable: skipped
    ]
    vectors = {f"{n:032x}": np.full(4, float(n), np.float32) for n in range(1, 8)}
    vectors[f"{9:032x}"] = np.ones(4, np.float32)
    got = answers_for(rows, vectors, "cat")
    assert [(int(a.embedding[0]), a.positive) for a in got] == [
        (7, False),
        (6, False),
        (4, False),
        (3, True),
        (2, False),
        (1, True),
    ]  # oldest first
    assert got[-1].base_score == pytest.approx(0.26)
    assert answers_for(rows, vectors, "parcel")[0].base_score is None
    # A base label learns only from rows that name it: frames shown to be a dog or a parcel
    # are no evidence against a cat that the base model already scores.
    own = answers_for(rows, vectors, "cat", "base")
    assert [(int(a.embedding[0]), a.positive) for a in own] == [
        (6, False),
        (3, True),
        (2, False),
        (1, True),
    ]


def test_near_duplicates() -> None:
    x, _ = held_out("coffee", "cat", 5)
    other, _ = held_out("chelsea", "cat", 5)
    assert near_duplicate(x[0] * 3, x[:1])
    assert not near_duplicate(other[0], x)
    assert not near_duplicate(x[0], np.zeros((0, x.shape[1])))


def test_the_frame_least_like_any_answered_is_asked_about_only_when_nothing_is_like_it() -> None:
    cats, _ = held_out("coffee", "cat", 4)
    other, _ = held_out("moon", "cat", 1)
    near = nearest(np.vstack([cats[1] * 2, other]), cats[1:])
    assert near[0] == pytest.approx(1.0)
    assert near[1] < NOVEL  # another photo
    assert least_known(near) == 1
    assert least_known(near[:1]) is None  # every frame is like one answered
    assert least_known(near, cosine=-0.5) is None
    assert nearest(cats[:2], np.zeros((0, cats.shape[1]))) == [-1.0, -1.0]  # nothing answered
    assert least_known([]) is None


# Round trips and fuzzing -------------------------------------------------------------------------


def _head() -> Head:
    return trained(yes("coffee", "cat", 3) + no("chelsea", "cat", 3), "cat")


def test_head_and_report_round_trip_through_json() -> None:
    head = _head()
    back = Head.from_dict(json.loads(json.dumps(head.to_dict())))
    assert back.weights.tobytes() == head.weights.tobytes()
    assert back.to_dict() == head.to_dict()
    x, base = held_out("coffee", "cat", 3)
    assert back.scores(x, base).tolist() == head.scores(x, base).tolist()
    found = yes("coffee", "cat", 3) + no("chelsea", "cat", 3)
    report = evaluate(found, kind="base", threshold=0.6)
    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))) == report


JUNK: list[Any] = [None, "", "x", -1, 0, 2, 1.5, True, [], {}, math.nan, math.inf, "!!!", 1e300]


def _mutate(data: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One random damage: a field dropped, added, replaced, or its text cut or garbled."""
    out = copy.deepcopy(data)
    target = out
    if "personal" in out and rng.random() < 0.4:
        target = out["personal"] if rng.random() < 0.5 or out["base"] is None else out["base"]
    key = list(target)[int(rng.integers(len(target)))]
    action = int(rng.integers(5))
    if action == 0:
        del target[key]
    elif action == 1:
        target["extra"] = 1
    elif action == 2:
        target[key] = JUNK[int(rng.integers(len(JUNK)))]
    elif isinstance(value := target[key], str) and value:
        cut = int(rng.integers(len(value)))
        target[key] = value[:cut] + ("é" if action == 3 else "") + value[cut + 1 :]
    else:
        target[key] = str(value)
    return out


@pytest.mark.parametrize("kind", ["head", "report"])
def test_damaged_dicts_raise_only_corrupt_learned(kind: str) -> None:
    head = _head()
    found = yes("coffee", "cat", 3) + no("chelsea", "cat", 3)
    report = evaluate(found, kind="base", threshold=0.6)
    parse = Head.from_dict if kind == "head" else Report.from_dict
    good = head.to_dict() if kind == "head" else report.to_dict()
    rng = np.random.default_rng(13)
    raised = 0
    for _ in range(300):
        try:
            parse(_mutate(good, rng))
        except CorruptLearnedError:
            raised += 1
    assert raised > 200  # nearly every damage is caught, and nothing else escapes
    nan_weights = base64.b64encode(np.array([1.0, math.nan], "<f4").tobytes()).decode()
    bad: object
    for bad in ([], "x", good | {"weights": nan_weights}, good | {"weights": "AAA"}):
        with pytest.raises(CorruptLearnedError) as err:
            parse(bad)
        assert isinstance(err.value, MlwatchError)
        assert err.value.key == "corrupt_learned"
