"""The core runs without Home Assistant: imported on its own, as the server and tools use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).parents[2] / "custom_components" / "mlwatch" / "core"

_PROBE = f"""
import importlib.abc, importlib.util, pkgutil, sys

class NoHomeAssistant(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("homeassistant", "custom_components"):
            raise ImportError("core imported " + name)
        return None

sys.meta_path.insert(0, NoHomeAssistant())
spec = importlib.util.spec_from_file_location("mlwatch_core", {str(CORE / "__init__.py")!r},
                                              submodule_search_locations=[{str(CORE)!r}])
core = importlib.util.module_from_spec(spec)
sys.modules["mlwatch_core"] = core
spec.loader.exec_module(core)
names = [m.name for m in pkgutil.iter_modules(core.__path__)]
for name in names:
    importlib.import_module("mlwatch_core." + name)
print(",".join(sorted(names)))
"""


def test_core_imports_without_home_assistant() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    modules = set(out.stdout.strip().split(","))
    assert {"engine", "errors", "labels", "postprocess", "preprocess", "runner"} <= modules
