"""Input normalisation declared in a model's TFLite metadata, applied per channel."""

from __future__ import annotations

from pathlib import Path

import cv2
import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from custom_components.mlwatch.core.engine import Classifier, Settings
from custom_components.mlwatch.core.metadata import input_normalization
from devtools import DEFAULT_MODEL
from tests.tflite_models import Graph, Op, Tensor, build

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def _vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        b.PrependUOffsetTRelative(offset)
    return int(b.EndVector())


def normalization_metadata(mean: tuple[float, ...], std: tuple[float, ...]) -> bytes:
    """A TFLITE_METADATA blob, laid out as metadata_schema.fbs defines it (field numbers)."""
    b = flatbuffers.Builder(256)
    mean_vec = b.CreateNumpyVector(np.array(mean, np.float32))
    std_vec = b.CreateNumpyVector(np.array(std, np.float32))
    b.StartObject(2)  # NormalizationOptions: 0 mean, 1 std
    b.PrependUOffsetTRelativeSlot(0, mean_vec, 0)
    b.PrependUOffsetTRelativeSlot(1, std_vec, 0)
    options = b.EndObject()
    b.StartObject(2)  # ProcessUnit: 0 options_type, 1 options
    b.PrependUint8Slot(0, 1, 0)  # NormalizationOptions
    b.PrependUOffsetTRelativeSlot(1, options, 0)
    unit = b.EndObject()
    units = _vector(b, [unit])
    name = b.CreateString("image")
    b.StartObject(7)  # TensorMetadata: 0 name, 4 process_units
    b.PrependUOffsetTRelativeSlot(0, name, 0)
    b.PrependUOffsetTRelativeSlot(4, units, 0)
    tensors = _vector(b, [b.EndObject()])
    b.StartObject(10)  # SubGraphMetadata: 2 input_tensor_metadata
    b.PrependUOffsetTRelativeSlot(2, tensors, 0)
    subgraphs = _vector(b, [b.EndObject()])
    b.StartObject(8)  # ModelMetadata: 3 subgraph_metadata
    b.PrependUOffsetTRelativeSlot(3, subgraphs, 0)
    b.Finish(b.EndObject(), file_identifier=b"M001")
    return bytes(b.Output())


def mean_pool_model(metadata: dict[str, bytes]) -> bytes:
    """Input [1, 4, 4, 3] float -> per-channel mean [1, 3]: shows exactly what the model was fed."""
    opts = schema.ReducerOptionsT()
    opts.keepDims = False
    return build(
        Graph(
            tensors=[
                Tensor("image", [1, 4, 4, 3]),
                Tensor("axes", [2], np.int32, data=np.array([1, 2], np.int32)),
                Tensor("scores", [1, 3]),
            ],
            ops=[
                Op(
                    schema.BuiltinOperator.MEAN,
                    [0, 1],
                    [2],
                    schema.BuiltinOptions.ReducerOptions,
                    opts,
                )
            ],
            inputs=[0],
            outputs=[2],
            metadata=metadata,
        )
    )


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    (tmp_path / "labels.txt").write_text("red\ngreen\nblue\n")
    return tmp_path


def fed(clf: Classifier, rgb: tuple[int, int, int]) -> np.ndarray:
    """What the model saw for a uniform frame of colour `rgb`, via the classifier's own table."""
    image = np.full((4, 4, 3), rgb, np.uint8)
    out: np.ndarray = clf.runner.run(lambda t: cv2.LUT(image, clf._lut, dst=t))[0]
    return out.reshape(-1)


def test_declared_per_channel_normalisation_is_applied(model_dir: Path) -> None:
    blob = normalization_metadata(IMAGENET_MEAN, IMAGENET_STD)
    (model_dir / "m.tflite").write_bytes(mean_pool_model({"TFLITE_METADATA": blob}))
    clf = Classifier(model_dir / "m.tflite", model_dir / "labels.txt")
    assert clf.mean == pytest.approx(IMAGENET_MEAN)
    assert clf.std == pytest.approx(IMAGENET_STD)
    expected = (np.array([200, 100, 50]) - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    np.testing.assert_allclose(fed(clf, (200, 100, 50)), expected, rtol=1e-5)
    assert clf.classify(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()).top


def test_settings_win_over_metadata_and_defaults_apply_without_it(model_dir: Path) -> None:
    blob = normalization_metadata((0.0,), (255.0,))
    (model_dir / "m.tflite").write_bytes(mean_pool_model({"TFLITE_METADATA": blob}))
    declared = Classifier(model_dir / "m.tflite", model_dir / "labels.txt")
    np.testing.assert_allclose(fed(declared, (255, 0, 51)), [1.0, 0.0, 0.2], rtol=1e-5)
    configured = Classifier(
        model_dir / "m.tflite", model_dir / "labels.txt", Settings(mean=127.5, std=127.5)
    )
    np.testing.assert_allclose(fed(configured, (255, 0, 51)), [1.0, -1.0, -0.6], rtol=1e-5)
    (model_dir / "plain.tflite").write_bytes(mean_pool_model({}))
    plain = Classifier(model_dir / "plain.tflite", model_dir / "labels.txt")
    assert (plain.mean, plain.std) == (127.5, 127.5)


def test_models_without_or_with_damaged_metadata() -> None:
    assert input_normalization(DEFAULT_MODEL.read_bytes()) is None
    model = mean_pool_model({"TFLITE_METADATA": b"\x08\x00\x00\x00M001\xff\xff\xff\xff"})
    assert input_normalization(model) is None
    other = mean_pool_model({"min_runtime_version": b"1.5.0\x00"})
    assert input_normalization(other) is None
    no_std = mean_pool_model({"TFLITE_METADATA": normalization_metadata((127.0,), (0.0,))})
    assert input_normalization(no_std) is None  # a zero std would divide by zero: ignored
