"""The feedback dataset: pending detections, verdicts and exports that a crash cannot corrupt.

Layout under the root: `pending/<id>/{frame.jpg,crop.jpg,embedding.bin,meta.json}` (meta.json
is written last, so a half-written item is invisible), `dataset/images/<id>{,_crop}.jpg`,
`dataset/images/<id>.emb` (the model's embedding, see `embedding.py`, when there is one),
`dataset/images/<id>.var` (its relit copies', see `relight.py`, once computed) and
`dataset/verdicts.jsonl`, an append-only log of verdicts in which the last line per id wins
(see `verdicts.py`). Exports are written to a temp folder and renamed when complete.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import CorruptItemError, DatasetError, UnknownItemError
from .export import export
from .files import atomic_write, os_error, sweep_temp
from .items import PendingItem, check_id, check_label, new_id, pending_item
from .verdicts import FIELDS, ID_PATTERN, VERDICTS, Row, VerdictLog

__all__ = [
    "FIELDS",
    "ID_PATTERN",
    "VERDICTS",
    "Dataset",
    "PendingItem",
    "atomic_write",
    "check_label",
    "new_id",
]
_LOGGER = logging.getLogger(__name__)


def _suffix(*, relit: bool) -> str:
    return "var" if relit else "emb"


# A filed item's frame, the crop the model saw, and its packed embedding (if any).
type Files = tuple[bytes, bytes, bytes | None]


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

    def add_pending(
        self, item: PendingItem, frame: bytes, crop: bytes, embedding: bytes | None = None
    ) -> None:
        """Keep a frame (and its packed embedding) until the user's verdict arrives or expires."""
        folder = self.pending_dir / check_id(item.id)
        try:
            folder.mkdir(exist_ok=True)
        except OSError as err:
            raise os_error(err, "a pending detection") from err
        atomic_write(folder / "frame.jpg", frame)
        atomic_write(folder / "crop.jpg", crop)
        if embedding:
            atomic_write(folder / "embedding.bin", embedding)
        atomic_write(folder / "meta.json", json.dumps(asdict(item)).encode())

    def pending(self, item_id: str) -> PendingItem:
        """A pending item by id."""
        meta = self.pending_dir / check_id(item_id) / "meta.json"
        try:
            fields = json.loads(meta.read_bytes())
        except FileNotFoundError as err:
            raise UnknownItemError(f"No pending detection {item_id} (unknown or expired)") from err
        except (OSError, ValueError) as err:  # a folder in its place, bad JSON or UTF-8
            raise CorruptItemError(f"Pending detection {item_id} cannot be read: {err}") from err
        return pending_item(item_id, fields)

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
        path = self.pending_dir / check_id(item_id) / f"{'crop' if kind == 'crop' else 'frame'}.jpg"
        if not path.is_file():
            raise UnknownItemError(f"No pending detection {item_id} (unknown or expired)")
        return path

    def filed_path(self, item_id: str) -> Path:
        """Where a filed (answered) item's frame lies, for the media browser."""
        path = self.images / f"{check_id(item_id)}.jpg"
        if not path.is_file():
            raise UnknownItemError(f"No filed frame {item_id}")
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
        return self._file(item, self._pending_files(item.id), verdict, label)

    def teach(self, item_id: str, label: str, verdict: str) -> dict[str, str]:
        """File a pending item's frame again, as a new example of any `label`, yes or no."""
        if verdict not in VERDICTS:
            raise DatasetError(f"Verdict must be one of {VERDICTS}")
        kept = self.pending(item_id)
        item = PendingItem(
            new_id(), kept.camera, label, "teach", kept.scores, kept.model_sha256, self._clock()
        )
        return self._file(item, self._pending_files(kept.id), verdict, None)

    def _pending_files(self, item_id: str) -> Files:
        folder = self.pending_dir / item_id
        try:
            frame = (folder / "frame.jpg").read_bytes()
            crop = (folder / "crop.jpg").read_bytes()
            embedding = (folder / "embedding.bin").read_bytes()
        except FileNotFoundError as err:
            if err.filename != str(folder / "embedding.bin"):
                raise UnknownItemError(
                    f"No pending detection {item_id} (unknown or expired)"
                ) from err
            embedding = None  # kept before embeddings were, or by a backend without them
        except OSError as err:
            raise CorruptItemError(f"Pending detection {item_id} cannot be read: {err}") from err
        return frame, crop, embedding

    def add_example(
        self,
        item: PendingItem,
        frame: bytes,
        crop: bytes,
        verdict: str,
        embedding: bytes | None = None,
    ) -> dict[str, str]:
        """File a frame the user labelled themselves (a miss the model never flagged)."""
        if verdict not in VERDICTS:
            raise DatasetError(f"Verdict must be one of {VERDICTS}")
        return self._file(item, (frame, crop, embedding), verdict, None)

    def embedding(self, item_id: str, *, relit: bool = False) -> bytes | None:
        """A filed item's packed embedding (or its relit copies'), or None when it has none."""
        try:
            return (self.images / f"{check_id(item_id)}.{_suffix(relit=relit)}").read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise os_error(err, "an embedding", "read") from err

    def filed_crop(self, item_id: str) -> bytes:
        """The region a filed item's model saw, to compute a missing embedding again."""
        try:
            return (self.images / f"{check_id(item_id)}_crop.jpg").read_bytes()
        except FileNotFoundError as err:
            raise UnknownItemError(f"No filed frame {item_id}") from err
        except OSError as err:
            raise os_error(err, "a filed frame", "read") from err

    def keep_embedding(self, item_id: str, embedding: bytes, *, relit: bool = False) -> None:
        """Replace a filed item's embedding (computed again, or by another model) or copies'."""
        atomic_write(self.images / f"{check_id(item_id)}.{_suffix(relit=relit)}", embedding)

    def _file(
        self, item: PendingItem, files: Files, verdict: str, label: str | None
    ) -> dict[str, str]:
        frame, crop, embedding = files
        check_label(item.label)
        corrected = check_label(label) if label and label != item.label else ""
        atomic_write(self.images / f"{item.id}.jpg", frame)
        atomic_write(self.images / f"{item.id}_crop.jpg", crop)
        if embedding:  # before the verdict line, so that no answer points at a half file
            atomic_write(self.images / f"{item.id}.emb", embedding)
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
