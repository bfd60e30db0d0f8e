"""The score history behind the heat map and the tag cloud: buckets, episodes, bounds, damage."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from custom_components.mlwatch.core.history import History, Record

DAY = 86400.0


def _history(tmp_path: Path, days: float = 7, max_bytes: int = 10**6) -> History:
    return History(tmp_path / "camera.front_door", days=days, max_bytes=max_bytes)


def _frame(at: float, cat: float, top: str = "tabby") -> Record:
    return Record(at, {"cat": cat, top: 0.5}, [top, "doormat"])


def test_the_heat_map_keeps_each_buckets_best_score_and_marks_episodes(tmp_path: Path) -> None:
    history = _history(tmp_path)
    start = time.time() - 3600
    history.append([_frame(start + 10, 0.2), _frame(start + 20, 0.9), _frame(start + 700, 0.4)])
    history.append([Record(start + 15, {}, episode="cat"), Record(start + 16, {}, episode="dog")])
    timeline = history.timeline(["cat", "person"], start=start, end=start + 1800, bucket=600)
    assert timeline.scores == {"cat": [0.9, 0.4, None], "person": [None, None, None]}
    assert timeline.episodes == {"cat": [0], "person": []}
    assert timeline.frames == [2, 1, 0]


def test_the_tag_cloud_counts_the_models_best_guesses(tmp_path: Path) -> None:
    history = _history(tmp_path)
    now = time.time()
    history.append([_frame(now - 30, 0.9), _frame(now - 20, 0.8), _frame(now - 10, 0.1, "doormat")])
    history.append([Record(now - 5, {}, episode="cat")])
    assert history.tags(start=now - 60, end=now) == {"tabby": 2, "doormat": 1}
    assert history.tags(start=now - 15, end=now) == {"doormat": 1}


def test_old_days_go_first_then_the_oldest_beyond_the_size(tmp_path: Path) -> None:
    history = _history(tmp_path, days=2)
    now = time.time()
    history.append([_frame(now - d * DAY, 0.5) for d in (5, 3, 1, 0)])
    assert len(list(history.folder.glob("*.jsonl"))) == 2  # today and yesterday
    small = _history(tmp_path, days=30, max_bytes=150)
    small.append([_frame(now - d * DAY, 0.5) for d in (4, 3, 2, 1, 0)])
    kept = sorted(p.name for p in small.folder.glob("*.jsonl"))
    assert 1 <= len(kept) < 5
    assert sum((small.folder / n).stat().st_size for n in kept) <= 150
    assert kept[-1] == time.strftime("%Y-%m-%d.jsonl", time.gmtime(now))  # the newest stays


def test_damaged_lines_and_unreadable_days_are_skipped_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    history = _history(tmp_path)
    now = time.time()
    history.append([_frame(now - 30, 0.7)])
    (day,) = history.folder.glob("*.jsonl")
    with day.open("ab") as file:  # a torn write, garbage, wrong types, a non-finite score
        file.write(b'{"t": 1, "s": {"cat": NaN}, "top": []}\n[1, 2]\n{"t": "x"}\n\xff\xfe\n{"t": 5')
    history.append([_frame(now - 20, 0.8)])
    assert history.tags(start=now - 60, end=now) == {"tabby": 2}
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(now - DAY))
    (history.folder / f"{yesterday}.jsonl").mkdir()  # a day that cannot be read at all
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            assert history.tags(start=now - 2 * DAY, end=now) == {"tabby": 2}
    assert len([r for r in caplog.records if "unreadable" in r.getMessage()]) == 1
