"""Benchmark one classification of a doorbell-sized JPEG against its floor and a naive pipeline.

The product's embedding recipe 2 takes a second, closer look (a second invoke) that recipe 1 does
not; both run here, each against the floor of its own number of invokes.

Run: .venv/bin/python bench/pipeline.py [--runs 200] [--soak 5000] [--threads N]
Prints medians (ms) measured round-robin in one process, the ratios, and RSS growth over a soak.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time
from collections.abc import Callable

import _repo  # before devtools: puts the repo root on sys.path
import cv2
import numpy as np
from PIL import Image

from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.photos import snapshot
from devtools.standalone import load_engine


def print_table(med: dict[str, float], threads: int, runs: int, size: int) -> None:
    """The medians and the ratios, as Markdown."""
    floor = med["invoke only"] + med["reduced decode only (1/4)"]
    two_looks = floor + med["invoke only"]
    ours, ours_1 = med["mlwatch classify()"], med["mlwatch classify(), recipe 1"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}, "
        f"threads={threads}, runs={runs}, frame 1920x1080 JPEG q90 ({size:,} bytes)"
    )
    print("| stage | median ms |\n| --- | ---: |")
    for name, value in med.items():
        print(f"| {name} | {value:.2f} |")
    print(f"| floor = invoke + reduced decode | {floor:.2f} |")
    print(f"| floor of two looks = 2 invokes + reduced decode | {two_looks:.2f} |")
    print(f"\nclassify / floor of two looks = {ours / two_looks:.2f}")
    print(f"classify recipe 1 / floor = {ours_1 / floor:.2f}  (target <= 1.15)")
    print(f"classify / classify recipe 1 = {ours / ours_1:.2f}")
    # The naive and OpenCV pipelines take one look, as recipe 1 does.
    print(f"naive / classify recipe 1 = {med['naive PIL pipeline'] / ours_1:.2f}  (target >= 3.5)")
    print(f"plain OpenCV / classify recipe 1 = {med['plain OpenCV pipeline'] / ours_1:.2f}")


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--soak", type=int, default=5000, help="frames for the memory check")
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads")
    args = parser.parse_args()

    jpeg = snapshot()
    engine = load_engine()
    clf = engine.Classifier(
        DEFAULT_MODEL,
        DEFAULT_LABELS,
        engine.Settings(num_threads=args.threads),
    )
    one_look = engine.Classifier(  # recipe 1: one invoke per frame
        DEFAULT_MODEL, DEFAULT_LABELS, engine.Settings(num_threads=args.threads, embedding_recipe=1)
    )
    interpreter = clf.runner._interpreter  # the same interpreter for every contestant
    inp, out = clf.runner.input, clf.runner.outputs[0]
    buf = np.frombuffer(jpeg, np.uint8)

    def naive() -> None:
        # What a first attempt looks like: PIL full decode, resize, convert, set_tensor.
        image = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((224, 224))
        tensor = (np.asarray(image, np.int16) - 128).astype(np.int8)[None]
        interpreter.set_tensor(inp.index, tensor)
        interpreter.invoke()
        scores = (
            interpreter.get_tensor(out.index)[0].astype(np.float32) - out.zero_point
        ) * out.scale
        sorted(enumerate(scores.tolist()), key=lambda p: -p[1])[:5]

    def plain_opencv() -> None:
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        assert decoded is not None
        image = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
        small = cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA)
        interpreter.set_tensor(inp.index, (small.astype(np.int16) - 128).astype(np.int8)[None])
        interpreter.invoke()
        interpreter.get_tensor(out.index)

    contestants: dict[str, Callable[[], object]] = {
        "invoke only": interpreter.invoke,
        "reduced decode only (1/4)": lambda: cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_4),
        "mlwatch classify()": lambda: clf.classify(jpeg),
        "mlwatch classify(), recipe 1": lambda: one_look.classify(jpeg),
        "plain OpenCV pipeline": plain_opencv,
        "naive PIL pipeline": naive,
    }
    for fn in contestants.values():  # warm caches, XNNPACK packing, allocator
        for _ in range(10):
            fn()
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(args.runs):  # round-robin, so drift hits every contestant alike
        for name, fn in contestants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    med = {name: statistics.median(v) for name, v in times.items()}
    print_table(med, args.threads, args.runs, len(jpeg))

    for _ in range(100):
        clf.classify(jpeg)
    after_100 = _repo.rss_mb()
    for _ in range(args.soak - 100):
        clf.classify(jpeg)
    after = _repo.rss_mb()
    print(
        f"\npeak RSS after 100 frames: {after_100:.1f} MB, after {args.soak}: {after:.1f} MB "
        f"(growth {after - after_100:.1f} MB, target <= 5)"
    )


if __name__ == "__main__":
    main()
