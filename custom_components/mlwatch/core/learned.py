"""The learned models on disk: versioned per camera and label, written so a crash keeps the last.

Layout under the root: `<camera>/<sha256(label)[:16]>/v000001.json` (one head and its report
each) and a `current` file naming the version in use. Versions are written whole with
`atomic_write` before `current` moves to them, so a crash leaves the old version in use. A
corrupt file is moved to `<root>/corrupt/` (and so logged once); an incompatible one (another
model, another embedding size, a newer format) is left for that model and only reported. One of
an older format is skipped without a word: the retrain at every start replaces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorruptLearnedError, DatasetError
from .evaluation import Report
from .files import atomic_write, os_error
from .head import Head

_LOGGER = logging.getLogger(__name__)

FORMAT = 2  # 2: heads on centred square-rooted features
KEEP = 10
CURRENT = "current"
VERSION = re.compile(r"v(\d{6})\.json")
CAMERA = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")  # an entity id, so a safe folder name


@dataclass
class LoadResult:
    """The heads in use for a camera, by label, and what could not be used."""

    heads: dict[str, tuple[Head, Report, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def label_key(label: str) -> str:
    """The folder name of a label: any label, safely."""
    return hashlib.sha256(label.encode("utf-8")).hexdigest()[:16]


def _parse(raw: bytes, key: str) -> tuple[int, dict[str, Any]]:
    """The format and fields of a version file; unreadable is CorruptLearnedError."""
    try:
        data = json.loads(raw)
    except ValueError as err:  # also UnicodeDecodeError
        raise CorruptLearnedError(f"not JSON: {err}") from err
    if not isinstance(data, dict) or set(data) != {"format", "head", "report"}:
        raise CorruptLearnedError("missing or unknown fields")
    version = data["format"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptLearnedError("the format is not a number")
    if version == FORMAT:
        head = Head.from_dict(data["head"])
        if label_key(head.label) != key:
            raise CorruptLearnedError("the head's label does not match its folder")
        Report.from_dict(data["report"])
    return version, data


class LearnedStore:
    """Every camera's learned heads under one root; safe to call from several threads at once."""

    def __init__(self, root: Path, clock: Callable[[], float] = time.time) -> None:
        """Use (and create on first save) `root`."""
        self.root = root
        self.corrupt = root / "corrupt"
        self._clock = clock
        self._lock = threading.Lock()

    def _folder(self, camera: str, label: str) -> Path:
        if not CAMERA.fullmatch(camera):
            raise DatasetError(f"{camera!r} is not a camera entity id")
        return self.root / camera / label_key(label)

    # Writing -------------------------------------------------------------------------------

    def save(self, camera: str, head: Head, report: Report) -> int:
        """Store a new version for head.label and use it; keeps the newest KEEP versions."""
        folder = self._folder(camera, head.label)
        data = {"format": FORMAT, "head": head.to_dict(), "report": report.to_dict()}
        raw = json.dumps(data, sort_keys=True).encode()
        with self._lock:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise os_error(err, str(folder)) from err
            existing = _versions(folder)
            version = max([*existing, _current(folder) or 0]) + 1
            atomic_write(folder / f"v{version:06d}.json", raw)
            atomic_write(folder / CURRENT, f"{version}\n".encode())
            for old in sorted([*existing, version])[:-KEEP]:
                (folder / f"v{old:06d}.json").unlink(missing_ok=True)
        return version

    def rollback(self, camera: str, label: str) -> int:
        """Use the version before the current one; DatasetError if there is none."""
        folder = self._folder(camera, label)
        with self._lock:
            current = _current(folder)
            earlier = [v for v in _versions(folder) if current is None or v < current]
            if not earlier:
                raise DatasetError(f"No earlier learned version of {label!r} to roll back to")
            atomic_write(folder / CURRENT, f"{earlier[-1]}\n".encode())
            return earlier[-1]

    def reset(self, camera: str, label: str) -> None:
        """Forget every version of `label`: the base model decides again."""
        folder = self._folder(camera, label)
        with self._lock:
            try:
                shutil.rmtree(folder)
            except FileNotFoundError:
                return
            except OSError as err:
                raise os_error(err, str(folder), "remove") from err

    def versions(self, camera: str, label: str) -> list[int]:
        """The stored versions of `label`, oldest first."""
        folder = self._folder(camera, label)
        with self._lock:
            return _versions(folder)

    # Reading -------------------------------------------------------------------------------

    def load(self, camera: str, model_sha256: str, dims: int | None = None) -> LoadResult:
        """The current head of every label for `model_sha256` (and `dims`-long embeddings)."""
        result = LoadResult()
        base = self.root / camera
        if not CAMERA.fullmatch(camera):
            raise DatasetError(f"{camera!r} is not a camera entity id")
        with self._lock:
            try:
                folders = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
            except OSError as err:
                raise os_error(err, str(base), "read") from err
            for folder in folders:
                self._load_one(camera, folder, model_sha256, dims, result)
        return result

    def _load_one(
        self, camera: str, folder: Path, sha: str, dims: int | None, result: LoadResult
    ) -> None:
        version = _current(folder)
        if version is None:
            result.problems.append(f"{camera}/{folder.name}: no readable current version")
            return
        path = folder / f"v{version:06d}.json"
        where = f"{camera}/{folder.name}/{path.name}"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            result.problems.append(f"{where}: missing (set aside or removed); base model used")
            return
        except OSError as err:
            result.problems.append(f"{where}: cannot be read ({err.strerror}); base model used")
            return
        try:
            fmt, data = _parse(raw, folder.name)
        except CorruptLearnedError as err:
            self._set_aside(path, camera, err)
            result.problems.append(f"{where}: corrupt ({err}), set aside; base model used")
            return
        if fmt < FORMAT:
            return
        if fmt != FORMAT:
            result.problems.append(f"{where}: format {fmt} is not {FORMAT}; base model used")
            return
        head, report = Head.from_dict(data["head"]), Report.from_dict(data["report"])
        if head.model_sha256 != sha:
            result.problems.append(
                f"{where}: another model or embedding; base model used until a retrain"
            )
        elif dims is not None and head.weights.size != dims:
            result.problems.append(f"{where}: embedding size {head.weights.size} is not {dims}")
        else:
            result.heads[head.label] = (head, report, version)

    def _set_aside(self, path: Path, camera: str, err: Exception) -> None:
        target = self.corrupt / f"{camera}-{path.parent.name}-{path.stem}-{int(self._clock())}"
        try:
            self.corrupt.mkdir(parents=True, exist_ok=True)
            path.replace(target.with_suffix(".json"))
        except OSError as move_err:
            _LOGGER.warning("Cannot set aside the corrupt learned file %s: %s", path, move_err)
            return
        _LOGGER.warning(
            "Set aside the corrupt learned file %s as %s (%s); that label uses the base model",
            path,
            target.with_suffix(".json"),
            err,
        )


def _versions(folder: Path) -> list[int]:
    try:
        names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    except OSError as err:
        raise os_error(err, str(folder), "read") from err
    return sorted(int(m[1]) for n in names if (m := VERSION.fullmatch(n)))


def _current(folder: Path) -> int | None:
    """The version `current` names, or None when it is missing or unreadable."""
    try:
        text = (folder / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) and int(text) > 0 else None
