"""The feedback dataset: nothing confirmed is lost, nothing escapes its folder."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from custom_components.mlwatch.core import files as files_module
from custom_components.mlwatch.core.dataset import Dataset, PendingItem, atomic_write, new_id
from custom_components.mlwatch.core.errors import (
    CorruptItemError,
    DatasetError,
    DatasetFullError,
    InvalidLabelError,
    UnknownItemError,
)
from devtools.photos import snapshot

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
    lines = store.log.path.read_text().splitlines()
    assert len(lines) == 2  # both verdicts: the history stays


def test_unknown_expired_and_malformed_ids(store: Dataset) -> None:
    with pytest.raises(UnknownItemError, match="unknown or expired"):
        store.record(new_id(), "confirmed")
    for bad in ("../../etc/passwd", "a" * 31, "A" * 32, "", "0" * 32 + "/x", "0" * 32 + "\n"):
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
    lines = reopened.log.path.read_text().splitlines()
    assert len(lines) == 100
    assert all(len(json.loads(line)) == 9 for line in lines)


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
    assert result == {
        "positives": 3,
        "negatives": 2,
        "items": 5,
        "skipped": 0,
        "path": str(tmp_path / "export"),
    }
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


def legacy_line(it: PendingItem, verdict: str = "confirmed", at: float = 1.0) -> bytes:
    """A manifest.csv row as the code before the verdict log wrote it."""
    out = io.StringIO()
    scores = json.dumps(it.scores, sort_keys=True)
    fields = [it.id, it.camera, it.label, verdict, "", it.source, scores, it.model_sha256]
    csv.writer(out, lineterminator="\n").writerow([*fields, f"{at:.3f}"])
    return out.getvalue().encode()


LEGACY_HEADER = b"id,camera,label,verdict,corrected_label,source,scores,model_sha256,time\n"


def legacy_store(root: Path, content: bytes) -> Dataset:
    """A dataset whose verdicts are still in the old manifest.csv, loaded by today's code."""
    (root / "dataset").mkdir(parents=True)
    (root / "dataset" / "manifest.csv").write_bytes(content)
    store = Dataset(root)
    store.load()
    return store


