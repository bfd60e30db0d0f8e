"""Value types, header reader and wire formats import without numpy, flatbuffers or cv2."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from custom_components.mlwatch.core.tensor import TensorInfo

REPO = Path(__file__).parents[2]
PACKAGE = REPO / "custom_components" / "mlwatch"
# The live HA-OS-like test's guard: mlwatch is refused numpy and flatbuffers, HA is not.
HA_OS_LIKE = REPO / "tests" / "e2e" / "no_local_runtime"
CORE = PACKAGE / "core"
VALUE_MODULES = {"errors", "header", "jpeg", "result", "tensor", "wire"}


def _core_modules_of(module: Path) -> set[str]:
    """The core modules an integration module imports (`from .core.x import ...`)."""
    found = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            parts = node.module.split(".")
            if parts[0] == "core" and len(parts) == 2:
                found.add(parts[1])
    return found


_PROBE = """
import importlib, importlib.abc, importlib.util, sys

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "flatbuffers", "cv2", "homeassistant"):
            raise ModuleNotFoundError("blocked: " + name)
        return None

sys.meta_path.insert(0, Refuse())
spec = importlib.util.spec_from_file_location("mlwatch_core", {init!r},
                                              submodule_search_locations=[{core!r}])
sys.modules["mlwatch_core"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sys.modules["mlwatch_core"])
for name in {modules!r}:
    importlib.import_module("mlwatch_core." + name)
from mlwatch_core.header import read_header
from mlwatch_core.result import FULL_FRAME, Detection, Result, Roi, Timings
from mlwatch_core.wire import deepstack_from_json, result_from_json, result_to_json

png = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + (640).to_bytes(4) + (480).to_bytes(4)
assert read_header(png).size == (640, 480)
result = Result([("cat", 0.9)], {{"cat": 0.9}}, [Detection("cat", 0.9, (0.1, 0.2, 0.3, 0.4))],
                None, Timings(1, 2, 3, 4), (640, 480), Roi.parse("0, 0, 0.5, 0.5"))
assert result_from_json(result_to_json(result)) == result
body = {{"predictions": [{{"label": "cat", "confidence": 0.8,
                          "x_min": 10, "y_min": 10, "x_max": 30, "y_max": 30}}]}}
assert deepstack_from_json(body, (640, 480), FULL_FRAME, elapsed_ms=1.0).score("cat") == 0.8
print("ok")
"""


def test_the_remote_path_needs_no_numpy_flatbuffers_or_opencv() -> None:
    modules = sorted(VALUE_MODULES | _core_modules_of(PACKAGE / "remote.py"))
    probe = _PROBE.format(init=str(CORE / "__init__.py"), core=str(CORE), modules=modules)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_remote_reads_the_core_it_needs_from_the_light_modules() -> None:
    # A heavy module here would pull numpy back into HA OS's process.
    assert _core_modules_of(PACKAGE / "remote.py") <= VALUE_MODULES | {"labels"}


def test_remote_py_imports_where_mlwatch_is_refused_numpy() -> None:
    # HA's camera brings numpy first; the guard still refuses it to mlwatch's own imports.
    probe = (
        "import homeassistant.components.camera, numpy\n"
        "import custom_components.mlwatch.remote\n"
        "try:\n"
        "    import custom_components.mlwatch.core.postprocess\n"
        "except ModuleNotFoundError as err:\n"
        "    print(err)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(HA_OS_LIKE), str(REPO)))}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    # The guard is on: a heavy module is refused what the light ones did without.
    assert out.stdout.strip() == (
        "No module named 'numpy' (hidden from custom_components.mlwatch.core.postprocess)"
    )


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.bool_]
)
def test_quantized_without_numpy_agrees_with_numpy(dtype: type[np.generic]) -> None:
    info = TensorInfo(0, "t", (1, 4), np.dtype(dtype), 0.5, 3)
    assert info.quantized == bool(np.issubdtype(np.dtype(dtype), np.integer))
