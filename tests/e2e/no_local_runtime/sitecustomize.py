"""Makes this Python look like HA OS to mlwatch: no TFLite runtime, no OpenCV (no musl wheels)."""

import importlib.abc
import sys

_MISSING = {"ai_edge_litert", "tflite_runtime", "cv2"}


class _NoLocalInference(importlib.abc.MetaPathFinder):
    """Refuses the packages that have no musl wheels."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """Raise for the missing packages; leave everything else to the normal finders."""
        del path, target
        if name.split(".", 1)[0] in _MISSING:
            raise ModuleNotFoundError(f"No module named {name!r} (no wheel for this system)")


sys.meta_path.insert(0, _NoLocalInference())
