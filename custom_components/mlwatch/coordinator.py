"""Frames in, debounced detections out: capture, classify, debounce, publish one snapshot."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from homeassistant.components import camera
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .announce import Announcer
from .backend import ServerAuthError, ServerBusyError
from .const import (
    CONF_CAMERA,
    CONF_COOLDOWN,
    CONF_K,
    CONF_LABEL_THRESHOLDS,
    CONF_N,
    CONF_OFF_THRESHOLD,
    CONF_ON_THRESHOLD,
    CONF_PRECISION_TARGET,
    CONF_ROI,
    CONF_WATCHED,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from .core.debounce import Cleared, DebounceConfig, Debouncer, Detected
from .core.errors import MlwatchError
from .core.result import Result, Roi
from .daily import DailyCounter
from .errors import translated
from .frame import DetectionRecord, Frame, FrameDroppedError
from .learn import Learner, LearningSettings
from .review import Reviews, ReviewSettings
from .scheduler import ScheduleConfig, Scheduler, SchedulerHooks
from .scope import CameraScope
from .snapshot import Episode, MlwatchData
from .timeline import ScoreHistory

if TYPE_CHECKING:
    from .backend import Backend

_LOGGER = logging.getLogger(__name__)

type MlwatchConfigEntry = ConfigEntry[MlwatchCoordinator]
# The backends whose results carry an embedding, which personal models learn from.
LEARNABLE_KINDS = ("classifier+embedding", "detector+embedding")


class MlwatchCoordinator(DataUpdateCoordinator[MlwatchData]):
    """Samples one camera and feeds the debouncer; everything that displays reads `data`."""

    config_entry: MlwatchConfigEntry

    def __init__(self, hass: HomeAssistant, entry: MlwatchConfigEntry, backend: Backend) -> None:
        """Read the entry's options; nothing runs until `async_start`."""
        self.camera: str = entry.data[CONF_CAMERA]
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=f"{DOMAIN} {self.camera}", update_interval=None
        )
        self.backend = backend
        opts: dict[str, Any] = {**DEFAULT_OPTIONS, **entry.options}
        self.watched: list[str] = list(opts[CONF_WATCHED])
        self.roi = Roi.parse(opts[CONF_ROI])
        on, off = float(opts[CONF_ON_THRESHOLD]), float(opts[CONF_OFF_THRESHOLD])
        # A label's own threshold (from the repair), never under the off-threshold set since.
        self.thresholds = {
            label: max(off, float(opts[CONF_LABEL_THRESHOLDS].get(label, on)))
            for label in self.watched
        }
        self.debouncer: Debouncer[Frame] = Debouncer(
            self.watched,
            DebounceConfig(
                on_threshold=on,
                off_threshold=off,
                on_thresholds=self.thresholds,
                k=int(opts[CONF_K]),
                n=int(opts[CONF_N]),
                cooldown=float(opts[CONF_COOLDOWN]),
            ),
            clock=time.monotonic,
        )
        self.frames_processed = 0
        self.frames_dropped = 0
        self.last_result: Result | None = None
        self.last_detection: DetectionRecord | None = None
        self.seen_today = DailyCounter()
        self.signal_event = f"{DOMAIN}_{entry.entry_id}_event"
        self.history = ScoreHistory(hass, self.camera, opts)
        info = backend.info
        scope = CameraScope(hass, entry, self.camera, self.watched, info.embedding_space)
        self.learner = Learner(
            scope,
            model_labels={*info.labels, *info.groups},
            settings=LearningSettings(on, off, self.thresholds, float(opts[CONF_PRECISION_TARGET])),
            available=info.kind in LEARNABLE_KINDS,
            classify=lambda image: backend.classify(image, None),
            on_change=self._publish,
        )
        self.reviews = Reviews(
            scope,
            settings=ReviewSettings.from_options(opts, self.thresholds),
            least_known=self.learner.async_least_known,
            on_change=self._publish,
        )
        self.scheduler = Scheduler(
            hass,
            entry,
            ScheduleConfig.from_options(opts),
            SchedulerHooks(
                take_frame=self._process_frame,
                tracking=lambda: bool(self.debouncer.active()),
                on_dropped=self._on_dropped,
                on_burst_started=self.reviews.async_burst_started,
                on_burst_ended=self._on_burst_ended,
            ),
        )
        self.announcer = Announcer(hass, entry, self.camera, self.signal_event, self.reviews)

    @callback
    def async_start(self) -> None:
        """Listen to triggers, the periodic scan and midnight; stopped with the entry."""
        entry = self.config_entry
        self.scheduler.async_start()
        entry.async_on_unload(
            async_track_time_change(self.hass, self._on_midnight, hour=0, minute=0, second=0)
        )
        entry.async_on_unload(self.reviews.async_start())
        entry.async_on_unload(self.history.async_start())

    async def async_start_learning(self) -> None:
        """Load the personal models before the first frame uses them; a failure keeps the base."""
        try:
            self.config_entry.async_on_unload(await self.learner.async_start())
        except MlwatchError as err:
            _LOGGER.warning(
                "Personal models of %s not loaded, the base model decides: %s", self.camera, err
            )

    async def async_release(self) -> None:
        """Unload: a retrain under way ends first, then the model is released."""
        await self.learner.async_stop()
        await self.backend.close()

    @callback
    def async_start_burst(self) -> None:
        """Sample a burst now, as a trigger would."""
        self.scheduler.async_start_burst()

    @property
    def bursting(self) -> bool:
        """Whether a burst (or the tracking of an open episode) is running."""
        return self.scheduler.bursting

    def _snapshot(self) -> MlwatchData:
        return MlwatchData(
            result=self.last_result,
            frames_processed=self.frames_processed,
            frames_dropped=self.frames_dropped,
            bursting=self.scheduler.bursting,
            open_episodes=MappingProxyType(
                {
                    label: Episode(d.detection_id, d.confidence)
                    for label, d in self.debouncer.active().items()
                }
            ),
            last_detection=self.last_detection,
            reviews=self.reviews.stats,
            seen_today=MappingProxyType(dict(self.seen_today.most_common())),
            learning=self.learner.status,
            learning_available=self.learner.available,
        )

    @callback
    def _publish(self) -> None:
        """A counter, the review stats or the day changed: not news of the camera's health."""
        self.data = self._snapshot()
        self.async_update_listeners()

    async def _async_update_data(self) -> MlwatchData:
        """One frame, not debounced: proves at setup that camera and model answer."""
        frame = await self.async_capture()
        self.frames_processed += 1
        self.last_result = frame.result
        return self._snapshot()

    async def async_capture(self) -> Frame:
        """Take a snapshot and classify it; failures become UpdateFailed with a clear message."""
        placeholders = {"camera": self.camera}
        try:
            image = await camera.async_get_image(self.hass, self.camera)
        except HomeAssistantError as err:
            raise translated(UpdateFailed, err, placeholders, key="camera_error") from err
        try:
            result = await self.backend.classify(image.content, self.roi)
        except ServerBusyError as err:
            raise translated(FrameDroppedError, err, placeholders) from err
        except ServerAuthError as err:
            # The server's key changed: ask the user for the new one (once, however many frames).
            self.config_entry.async_start_reauth(self.hass)
            raise translated(UpdateFailed, err, placeholders) from err
        except MlwatchError as err:
            raise translated(UpdateFailed, err, placeholders, key="inference_error") from err
        return Frame(image.content, result, dt_util.utcnow())

    async def _process_frame(self) -> None:
        """Capture, classify, debounce, tell everyone."""
        try:
            frame = await self.async_capture()
        except FrameDroppedError:
            # A busy server is alive: count the frame as dropped, as when we are busy ourselves.
            self._on_dropped()
            return
        except UpdateFailed as err:
            self.async_set_update_error(err)  # logs once, until the camera is back
            return
        if not self.last_update_success:
            _LOGGER.info("Snapshots from %s are classified again", self.camera)
        self.frames_processed += 1
        self.last_result = frame.result
        decisions = {label: self.learner.decide(label, frame.result) for label in self.watched}
        frame = replace(frame, decisions=MappingProxyType(decisions))
        scores = {label: d.score for label, d in decisions.items()}
        self.history.async_frame(frame.at.timestamp(), frame.result, scores)
        for event in self.debouncer.update(scores, frame):
            self._announce(event)
        self.reviews.async_frame(frame, self.debouncer.active())
        self.async_set_updated_data(self._snapshot())

    @callback
    def _announce(self, event: Detected[Frame] | Cleared) -> None:
        if isinstance(event, Detected):
            self.last_detection = DetectionRecord(event, dt_util.utcnow())
            self.history.async_episode(self.last_detection.at.timestamp(), event.label)
            self.seen_today.add(event.label)
        self.announcer.async_announce(event)

    @callback
    def _on_burst_ended(self) -> None:
        self.reviews.async_burst_ended(self.debouncer.active())
        self._publish()  # `bursting` is over

    @callback
    def _on_dropped(self) -> None:
        self.frames_dropped += 1
        self._publish()

    @callback
    def _on_midnight(self, _now: datetime) -> None:
        self.seen_today.roll()
        self._publish()
