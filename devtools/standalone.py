"""The core of mlwatch on its own, as `mlwatch_core`, without Home Assistant around it."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from devtools import REPO

CORE = REPO / "custom_components" / "mlwatch" / "core"


def load_engine() -> ModuleType:
    """Import the core by path as `mlwatch_core` and return its engine module."""
    spec = importlib.util.spec_from_file_location(
        "mlwatch_core", CORE / "__init__.py", submodule_search_locations=[str(CORE)]
    )
    assert spec is not None  # noqa: S101 - a path that exists in the repository
    assert spec.loader is not None  # noqa: S101
    module = importlib.util.module_from_spec(spec)
    sys.modules["mlwatch_core"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("mlwatch_core.engine")
