"""The feedback dataset: pending detections, verdicts and exports that a crash cannot corrupt.

Layout under the root: `pending/<id>/{frame.jpg,crop.jpg,meta.json}` (meta.json is written
last, so a half-written item is invisible), `dataset/images/<id>{,_crop}.jpg` and
`dataset/manifest.csv`, an append-only log of verdicts in which the last row per id wins.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import DatasetError, DatasetFullError, InvalidLabelError, UnknownItemError
from .labels import valid_label_name

ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
FIELDS = (
    "id",
    "camera",
    "label",
    "verdict",
    "corrected_label",
    "source",
    "scores",
    "model_sha256",
    "time",
)
VERDICTS = ("confirmed", "rejected")


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


def _os_error(err: OSError, what: str) -> DatasetError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return DatasetFullError(f"No space left to write {what}")
    return DatasetError(f"Cannot write {what}: {err.strerror or err}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: temp file, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
        _fsync_dir(path.parent)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise _os_error(err, path.name) from err


def _check_id(item_id: str) -> str:
    if not ID_PATTERN.match(item_id):
        raise UnknownItemError(f"{item_id!r} is not a detection id")
    return item_id


def check_label(label: str) -> str:
    """Refuse labels that could leave the dataset folder or are not printable."""
    if not valid_label_name(label):
        raise InvalidLabelError(
            f"{label!r} cannot be a label: no '/', '\\', '..' or control characters, 1-100 chars"
        )
    return label


class Dataset:
    """All feedback of one HA instance; safe to call from several threads at once."""

    def __init__(self, root: Path, clock: Callable[[], float] = time.time) -> None:
        """Use (and create) `root`; call `load` before anything else."""
        self.root = root
        self.pending_dir = root / "pending"
        self.images = root / "dataset" / "images"
        self.manifest = root / "dataset" / "manifest.csv"
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, str]] = {}

    def load(self) -> None:
        """Create the folders and read the manifest, skipping a line a crash left unfinished."""
        try:
            self.pending_dir.mkdir(parents=True, exist_ok=True)
            self.images.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _os_error(err, str(self.root)) from err
        self._rows = {}
        if not self.manifest.exists():
            return
        text = self.manifest.read_text(encoding="utf-8")
        complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
        for row in csv.DictReader(io.StringIO(complete), fieldnames=FIELDS):
            if row["id"] == "id" or None in row or not all(row[f] is not None for f in FIELDS):
                continue  # the header, or a line with too many/few fields
            if ID_PATTERN.match(row["id"]) and row["verdict"] in VERDICTS:
                self._rows[row["id"]] = row

    # Pending items -------------------------------------------------------------------------

    def add_pending(self, item: PendingItem, frame: bytes, crop: bytes) -> None:
        """Keep a frame until the user's verdict arrives (or it expires)."""
        folder = self.pending_dir / _check_id(item.id)
        try:
            folder.mkdir(exist_ok=True)
        except OSError as err:
            raise _os_error(err, "a pending detection") from err
        atomic_write(folder / "frame.jpg", frame)
        atomic_write(folder / "crop.jpg", crop)
        atomic_write(folder / "meta.json", json.dumps(asdict(item)).encode())

    def pending(self, item_id: str) -> PendingItem:
        """A pending item by id."""
        meta = self.pending_dir / _check_id(item_id) / "meta.json"
        try:
            return PendingItem(**json.loads(meta.read_text(encoding="utf-8")))
        except FileNotFoundError as err:
            raise UnknownItemError(f"No pending detection {item_id} (unknown or expired)") from err

    def pending_ids(self) -> list[str]:
        """Ids of complete pending items, oldest first."""
        items = [p for p in self.pending_dir.iterdir() if (p / "meta.json").exists()]
        return [p.name for p in sorted(items, key=lambda p: p.stat().st_mtime)]

    def unreviewed(self, camera: str | None = None) -> list[PendingItem]:
        """Pending items that have no verdict yet."""
        items = [self.pending(i) for i in self.pending_ids() if i not in self._rows]
        return [i for i in items if camera is None or i.camera == camera]

    def frame_path(self, item_id: str, kind: str = "frame") -> Path:
        """Where a pending item's frame or crop lies (for serving it to the phone)."""
        path = (
            self.pending_dir / _check_id(item_id) / f"{'crop' if kind == 'crop' else 'frame'}.jpg"
        )
        if not path.exists():
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
            if not (stray / "meta.json").exists() and now - stray.stat().st_mtime > 3600:  # noqa: PLR2004
                shutil.rmtree(stray, ignore_errors=True)
        return removed

    # Verdicts ------------------------------------------------------------------------------

    def record(self, item_id: str, verdict: str, label: str | None = None) -> dict[str, str]:
        """File a pending item's verdict; a second verdict on the same id replaces the first."""
        if verdict not in VERDICTS:
            raise DatasetError(f"Verdict must be one of {VERDICTS}")
        item = self.pending(item_id)
        folder = self.pending_dir / item.id
        return self._file(
            item,
            (folder / "frame.jpg").read_bytes(),
            (folder / "crop.jpg").read_bytes(),
            verdict,
            label,
        )

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

    def _append(self, row: dict[str, str]) -> None:
        """Append one manifest line durably; a torn last line from a crash is fenced off first."""
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow([row[f] for f in FIELDS])
        line = out.getvalue().encode()
        with self._lock:
            try:
                fd = os.open(self.manifest, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    size = os.fstat(fd).st_size
                    if size == 0:
                        os.write(fd, (",".join(FIELDS) + "\n").encode())
                    elif os.pread(fd, 1, size - 1) != b"\n":
                        os.write(fd, b"\n")
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as err:
                raise _os_error(err, "the dataset manifest") from err
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
        counts: dict[str, int] = {"positives": 0, "negatives": 0}
        lines = [[*FIELDS, "file"]]
        try:
            for row in self.rows(camera):
                crop = (self.images / f"{row['id']}_crop.jpg").read_bytes()
                targets = []
                if row["verdict"] == "confirmed":
                    targets.append(("positives", row["corrected_label"] or row["label"]))
                else:
                    targets.append(("negatives", row["label"]))
                    if row["corrected_label"]:
                        targets.append(("positives", row["corrected_label"]))
                for kind, label in targets:
                    folder = dest / kind / check_label(label)
                    folder.mkdir(parents=True, exist_ok=True)
                    atomic_write(folder / f"{row['id']}.jpg", crop)
                    counts[kind] += 1
                    lines.append([*(row[f] for f in FIELDS), f"{kind}/{label}/{row['id']}.jpg"])
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(lines)
            atomic_write(dest / "manifest.csv", out.getvalue().encode())
        except OSError as err:
            raise _os_error(err, f"the export in {dest}") from err
        return {**counts, "items": len(lines) - 1, "path": str(dest)}
