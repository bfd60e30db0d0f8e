"""The feedback dataset: nothing confirmed is lost, nothing escapes its folder."""

from __future__ import annotations

import csv
import errno
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from custom_components.mlwatch.core import dataset as dataset_module
from custom_components.mlwatch.core.dataset import Dataset, PendingItem, atomic_write, new_id
from custom_components.mlwatch.core.errors import (
    DatasetError,
    DatasetFullError,
    InvalidLabelError,
    UnknownItemError,
)
from tests.core.conftest import snapshot

FRAME = snapshot("chelsea", (640, 480))
CROP = snapshot("chelsea", (224, 224))


def item(label: str = "cat", source: str = "detection", camera: str = "camera.door") -> PendingItem:
    return PendingItem(new_id(), camera, label, source, {"cat": 0.93}, "ab" * 32)


@pytest.fixture
def store(tmp_path: Path) -> Dataset:
    ds = Dataset(tmp_path / "mlwatch")
    ds.load()
    return ds


def test_pending_then_verdict_then_reopen(store: Dataset, tmp_path: Path) -> None:
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    assert store.pending(pending.id) == pending
    assert [p.id for p in store.unreviewed("camera.door")] == [pending.id]
    row = store.record(pending.id, "confirmed")
    assert row["verdict"] == "confirmed"
    assert store.unreviewed() == []
    reopened = Dataset(tmp_path / "mlwatch")
    reopened.load()
    assert reopened.rows() == [row]
    assert (reopened.images / f"{pending.id}_crop.jpg").read_bytes() == CROP


def test_a_second_verdict_replaces_the_first_and_both_are_recorded(store: Dataset) -> None:
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    store.record(pending.id, "confirmed")
    store.record(pending.id, "rejected", "dog")
    (row,) = store.rows()
    assert (row["verdict"], row["corrected_label"]) == ("rejected", "dog")
    lines = store.manifest.read_text().splitlines()
    assert len(lines) == 3  # header + both verdicts: the history stays


def test_unknown_expired_and_malformed_ids(store: Dataset) -> None:
    with pytest.raises(UnknownItemError, match="unknown or expired"):
        store.record(new_id(), "confirmed")
    for bad in ("../../etc/passwd", "a" * 31, "A" * 32, "", "0" * 32 + "/x"):
        with pytest.raises(UnknownItemError, match="not a detection id"):
            store.pending(bad)
        with pytest.raises(UnknownItemError):
            store.frame_path(bad)


@pytest.mark.parametrize("label", ["../escape", "a/b", "..", "x" * 101, "bad\nlabel", "\\win"])
def test_labels_that_could_escape_are_refused(store: Dataset, label: str) -> None:
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    with pytest.raises(InvalidLabelError):
        store.record(pending.id, "rejected", label)
    with pytest.raises(InvalidLabelError):
        store.add_example(item(label=label, source="manual"), FRAME, CROP, "confirmed")
    assert store.rows() == []
    assert not any(store.root.parent.glob("escape*"))


def test_unknown_verdict(store: Dataset) -> None:
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    with pytest.raises(DatasetError, match="Verdict"):
        store.record(pending.id, "maybe")
    with pytest.raises(DatasetError, match="Verdict"):
        store.add_example(pending, FRAME, CROP, "maybe")


def test_hundred_concurrent_verdicts_lose_nothing(store: Dataset, tmp_path: Path) -> None:
    items = [item(label=("cat", "dog")[i % 2]) for i in range(100)]
    for it in items:
        store.add_pending(it, FRAME, CROP)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda it: store.record(it.id, "confirmed"), items))
    reopened = Dataset(tmp_path / "mlwatch")
    reopened.load()
    assert {r["id"] for r in reopened.rows()} == {it.id for it in items}
    lines = reopened.manifest.read_text().splitlines()
    assert len(lines) == 101
    assert all(len(next(csv.reader([line]))) == 9 for line in lines)


