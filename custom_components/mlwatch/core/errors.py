"""Typed errors with messages a user can act on; `key` names the translation HA shows."""

from __future__ import annotations


class MlwatchError(Exception):
    """Base of every error the core raises."""

    key = "unknown"


class RuntimeUnavailableError(MlwatchError):
    """No TFLite runtime (ai-edge-litert or tflite-runtime) can be imported here."""

    key = "runtime_unavailable"


class ModelError(MlwatchError):
    """The model file is missing, unreadable, not TFLite, or laid out in a way we do not know."""

    key = "invalid_model"


class EdgeTpuModelError(ModelError):
    """A model compiled for the Edge TPU, with no Edge TPU to run it."""

    key = "model_needs_edgetpu"


class EdgeTpuNotFoundError(MlwatchError):
    """The Edge TPU library or device could not be opened."""

    key = "edgetpu_not_found"


class ImageError(MlwatchError):
    """The bytes are not an image we can decode."""

    key = "invalid_image"


class ImageTooLargeError(ImageError):
    """The image has more pixels than the configured limit."""

    key = "image_too_large"


class DatasetError(MlwatchError):
    """The feedback dataset could not be read or written."""

    key = "dataset_error"


class DatasetFullError(DatasetError):
    """The disk under the dataset is full."""

    key = "disk_full"


class UnknownItemError(DatasetError):
    """No pending detection or review with that id (never seen, or expired)."""

    key = "unknown_detection"


class InvalidLabelError(DatasetError):
    """A label that cannot name a dataset folder."""

    key = "invalid_label"


class CorruptItemError(UnknownItemError):
    """A kept detection whose files are damaged or in a format we do not know; it is skipped."""

    key = "corrupt_item"


class CorruptEmbeddingError(DatasetError):
    """A kept embedding that is damaged or in a format we do not know; it is computed again."""

    key = "corrupt_embedding"


class CorruptLearnedError(MlwatchError):
    """A learned model or its report is damaged or in an unknown format; the base model is used."""

    key = "corrupt_learned"
