"""The primal solver's preconditioners side by side in one run, on big retrains.

The product's rank-64 Nyström sketch, against other ranks and the exact inverse Hessian.

    .venv/bin/python bench/solver.py --dataset DIR [--scale 5000] [--seed 0]

DIR is in ImageFolder layout (DIR/<label>/*.jpg, DIR/none/*.jpg), as for bench/learning.py, whose
retrain on `--scale` answers (the set's frames resampled with a little noise) this repeats: with
nothing to start from, and after one more answer. Every variant reaches the same optimum (the
objective is strictly convex and the preconditioner only steers); the bench checks that too.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _repo  # noqa: F401 - before devtools: puts the repo root on sys.path
import learning as bench  # bench/learning.py: the same answers and retrain
import numpy as np

from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.standalone import load_engine

REPEATS = 3


def exact_inverse(logistic: Any) -> Any:
    """The solver's previous steering: the inverted Hessian, applied as a d-by-d product."""

    @dataclass(frozen=True)
    class Dense(logistic.Preconditioner):  # type: ignore[misc]
        inverse: Any = None

        def __call__(self, r: Any) -> Any:
            return self.inverse @ r

    def build(phi32: Any, w: Any, precision: Any) -> Any:
        scaled = phi32 * np.sqrt(w).astype(np.float32)[:, None]
        hessian = (scaled.T @ scaled).astype(np.float64)
        hessian[np.diag_indices_from(hessian)] += precision
        d = len(precision)
        return Dense(np.zeros(d), np.zeros((d, 0)), np.zeros(0), np.linalg.inv(hessian))

    return build


def _timed(
    modules: dict[str, Any], answers: list[Any], task: Any, kind: str, steps: list[int]
) -> tuple[dict[str, float], Any]:
    """Median ms of the retrain with nothing to start from and after one more answer; a head."""
    cold, warm, counted = [], [], []
    for _ in range(REPEATS):
        steps.clear()
        t0 = time.perf_counter()
        last, _ = bench.learn(modules, answers[:-1], task.label, kind, "")
        cold.append((time.perf_counter() - t0) * 1000)
        counted.append(sum(steps))
        t0 = time.perf_counter()
        head, _ = bench.learn(modules, answers, task.label, kind, "", start=last)
        warm.append((time.perf_counter() - t0) * 1000)
    ms = {"cold": statistics.median(cold), "warm": statistics.median(warm)}
    return {**ms, "steps": statistics.median(counted)}, head


def main() -> None:
    """Measure every variant on a base and a new label, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--scale", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    engine = load_engine()
    modules = bench.core_modules()
    logistic: Any = importlib.import_module("mlwatch_core.logistic")
    clf = engine.Classifier(DEFAULT_MODEL, DEFAULT_LABELS, engine.Settings(num_threads=2))
    files, tasks = bench.discover(args.dataset)
    known = {t.label for t in tasks if t.label in clf.groups or t.label in clf.labels}
    roi = importlib.import_module("mlwatch_core.result").Roi.parse("")
    frames = bench.embed(clf, files, roi, known, relight=False)  # no copies at this scale
    sketch, refresh, solve = (
        logistic._approximate_inverse,
        logistic.REFRESH_AFTER,
        logistic._conjugate_gradient,
    )
    variants = [("exact inverse", 0, 25), ("rank 32", 32, refresh), ("rank 64", 64, refresh)]
    variants.append(("rank 128", 128, refresh))
    steps: list[int] = []

    def counting(*a: Any) -> Any:
        out = solve(*a)
        steps.append(out[1])
        return out

    logistic._conjugate_gradient = counting
    print(f"{args.dataset}: {args.scale} answers, median of {REPEATS}; refresh {refresh}")
    print("| label | steering | nothing to start from | ratio | CG steps | the retrain | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for kind, task in bench.one_per_kind(tasks, known):
        answers = bench.many_answers(
            modules["learning"], frames, task, count=args.scale, seed=args.seed
        )
        bench.learn(modules, answers, task.label, kind, "")  # first touch of the working memory
        reference: dict[str, float] = {}
        scores: Any = None
        for name, rank, after in variants:
            logistic._approximate_inverse = exact_inverse(logistic) if rank == 0 else sketch
            logistic.SKETCH_RANK, logistic.REFRESH_AFTER = rank or 64, after
            ms, head = _timed(modules, answers, task, kind, steps)
            x = head.scores(*_probe(answers))
            scores = x if scores is None else scores
            if np.abs(x - scores).max() > 1e-3:
                raise SystemExit(f"{name} reached another optimum: {np.abs(x - scores).max()}")
            reference = reference or ms
            print(
                f"| {task.label} | {name} | {ms['cold']:.0f} ms | "
                f"{ms['cold'] / reference['cold']:.2f} | {ms['steps']:.0f} | "
                f"{ms['warm']:.0f} ms | {ms['warm'] / reference['warm']:.2f} |"
            )
        logistic._approximate_inverse, logistic.REFRESH_AFTER = sketch, refresh


def _probe(answers: list[Any]) -> tuple[Any, list[Any]]:
    """The first 500 answers' embeddings and base scores, to compare the heads' scores on."""
    rows = np.stack([np.ravel(a.embedding) for a in answers[:500]])
    return rows, [a.base_score for a in answers[:500]]


if __name__ == "__main__":
    main()
