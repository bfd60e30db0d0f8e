"""Every frame's scores, kept compactly for the day's heat map and tag cloud (not the recorder).

One JSON line per frame in `<camera's folder>/<UTC date>.jsonl`: its time, the model's top labels
and every watched label's score (three decimals), or an episode's start (`"e": label`). Files
older than the kept days go first, then the oldest beyond the size limit. A line that cannot be
read (a torn last write, a damaged file) is skipped; a day file that cannot be read at all is
skipped and logged once. Sync, for the executor.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .files import os_error

_LOGGER = logging.getLogger(__name__)

DAY_FILE = re.compile(r"(\d{4}-\d{2}-\d{2})\.jsonl")
TOP_KEPT = 3


@dataclass(frozen=True, slots=True)
class Record:
    """One frame's scores (or, with `episode`, the start of an episode of that label)."""

    time: float
    scores: Mapping[str, float]
    top: Sequence[str] = ()
    episode: str | None = None

    def line(self) -> bytes:
        """The record as one JSON line."""
        data: dict[str, object] = {"t": round(self.time, 2)}
        if self.episode is not None:
            data["e"] = self.episode
        else:
            data["s"] = {k: round(v, 3) for k, v in self.scores.items()}
            data["top"] = list(self.top[:TOP_KEPT])
        return json.dumps(data, separators=(",", ":")).encode() + b"\n"


def _record(line: bytes) -> Record | None:
    try:
        data = json.loads(line)
        when = float(data["t"])
        if "e" in data:
            return Record(when, {}, (), str(data["e"]))
        scores = {str(k): float(v) for k, v in data["s"].items()}
        top = [str(x) for x in data["top"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not math.isfinite(when) or not all(math.isfinite(v) for v in scores.values()):
        return None
    return Record(when, scores, top)


def _after_torn(file: BinaryIO) -> bytes:
    """A newline if the file ends in a torn line, so that it does not swallow the next one."""
    end = file.seek(0, 2)
    if not end:
        return b""
    file.seek(end - 1)
    return b"" if file.read(1) == b"\n" else b"\n"


@dataclass(frozen=True, slots=True)
class Timeline:
    """Per label, the highest score in each bucket (None: no frame), and episode starts."""

    start: float
    bucket: float
    scores: dict[str, list[float | None]]
    episodes: dict[str, list[int]]  # label -> bucket indices where an episode started
    frames: list[int]  # frames per bucket


class History:
    """One camera's score history in its folder; safe from several threads."""

    def __init__(self, folder: Path, *, days: float, max_bytes: int) -> None:
        """Keep `days` of history and at most `max_bytes` of it."""
        self.folder = folder
        self.days = days
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._unreadable: set[Path] = set()

    def append(self, records: Sequence[Record]) -> None:
        """Add records (appended to their day's file), then drop what is too old or too much."""
        folder = self.folder
        by_day: dict[str, list[bytes]] = {}
        for record in records:
            day = datetime.fromtimestamp(record.time, UTC).strftime("%Y-%m-%d")
            by_day.setdefault(day, []).append(record.line())
        with self._lock:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for day, lines in by_day.items():
                    with (folder / f"{day}.jsonl").open("a+b") as file:
                        file.write(_after_torn(file) + b"".join(lines))
                self._prune(time.time())
            except OSError as err:
                raise os_error(err, "the score history") from err

    def _prune(self, now: float) -> None:
        files = sorted(p for p in self.folder.glob("*.jsonl") if DAY_FILE.fullmatch(p.name))
        cutoff = datetime.fromtimestamp(now - self.days * 86400, UTC).strftime("%Y-%m-%d")
        sizes = {p: p.stat().st_size for p in files}
        total = sum(sizes.values())
        for path in files:  # oldest day first
            if path.name[:10] < cutoff or total > self.max_bytes:
                total -= sizes[path]
                path.unlink(missing_ok=True)

    def records(self, start: float, end: float) -> Iterator[Record]:
        """The records in [start, end), oldest first."""
        folder = self.folder
        first = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d")
        last = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d")
        with self._lock:
            names = sorted(p.name for p in folder.glob("*.jsonl")) if folder.is_dir() else []
        for name in names:
            if not DAY_FILE.fullmatch(name) or not first <= name[:10] <= last:
                continue
            for record in self._read(folder / name):
                if start <= record.time < end:
                    yield record

    def _read(self, path: Path) -> list[Record]:
        try:
            raw = path.read_bytes()
        except OSError as err:
            if path not in self._unreadable:
                self._unreadable.add(path)
                _LOGGER.warning("Skipping the unreadable score history %s: %s", path, err)
            return []
        return [r for line in raw.splitlines() if (r := _record(line)) is not None]

    def timeline(
        self, labels: Sequence[str], *, start: float, end: float, bucket: float
    ) -> Timeline:
        """The heat map: per label and bucket, the best score, and where episodes began."""
        count = max(1, math.ceil((end - start) / bucket))
        scores: dict[str, list[float | None]] = {label: [None] * count for label in labels}
        episodes: dict[str, list[int]] = {label: [] for label in labels}
        frames = [0] * count
        for record in self.records(start, end):
            index = min(count - 1, int((record.time - start) // bucket))
            if record.episode is not None:
                if record.episode in episodes:
                    episodes[record.episode].append(index)
                continue
            frames[index] += 1
            for label, row in scores.items():
                value = record.scores.get(label)
                if value is not None and (row[index] is None or value > (row[index] or 0.0)):
                    row[index] = value
        return Timeline(start, bucket, scores, episodes, frames)

    def tags(self, *, start: float, end: float) -> Counter[str]:
        """How often each label was the model's best guess for a frame, in [start, end)."""
        seen: Counter[str] = Counter()
        for record in self.records(start, end):
            if record.episode is None and record.top:
                seen[record.top[0]] += 1
        return seen
