"""Frames in, debounced detections out: bursts, periodic scans, triggers, dropped frames."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components import camera
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_BURST_INTERVAL,
    CONF_BURST_SIZE,
    CONF_CAMERA,
    CONF_COOLDOWN,
    CONF_K,
    CONF_N,
    CONF_OFF_THRESHOLD,
    CONF_ON_THRESHOLD,
    CONF_ROI,
    CONF_SCAN_INTERVAL,
    CONF_TRIGGERS,
    CONF_WATCHED,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_CLEARED,
    EVENT_DETECTION,
    MAX_TRACKING_SECONDS,
)
from .core.debounce import Cleared, DebounceConfig, Debouncer, Detected
from .core.errors import MlwatchError
from .core.result import Result, Roi
from .feedback import frame_url
from .frame import DetectionRecord, Frame, FrameDroppedError
from .remote import ServerAuthError, ServerBusyError
from .review import Reviews

if TYPE_CHECKING:
    from . import MlwatchConfigEntry
    from .backend import Backend

_LOGGER = logging.getLogger(__name__)


class MlwatchCoordinator(DataUpdateCoordinator[Result | None]):
    """Samples one camera and feeds the debouncer; entities and bus events read from here."""

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
        self.burst_size = int(opts[CONF_BURST_SIZE])
        self.burst_interval = float(opts[CONF_BURST_INTERVAL])
        self.scan_interval = float(opts[CONF_SCAN_INTERVAL])
        self.triggers: list[str] = list(opts[CONF_TRIGGERS])
        self.debouncer: Debouncer[Frame] = Debouncer(
            self.watched,
            DebounceConfig(
                on_threshold=float(opts[CONF_ON_THRESHOLD]),
                off_threshold=float(opts[CONF_OFF_THRESHOLD]),
                k=int(opts[CONF_K]),
                n=int(opts[CONF_N]),
                cooldown=float(opts[CONF_COOLDOWN]),
            ),
            clock=time.monotonic,
        )
        self.frames_processed = 0
        self.frames_dropped = 0
        self.last_frame: Frame | None = None
        self.last_detection: DetectionRecord | None = None
        self.seen_today: Counter[str] = Counter()
        self._today: date = dt_util.now().date()
        self._busy = False
        self._burst_remaining = 0
        self._burst_task: asyncio.Task[None] | None = None
        self.signal_event = f"{DOMAIN}_{entry.entry_id}_event"
        self.reviews = Reviews(hass, self, opts)
        self._announcing: asyncio.Task[None] | None = None

    @callback
    def async_start(self) -> None:
        """Listen to triggers, the periodic scan and midnight; stopped with the entry."""
        entry = self.config_entry
        if self.triggers:
            entry.async_on_unload(
                async_track_state_change_event(self.hass, self.triggers, self._on_trigger)
            )
        if self.scan_interval > 0:
            entry.async_on_unload(
                async_track_time_interval(
                    self.hass, self._on_interval, timedelta(seconds=self.scan_interval)
                )
            )
        entry.async_on_unload(
            async_track_time_change(self.hass, self._on_midnight, hour=0, minute=0, second=0)
        )
        entry.async_on_unload(self.reviews.async_start())

    async def _async_update_data(self) -> Result | None:
        """One frame, not debounced: proves at setup that camera and model answer."""
        frame = await self.async_capture()
        self.frames_processed += 1
        self.last_frame = frame
        return frame.result

    async def async_capture(self) -> Frame:
        """Take a snapshot and classify it; failures become UpdateFailed with a clear message."""
        try:
            image = await camera.async_get_image(self.hass, self.camera)
        except HomeAssistantError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="camera_error",
                translation_placeholders={"camera": self.camera, "error": str(err)},
            ) from err
        try:
            result = await self.backend.classify(image.content, self.roi)
        except ServerBusyError as err:
            raise FrameDroppedError(
                translation_domain=DOMAIN,
                translation_key="server_busy",
                translation_placeholders={"camera": self.camera, "error": str(err)},
            ) from err
        except ServerAuthError as err:
            # The server's key changed: ask the user for the new one (once, however many frames).
            self.config_entry.async_start_reauth(self.hass)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"camera": self.camera, "error": str(err)},
            ) from err
        except MlwatchError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="inference_error",
                translation_placeholders={"camera": self.camera, "error": str(err)},
            ) from err
        return Frame(image.content, result, dt_util.utcnow())

    async def _process_frame(self) -> None:
        """Capture, classify, debounce, tell everyone."""
        try:
            frame = await self.async_capture()
        except FrameDroppedError:
            # A busy server is alive: count the frame as dropped, as when we are busy ourselves.
            self.frames_dropped += 1
            self.async_update_listeners()
            return
        except UpdateFailed as err:
            self.async_set_update_error(err)  # logs once, until the camera is back
            return
        if not self.last_update_success:
            _LOGGER.info("Snapshots from %s are classified again", self.camera)
        self.frames_processed += 1
        self.last_frame = frame
        scores = {label: frame.result.score(label) for label in self.watched}
        for event in self.debouncer.update(scores, frame):
            self._announce(event)
        self.reviews.async_frame(frame)
        self.async_set_updated_data(frame.result)

    @callback
    def _announce(self, event: Detected[Frame] | Cleared) -> None:
        """Tell automations (bus), the event entity (dispatcher) and keep the frame for review."""
        if isinstance(event, Detected):
            self.last_detection = DetectionRecord(event, dt_util.utcnow())
            self._roll_day()
            self.seen_today[event.label] += 1
        previous = self._announcing
        self._announcing = self.config_entry.async_create_background_task(
            self.hass, self._async_announce(event, previous), f"{DOMAIN} announce {event.label}"
        )

    async def _async_announce(
        self, event: Detected[Frame] | Cleared, previous: asyncio.Task[None] | None
    ) -> None:
        if previous:
            # A clear never overtakes its detection; wait() so that a failed one stays its own.
            await asyncio.wait([previous])
        base = {
            "detection_id": event.detection_id,
            "config_entry_id": self.config_entry.entry_id,
            "camera": self.camera,
            "label": event.label,
        }
        if isinstance(event, Detected):
            # On disk before anyone hears of it, so the notification's image and buttons work;
            # but the event never depends on the dataset.
            try:
                await self.reviews.async_keep(
                    event.detection_id, event.label, "detection", event.best_frame
                )
            except Exception:  # any failure: the automations still hear of the detection
                _LOGGER.exception("Could not keep detection %s for review", event.detection_id)
            image_entity = er.async_get(self.hass).async_get_entity_id(
                "image", DOMAIN, f"{self.config_entry.entry_id}_detection_image"
            )
            data = {
                **base,
                "confidence": round(event.confidence, 4),
                "frames": [round(s, 4) for s in event.why],
                "best_score": round(event.best_score, 4),
                "time": dt_util.utcnow().isoformat(),
                "image_entity_id": image_entity,
                "image_url": frame_url(event.detection_id),
            }
            self.hass.bus.async_fire(EVENT_DETECTION, data)
        else:
            duration = round(event.at - event.started, 1)
            self.hass.bus.async_fire(
                EVENT_CLEARED, {**base, "time": dt_util.utcnow().isoformat(), "duration": duration}
            )
        async_dispatcher_send(self.hass, self.signal_event, event)

    @callback
    def _start_frame(self) -> None:
        """Start a frame now, or drop it (and count it) if the previous one is still running."""
        if self._busy:
            self.frames_dropped += 1
            self.async_update_listeners()
            return
        self._busy = True
        self.config_entry.async_create_background_task(
            self.hass, self._frame(), f"{DOMAIN} frame {self.camera}"
        )

    async def _frame(self) -> None:
        try:
            await self._process_frame()
        finally:
            self._busy = False

    @callback
    def async_start_burst(self) -> None:
        """Sample `burst_size` frames; a trigger during a burst extends it instead of a second."""
        self._burst_remaining = self.burst_size
        if self._burst_task is None or self._burst_task.done():
            self.reviews.async_burst_started()
            self._burst_task = self.config_entry.async_create_background_task(
                self.hass, self._run_burst(), f"{DOMAIN} burst {self.camera}"
            )

    @property
    def bursting(self) -> bool:
        """Whether a burst (or the tracking of an open episode) is running."""
        return self._burst_task is not None and not self._burst_task.done()

    async def _run_burst(self) -> None:
        started = time.monotonic()
        # Keep looking while an episode is open, so that it can clear; but not forever.
        while self._burst_remaining > 0 or (
            self.debouncer.active() and time.monotonic() - started < MAX_TRACKING_SECONDS
        ):
            self._burst_remaining = max(0, self._burst_remaining - 1)
            self._start_frame()
            await asyncio.sleep(self.burst_interval)

    @callback
    def _on_trigger(self, event: Event[EventStateChangedData]) -> None:
        """A doorbell pressed or motion seen: start (or extend) a burst."""
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or new.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return
        if new.domain != "event" and (new.state != STATE_ON or (old and old.state == STATE_ON)):
            return  # binary sensors and switches start a burst when they turn on
        if old is not None and old.state == new.state:  # attribute change, not a new event
            return
        self.async_start_burst()

    @callback
    def _on_interval(self, _now: datetime) -> None:
        if not self.bursting:  # a burst already samples faster
            self._start_frame()

    @callback
    def _roll_day(self) -> None:
        if (today := dt_util.now().date()) != self._today:
            self._today = today
            self.seen_today.clear()

    @callback
    def _on_midnight(self, _now: datetime) -> None:
        self._roll_day()
        self.async_update_listeners()
