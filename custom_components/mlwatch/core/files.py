"""Crash-safe file writes for the dataset: whole files or nothing, and no temp files forever."""

from __future__ import annotations

import errno
import os
import re
import uuid
from contextlib import suppress
from pathlib import Path

from .errors import DatasetError, DatasetFullError

# What `atomic_write` names its temp files: `.<name>.<32 hex>.tmp`.
TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{32}\.tmp")
STALE_TEMP_SECONDS = 600.0


def os_error(err: OSError, what: str, verb: str = "write") -> DatasetError:
    """The typed error for a failed file operation."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return DatasetFullError(f"No space left to write {what}")
    return DatasetError(f"Cannot {verb} {what}: {err.strerror or err}")


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (os.write may write fewer than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: temp file, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
        fsync_dir(path.parent)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise os_error(err, path.name) from err


def sweep_temp(folder: Path, now: float, min_age: float = STALE_TEMP_SECONDS) -> int:
    """Delete temp files a killed writer left; young ones may belong to a writer still running."""
    removed = 0
    for path in folder.iterdir():
        if not TEMP_NAME.fullmatch(path.name):
            continue
        with suppress(FileNotFoundError):  # another sweep or the writer got there first
            if path.is_file() and now - path.stat().st_mtime > min_age:
                path.unlink()
                removed += 1
    return removed
