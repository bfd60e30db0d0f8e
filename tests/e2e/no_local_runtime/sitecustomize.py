"""Makes this Python look like HA OS to mlwatch: no TFLite runtime or OpenCV, no numpy for it."""

# numpy and flatbuffers only local inference needs. HA's own camera imports numpy, so they stay
# installed, and mlwatch alone is refused them: that proves the remote path imports neither.
# Learning is numpy by nature and HA OS has numpy: its modules alone may import it.

import builtins
import importlib.abc
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType

_MISSING = {"ai_edge_litert", "tflite_runtime", "cv2"}
_NOT_FOR_MLWATCH = {"numpy", "flatbuffers"}
_MLWATCH = "custom_components.mlwatch"
_LEARNING = {
    f"{_MLWATCH}.core.{name}"
    for name in ("head", "learning", "logistic", "evaluation", "learned", "answered")
}
_import = builtins.__import__


class _NoLocalInference(importlib.abc.MetaPathFinder):
    """Refuses the packages that have no musl wheels."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """Raise for the missing packages; leave everything else to the normal finders."""
        del path, target
        if name.split(".", 1)[0] in _MISSING:
            raise ModuleNotFoundError(f"No module named {name!r} (no wheel for this system)")


def _guarded_import(
    name: str,
    globals: Mapping[str, object] | None = None,  # noqa: A002 - __import__'s own names
    locals: Mapping[str, object] | None = None,  # noqa: A002
    fromlist: Sequence[str] | None = (),
    level: int = 0,
) -> ModuleType:
    """`import` as usual, except numpy and flatbuffers for mlwatch's non-learning modules."""
    importer = str((globals or {}).get("__name__", ""))
    if (
        level == 0
        and name.split(".", 1)[0] in _NOT_FOR_MLWATCH
        and (importer == _MLWATCH or importer.startswith(_MLWATCH + "."))
        and importer not in _LEARNING
    ):
        raise ModuleNotFoundError(f"No module named {name!r} (hidden from {importer})")
    return _import(name, globals, locals, fromlist, level)


sys.meta_path.insert(0, _NoLocalInference())
# A finder sees only first imports, and HA's camera imports numpy before mlwatch loads.
builtins.__import__ = _guarded_import
