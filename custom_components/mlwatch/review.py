"""The human-in-the-loop side: keep detections for a verdict, ask when unsure, count verdicts."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import (
    CONF_ASK_WHEN_UNSURE,
    CONF_PENDING_DAYS,
    CONF_PENDING_MB,
    CONF_REVIEWS_PER_DAY,
    CONF_UNSURE_LOW,
    EVENT_REVIEW_REQUESTED,
    SIGNAL_DATASET_UPDATED,
)
from .core.dataset import new_id
from .core.errors import DatasetError
from .daily import DailyCounter
from .feedback import async_report, async_save_pending, async_stats, frame_url, pending_item
from .scope import CameraHelper, CameraScope
from .snapshot import ReviewStats

if TYPE_CHECKING:
    from .core.result import Vector
    from .frame import Frame

_LOGGER = logging.getLogger(__name__)
# The questions a new one is compared with (the answered frames, too, are compared).
MAX_ASKED_KEPT = 200


class LeastKnown(Protocol):
    """Which of the frames to ask about: the least like any answered or asked; None if none."""

    def __call__(
        self, label: str, embeddings: list[Vector], asked: list[Vector], *, novel: bool
    ) -> Awaitable[int | None]:
        """`novel`: only a frame unlike every answered one; else one that is no near-duplicate."""


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """When to ask for a verdict, how often, and how much to keep."""

    ask: bool
    low: float  # grey zone: [low, the label's on-threshold)
    high: Mapping[str, float]  # the on-threshold of each watched label
    per_day: int
    days: float
    mb: float

    @classmethod
    def from_options(cls, opts: Mapping[str, Any], on: Mapping[str, float]) -> ReviewSettings:
        """Read an entry's options (defaults filled in); `on` is each label's on-threshold."""
        return cls(
            ask=bool(opts[CONF_ASK_WHEN_UNSURE]),
            low=float(opts[CONF_UNSURE_LOW]),
            high=on,
            per_day=int(opts[CONF_REVIEWS_PER_DAY]),
            days=float(opts[CONF_PENDING_DAYS]),
            mb=float(opts[CONF_PENDING_MB]),
        )


class Reviews(CameraHelper):
    """Pending frames and review requests for one camera, and the verdict counts it shows."""

    def __init__(
        self,
        scope: CameraScope,
        *,
        settings: ReviewSettings,
        least_known: LeastKnown,
        on_change: Callable[[], None],
    ) -> None:
        """`least_known` picks the frame whose answer teaches; `on_change` follows `stats`."""
        super().__init__(scope)
        self.settings = settings
        self._least_known = least_known
        self._on_change = on_change
        self.stats = ReviewStats()
        self._asked_today = DailyCounter()
        self._asked_this_burst: set[str] = set()
        # During a burst, each label's least certain grey-zone frame so far: asked at its end.
        self._bursting = False
        self._candidates: dict[str, tuple[float, Frame]] = {}  # doubt, frame
        # The burst's frames, and the labels that fired in it: a label that neither fired nor had
        # a grey-zone frame asks about the frame least like any answered, if none is like it.
        self._burst: list[Frame] = []
        self._fired: set[str] = set()
        self._asked: deque[tuple[str, Vector]] = deque(maxlen=MAX_ASKED_KEPT)  # label, embedding

    @callback
    def async_start(self) -> Callable[[], None]:
        """Follow dataset changes (verdicts from any entry); returns the unsubscribe."""
        self._on_update()
        return async_dispatcher_connect(self.hass, SIGNAL_DATASET_UPDATED, self._on_update)

    @callback
    def _on_update(self) -> None:
        self._entry.async_create_background_task(
            self.hass, self.async_refresh(), "mlwatch feedback stats"
        )

    async def async_refresh(self) -> None:
        """Recount pending reviews and verdicts for this camera; a broken dataset keeps the last."""
        try:
            counts = await async_stats(self.hass, self.camera, self.watched)
        except DatasetError as err:
            async_report(self.hass, err)
            _LOGGER.warning("Cannot count the reviews of %s: %s", self.camera, err)
            return
        self.stats = ReviewStats.from_counts(counts)
        self._on_change()

    async def async_keep(self, item_id: str, label: str, source: str, frame: Frame) -> bool:
        """Store a frame for the user's verdict."""
        item = pending_item(
            item_id,
            label,
            source,
            frame.result,
            camera=self.camera,
            watched=self.watched,
            model_sha256=self.embedding_space,
            decision=frame.decisions.get(label),
        )
        return await async_save_pending(
            self.hass, item, frame, days=self.settings.days, mb=self.settings.mb
        )

    @callback
    def async_burst_started(self) -> None:
        """One question per label per burst is plenty: the least certain frame's."""
        self._asked_this_burst.clear()
        self._candidates.clear()
        self._burst.clear()
        self._fired.clear()
        self._bursting = True

    @callback
    def async_burst_ended(self, active: Mapping[str, object]) -> None:
        """Ask about each label's least certain frame of the burst, unless the label fired.

        A taught label with no grey-zone frame may be uninformed, not sure, where the burst shows
        what no answer showed: its score there is a guess, and a missed label is found only so
        (`least_known` with `novel` declines for a base label: the base model's score is informed).
        """
        self._bursting = False
        candidates, self._candidates = self._candidates, {}
        frames, self._burst = self._burst, []
        fired, self._fired = self._fired, set()
        for label in self.watched:
            if label in active:
                continue
            if label in candidates:
                self._ask(label, [candidates[label][1]], novel=False)
            elif label not in fired and frames:
                self._ask(label, frames, novel=True)

    @callback
    def async_frame(self, frame: Frame, active: Mapping[str, object]) -> None:
        """Ask "is this <label>?" when a watched label is in the grey zone and nothing fired."""
        if not self.settings.ask:
            return
        if self._bursting:
            self._fired.update(active)
            if frame.result.embedding is not None:
                self._burst.append(frame)
        for label in self.watched:
            # The score that decides: the personal model's doubt once it is active.
            decision = frame.decisions.get(label)
            score = frame.deciding(label)
            if label in active:
                self._candidates.pop(label, None)  # the detection asks Confirm / Reject instead
                continue
            if (
                label in self._asked_this_burst
                or not self.settings.low <= score < self.settings.high[label]
            ):
                continue
            if not self._bursting:
                self._ask(label, [frame], novel=False)  # a periodic frame: a window of one
                continue
            # The answer teaches the personal model most where it is least sure (near 0.5);
            # without one, where the deciding score is.
            learned = decision.personal if decision and decision.personal is not None else score
            doubt = abs(learned - 0.5)
            best = self._candidates.get(label)
            if best is None or doubt < best[0]:
                self._candidates[label] = (doubt, frame)

    @callback
    def _ask(self, label: str, frames: list[Frame], *, novel: bool) -> None:
        if self._asked_today.total() >= self.settings.per_day:
            return
        self._asked_this_burst.add(label)
        self._entry.async_create_background_task(
            self.hass, self._async_request(label, frames, novel=novel), "mlwatch review request"
        )

    async def _async_request(self, label: str, frames: list[Frame], *, novel: bool) -> None:
        # The empty mat again, or a frame like one answered: its answer would teach nothing.
        asked = [vector for about, vector in self._asked if about == label]
        embeddings = [f.result.embedding for f in frames if f.result.embedding is not None]
        index: int | None = 0  # a frame without an embedding cannot be compared: it is asked
        if len(embeddings) == len(frames):
            index = await self._least_known(label, embeddings, asked, novel=novel)
        if index is None:
            _LOGGER.debug("Not asking about %s on %s: nearly a known frame", label, self.camera)
            return
        if self._asked_today.total() >= self.settings.per_day:  # others asked meanwhile
            return
        frame = frames[index]
        score, embedding = frame.deciding(label), frame.result.embedding
        self._asked_today.add(label)
        if embedding is not None:
            self._asked.append((label, embedding))
        review_id = new_id()
        if not await self.async_keep(review_id, label, "review", frame):
            return
        self.hass.bus.async_fire(
            EVENT_REVIEW_REQUESTED,
            {
                "review_id": review_id,
                "detection_id": review_id,  # the same actions answer both
                "config_entry_id": self._entry.entry_id,
                "camera": self.camera,
                "label": label,
                "score": round(score, 4),
                "image_url": frame_url(self.hass, review_id, self.settings.days),
                "time": frame.at.isoformat(),
            },
        )
