"""The verdict log: one JSON object per line, so a line a crash tore can never swallow the next.

Every line is checked on read. A line that fails (torn by a crash, a bad byte on disk) is copied
to `corrupt/` and logged, and the log is rewritten without it before anything is appended, so
it is reported once and never deleted. A `manifest.csv` from before is migrated on load the
same way, line by line, and then kept aside as `manifest.csv.migrated-<time>`.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from .files import atomic_write, fsync_dir, os_error, write_all

_LOGGER = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
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
LOG_NAME = "verdicts.jsonl"
LEGACY_NAME = "manifest.csv"
_LEGACY_HEADER = ",".join(FIELDS).encode()

Row = dict[str, str]


def encode(row: Row) -> bytes:
    """One log line; ASCII-only, so no label can make it undecodable."""
    return json.dumps({f: row[f] for f in FIELDS}, separators=(",", ":")).encode() + b"\n"


def check_row(fields: object) -> Row | None:
    """`fields` as a verdict row, or None if it is not a complete, valid one."""
    if not isinstance(fields, dict) or set(fields) != set(FIELDS):
        return None
    row: Row = {}
    for name in FIELDS:
        if not isinstance(value := fields[name], str):
            return None
        row[name] = value
    if not ID_PATTERN.fullmatch(row["id"]) or row["verdict"] not in VERDICTS:
        return None
    try:
        return row if math.isfinite(float(row["time"])) else None
    except ValueError:
        return None


def _json_row(line: bytes) -> Row | None:
    try:
        return check_row(json.loads(line))
    except ValueError:  # also UnicodeDecodeError
        return None


def _csv_row(line: bytes) -> Row | None:
    """One physical line of the old manifest; csv would let a torn quote run into the next."""
    try:
        values = next(csv.reader([line.decode("utf-8")], strict=True))
    except (ValueError, csv.Error, StopIteration):
        return None
    return check_row(dict(zip(FIELDS, values, strict=True))) if len(values) == len(FIELDS) else None


def _parse(
    sources: list[tuple[bytes, Callable[[bytes], Row | None]]],
) -> tuple[dict[str, Row], list[bytes], list[bytes]]:
    """Rows by id (the last wins), the good lines re-encoded, and the bad lines as found."""
    rows: dict[str, Row] = {}
    good: dict[bytes, None] = {}  # ordered, and the same verdict twice is one
    bad: list[bytes] = []
    for text, parse in sources:
        for line in filter(None, text.split(b"\n")):
            if parse is _csv_row and line == _LEGACY_HEADER:
                continue
            if (row := parse(line)) is None:
                bad.append(line)
                continue
            good[encode(row)] = None
            rows[row["id"]] = row
    return rows, list(good), bad


class VerdictLog:
    """The append-only verdict log in one folder; the caller serializes appends."""

    def __init__(self, folder: Path, clock: Callable[[], float]) -> None:
        """Use `folder`/verdicts.jsonl; `clock` names the files set aside."""
        self.path = folder / LOG_NAME
        self.legacy = folder / LEGACY_NAME
        self.corrupt = folder / "corrupt"
        self._clock = clock

    def load(self) -> dict[str, Row]:
        """The last verdict per id; migrates manifest.csv and sets bad lines aside first."""
        try:
            legacy = self.legacy.read_bytes() if self.legacy.exists() else None
            data = self.path.read_bytes() if self.path.exists() else b""
        except OSError as err:
            raise os_error(err, "the verdict log", "read") from err
        sources: list[tuple[bytes, Callable[[bytes], Row | None]]] = [(data, _json_row)]
        if legacy is not None:  # older than the log; a crash mid-migration leaves both
            sources.insert(0, (legacy, _csv_row))
        rows, good, bad = _parse(sources)
        if bad:
            self._set_aside(bad)
        if legacy is not None or bad or (data and not data.endswith(b"\n")):
            atomic_write(self.path, b"".join(good))
        if legacy is not None:
            kept = self.legacy.with_name(f"{LEGACY_NAME}.migrated-{int(self._clock())}")
            try:
                self.legacy.replace(kept)
            except OSError as err:
                raise os_error(err, LEGACY_NAME, "keep aside") from err
            _LOGGER.info("Moved %d verdicts from %s to %s", len(rows), kept, self.path)
        return rows

    def _set_aside(self, lines: list[bytes]) -> None:
        try:
            self.corrupt.mkdir(exist_ok=True)
        except OSError as err:
            raise os_error(err, str(self.corrupt)) from err
        name = f"verdicts-{int(self._clock())}-{uuid.uuid4().hex[:8]}.lines"
        atomic_write(self.corrupt / name, b"\n".join(lines) + b"\n")
        _LOGGER.warning(
            "Set aside %d unreadable line(s) of the verdict log in %s "
            "(a write a crash cut short, or a damaged disk); every other verdict is kept",
            len(lines),
            self.corrupt / name,
        )

    def append(self, row: Row) -> None:
        """Append one line durably; a torn tail (only possible from outside) is fenced off."""
        created = not self.path.exists()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                fence = b"\n" if size and os.pread(fd, 1, size - 1) != b"\n" else b""
                try:
                    write_all(fd, fence + encode(row))
                    os.fsync(fd)
                except OSError:
                    with suppress(OSError):  # leave no torn line behind, e.g. on a full disk
                        os.ftruncate(fd, size)
                    raise
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.path.parent)
        except OSError as err:
            raise os_error(err, "the verdict log") from err
