"""Own one TFLite interpreter: load the model, pick CPU or Edge TPU, run it under a lock."""

from __future__ import annotations

import ctypes
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .errors import EdgeTpuModelError, EdgeTpuNotFoundError, ModelError, RuntimeUnavailableError
from .metadata import input_normalization
from .tensor import TensorInfo

_LOGGER = logging.getLogger(__name__)

EDGETPU_LIBRARY = "libedgetpu.so.1"
EDGETPU_CUSTOM_OP = b"edgetpu-custom-op"
DEVICE_PATTERN = re.compile(r"^(cpu|auto|(usb|pci)(:\d+)?)$")


def load_runtime() -> ModuleType:
    """Import the TFLite interpreter module: ai-edge-litert, else the older tflite-runtime."""
    try:
        from ai_edge_litert import interpreter  # optional, heavy

    except ImportError:
        try:
            from tflite_runtime import interpreter
        except ImportError as err:
            raise RuntimeUnavailableError(
                "No TFLite runtime is installed: install ai-edge-litert (Linux with glibc, "
                "Python 3.10+), or run inference on an mlwatch server"
            ) from err
    module: ModuleType = interpreter
    return module


def read_model(path: Path) -> bytes:
    """Read a model file, refusing what cannot be a TFLite model."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ModelError(f"Model file {path} does not exist") from err
    except OSError as err:
        raise ModelError(f"Model file {path} cannot be read: {err.strerror}") from err
    if not data:
        raise ModelError(f"Model file {path} is empty (0 bytes)")
    if data[4:8] != b"TFL3":
        raise ModelError(f"{path.name} is not a TFLite model (no TFL3 flatbuffer identifier)")
    return data


def _plugin_problem(library: str) -> str | None:
    """Why `library` cannot serve as a delegate plugin, or None if it can.

    Probing first keeps the runtime from half-building a Delegate, which fails noisily later.
    """
    try:
        plugin = ctypes.CDLL(library)
    except OSError:
        return "is not installed (Coral's libedgetpu runtime)"
    if not all(
        hasattr(plugin, f)
        for f in ("tflite_plugin_create_delegate", "tflite_plugin_destroy_delegate")
    ):
        return "is not a TFLite delegate plugin"
    return None


class Runner:
    """One interpreter for one model; not thread-safe inside, so every run takes the lock."""

    def __init__(
        self,
        model_path: Path,
        *,
        device: str = "cpu",
        num_threads: int | None = None,
        runtime: ModuleType | None = None,
        edgetpu_library: str = EDGETPU_LIBRARY,
    ) -> None:
        """Load the model on `device`: cpu, auto, usb, usb:N, pci or pci:N."""
        if not DEVICE_PATTERN.match(device):
            raise ValueError(f"Unknown device {device!r}: use cpu, auto, usb, usb:N, pci or pci:N")
        data = read_model(model_path)
        # Mean and std per channel, when the model's metadata declares them.
        self.declared_normalization = input_normalization(data)
        runtime = runtime or load_runtime()
        self.device = "cpu"
        self.fallback_reason: str | None = None
        delegates: list[Any] = []
        if device != "cpu":
            try:
                delegates.append(_edgetpu_delegate(runtime, device, edgetpu_library))
                self.device = device
            except EdgeTpuNotFoundError as err:
                if device != "auto":
                    raise
                # auto means "use the Edge TPU when there is one": CPU is the answer, not an error.
                self.fallback_reason = str(err)
                _LOGGER.info("No Edge TPU, running %s on the CPU: %s", model_path.name, err)
        if EDGETPU_CUSTOM_OP in data and not delegates:
            raise EdgeTpuModelError(
                f"{model_path.name} is compiled for the Edge TPU: this model needs a Coral Edge TPU"
                + (f" ({self.fallback_reason})" if self.fallback_reason else "")
                + "; choose a CPU model or connect the Coral"
            )
        self._interpreter = self._create(runtime, data, delegates, num_threads, model_path.name)
        self.inputs = [TensorInfo.from_details(d) for d in self._interpreter.get_input_details()]
        self.outputs = [TensorInfo.from_details(d) for d in self._interpreter.get_output_details()]
        image = self.inputs[0].shape if len(self.inputs) == 1 else ()
        if len(image) != 4 or image[3] != 3:  # NHWC, RGB
            shapes = [list(t.shape) for t in self.inputs]
            raise ModelError(
                f"{model_path.name} takes inputs {shapes}; mlwatch needs one RGB image [1, H, W, 3]"
            )
        self._lock = threading.Lock()

    @staticmethod
    def _create(
        runtime: ModuleType, data: bytes, delegates: list[Any], threads: int | None, name: str
    ) -> Any:  # the runtime's Interpreter is untyped
        try:
            interpreter = runtime.Interpreter(
                model_content=data, experimental_delegates=delegates or None, num_threads=threads
            )
            interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as err:
            if EDGETPU_CUSTOM_OP.decode() in str(err):
                raise EdgeTpuModelError(
                    f"{name} contains Edge TPU operations this device cannot run: "
                    "this model needs a Coral Edge TPU"
                ) from err
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(f"{name} could not be loaded by the TFLite runtime: {reason}") from err
        return interpreter

    @property
    def input(self) -> TensorInfo:
        """The single image input."""
        return self.inputs[0]

    def run(self, fill: Callable[[np.ndarray[Any, Any]], object]) -> list[np.ndarray[Any, Any]]:
        """Let `fill` write the [H, W, 3] input in place, invoke, return copies of the outputs."""
        with self._lock:
            # tensor() is a view into the interpreter's own buffer: writing there saves a copy,
            # and the view must not outlive this block (invoke may move the buffer).
            fill(self._interpreter.tensor(self.input.index)()[0])
            self._interpreter.invoke()
            return [self._interpreter.get_tensor(t.index) for t in self.outputs]


def _edgetpu_delegate(runtime: ModuleType, device: str, library: str) -> Any:
    """Open the Edge TPU delegate for `device`, or say precisely what is missing."""
    if problem := _plugin_problem(library):
        raise EdgeTpuNotFoundError(
            f"The Edge TPU library {library} {problem}; device {device!r} cannot be used"
        )
    options = {} if device == "auto" else {"device": device}
    try:
        return runtime.load_delegate(library, options)
    except (OSError, ValueError, RuntimeError) as err:
        where = "" if device == "auto" else f" at {device!r}"
        raise EdgeTpuNotFoundError(
            f"{library} is installed but found no Edge TPU{where}: "
            f"is the Coral plugged in and visible to this system? ({err})"
        ) from err
