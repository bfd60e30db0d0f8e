"""The feedback dataset: pending detections, verdicts and exports that a crash cannot corrupt.

Layout under the root: `pending/<id>/{frame.jpg,crop.jpg,meta.json}` (meta.json is written
last, so a half-written item is invisible), `dataset/images/<id>{,_crop}.jpg` and
`dataset/verdicts.jsonl`, an append-only log of verdicts in which the last line per id wins
(see `verdicts.py`). Exports are written to a temp folder and renamed when complete.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorruptItemError, DatasetError, InvalidLabelError, UnknownItemError
from .export import export
from .files import atomic_write, os_error, sweep_temp
from .labels import MAX_LABEL_BYTES, valid_label_name
from .verdicts import FIELDS, ID_PATTERN, VERDICTS, Row, VerdictLog

__all__ = ["FIELDS", "ID_PATTERN", "VERDICTS", "Dataset", "PendingItem", "atomic_write"]
_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingItem:
    """A detection (or a review request) waiting for the user's verdict."""

    id: str
    camera: str
    label: str
    source: str  # "detection", "review" or "manual"
    scores: dict[str, float]
    model_sha256: str
    time: float = field(default_factory=time.time)


def new_id() -> str:
    """An id for a detection or review: 32 hex digits, safe as a file name."""
    return uuid.uuid4().hex


def _check_id(item_id: str) -> str:
    if not ID_PATTERN.fullmatch(item_id):
        raise UnknownItemError(f"{item_id!r} is not a detection id")
    return item_id


def check_label(label: str) -> str:
    """Refuse labels that could leave the dataset folder or are not printable."""
    if not valid_label_name(label):
        raise InvalidLabelError(
            f"{label!r} cannot be a label: no '/', '\\', '..' or control characters, "
            f"1-{MAX_LABEL_BYTES} bytes in UTF-8"
        )
    return label


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pending_item(item_id: str, fields: Any) -> PendingItem:  # parsed JSON
    """Check a meta.json's fields; an old or damaged one is a typed error, not a TypeError."""
    try:
        item = PendingItem(**fields)
    except TypeError as err:
        raise CorruptItemError(f"Pending detection {item_id} has unknown fields: {err}") from err
    texts = (item.id, item.camera, item.label, item.source, item.model_sha256)
    if not (
        item.id == item_id
        and all(isinstance(t, str) for t in texts)
        and isinstance(item.scores, dict)
        and all(isinstance(k, str) and _number(v) for k, v in item.scores.items())
        and _number(item.time)
    ):
        raise CorruptItemError(f"Pending detection {item_id} has invalid fields")
    return item


