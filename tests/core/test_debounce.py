"""The debouncer: K of N to fire, hysteresis to clear, cooldown, stale frames, the evidence."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from custom_components.mlwatch.core.debounce import Cleared, DebounceConfig, Debouncer, Detected


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(config: DebounceConfig | None = None) -> tuple[Debouncer[int], Clock]:
    clock = Clock()
    ids = iter(f"id{i}" for i in range(100))
    deb: Debouncer[int] = Debouncer(
        ["cat", "dog"], config or DebounceConfig(k=3, n=5), clock, lambda: next(ids)
    )
    return deb, clock


def feed(
    deb: Debouncer[int],
    clock: Clock,
    scores: Sequence[float],
    label: str = "cat",
    step: float = 1.0,
) -> list[Detected[int] | Cleared]:
    events: list[Detected[int] | Cleared] = []
    for i, s in enumerate(scores):
        clock.now += step
        events += deb.update({label: s}, i)
    return events


def test_one_odd_frame_never_fires() -> None:
    deb, clock = make()
    assert feed(deb, clock, [0.1, 0.99, 0.1, 0.1, 0.1, 0.2, 0.95, 0.1]) == []


def test_k_of_n_fires_once_with_why_and_best_frame() -> None:
    deb, clock = make()
    events = feed(deb, clock, [0.9, 0.8, 0.1, 0.95, 0.9, 0.9, 0.9])
    assert len(events) == 1
    d = events[0]
    assert isinstance(d, Detected)
    assert (d.label, d.detection_id) == ("cat", "id0")
    assert d.why == (0.9, 0.8, 0.1, 0.95)  # the window when it fired, oldest first
    assert d.confidence == pytest.approx((0.9 + 0.8 + 0.95) / 3)
    assert (d.best_frame, d.best_score) == (3, 0.95)
    assert deb.active() == {"cat": d}


def test_clears_only_after_a_whole_window_under_the_off_threshold() -> None:
    deb, clock = make(DebounceConfig(on_threshold=0.6, off_threshold=0.3, k=2, n=3, cooldown=0))
    fired = feed(deb, clock, [0.9, 0.9])
    assert len(fired) == 1
    # 0.4 is under "on" but over "off": hysteresis keeps the episode going.
    assert feed(deb, clock, [0.4, 0.2, 0.2, 0.5, 0.1, 0.1]) == []
    cleared = feed(deb, clock, [0.1])
    assert len(cleared) == 1
    c = cleared[0]
    assert isinstance(c, Cleared)
    assert c.detection_id == fired[0].detection_id
    assert c.started < c.at
    assert deb.active() == {}


def test_cooldown_between_episodes() -> None:
    deb, clock = make(DebounceConfig(k=1, n=1, cooldown=30))
    assert len(feed(deb, clock, [0.9])) == 1
    assert len(feed(deb, clock, [0.0])) == 1  # cleared
    assert feed(deb, clock, [0.9, 0.9], step=10) == []  # 10 and 20 s after the clear
    late = feed(deb, clock, [0.9], step=15)
    assert [type(e) for e in late] == [Detected]
    assert late[0].detection_id == "id1"


def test_stale_frames_do_not_vote() -> None:
    deb, clock = make(DebounceConfig(k=3, n=5, max_age=60))
    assert feed(deb, clock, [0.9, 0.9]) == []
    clock.now += 300  # the next burst is five minutes later
    assert feed(deb, clock, [0.9]) == []
    assert len(feed(deb, clock, [0.9, 0.9])) == 1


def test_labels_are_independent_and_missing_scores_count_as_zero() -> None:
    deb, clock = make(DebounceConfig(k=2, n=2))
    events: list[Detected[int] | Cleared] = []
    for i, scores in enumerate([{"cat": 0.9, "dog": 0.9}, {"cat": 0.9}, {"dog": 0.9}]):
        clock.now += 1
        events += deb.update(scores, i)
    assert [(type(e).__name__, e.label) for e in events] == [("Detected", "cat")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"on_threshold": 0.3, "off_threshold": 0.6},
        {"off_threshold": 0.0},
        {"on_threshold": 1.5},
        {"k": 0},
        {"k": 6, "n": 5},
        {"cooldown": -1},
        {"max_age": 0},
    ],
)
def test_settings_that_could_never_fire_or_clear_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"Need|must"):
        DebounceConfig(**kwargs)  # type: ignore[arg-type]


def test_a_label_with_its_own_threshold_fires_by_it_and_the_others_by_the_default() -> None:
    deb, clock = make(DebounceConfig(k=2, n=3, on_thresholds={"cat": 0.45}))
    assert [type(e) for e in feed(deb, clock, [0.5, 0.5])] == [Detected]
    dog = feed(deb, clock, [0.5, 0.5, 0.5], label="dog")
    assert [e for e in dog if e.label == "dog"] == []  # dog needs the default 0.6


def test_a_label_threshold_under_the_off_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="off_threshold"):
        DebounceConfig(off_threshold=0.3, on_thresholds={"cat": 0.2})
