"""Does asking when unsure teach faster? A camera's days of answers, five ways side by side.

Run: .venv/bin/python bench/asking.py --dataset DIR [--start 3] [--days 7] [--visits 12]
    [--empty F] [--reps 10] [--roi x,y,w,h] [--seed 0] [--plain] [--json]

DIR as for bench/learning.py. Per label and draw, every folder is split in two: half of its frames
test, the other half is what the camera sees. The user starts with `--start` answers of every
folder. Then each day brings `--visits` bursts (each folder as likely, or the `none` folder's
share `--empty`; a burst is the integration's default number of frames of that folder), through
the real debouncer on the score that decides (the personal model's once its evaluation made it
active, else the base model's). The loop runs five ways on the very same visits:

- asks: every detection is confirmed or rejected, and, as the integration does, each burst whose
  label did not fire asks about its least certain grey-zone frame (the personal model nearest
  0.5), or with none and for a taught label, about its frame least like any answered or asked
  one when nothing answered is like it (answered.NOVEL), unless the frame is nearly one already
  answered or asked, within the daily budget;
- grey: the same, but only the grey zone asks (how the integration asked before 2026-12-06);
- detections: every detection is answered, and nothing is asked;
- random: as many answers each day as `asks` gave, about frames of that day drawn at random;
- random_questions: every detection is answered, and as many questions a day as `asks` asked,
  about frames drawn at random from that day's bursts in which the label did not fire (where
  `asks` may ask): what the choice of question is worth, at equal questions.

At the end of each day the personal model retrains on every answer (as `learn.py` does, with
core's `retrain`), and the F1 of the deciding score at the on-threshold on the test half is the
day's figure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  # before devtools: puts the repo root on sys.path
import learning as bench
import numpy as np

from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.standalone import load_engine

CONST = bench.CONST
UNSURE_LOW = float(CONST.DEFAULT_OPTIONS[CONST.CONF_UNSURE_LOW])
PER_DAY = int(CONST.DEFAULT_OPTIONS[CONST.CONF_REVIEWS_PER_DAY])
ARMS = ("asks", "grey", "detections", "random", "random_questions")
Array = np.ndarray[Any, Any]


@dataclass(slots=True)
class Arm:
    """One way of answering: its answers so far, its head and report, its figures per day."""

    answered: list[int]
    head: Any = None
    report: Any = None
    skipped: int = 0  # questions not asked: nearly a frame answered or asked
    f1: list[float] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


def deciding(arm: Arm, frames: bench.Frames, label: str, idx: Array) -> tuple[Array, Array]:
    """The scores that decide (learn.py's `decide`) and the personal model's, for frames `idx`."""
    base = frames.base.get(label)
    base_scores = base[idx].astype(np.float64) if base is not None else np.zeros(len(idx))
    mine = np.asarray(arm.head.scores(frames.embeddings[idx], base_scores), np.float64)
    if arm.report.state == "active":
        return mine, mine
    if base is None and arm.report.state == "learning":  # not watchable yet
        return np.zeros(len(idx)), mine
    return base_scores, mine


def retrain(modules: dict[str, Any], frames: bench.Frames, task: bench.Task, arm: Arm) -> None:
    """`learn.py`'s retrain on every answer the arm has."""
    kind = "base" if task.label in frames.base else "new"
    answers = bench.answers_for(modules["learning"], frames, task, arm.answered)
    arm.head, arm.report = bench.learn(modules, answers, task.label, kind, "bench")


def burst(
    modules: dict[str, Any],
    arm: Arm,
    frames: bench.Frames,
    label: str,
    idx: Array,
    *,
    seen: list[Array] | None,
) -> tuple[int | None, int | None]:
    """One visit through a fresh debouncer: the detection's best frame, and the question's.

    As `review.py` asks: the least certain grey-zone frame, else the frame least like every
    answered or asked one (`seen`) when nothing answered is like it; with `seen` None, only the
    grey zone asks (as before 2026-12-06).
    """
    debounce = modules["debounce"]
    config = debounce.DebounceConfig(
        on_threshold=bench.ON_THRESHOLD,
        off_threshold=bench.OFF_THRESHOLD,
        k=bench.K,
        n=bench.N,
        cooldown=bench.COOLDOWN,
    )
    clock = [0.0]
    deb = debounce.Debouncer([label], config, lambda: clock[0])
    scores, mine = deciding(arm, frames, label, idx)
    fired: int | None = None
    for i, score in zip(idx, scores, strict=True):
        clock[0] += bench.BURST_INTERVAL
        for event in deb.update({label: float(score)}, int(i)):
            if isinstance(event, debounce.Detected) and fired is None:
                fired = int(event.best_frame)
    if fired is not None:
        return fired, None
    grey = (scores >= UNSURE_LOW) & (scores < bench.ON_THRESHOLD)
    if not grey.any():
        if seen is None:
            return None, None
        answered = modules["answered"]
        novel = answered.least_known(answered.nearest(frames.embeddings[idx], seen))
        return None, None if novel is None else int(idx[novel])
    doubt = np.where(grey, np.abs(mine - 0.5), np.inf)
    return None, int(idx[int(np.argmin(doubt))])


def day(
    modules: dict[str, Any],
    arms: dict[str, Arm],
    frames: bench.Frames,
    task: bench.Task,
    visits: list[Array],
    *,
    rng: np.random.Generator,
    chance: np.random.Generator,
) -> None:
    """One day of visits, answered every way; each arm retrains at its end."""
    near = modules["answered"].near_duplicate
    kind = "base" if task.label in frames.base else "new"
    given = asked_today = 0
    unfired: list[int] = []  # frames of the bursts in which random_questions' label did not fire
    for name in ("asks", "grey", "detections", "random_questions"):
        arm, questions = arms[name], 0
        asked: list[Array] = []
        for idx in visits:
            seen = [frames.embeddings[i] for i in arm.answered] + asked
            explore = seen if name == "asks" and kind == "new" else None
            detection, question = burst(modules, arm, frames, task.label, idx, seen=explore)
            if detection is None and name == "random_questions":
                unfired.extend(int(i) for i in idx)
            if detection is not None and detection not in arm.answered:
                arm.answered.append(detection)
                seen.append(frames.embeddings[detection])
            if question is None or name in ("detections", "random_questions"):
                continue
            if questions >= PER_DAY:
                continue
            if near(frames.embeddings[question], seen):
                arm.skipped += 1
                continue
            questions += 1
            asked.append(frames.embeddings[question])
            arm.answered.append(question)
        if name == "asks":
            given, asked_today = len(arm.answered) - len(arms["random"].answered), questions
    seen_today = list(dict.fromkeys(int(i) for idx in visits for i in idx))
    for name, count, pool, stream in (
        ("random", given, seen_today, rng),
        ("random_questions", asked_today, list(dict.fromkeys(unfired)), chance),
    ):
        fresh = [i for i in pool if i not in arms[name].answered]
        picks = stream.choice(fresh, min(max(count, 0), len(fresh)), replace=False)
        arms[name].answered.extend(int(i) for i in picks)


def measure(
    modules: dict[str, Any], frames: bench.Frames, task: bench.Task, args: argparse.Namespace
) -> dict[str, Any]:
    """`--reps` draws of `--days` days for one label: F1 and answers per day, per arm."""
    truth_of = np.zeros(len(frames.embeddings), bool)
    truth_of[list(task.positive)] = True
    f1 = {a: np.zeros((args.reps, args.days + 1)) for a in ARMS}
    answers = {a: np.zeros((args.reps, args.days + 1)) for a in ARMS}
    skipped = 0
    for rep in range(args.reps):
        # Each draw its own streams: a draw's split, visits and random picks do not depend on how
        # the draws before it went, so runs of other code start every draw from the same answers.
        split, rng, picker, chance = (
            np.random.default_rng([args.seed, rep, k, *task.label.encode()]) for k in range(4)
        )
        test: list[int] = []
        stream: list[list[int]] = []
        start: list[int] = []
        for group in task.groups.values():
            order = [int(i) for i in split.permutation(group)]
            half = len(order) // 2
            test += order[:half]
            start += order[half : half + args.start]
            stream.append(order[half + args.start :])
        names = [n for n, s in zip(task.groups, stream, strict=True) if s]
        stream = [s for s in stream if s]
        odds = np.full(len(stream), 1.0 / len(stream))
        if args.empty is not None and bench.NONE in names and len(stream) > 1:
            odds[:] = (1.0 - args.empty) / (len(stream) - 1)
            odds[names.index(bench.NONE)] = args.empty
        tested = np.asarray(test, np.int64)
        arms = {a: Arm(list(start)) for a in ARMS}
        for d in range(args.days + 1):
            for name, arm in arms.items():
                retrain(modules, frames, task, arm)
                scores, _ = deciding(arm, frames, task.label, tested)
                f1[name][rep, d] = bench.prf(scores >= bench.ON_THRESHOLD, truth_of[tested])[2]
                answers[name][rep, d] = len(arm.answered)
            if d == args.days:
                break
            visits = []
            for _ in range(args.visits):
                # Uniform visits draw as they did before --empty: earlier figures still reproduce.
                pick = (
                    rng.integers(len(stream))
                    if args.empty is None
                    else rng.choice(odds.size, p=odds)
                )
                pool = stream[int(pick)]
                size = min(bench.BURST_SIZE, len(pool))
                visits.append(rng.choice(pool, size, replace=False).astype(np.int64))
            day(modules, arms, frames, task, visits, rng=picker, chance=chance)
        skipped += arms["asks"].skipped
    return {
        "days": {
            name: {
                "f1": [round(float(v), 4) for v in f1[name].mean(axis=0)],
                "answers": [round(float(v), 1) for v in answers[name].mean(axis=0)],
            }
            for name in ARMS
        },
        "skipped_as_known": skipped,
    }


def print_table(results: dict[str, dict[str, Any]], days: int) -> None:
    """One row per label and arm: mean F1 (answers) after each day."""
    head = " | ".join(f"day {d}" for d in range(days + 1))
    print(f"| label | way | {head} |")
    print("| --- | --- |" + " ---: |" * (days + 1))
    for label, result in results.items():
        for name in ARMS:
            figures = result["days"][name]
            cells = " | ".join(
                f"{f:.3f} ({n:.0f})" for f, n in zip(figures["f1"], figures["answers"], strict=True)
            )
            print(f"| {label} | {name} | {cells} |")
    print()
    for label, result in results.items():
        print(f"- {label}: {result['skipped_as_known']} questions not asked, nearly a known frame")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the loop for every label of the dataset and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--start", type=int, default=3, help="answers of every folder at first")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--visits", type=int, default=12, help="bursts a day")
    parser.add_argument(
        "--empty", type=float, default=None, help="share of visits of the none folder (0..1)"
    )
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--roi", default="", help="x,y,w,h as fractions of the frame")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads")
    parser.add_argument("--plain", action="store_true", help="learn from no relit copies")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)

    engine = load_engine()
    modules = bench.core_modules()
    roi = importlib.import_module("mlwatch_core.result").Roi.parse(args.roi)
    settings = engine.Settings(num_threads=args.threads)
    clf = engine.Classifier(DEFAULT_MODEL, DEFAULT_LABELS, settings)
    files, tasks = bench.discover(args.dataset)
    if not tasks:
        parser.error(f"{args.dataset} has no label folders")
    known = {t.label for t in tasks if t.label in clf.groups or t.label in clf.labels}
    frames = bench.embed(clf, files, roi, known, relight=not args.plain)
    print(
        f"{args.dataset}: {len(files)} frames; start {args.start} answers of every folder, "
        f"{args.days} days of {args.visits} bursts of {bench.BURST_SIZE}, "
        f"none's share {'even' if args.empty is None else args.empty}, reps {args.reps}, "
        f"seed {args.seed}; threshold {bench.ON_THRESHOLD}, grey zone from {UNSURE_LOW}, "
        f"{PER_DAY} questions a day, K={bench.K} of N={bench.N}; "
        f"median classify() {statistics.median(frames.classify_ms):.2f} ms"
    )
    results = {t.label: measure(modules, frames, t, args) for t in tasks}
    print("\nMean F1 at the on-threshold of the deciding score on the test half (answers):")
    print_table(results, args.days)
    out = {"start": args.start, "days": args.days, "empty": args.empty, "labels": results}
    if args.json:
        print(json.dumps(out))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