class Dataset:
    """All feedback of one HA instance; safe to call from several threads at once."""

    def __init__(self, root: Path, clock: Callable[[], float] = time.time) -> None:
        """Use (and create) `root`; call `load` before anything else."""
        self.root = root
        self.pending_dir = root / "pending"
        self.images = root / "dataset" / "images"
        self.log = VerdictLog(root / "dataset", clock)
        self.manifest = self.log.legacy  # the old format, migrated by `load`
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: dict[str, Row] = {}
        self._skipped: set[str] = set()  # corrupt pending items, logged once

    def load(self) -> None:
        """Create the folders, sweep stale temp files, read (and repair) the verdict log."""
        try:
            self.pending_dir.mkdir(parents=True, exist_ok=True)
            self.images.mkdir(parents=True, exist_ok=True)
            now = self._clock()
            swept = sweep_temp(self.images, now) + sweep_temp(self.images.parent, now)
        except OSError as err:
            raise os_error(err, str(self.root)) from err
        if swept:
            _LOGGER.info("Removed %d temp files that interrupted writes left behind", swept)
        with self._lock:
            self._rows = self.log.load()

    # Pending items -------------------------------------------------------------------------

    def add_pending(self, item: PendingItem, frame: bytes, crop: bytes) -> None:
        """Keep a frame until the user's verdict arrives (or it expires)."""
        folder = self.pending_dir / _check_id(item.id)
        try:
            folder.mkdir(exist_ok=True)
        except OSError as err:
            raise os_error(err, "a pending detection") from err
        atomic_write(folder / "frame.jpg", frame)
        atomic_write(folder / "crop.jpg", crop)
        atomic_write(folder / "meta.json", json.dumps(asdict(item)).encode())

    def pending(self, item_id: str) -> PendingItem:
        """A pending item by id."""
        meta = self.pending_dir / _check_id(item_id) / "meta.json"
        try:
            fields = json.loads(meta.read_bytes())
        except FileNotFoundError as err:
            raise UnknownItemError(f"No pending detection {item_id} (unknown or expired)") from err
        except (OSError, ValueError) as err:  # a folder in its place, bad JSON or UTF-8
            raise CorruptItemError(f"Pending detection {item_id} cannot be read: {err}") from err
        return _pending_item(item_id, fields)

    def pending_ids(self) -> list[str]:
        """Ids of complete pending items, oldest first."""
        try:
            items = [
                (p.stat().st_mtime, p.name)
                for p in self.pending_dir.iterdir()
                if ID_PATTERN.fullmatch(p.name) and (p / "meta.json").exists()
            ]
        except OSError as err:
            raise os_error(err, "the pending detections", "read") from err
        return [name for _, name in sorted(items)]

    def unreviewed(self, camera: str | None = None) -> list[PendingItem]:
        """Pending items that have no verdict yet; a corrupt one is skipped (and logged once)."""
        items = []
        for item_id in self.pending_ids():
            if item_id in self._rows:
                continue
            try:
                items.append(self.pending(item_id))
            except CorruptItemError as err:
                if item_id not in self._skipped:
                    self._skipped.add(item_id)
                    _LOGGER.warning("Skipping a pending detection: %s", err)
            except UnknownItemError:
                continue  # pruned meanwhile
        return [i for i in items if camera is None or i.camera == camera]

    def frame_path(self, item_id: str, kind: str = "frame") -> Path:
        """Where a pending item's frame or crop lies (for serving it to the phone)."""
        path = (
            self.pending_dir / _check_id(item_id) / f"{'crop' if kind == 'crop' else 'frame'}.jpg"
        )
        if not path.is_file():
            raise UnknownItemError(f"No pending detection {item_id} (unknown or expired)")
        return path

    def prune(self, max_age: float, max_bytes: int) -> int:
        """Drop pending items older than `max_age` seconds, then the oldest beyond `max_bytes`."""
        now = self._clock()
        removed = 0
        folders = [self.pending_dir / i for i in self.pending_ids()]
        sizes = {f: sum(p.stat().st_size for p in f.iterdir()) for f in folders}
        total = sum(sizes.values())
        for folder in folders:  # oldest first
            if now - folder.stat().st_mtime > max_age or total > max_bytes:
                total -= sizes[folder]
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        for stray in self.pending_dir.iterdir():  # items a crash left without meta.json
            if not (stray / "meta.json").exists() and now - stray.stat().st_mtime > 3600:
                shutil.rmtree(stray, ignore_errors=True)
        return removed

    # Verdicts ------------------------------------------------------------------------------

    def record(self, item_id: str, verdict: str, label: str | None = None) -> dict[str, str]:
        """File a pending item's verdict; a second verdict on the same id replaces the first."""
        if verdict not in VERDICTS:
            raise DatasetError(f"Verdict must be one of {VERDICTS}")
        item = self.pending(item_id)
        folder = self.pending_dir / item.id
        try:
            frame = (folder / "frame.jpg").read_bytes()
            crop = (folder / "crop.jpg").read_bytes()
        except FileNotFoundError as err:
            raise UnknownItemError(f"No pending detection {item_id} (unknown or expired)") from err
        except OSError as err:
            raise CorruptItemError(f"Pending detection {item_id} cannot be read: {err}") from err
        return self._file(item, frame, crop, verdict, label)

    def add_example(
        self, item: PendingItem, frame: bytes, crop: bytes, verdict: str
    ) -> dict[str, str]:
        """File a frame the user labelled themselves (a miss the model never flagged)."""
        if verdict not in VERDICTS:
            raise DatasetError(f"Verdict must be one of {VERDICTS}")
        return self._file(item, frame, crop, verdict, None)

    def _file(
        self, item: PendingItem, frame: bytes, crop: bytes, verdict: str, label: str | None
    ) -> dict[str, str]:
        check_label(item.label)
        corrected = check_label(label) if label and label != item.label else ""
        atomic_write(self.images / f"{item.id}.jpg", frame)
        atomic_write(self.images / f"{item.id}_crop.jpg", crop)
        row = {
            "id": item.id,
            "camera": item.camera,
            "label": item.label,
            "verdict": verdict,
            "corrected_label": corrected,
            "source": item.source,
            "scores": json.dumps(item.scores, sort_keys=True),
            "model_sha256": item.model_sha256,
            "time": f"{self._clock():.3f}",
        }
        self._append(row)
        return row

    def _append(self, row: Row) -> None:
        """Append one verdict line durably."""
        with self._lock:
            self.log.append(row)
            self._rows[row["id"]] = row

    # Reading -------------------------------------------------------------------------------

    def rows(self, camera: str | None = None) -> list[dict[str, str]]:
        """The current verdict of every filed item, oldest first."""
        rows = sorted(self._rows.values(), key=lambda r: float(r["time"]))
        return [r for r in rows if camera is None or r["camera"] == camera]

    def stats(self, camera: str, labels: Iterable[str]) -> dict[str, Any]:
        """Confirmed and rejected counts, and per-label precision of fired detections."""
        rows = self.rows(camera)
        fired = [r for r in rows if r["source"] == "detection"]
        precision: dict[str, float | None] = {}
        for label in labels:
            mine = [r for r in fired if r["label"] == label]
            good = sum(r["verdict"] == "confirmed" and not r["corrected_label"] for r in mine)
            precision[label] = round(good / len(mine), 4) if mine else None
        return {
            "confirmed": sum(r["verdict"] == "confirmed" for r in rows),
            "rejected": sum(r["verdict"] == "rejected" for r in rows),
            "precision": precision,
        }

    def export(self, dest: Path, camera: str | None = None) -> dict[str, Any]:
        """Write ImageFolder trees (positives/<label>/, negatives/<label>/) and a CSV manifest."""
        return export(self.rows(camera), self.images, dest)
