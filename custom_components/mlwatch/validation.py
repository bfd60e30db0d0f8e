"""The schema library Home Assistant validates with: probatio since 2026.x, voluptuous before it."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

# probatio is API-compatible with voluptuous; HA's forms only serialise schemas of the library it
# uses itself, so pick the one this HA ships. Typed as Any: the two have different type stubs.
vol: Any = importlib.import_module(
    "probatio" if importlib.util.find_spec("probatio") else "voluptuous"
)
