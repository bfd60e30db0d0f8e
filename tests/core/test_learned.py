"""The learned-model store: versions that survive restarts and crashes, rollback, reset, repair."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from custom_components.mlwatch.core import learned as learned_module
from custom_components.mlwatch.core.errors import DatasetError
from custom_components.mlwatch.core.evaluation import Report
from custom_components.mlwatch.core.head import Head
from custom_components.mlwatch.core.learned import FORMAT, KEEP, LearnedStore, label_key
from custom_components.mlwatch.core.learning import Answer, train

from .learning_frames import evaluate, frames

SHA = "cd" * 32
CAMERA = "camera.front_door"


def _answers(label: str, count: int) -> list[Answer]:
    out = [
        Answer(e, s.get(label), positive=True, time=float(i))
        for i, (e, s) in enumerate(frames("chelsea", count))
    ]
    out += [
        Answer(e, s.get(label), positive=False, time=float(i))
        for i, (e, s) in enumerate(frames("coffee", count))
    ]
    return out


def _trained(label: str = "cat", count: int = 3, now: float = 1.0) -> tuple[Head, Report]:
    found = _answers(label, count)
    head = train(found, label=label, kind="base", model_sha256=SHA, now=now)
    return head, evaluate(found, kind="base", threshold=0.6)


def _same(a: Head, b: Head) -> bool:
    return a.to_dict() == b.to_dict()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    head, report = _trained()
    assert store.save(CAMERA, head, report) == 1
    folder = tmp_path / CAMERA / label_key("cat")
    assert sorted(p.name for p in folder.iterdir()) == ["current", "v000001.json"]
    loaded = LearnedStore(tmp_path).load(CAMERA, SHA, dims=1280)  # as after a restart
    got_head, got_report, version = loaded.heads["cat"]
    assert _same(got_head, head)
    assert got_report == report
    assert version == 1
    assert loaded.problems == []
    x = np.stack([e for e, _ in frames("chelsea", 3, 200)])
    assert got_head.scores(x, [0.5] * 3).tolist() == head.scores(x, [0.5] * 3).tolist()


def test_any_label_is_a_safe_folder_and_cameras_are_entity_ids(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    head, report = _trained()
    odd = Head(**{**head.__dict__, "label": "../../the postman é"})
    store.save(CAMERA, odd, report)
    assert set(store.load(CAMERA, SHA).heads) == {"../../the postman é"}
    assert [p.name for p in tmp_path.iterdir()] == [CAMERA]
    for camera in ("../x", "camera", "Camera.X", "camera.a/b"):
        with pytest.raises(DatasetError):
            store.save(camera, head, report)
        with pytest.raises(DatasetError):
            store.load(camera, SHA)


def test_the_newest_versions_are_kept(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    head, report = _trained()
    for n in range(1, KEEP + 4):
        assert store.save(CAMERA, head, report) == n
    assert store.versions(CAMERA, "cat") == list(range(4, KEEP + 4))
    assert store.load(CAMERA, SHA).heads["cat"][2] == KEEP + 3


def test_rollback_goes_back_one_version_at_a_time(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    heads = [_trained(count=c, now=float(c)) for c in (2, 3, 4)]
    for head, report in heads:
        store.save(CAMERA, head, report)
    assert store.rollback(CAMERA, "cat") == 2
    assert _same(LearnedStore(tmp_path).load(CAMERA, SHA).heads["cat"][0], heads[1][0])
    assert store.rollback(CAMERA, "cat") == 1
    with pytest.raises(DatasetError, match="roll back"):
        store.rollback(CAMERA, "cat")
    with pytest.raises(DatasetError):
        store.rollback(CAMERA, "dog")
    assert store.save(CAMERA, *heads[2]) == 4  # never reuses a number
    assert store.load(CAMERA, SHA).heads["cat"][2] == 4


def test_reset_returns_the_label_to_the_base_model(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    store.save(CAMERA, *_trained("cat"))
    store.save(CAMERA, *_trained("dog"))
    store.reset(CAMERA, "cat")
    store.reset(CAMERA, "cat")  # twice is fine
    assert store.versions(CAMERA, "cat") == []
    assert set(store.load(CAMERA, SHA).heads) == {"dog"}


def _current_file(root: Path, label: str = "cat") -> Path:
    folder = root / CAMERA / label_key(label)
    return folder / f"v{int((folder / 'current').read_text()):06d}.json"


def _damaged(kind: str, raw: bytes) -> bytes:
    data = json.loads(raw)
    if kind == "json":
        return raw[: len(raw) // 2]
    if kind == "utf8":
        return b"\xff\xfe" + raw
    if kind == "weights":
        data["head"]["weights"] = "not base64!"
    elif kind == "report":
        data["report"]["state"] = "promoted"
    elif kind == "folder":
        data["head"]["label"] = "dog"
    else:
        data["format"] = "1"
    return json.dumps(data).encode()


@pytest.mark.parametrize("kind", ["json", "utf8", "weights", "report", "folder", "format"])
def test_a_corrupt_file_is_set_aside_once_and_the_base_model_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    store = LearnedStore(tmp_path, clock=lambda: 1000.0)
    store.save(CAMERA, *_trained("cat"))
    store.save(CAMERA, *_trained("dog"))
    path = _current_file(tmp_path)
    damaged = _damaged(kind, path.read_bytes())
    path.write_bytes(damaged)
    with caplog.at_level(logging.WARNING):
        first = store.load(CAMERA, SHA)
        second = store.load(CAMERA, SHA)
    assert set(first.heads) == set(second.heads) == {"dog"}
    assert len(first.problems) == len(second.problems) == 1
    assert "corrupt" in first.problems[0]
    assert not path.exists()
    assert [p.read_bytes() for p in (tmp_path / "corrupt").iterdir()] == [damaged]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Set aside" in warnings[0].getMessage()
    store.save(CAMERA, *_trained("cat"))  # a retrain repairs the label
    assert set(store.load(CAMERA, SHA).heads) == {"cat", "dog"}


def test_an_unreadable_current_pointer_uses_the_base_model(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    store.save(CAMERA, *_trained())
    (tmp_path / CAMERA / label_key("cat") / "current").write_bytes(b"\xff1")
    loaded = store.load(CAMERA, SHA)
    assert loaded.heads == {}
    assert len(loaded.problems) == 1


@pytest.mark.parametrize("change", ["sha", "dims", "format"])
def test_an_incompatible_file_is_skipped_and_left_in_place(tmp_path: Path, change: str) -> None:
    store = LearnedStore(tmp_path)
    store.save(CAMERA, *_trained())
    path = _current_file(tmp_path)
    if change == "format":
        data = json.loads(path.read_bytes())
        data["format"] = FORMAT + 1
        path.write_text(json.dumps(data))
    before = path.read_bytes()
    sha, dims = ("ef" * 32 if change == "sha" else SHA), (640 if change == "dims" else 1280)
    loaded = store.load(CAMERA, sha, dims=dims)
    assert loaded.heads == {}
    assert len(loaded.problems) == 1
    assert path.read_bytes() == before
    assert not (tmp_path / "corrupt").exists()


def test_a_file_of_an_older_format_is_skipped_quietly_for_the_retrain(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    store.save(CAMERA, *_trained())
    path = _current_file(tmp_path)
    data = json.loads(path.read_bytes())
    data["format"] = FORMAT - 1
    data["head"].pop("center")  # what format 1 wrote: a head on other features
    path.write_text(json.dumps(data))
    loaded = store.load(CAMERA, SHA)
    assert loaded.heads == {}
    assert loaded.problems == []
    assert path.exists()
    store.save(CAMERA, *_trained())  # the retrain at start
    assert set(store.load(CAMERA, SHA).heads) == {"cat"}


def test_a_crash_before_the_pointer_moves_keeps_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LearnedStore(tmp_path)
    old = _trained(count=2)
    store.save(CAMERA, *old)
    real = learned_module.atomic_write

    def crash(path: Path, data: bytes) -> None:
        if path.name == "current":
            raise DatasetError("power cut")
        real(path, data)

    monkeypatch.setattr(learned_module, "atomic_write", crash)
    with pytest.raises(DatasetError):
        store.save(CAMERA, *_trained(count=4))
    loaded = LearnedStore(tmp_path).load(CAMERA, SHA)
    assert _same(loaded.heads["cat"][0], old[0])
    assert loaded.heads["cat"][2] == 1


def test_a_missing_root_loads_nothing(tmp_path: Path) -> None:
    loaded = LearnedStore(tmp_path / "nowhere").load(CAMERA, SHA)
    assert (loaded.heads, loaded.problems) == ({}, [])


def test_concurrent_saves_each_get_their_own_version(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path)
    head, report = _trained()
    got: list[int] = []
    threads = [
        threading.Thread(target=lambda: got.append(store.save(CAMERA, head, report)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 9))
    assert store.versions(CAMERA, "cat") == list(range(1, 9))
