"""Dataset exports a trainer reads: ImageFolder trees and a CSV manifest, complete or absent."""

from __future__ import annotations

import csv
import io
import logging
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .files import atomic_write, fsync_dir, os_error
from .labels import valid_label_name
from .verdicts import FIELDS, Row

_LOGGER = logging.getLogger(__name__)


def export(rows: Iterable[Row], images: Path, dest: Path) -> dict[str, Any]:
    """Write `rows` as positives/<label>/ and negatives/<label>/ crops plus manifest.csv.

    All goes to a temp folder first, renamed to `dest` when complete (replacing an older one),
    so a failure never leaves half an export behind.
    """
    work = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    old = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.old")
    try:
        work.mkdir(parents=True)
        result = _write(rows, images, work)
        if dest.exists():
            dest.rename(old)
        work.rename(dest)
        fsync_dir(dest.parent)
    except OSError as err:
        if old.exists() and not dest.exists():
            old.rename(dest)  # put the previous export back
        raise os_error(err, f"the export in {dest}") from err
    finally:
        shutil.rmtree(work, ignore_errors=True)  # only there if something failed
        shutil.rmtree(old, ignore_errors=True)
    return {**result, "path": str(dest)}


def _targets(row: Row) -> list[tuple[str, str]]:
    if row["verdict"] == "confirmed":
        return [("positives", row["corrected_label"] or row["label"])]
    if row["corrected_label"]:
        return [("negatives", row["label"]), ("positives", row["corrected_label"])]
    return [("negatives", row["label"])]


def _write(rows: Iterable[Row], images: Path, dest: Path) -> dict[str, int]:
    counts: dict[str, int] = {"positives": 0, "negatives": 0}
    lines = [[*FIELDS, "file"]]
    skipped = 0
    for row in rows:
        targets = _targets(row)
        if not all(valid_label_name(label) for _, label in targets):
            skipped += 1  # filed before labels were checked in bytes: it cannot name a folder
            continue
        crop = (images / f"{row['id']}_crop.jpg").read_bytes()
        for kind, label in targets:
            folder = dest / kind / label
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(folder / f"{row['id']}.jpg", crop)
            counts[kind] += 1
            lines.append([*(row[f] for f in FIELDS), f"{kind}/{label}/{row['id']}.jpg"])
    if skipped:
        _LOGGER.warning("Left %d verdicts out of the export: their labels are too long", skipped)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    atomic_write(dest / "manifest.csv", out.getvalue().encode())
    return {**counts, "items": len(lines) - 1, "skipped": skipped}