def file_one(store: Dataset, it: PendingItem | None = None) -> str:
    it = it or item()
    store.add_pending(it, b"frame", b"crop")
    store.record(it.id, "confirmed")
    return it.id


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of stores per test: durability is the kill -9 test's business, not this one's."""
    monkeypatch.setattr(os, "fsync", lambda _fd: None)


@pytest.mark.usefixtures("no_fsync")
def test_a_manifest_row_torn_at_any_byte_costs_no_later_verdict(tmp_path: Path) -> None:
    # A power cut inside the quoted `scores` field used to swallow the next row into the quote.
    first = item()
    torn = PendingItem(new_id(), "camera.door", "cat", "detection", {"cat": 0.93, "dog": 0.1}, "0")
    row = legacy_line(torn, at=2.0)
    lost = []
    for cut in range(len(row)):
        root = tmp_path / f"cut{cut}"
        store = legacy_store(root, LEGACY_HEADER + legacy_line(first) + row[:cut])
        second = file_one(store)
        reopened = Dataset(root)
        reopened.load()
        if not {first.id, second} <= {r["id"] for r in reopened.rows()}:
            lost.append(cut)
    assert lost == [], f"{len(lost)} of {len(row)} cuts lost a verdict"


@pytest.mark.usefixtures("no_fsync")
def test_a_log_line_torn_at_any_byte_costs_nothing_and_is_set_aside_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scratch = Dataset(tmp_path / "scratch")
    scratch.load()
    torn = file_one(scratch)
    line = scratch.log.path.read_bytes()
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    for cut in range(len(line)):  # every strict prefix: the newline is the acknowledgement
        root = tmp_path / f"cut{cut}"
        store = Dataset(root)
        store.load()
        first = file_one(store)
        with store.log.path.open("ab") as f:
            f.write(line[:cut])  # the writer died here
        caplog.clear()
        reopened = Dataset(root)
        reopened.load()
        second = file_one(reopened)
        final = Dataset(root)
        final.load()
        ids = {r["id"] for r in final.rows()}
        assert {first, second} <= ids, cut
        complete = cut == len(line) - 1  # all but the newline: nothing is missing
        assert (torn in ids) is complete, cut
        log = final.log.path.read_bytes()
        assert log.endswith(b"\n")
        assert all(json.loads(entry) for entry in log.splitlines()), cut
        aside = list((root / "dataset" / "corrupt").glob("*")) if cut else []
        warned = [r for r in caplog.records if "Set aside" in r.getMessage()]
        if cut > 0 and not complete:
            assert [p.read_bytes() for p in aside] == [line[:cut] + b"\n"], cut
            assert len(warned) == 1, cut  # once: the second load finds a clean log
        else:
            assert aside == []
            assert warned == []


def test_a_bad_utf8_byte_is_skipped_logged_once_and_kept_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = item()
    bad = f"{new_id()},camera.door,cat,rejected,".encode() + b"\xf0\x9f"  # the bytes
    store = legacy_store(tmp_path / "m", LEGACY_HEADER + legacy_line(first) + bad)
    assert [r["id"] for r in store.rows()] == [first.id]
    (kept,) = (tmp_path / "m" / "dataset" / "corrupt").iterdir()
    assert kept.read_bytes() == bad + b"\n"
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "Set aside 1 unreadable line" in warning.getMessage()
    second = file_one(store)
    # Damage in the new log is handled the same way, wherever it sits.
    with store.log.path.open("ab") as f:
        f.write(b'{"id": "\xff\xfe"}\n{"id": 5}\n[]\n')
    third = file_one(store)
    caplog.clear()
    again = Dataset(tmp_path / "m")
    again.load()
    assert {r["id"] for r in again.rows()} == {first.id, second, third}
    assert len(list(again.log.corrupt.iterdir())) == 2
    caplog.clear()
    Dataset(tmp_path / "m").load()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # logged once


def test_an_old_manifest_is_migrated_losing_nothing(tmp_path: Path) -> None:
    cat, other = item(), item(camera="camera.garden")
    content = (
        LEGACY_HEADER
        + legacy_line(cat, "confirmed", 1.0)
        + legacy_line(other, "rejected", 2.0)
        + legacy_line(cat, "rejected", 3.0)  # a second verdict replaces the first
    )
    store = legacy_store(tmp_path / "m", content)
    assert [(r["id"], r["verdict"], r["time"]) for r in store.rows()] == [
        (other.id, "rejected", "2.000"),
        (cat.id, "rejected", "3.000"),
    ]
    assert store.rows()[0]["scores"] == '{"cat": 0.93}'
    assert not store.manifest.exists()
    (migrated,) = store.manifest.parent.glob("manifest.csv.migrated-*")
    assert migrated.read_bytes() == content  # kept aside as it was
    assert len(store.log.path.read_bytes().splitlines()) == 3  # the history stays
    # A crash between writing the log and moving the old file: loading again adds nothing.
    store.manifest.write_bytes(content)
    again = Dataset(tmp_path / "m")
    again.load()
    assert again.rows() == store.rows()
    assert len(again.log.path.read_bytes().splitlines()) == 3


def test_an_unreadable_verdict_log_is_a_dataset_error(tmp_path: Path) -> None:
    (tmp_path / "m" / "dataset" / "manifest.csv").mkdir(parents=True)  # a folder where a file was
    with pytest.raises(DatasetError, match="Cannot read"):
        Dataset(tmp_path / "m").load()


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    "damage",
    [
        lambda meta: meta.write_bytes(b'{"id": "trunc'),
        lambda meta: meta.write_bytes(b"\xff\xfe\x00"),
        lambda meta: meta.write_text(json.dumps({"id": meta.parent.name, "camera": "c"})),
        lambda meta: meta.write_text(json.dumps([1, 2])),
        lambda meta: meta.write_text(
            json.dumps({**json.loads(meta.read_text()), "scores": "high"})
        ),
        lambda meta: meta.write_text(
            json.dumps({**json.loads(meta.read_text()), "decided_by": "oracle"})
        ),
        lambda meta: meta.write_text(
            json.dumps({**json.loads(meta.read_text()), "personal": "0.9"})
        ),
        _folder,
    ],
    ids=[
        *("truncated", "not-utf8", "old-format", "not-an-object", "wrong-type"),
        *("unknown-decider", "text-score", "folder"),
    ],
)
def test_a_corrupt_pending_item_is_a_typed_error_and_skipped(
    store: Dataset, damage: Any, caplog: pytest.LogCaptureFixture
) -> None:
    good, bad = item(), item()
    for it in (good, bad):
        store.add_pending(it, FRAME, CROP)
    damage(store.pending_dir / bad.id / "meta.json")
    with pytest.raises(CorruptItemError) as err:
        store.pending(bad.id)
    assert err.value.key == "corrupt_item"
    with pytest.raises(CorruptItemError):
        store.record(bad.id, "confirmed")
    assert store.unreviewed() == [good]
    assert store.unreviewed() == [good]
    skipped = [r for r in caplog.records if "Skipping a pending detection" in r.getMessage()]
    assert len(skipped) == 1  # logged once, not at every recount


def test_who_decided_is_kept_and_an_item_from_before_it_was_kept_reads_as_base(
    store: Dataset,
) -> None:
    decided = replace(item(), decided_by="personal", personal=0.42)
    store.add_pending(decided, FRAME, CROP)
    assert store.pending(decided.id) == decided
    older = item()
    store.add_pending(older, FRAME, CROP)
    meta = store.pending_dir / older.id / "meta.json"
    fields = json.loads(meta.read_text())
    del fields["decided_by"], fields["personal"]
    meta.write_text(json.dumps(fields))
    assert (store.pending(older.id).decided_by, store.pending(older.id).personal) == ("base", None)


def test_a_folder_where_a_frame_should_be(store: Dataset) -> None:
    it = item()
    store.add_pending(it, FRAME, CROP)
    _folder(store.pending_dir / it.id / "frame.jpg")
    with pytest.raises(CorruptItemError):
        store.record(it.id, "confirmed")
    with pytest.raises(UnknownItemError):
        store.frame_path(it.id)
    assert store.frame_path(it.id, "crop").read_bytes() == CROP


@pytest.mark.parametrize("label", ["\U0001f431" * 100, "\u00e9" * 51, "\U0001f431" * 26])
def test_labels_are_checked_in_bytes(store: Dataset, label: str) -> None:
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    with pytest.raises(InvalidLabelError, match="100 bytes"):
        store.record(pending.id, "rejected", label)
    with pytest.raises(InvalidLabelError):
        store.add_example(item(label=label, source="manual"), FRAME, CROP, "confirmed")


def test_a_label_of_100_bytes_exports(store: Dataset, tmp_path: Path) -> None:
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    store.record(pending.id, "rejected", "\U0001f431" * 25)
    result = store.export(tmp_path / "out")
    assert (result["positives"], result["negatives"]) == (1, 1)
    assert (tmp_path / "out" / "positives" / ("\U0001f431" * 25) / f"{pending.id}.jpg").exists()


def test_a_label_filed_before_the_byte_check_does_not_break_exports(tmp_path: Path) -> None:
    long, fine = item(label="\U0001f431" * 100), item()
    store = legacy_store(tmp_path / "m", legacy_line(long) + legacy_line(fine, at=2.0))
    for it in (long, fine):
        atomic_write(store.images / f"{it.id}_crop.jpg", CROP)
    result = store.export(tmp_path / "out")
    assert (result["positives"], result["skipped"]) == (1, 1)
    assert [p.name for p in (tmp_path / "out" / "positives").iterdir()] == ["cat"]


def test_a_failed_export_leaves_no_partial_folder(
    store: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        file_one(store)
    exports = tmp_path / "exports"
    store.export(exports / "v1")
    before = sorted(p.relative_to(exports) for p in exports.rglob("*"))
    real_write, calls = os.write, []

    def fails_later(fd: int, data: Any) -> int:
        calls.append(fd)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", fails_later)
    for name in ("v1", "v2"):  # over an older export, and a new one
        with pytest.raises(DatasetFullError):
            store.export(exports / name)
    monkeypatch.undo()
    assert sorted(p.relative_to(exports) for p in exports.rglob("*")) == before


def test_stale_temp_files_are_swept_on_load(store: Dataset, tmp_path: Path) -> None:
    stale = store.images / f".{new_id()}.jpg.{new_id()}.tmp"  # a writer killed with -9
    young = store.images / f".{new_id()}_crop.jpg.{new_id()}.tmp"  # a writer still running
    log_tmp = store.images.parent / f".verdicts.jsonl.{new_id()}.tmp"
    other = store.images / ".keep"
    for path in (stale, young, log_tmp, other):
        path.write_bytes(b"x")
    hour_ago = time.time() - 3600
    for path in (stale, log_tmp, other):
        os.utime(path, (hour_ago, hour_ago))
    Dataset(tmp_path / "mlwatch").load()
    assert (stale.exists(), log_tmp.exists()) == (False, False)
    assert (young.exists(), other.exists()) == (True, True)


def test_full_disk_is_a_typed_error_and_leaves_no_temp_files(
    store: Dataset, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files_module.os, "write", full)
    with pytest.raises(DatasetFullError) as err:
        store.add_pending(item(), FRAME, CROP)
    assert err.value.key == "disk_full"
    with pytest.raises(DatasetFullError):
        atomic_write(tmp_path / "x.bin", b"data")
    monkeypatch.undo()
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_verdict_cut_short_by_a_full_disk_leaves_the_log_as_it_was(
    store: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_one(store)
    before = store.log.path.read_bytes()
    pending = item()
    store.add_pending(pending, FRAME, CROP)
    real_write, torn = os.write, list[int]()

    def half_then_full(fd: int, data: Any) -> int:
        if torn:
            raise OSError(errno.ENOSPC, "No space left on device")
        if bytes(data[:7]) != b'{"id":"':  # the crops go through; the log line is cut
            return real_write(fd, data)
        torn.append(fd)
        return real_write(fd, bytes(data[: len(data) // 2]))

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(DatasetFullError):
        store.record(pending.id, "confirmed")
    monkeypatch.undo()
    assert torn  # the log line was written in part
    assert store.log.path.read_bytes() == before


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