def test_export_reads_back_file_by_file(store: Dataset, tmp_path: Path) -> None:
    kept, wrong, corrected = item(), item(), item(label="dog")
    for it in (kept, wrong, corrected):
        store.add_pending(it, FRAME, CROP)
    store.record(kept.id, "confirmed")
    store.record(wrong.id, "rejected")
    store.record(corrected.id, "rejected", "cat")  # it was a cat, not a dog
    manual = item(label="guacamole", source="manual")
    store.add_example(manual, FRAME, CROP, "confirmed")
    other_camera = item(camera="camera.garden")
    store.add_pending(other_camera, FRAME, CROP)
    store.record(other_camera.id, "confirmed")

    result = store.export(tmp_path / "export", camera="camera.door")
    assert result == {"positives": 3, "negatives": 2, "items": 5, "path": str(tmp_path / "export")}
    with (tmp_path / "export" / "manifest.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5
    for row in rows:
        assert (tmp_path / "export" / row["file"]).read_bytes() == CROP
    files = sorted(
        str(p.relative_to(tmp_path / "export")) for p in (tmp_path / "export").rglob("*.jpg")
    )
    assert files == sorted(
        [
            f"positives/cat/{kept.id}.jpg",
            f"negatives/cat/{wrong.id}.jpg",
            f"negatives/dog/{corrected.id}.jpg",
            f"positives/cat/{corrected.id}.jpg",
            f"positives/guacamole/{manual.id}.jpg",
        ]
    )


def test_stats_and_precision(store: Dataset) -> None:
    for verdict, label in [
        ("confirmed", None),
        ("confirmed", None),
        ("rejected", None),
        ("confirmed", "dog"),
    ]:
        it = item()
        store.add_pending(it, FRAME, CROP)
        store.record(it.id, verdict, label)
    store.add_example(item(source="manual"), FRAME, CROP, "rejected")
    stats = store.stats("camera.door", ["cat", "package"])
    # Confirmed-but-relabelled counts against the detection's own label.
    assert stats == {"confirmed": 3, "rejected": 2, "precision": {"cat": 0.5, "package": None}}


def test_prune_by_age_and_size(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = Dataset(tmp_path / "m", clock=lambda: now[0])
    store.load()
    items = [item() for _ in range(4)]
    for i, it in enumerate(items):
        store.add_pending(it, FRAME, CROP)
        os.utime(store.pending_dir / it.id, (now[0] - 1000 + i * 100,) * 2)
    assert store.prune(max_age=950, max_bytes=10**9) == 1  # the oldest is 1000 s old
    per_item = sum(p.stat().st_size for p in (store.pending_dir / items[1].id).iterdir())
    # keep the newest two (meta.json sizes differ by a few bytes)
    assert store.prune(max_age=10**6, max_bytes=per_item * 2 + 100) == 1
    assert store.pending_ids() == [items[2].id, items[3].id]
    stray = store.pending_dir / new_id()
    stray.mkdir()  # a crash between mkdir and meta.json
    os.utime(stray, (now[0] - 7200,) * 2)
    store.prune(max_age=10**6, max_bytes=10**9)
    assert not stray.exists()


def test_torn_manifest_line_is_skipped_and_fenced(store: Dataset, tmp_path: Path) -> None:
    first = item()
    store.add_pending(first, FRAME, CROP)
    store.record(first.id, "confirmed")
    with store.manifest.open("a") as f:
        f.write(f"{new_id()},camera.door,cat,confir")  # a writer died here
    reopened = Dataset(tmp_path / "mlwatch")
    reopened.load()
    assert [r["id"] for r in reopened.rows()] == [first.id]
    second = item()
    reopened.add_pending(second, FRAME, CROP)
    reopened.record(second.id, "confirmed")
    again = Dataset(tmp_path / "mlwatch")
    again.load()
    assert {r["id"] for r in again.rows()} == {first.id, second.id}


def test_full_disk_is_a_typed_error_and_leaves_no_temp_files(
    store: Dataset, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dataset_module.os, "write", full)
    with pytest.raises(DatasetFullError) as err:
        store.add_pending(item(), FRAME, CROP)
    assert err.value.key == "disk_full"
    with pytest.raises(DatasetFullError):
        atomic_write(tmp_path / "x.bin", b"data")
    monkeypatch.undo()
    assert not list(tmp_path.rglob("*.tmp"))


def test_other_write_errors_are_dataset_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    store = Dataset(tmp_path / "file" / "mlwatch")
    with pytest.raises(DatasetError, match="Cannot write"):
        store.load()


_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from custom_components.mlwatch.core.dataset import Dataset, PendingItem, new_id
    from pathlib import Path
    store = Dataset(Path({root!r}))
    store.load()
    frame = bytes(range(256)) * 2000  # 512 kB: long enough writes to be killed inside one
    while True:
        it = PendingItem(new_id(), "camera.door", "cat", "detection", {{"cat": 0.9}}, "0" * 64)
        store.add_pending(it, frame, frame[:1000])
        store.record(it.id, "confirmed")
        print(it.id, flush=True)  # acknowledged: from here on it must survive
    """
)


def test_kill_9_mid_write_loses_nothing_acknowledged(tmp_path: Path) -> None:
    root = tmp_path / "mlwatch"
    repo = str(Path(__file__).parents[2])
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER.format(repo=repo, root=str(root))],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip() for _ in range(15)]
    time.sleep(0.05)  # let it get into the middle of the next writes
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    acknowledged += [line.strip() for line in writer.stdout.read().splitlines() if line.strip()]
    store = Dataset(root)
    store.load()
    filed = {r["id"] for r in store.rows()}
    assert set(acknowledged) <= filed
    for item_id in acknowledged:
        assert (store.images / f"{item_id}.jpg").stat().st_size == 512_000
    # The store keeps working after the crash: export reads every filed item back.
    result = store.export(tmp_path / "export")
    assert result["positives"] == len(filed)
    text = io.StringIO((tmp_path / "export" / "manifest.csv").read_text())
    assert len(list(csv.DictReader(text))) == len(filed)
