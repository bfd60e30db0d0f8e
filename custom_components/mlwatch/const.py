"""Constants for mlwatch."""

from __future__ import annotations

from pathlib import Path
from typing import Final

DOMAIN: Final = "mlwatch"

# Entry data: what to watch and with which model.
CONF_CAMERA: Final = "camera"
CONF_MODEL: Final = "model"
CONF_MODEL_PATH: Final = "model_path"
CONF_LABELS_PATH: Final = "labels_path"
CONF_DEVICE: Final = "device"
CONF_MEAN: Final = "mean"  # input normalisation of a custom float model: (pixel - mean) / std
CONF_STD: Final = "std"
MODEL_DEFAULT: Final = "default"  # the bundled classifier (older entries: no detector then)
MODEL_DETECTOR: Final = "detector"  # the bundled detector, the default for new entries
MODEL_CUSTOM: Final = "custom"
DEVICES: Final = ("auto", "cpu", "usb", "pci")
# Where inference runs: in Home Assistant's process, or on a server beside it.
CONF_BACKEND: Final = "backend"
BACKEND_LOCAL: Final = "local"
BACKEND_SERVER: Final = "server"
BACKEND_DEEPSTACK: Final = "deepstack"
CONF_URL: Final = "url"
CONF_API_KEY: Final = "api_key"
CONF_FALLBACK_URL: Final = "fallback_url"
CONF_SERVER_MODEL: Final = "server_model"  # DeepStack custom model name

# Entry options: when to look and when to speak.
CONF_WATCHED: Final = "watched"
CONF_ON_THRESHOLD: Final = "on_threshold"
CONF_OFF_THRESHOLD: Final = "off_threshold"
CONF_K: Final = "k"
CONF_N: Final = "n"
CONF_COOLDOWN: Final = "cooldown"
CONF_BURST_SIZE: Final = "burst_size"
CONF_BURST_INTERVAL: Final = "burst_interval"
CONF_TRIGGERS: Final = "triggers"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_ROI: Final = "roi"
CONF_THREADS: Final = "threads"
CONF_ASK_WHEN_UNSURE: Final = "ask_when_unsure"
CONF_UNSURE_LOW: Final = "unsure_low"
CONF_REVIEWS_PER_DAY: Final = "reviews_per_day"
CONF_PENDING_DAYS: Final = "pending_days"
DEFAULT_PENDING_DAYS: Final = 7
CONF_HISTORY_DAYS: Final = "history_days"
CONF_HISTORY_MB: Final = "history_mb"
CONF_PENDING_MB: Final = "pending_mb"
CONF_PRECISION_TARGET: Final = "precision_target"
CONF_LABEL_THRESHOLDS: Final = "label_thresholds"  # set by the threshold repair, per label

DEFAULT_OPTIONS: Final[dict[str, object]] = {
    CONF_WATCHED: ["cat"],
    CONF_ON_THRESHOLD: 0.6,
    CONF_OFF_THRESHOLD: 0.3,
    CONF_K: 3,
    CONF_N: 5,
    CONF_COOLDOWN: 60,
    CONF_BURST_SIZE: 10,
    CONF_BURST_INTERVAL: 1.0,
    CONF_TRIGGERS: [],
    CONF_SCAN_INTERVAL: 0,  # periodic scans are off unless asked for
    CONF_ROI: "",
    CONF_THREADS: 2,
    # "Is this a cat?": ask when the best score sits between unsure_low and the on-threshold.
    CONF_ASK_WHEN_UNSURE: False,
    CONF_UNSURE_LOW: 0.3,
    CONF_REVIEWS_PER_DAY: 3,
    # Detections wait this long (and within this much disk) for the user's verdict.
    CONF_PENDING_DAYS: DEFAULT_PENDING_DAYS,
    CONF_PENDING_MB: 500,
    CONF_HISTORY_DAYS: 7,
    CONF_HISTORY_MB: 50,
    # The precision the suggested thresholds aim for, on the user's own answers.
    CONF_PRECISION_TARGET: 0.9,
    CONF_LABEL_THRESHOLDS: {},
}

# While an episode is open the camera keeps being sampled, so it can end; but not forever.
MAX_TRACKING_SECONDS: Final = 600

MODELS_DIR: Final = Path(__file__).parent / "models"
DEFAULT_MODEL_FILE: Final = MODELS_DIR / "efficientnet_lite0_int8.tflite"
DEFAULT_LABELS_FILE: Final = MODELS_DIR / "imagenet_labels.txt"
DETECTOR_MODEL_FILE: Final = MODELS_DIR / "nanodet_fp16.tflite"
DETECTOR_LABELS_FILE: Final = MODELS_DIR / "coco_labels.txt"
# What a new detector entry watches: someone at the door (its cats score low: see the model card).
DETECTOR_WATCHED: Final = ["person"]

# Installed on demand by the in-process backend: these have no wheels for HA OS (musl).
RUNTIME_REQUIREMENTS: Final = ["ai-edge-litert==2.3.0", "opencv-python-headless==5.0.0.93"]

EVENT_DETECTION: Final = "mlwatch_detection"
EVENT_CLEARED: Final = "mlwatch_cleared"
EVENT_REVIEW_REQUESTED: Final = "mlwatch_review_requested"
SIGNAL_DATASET_UPDATED: Final = "mlwatch_dataset_updated"
SIGNAL_LEARNING_UPDATED: Final = "mlwatch_learning_updated"  # with the camera
DATASET_DIR: Final = "mlwatch"  # under the HA config directory
FRAME_URL: Final = "/api/mlwatch/frame/{item_id}"
EVENT_TYPE_DETECTED: Final = "detected"
EVENT_TYPE_CLEARED: Final = "cleared"

SERVICE_CLASSIFY: Final = "classify"
SERVICE_SCAN: Final = "scan"
SERVICE_CONFIRM: Final = "confirm_detection"
SERVICE_REJECT: Final = "reject_detection"
SERVICE_REVIEW_FRAME: Final = "review_frame"
SERVICE_EXPORT: Final = "export_dataset"
SERVICE_TEACH: Final = "teach"
SERVICE_RETRAIN: Final = "retrain"
SERVICE_ROLLBACK: Final = "rollback_label"
SERVICE_RESET: Final = "reset_label"
ATTR_DETECTION_ID: Final = "detection_id"
ATTR_LABEL: Final = "label"
ATTR_VERDICT: Final = "verdict"
ATTR_PATH: Final = "path"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_CAMERA: Final = "camera"
