"""Helpers the tests, the benchmarks and the dev scripts share; never shipped with mlwatch."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "custom_components" / "mlwatch" / "models"
DEFAULT_MODEL = MODELS / "efficientnet_lite0_int8.tflite"
DEFAULT_LABELS = MODELS / "imagenet_labels.txt"
DETECTOR_MODEL = MODELS / "nanodet_fp16.tflite"
DETECTOR_LABELS = MODELS / "coco_labels.txt"
