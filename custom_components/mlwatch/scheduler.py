"""When to take a frame: bursts, trigger entities and the periodic scan; one frame at a time."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
    async_track_time_interval,
)

from .const import (
    CONF_BURST_INTERVAL,
    CONF_BURST_SIZE,
    CONF_CAMERA,
    CONF_SCAN_INTERVAL,
    CONF_TRIGGERS,
    DOMAIN,
    MAX_TRACKING_SECONDS,
)


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """How many frames a burst takes and how often; what starts one."""

    burst_size: int
    burst_interval: float
    scan_interval: float
    triggers: list[str]

    @classmethod
    def from_options(cls, opts: Mapping[str, Any]) -> ScheduleConfig:
        """Read an entry's options (defaults filled in)."""
        return cls(
            burst_size=int(opts[CONF_BURST_SIZE]),
            burst_interval=float(opts[CONF_BURST_INTERVAL]),
            scan_interval=float(opts[CONF_SCAN_INTERVAL]),
            triggers=list(opts[CONF_TRIGGERS]),
        )


@dataclass(frozen=True, slots=True)
class SchedulerHooks:
    """What the scheduler asks of its owner: take a frame, and hear what happened."""

    take_frame: Callable[[], Coroutine[Any, Any, None]]
    tracking: Callable[[], bool]  # an episode is open: keep the burst going
    on_dropped: Callable[[], None]
    on_burst_started: Callable[[], None]
    on_burst_ended: Callable[[], None]


class Scheduler:
    """Starts frames; drops (and reports) one that would overlap the frame in flight."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        config: ScheduleConfig,
        hooks: SchedulerHooks,
    ) -> None:
        """Schedule by `config`; nothing runs until `async_start` or `async_start_burst`."""
        self._hass = hass
        self._entry = entry
        self.config = config
        self._hooks = hooks
        self._name = entry.data[CONF_CAMERA]
        self.busy = False
        self.bursting = False
        self._remaining = 0
        self._started = 0.0
        self._next_tick: CALLBACK_TYPE | None = None
        entry.async_on_unload(self._cancel_tick)

    @callback
    def async_start(self) -> None:
        """Listen to the triggers and the periodic scan; stopped with the entry."""
        if self.config.triggers:
            self._entry.async_on_unload(
                async_track_state_change_event(self._hass, self.config.triggers, self._on_trigger)
            )
        if self.config.scan_interval > 0:
            self._entry.async_on_unload(
                async_track_time_interval(
                    self._hass, self._on_interval, timedelta(seconds=self.config.scan_interval)
                )
            )

    @callback
    def async_start_burst(self) -> None:
        """Sample `burst_size` frames; a trigger during a burst extends it instead of a second."""
        self._remaining = self.config.burst_size
        if self.bursting:
            if not self.busy:
                # Take the next frame now, not at the old tick up to an interval away.
                self._cancel_tick()
                self._tick()
            return
        self.bursting = True
        self._started = time.monotonic()
        self._hooks.on_burst_started()
        self._tick()

    @callback
    def _tick(self, _now: datetime | None = None) -> None:
        """One burst step: a frame, and the next step one interval later; a timer, not a task."""
        self._next_tick = None
        # Keep looking while an episode is open, so that it can clear; but not forever.
        if self._remaining <= 0 and not (
            self._hooks.tracking() and time.monotonic() - self._started < MAX_TRACKING_SECONDS
        ):
            self.bursting = False
            self._hooks.on_burst_ended()
            return
        self._remaining -= 1
        self._start_frame()
        self._next_tick = async_call_later(self._hass, self.config.burst_interval, self._tick)

    @callback
    def _cancel_tick(self) -> None:
        if self._next_tick is not None:
            self._next_tick()
            self._next_tick = None

    @callback
    def _start_frame(self) -> None:
        """Start a frame now, or drop it (and say so) if the previous one is still running."""
        if self.busy:
            self._hooks.on_dropped()
            return
        self.busy = True
        self._entry.async_create_background_task(
            self._hass, self._frame(), f"{DOMAIN} frame {self._name}"
        )

    async def _frame(self) -> None:
        try:
            await self._hooks.take_frame()
        finally:
            self.busy = False

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
