"""The coordinator's human-in-the-loop side: keep detections for a verdict, ask when unsure."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ASK_WHEN_UNSURE,
    CONF_ON_THRESHOLD,
    CONF_PENDING_DAYS,
    CONF_PENDING_MB,
    CONF_REVIEWS_PER_DAY,
    CONF_UNSURE_LOW,
    EVENT_REVIEW_REQUESTED,
    SIGNAL_DATASET_UPDATED,
)
from .core.dataset import PendingItem, new_id
from .core.errors import DatasetError
from .feedback import async_report, async_save_pending, async_stats, frame_url

if TYPE_CHECKING:
    from .coordinator import MlwatchCoordinator
    from .frame import Frame

_LOGGER = logging.getLogger(__name__)


class Reviews:
    """Pending frames and review requests for one camera, and the verdict counts it shows."""

    def __init__(
        self, hass: HomeAssistant, coordinator: MlwatchCoordinator, opts: dict[str, Any]
    ) -> None:
        """Read the review options."""
        self.hass = hass
        self.coordinator = coordinator
        self.ask = bool(opts[CONF_ASK_WHEN_UNSURE])
        self.low = float(opts[CONF_UNSURE_LOW])
        self.high = float(opts[CONF_ON_THRESHOLD])
        self.per_day = int(opts[CONF_REVIEWS_PER_DAY])
        self.days = float(opts[CONF_PENDING_DAYS])
        self.mb = float(opts[CONF_PENDING_MB])
        self.stats: dict[str, Any] = {"pending": 0, "confirmed": 0, "rejected": 0, "precision": {}}
        self._asked_today = 0
        self._day: date = dt_util.now().date()
        self._asked_this_burst: set[str] = set()

    @callback
    def async_start(self) -> Callable[[], None]:
        """Follow dataset changes (verdicts from any entry); returns the unsubscribe."""
        self.coordinator.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), "mlwatch feedback stats"
        )
        return async_dispatcher_connect(self.hass, SIGNAL_DATASET_UPDATED, self._on_update)

    @callback
    def _on_update(self) -> None:
        self.coordinator.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), "mlwatch feedback stats"
        )

    async def async_refresh(self) -> None:
        """Recount pending reviews and verdicts for this camera; a broken dataset keeps the last."""
        try:
            self.stats = await async_stats(
                self.hass, self.coordinator.camera, self.coordinator.watched
            )
        except DatasetError as err:
            async_report(self.hass, err)
            _LOGGER.warning("Cannot count the reviews of %s: %s", self.coordinator.camera, err)
            return
        self.coordinator.async_update_listeners()

    def _item(self, item_id: str, label: str, source: str, frame: Frame) -> PendingItem:
        result = frame.result
        scores = {name: round(score, 4) for name, score in result.top}
        scores.update({w: round(result.score(w), 4) for w in self.coordinator.watched})
        return PendingItem(
            item_id,
            self.coordinator.camera,
            label,
            source,
            scores,
            self.coordinator.backend.info.sha256,
        )

    async def async_keep(self, item_id: str, label: str, source: str, frame: Frame) -> bool:
        """Store a frame for the user's verdict."""
        item = self._item(item_id, label, source, frame)
        return await async_save_pending(
            self.hass, item, frame.image, frame.result.roi, days=self.days, mb=self.mb
        )

    @callback
    def async_burst_started(self) -> None:
        """One question per label per burst is plenty."""
        self._asked_this_burst.clear()

    @callback
    def async_frame(self, frame: Frame) -> None:
        """Ask "is this <label>?" when a watched label is in the grey zone and nothing fired."""
        if not self.ask:
            return
        if (today := dt_util.now().date()) != self._day:
            self._day, self._asked_today = today, 0
        active = self.coordinator.debouncer.active()
        for label in self.coordinator.watched:
            score = frame.result.score(label)
            if (
                label in active
                or label in self._asked_this_burst
                or not self.low <= score < self.high
            ):
                continue
            if self._asked_today >= self.per_day:
                return
            self._asked_today += 1
            self._asked_this_burst.add(label)
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self._async_request(label, score, frame), "mlwatch review request"
            )

    async def _async_request(self, label: str, score: float, frame: Frame) -> None:
        review_id = new_id()
        if not await self.async_keep(review_id, label, "review", frame):
            return
        self.hass.bus.async_fire(
            EVENT_REVIEW_REQUESTED,
            {
                "review_id": review_id,
                "detection_id": review_id,  # the same actions answer both
                "config_entry_id": self.coordinator.config_entry.entry_id,
                "camera": self.coordinator.camera,
                "label": label,
                "score": round(score, 4),
                "image_url": frame_url(review_id),
                "time": frame.at.isoformat(),
            },
        )
