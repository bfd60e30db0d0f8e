"""Benchmark the bundled detector: its speed against its floor, and its boxes on photos.

Run: .venv/bin/python bench/detector.py [--fp32 MODEL] [--int8 MODEL] [--data DIR ...]
                                        [--root DIR] [--runs 100] [--threads 2] [--threshold 0.6]

Speed: a 1920x1080 JPEG through `classify()`, against the floor (invoke plus the cheapest decode
still larger than the input), measured round-robin in one process, and the time the classifier's
embedding of the region adds (what learning on the detector costs). With --fp32 / --int8, the
reference builds of scripts/build_detector_model.py are measured beside the bundled fp16 one.

Accuracy: every photo of every --data folder in ImageFolder layout (DIR/<label>/*.jpg; a folder
named `none` holds frames with nothing on them), else the registry photos listed in
bench/README.md. A photo is a hit when its folder's label (or the group of that name) scores at
least --threshold; every `person` at the threshold in a folder other than `person` is a false
person. With a reference build, each photo's label score is compared with the bundled one's.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import _repo  # noqa: F401 - before devtools: puts the repo root on sys.path
import cv2
import numpy as np
import skimage.data

from devtools import DEFAULT_LABELS, DEFAULT_MODEL, DETECTOR_LABELS, DETECTOR_MODEL
from devtools.photos import photo, snapshot
from devtools.standalone import load_engine

DARKNET = Path("usr/share/darknet/data")
# (folder label, source): scikit-image's samples always, Debian darknet's photos under --root.
REGISTRY_PHOTOS = (
    ("person", "skimage:astronaut"),
    ("person", "skimage:camera"),
    ("person", "darknet:person.jpg"),
    ("cat", "skimage:chelsea"),
    ("motorcycle", "skimage:stereo_motorcycle"),
    ("dog", "darknet:dog.jpg"),
    ("horse", "darknet:horses.jpg"),
    ("bird", "darknet:eagle.jpg"),
    ("giraffe", "darknet:giraffe.jpg"),
    ("cup", "skimage:coffee"),
)


def _registry(root: Path) -> Iterator[tuple[str, str, bytes]]:
    """(label, name, JPEG) of the registry photos that are there."""
    for label, source in REGISTRY_PHOTOS:
        kind, name = source.split(":")
        if kind == "skimage":
            # The motorcycle comes as a stereo pair: its left view.
            image = (
                skimage.data.stereo_motorcycle()[0] if name == "stereo_motorcycle" else photo(name)
            )
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            assert ok
            yield label, source, jpeg.tobytes()
        elif (path := root / DARKNET / name).is_file():
            yield label, source, path.read_bytes()
        else:
            print(f"(left out {source}: unpack Debian's darknet under --root)")


def _folders(dirs: list[Path]) -> Iterator[tuple[str, str, bytes]]:
    """(folder label, file name, bytes) of every image in ImageFolder layout."""
    for root in dirs:
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in {".jpg", ".jpeg", ".png"}:
                    yield folder.name, f"{root.name}/{folder.name}/{path.name}", path.read_bytes()


def _median_ms(contestants: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    for fn in contestants.values():  # warm caches, XNNPACK packing, allocator
        for _ in range(5):
            fn()
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(runs):  # round-robin, so drift hits every contestant alike
        for name, fn in contestants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    return {name: statistics.median(v) for name, v in times.items()}


def speed(models: dict[str, Any], learner: Any, mat: Any, runs: int) -> None:
    """Print invoke, floor and classify per model, and the ratio."""
    jpeg = snapshot()
    buf = np.frombuffer(jpeg, np.uint8)
    contestants: dict[str, Callable[[], object]] = {
        "reduced decode only (1/2)": lambda: cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_2),
        "fp16 classify() + embedding of the region": partial(learner.classify, jpeg, mat),
    }
    for name, clf in models.items():
        contestants[f"{name} invoke only"] = clf.runner._interpreter.invoke
        contestants[f"{name} classify()"] = partial(clf.classify, jpeg)
    med = _median_ms(contestants, runs)
    print("| stage | median ms |\n| --- | ---: |")
    for name, value in med.items():
        print(f"| {name} | {value:.2f} |")
    for name in models:
        floor = med[f"{name} invoke only"] + med["reduced decode only (1/2)"]
        ours = med[f"{name} classify()"]
        print(f"| {name} floor = invoke + reduced decode | {floor:.2f} |")
        print(f"{name}: classify / floor = {ours / floor:.2f}  (target <= 1.15)")
    added = med["fp16 classify() + embedding of the region"] - med["fp16 classify()"]
    print(f"the embedding adds {added:.2f} ms per frame")


def _score(result: Any, label: str) -> float:
    return float(result.groups.get(label, result.scores.get(label, 0.0)))


def accuracy(models: dict[str, Any], photos: list[tuple[str, str, bytes]], thr: float) -> None:
    """Print each photo's boxes at the threshold, and hits, misses and false people per folder."""
    main = next(iter(models.values()))
    first_name = next(iter(models))
    known = set(main.labels) | set(main.groups)
    tally: dict[str, list[int]] = {}  # label -> [photos, hits, false people]
    drift: dict[str, list[float]] = {name: [] for name in list(models)[1:]}
    seen: dict[str, list[float]] = {}  # label -> the bundled model's score of it, per photo
    names = " | ".join(f"{m}: folder's score" for m in models)
    print(f"| photo | folder | boxes at the threshold ({first_name}) | {names} |")
    print("| --- | --- | --- |" + " ---: |" * len(models))
    for label, name, data in photos:
        results = {m: clf.classify(data) for m, clf in models.items()}
        first = next(iter(results.values()))
        boxes = ", ".join(
            f"{d.label} {d.score:.2f} [{', '.join(f'{v:.2f}' for v in d.box)}]"
            for d in first.detections
            if d.score >= thr
        )
        scores = {m: _score(r, label) for m, r in results.items()}
        counts = tally.setdefault(label, [0, 0, 0])
        counts[0] += 1
        counts[1] += label in known and scores[next(iter(scores))] >= thr
        counts[2] += label != "person" and _score(first, "person") >= thr
        for other, values in drift.items():
            values.append(abs(scores[other] - scores[next(iter(scores))]))
        seen.setdefault(label, []).append(scores[next(iter(scores))])
        cells = " | ".join(f"{s:.3f}" for s in scores.values())
        print(f"| {name} | {label} | {boxes or '-'} | {cells} |")
    print(f"\n| folder | photos | hits at {thr} | misses | false people | median score |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, (n, hits, false_people) in sorted(tally.items()):
        scored = label in known
        hit = str(hits) if scored else "- (no such COCO label)"
        miss = str(n - hits) if scored and label != "none" else "-"
        median = f"{statistics.median(seen[label]):.3f}" if scored else "-"
        print(f"| {label} | {n} | {hit} | {miss} | {false_people} | {median} |")
    first = next(iter(models))
    for name, values in drift.items():
        print(
            f"\n{name} vs {first}, the folder's label's score: median |drift| "
            f"{statistics.median(values):.3f}, max {max(values):.3f} over {len(values)} photos"
        )


def main() -> None:
    """Measure and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fp32", type=Path, help="the fp32 reference build")
    parser.add_argument("--int8", type=Path, help="the full-int8 reference build")
    parser.add_argument("--data", type=Path, action="append", default=[], help="ImageFolder")
    parser.add_argument("--root", type=Path, default=Path("/"), help="unpacked Debian darknet")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads")
    parser.add_argument("--threshold", type=float, default=0.6, help="mlwatch's default")
    args = parser.parse_args()

    engine = load_engine()
    # Scores from the candidate floor up, so a miss shows how far below the threshold it was.
    keep = engine.DetectionFilter(min_score=0.2)
    settings = engine.Settings(num_threads=args.threads, detection_filter=keep)
    models = {"fp16": engine.Classifier(DETECTOR_MODEL, DETECTOR_LABELS, settings)}
    for name, path in (("fp32", args.fp32), ("int8", args.int8)):
        if path:
            models[name] = engine.Classifier(path, DETECTOR_LABELS, settings)
    learning = replace(settings, embedder=(DEFAULT_MODEL, DEFAULT_LABELS))
    learner = engine.Classifier(DETECTOR_MODEL, DETECTOR_LABELS, learning)
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}, "
        f"threads={args.threads}, runs={args.runs}"
    )
    # The embedding is of the region: the lower middle of the frame, as a door mat's.
    speed(models, learner, engine.Roi(0.25, 0.5, 0.5, 0.5), args.runs)
    photos = list(_folders(args.data)) if args.data else list(_registry(args.root))
    print()
    accuracy(models, photos, args.threshold)


if __name__ == "__main__":
    main()
