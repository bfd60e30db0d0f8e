"""Leave-one-out side by side in one run: from one Gram matrix (the product's) and a fit per fold.

    .venv/bin/python bench/loo.py --dataset DIR [--seed 0]

DIR is in ImageFolder layout, as for bench/learning.py, whose answers this draws: `--shots` of
every folder, for one base and one taught label, with a taught label's answers relit as the
product relights them (`core/relight.py`) and without. Both ways must give the same held-out
scores (the bench checks to 1e-6); the table gives the median time of each over the draws.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401 - before devtools: puts the repo root on sys.path
import learning as bench  # bench/learning.py: the same frames and answers
import numpy as np

from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.standalone import load_engine

DRAWS = 5


def per_fold(learning: Any, answers: list[Any], kind: str) -> Any:
    """Leave-one-out as a fit per fold: every fold builds and fits its own design."""
    x, logits, y, owner = learning.arrays(answers, kind)
    out = []
    for i in range(len(answers)):
        keep = owner != i
        fitted = learning.fit(x[keep], logits[keep], y[keep], kind)
        out.append(fitted.predict(x[i : i + 1], logits[i : i + 1], kind)[0])
    return np.asarray(out)


def main() -> None:
    """Time both ways for each label, answer count and with or without copies; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    engine = load_engine()
    modules = bench.core_modules()
    learning, evaluation = modules["learning"], modules["evaluation"]
    clf = engine.Classifier(DEFAULT_MODEL, DEFAULT_LABELS, engine.Settings(num_threads=2))
    files, tasks = bench.discover(args.dataset)
    known = {t.label for t in tasks if t.label in clf.groups or t.label in clf.labels}
    roi = importlib.import_module("mlwatch_core.result").Roi.parse("")
    frames = bench.embed(clf, files, roi, known, relight=True)
    plain = bench.Frames(frames.embeddings, frames.base, frames.classify_ms)
    print(f"{args.dataset}: median of {DRAWS} draws, seed {args.seed}")
    print("| label | answers | copies | rows | per fold | one Gram matrix | ratio |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for kind, task in bench.one_per_kind(tasks, known):
        for shots in (5, 12):  # 25 and 60 answers of five folders: leave-one-out's range
            for relit in (False, True) if kind == "new" else (False,):
                rng = np.random.default_rng([args.seed, shots])
                times: dict[str, list[float]] = {"fold": [], "gram": []}
                rows = 0
                for _ in range(DRAWS):
                    picks, _ = bench.draw(task, shots, rng)
                    answers = bench.answers_for(learning, frames if relit else plain, task, picks)
                    rows = len(learning.arrays(answers, kind)[3])
                    t0 = time.perf_counter()
                    reference = per_fold(learning, answers, kind)
                    times["fold"].append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    held = evaluation.held_out_scores(answers, kind)
                    times["gram"].append((time.perf_counter() - t0) * 1000)
                    if held.protocol != "leave-one-out":
                        raise SystemExit(f"{len(answers)} answers are past leave-one-out")
                    if np.abs(held.scores - reference).max() > 1e-6:
                        gap = np.abs(held.scores - reference).max()
                        raise SystemExit(f"the two ways differ on {task.label} by {gap}")
                fold, gram = (statistics.median(times[k]) for k in ("fold", "gram"))
                print(
                    f"| {task.label} | {len(answers)} | {'yes' if relit else 'no'} | {rows} | "
                    f"{fold:.1f} ms | {gram:.1f} ms | {fold / gram:.1f} |"
                )


if __name__ == "__main__":
    main()
