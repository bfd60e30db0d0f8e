"""Every frame's scores into the camera's score history, off the loop, for the dashboard."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .const import CONF_HISTORY_DAYS, CONF_HISTORY_MB, DATASET_DIR
from .core.errors import DatasetError
from .core.history import History, Record, Timeline

if TYPE_CHECKING:
    from .core.result import Result

_LOGGER = logging.getLogger(__name__)
FLUSH_EVERY = timedelta(seconds=10)  # a crash loses at most this much of the heat map
TOP = 3


class ScoreHistory:
    """Buffers one camera's frames and writes them in the executor every few seconds."""

    def __init__(self, hass: HomeAssistant, camera: str, options: Mapping[str, Any]) -> None:
        """Kept under <config>/mlwatch/history/<camera>, as long and as large as the options say."""
        self.hass = hass
        folder = Path(hass.config.path(DATASET_DIR, "history", camera))
        self.store = History(
            folder,
            days=float(options[CONF_HISTORY_DAYS]),
            max_bytes=int(float(options[CONF_HISTORY_MB]) * 1_000_000),
        )
        self._buffer: list[Record] = []
        self._failing = False
        self._writing = asyncio.Lock()  # a reader waits for a write another request began

    @callback
    def async_start(self) -> Any:
        """Flush every few seconds; returns what stops it (and writes the rest)."""
        stop = async_track_time_interval(self.hass, self._async_flush, FLUSH_EVERY)

        @callback
        def finish() -> None:
            stop()
            self.hass.async_create_task(self._async_flush(), eager_start=True)

        return finish

    @callback
    def async_frame(self, at: float, result: Result, scores: Mapping[str, float]) -> None:
        """A classified frame: its top labels and the watched labels' deciding scores."""
        top = [label for label, _ in result.top[:TOP]]
        kept = dict(result.top[:TOP])
        self._buffer.append(Record(at, {**kept, **scores}, top))

    @callback
    def async_episode(self, at: float, label: str) -> None:
        """An episode of `label` began."""
        self._buffer.append(Record(at, {}, episode=label))

    async def _async_flush(self, _now: object = None) -> None:
        async with self._writing:
            records, self._buffer = self._buffer, []
            if not records:
                return
            try:
                await self.hass.async_add_executor_job(self.store.append, records)
            except DatasetError as err:
                if not self._failing:  # logged once until it works again
                    _LOGGER.warning("Cannot write the score history: %s", err)
                self._failing = True
                return
            self._failing = False

    async def async_timeline(
        self, labels: list[str], *, start: float, end: float, bucket: float
    ) -> Timeline:
        """The heat map's cells, read in the executor (what is buffered is written first)."""
        await self._async_flush()
        return await self.hass.async_add_executor_job(
            lambda: self.store.timeline(labels, start=start, end=end, bucket=bucket)
        )

    async def async_tags(self, *, start: float, end: float) -> Counter[str]:
        """The tag cloud's counts, read in the executor."""
        await self._async_flush()
        return await self.hass.async_add_executor_job(lambda: self.store.tags(start=start, end=end))

    async def async_frames(self, *, start: float, end: float, limit: int) -> list[Record]:
        """The newest `limit` frames in [start, end), newest first, read in the executor."""
        await self._async_flush()

        def read() -> list[Record]:
            frames = [r for r in self.store.records(start, end) if r.episode is None]
            return frames[::-1][:limit]

        return await self.hass.async_add_executor_job(read)
