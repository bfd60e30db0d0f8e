"""Announcing an episode: keep its frame for review, then tell the bus and the event entity."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_CLEARED, EVENT_DETECTION
from .core.debounce import Cleared, Detected
from .feedback import frame_url

if TYPE_CHECKING:
    from .frame import Frame
    from .review import Reviews

_LOGGER = logging.getLogger(__name__)


class Announcer:
    """Announces one camera's episodes in order: a clear never overtakes its detection."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        camera: str,
        signal: str,
        reviews: Reviews,
    ) -> None:
        """Announce on the bus and on `signal` (the event entity's dispatcher signal)."""
        self._hass = hass
        self._entry = entry
        self._camera = camera
        self._signal = signal
        self._reviews = reviews
        self._announcing: asyncio.Task[None] | None = None

    @callback
    def async_announce(self, event: Detected[Frame] | Cleared) -> None:
        """Queue `event` behind the one before it."""
        previous = self._announcing
        self._announcing = self._entry.async_create_background_task(
            self._hass, self._async_announce(event, previous), f"{DOMAIN} announce {event.label}"
        )

    async def _async_announce(
        self, event: Detected[Frame] | Cleared, previous: asyncio.Task[None] | None
    ) -> None:
        if previous:
            # A clear never overtakes its detection; wait() so that a failed one stays its own.
            await asyncio.wait([previous])
        base = {
            "detection_id": event.detection_id,
            "config_entry_id": self._entry.entry_id,
            "camera": self._camera,
            "label": event.label,
        }
        if isinstance(event, Detected):
            # On disk before anyone hears of it, so the notification's image and buttons work;
            # but the event never depends on the dataset.
            try:
                await self._reviews.async_keep(
                    event.detection_id, event.label, "detection", event.best_frame
                )
            except Exception:  # any failure: the automations still hear of the detection
                _LOGGER.exception("Could not keep detection %s for review", event.detection_id)
            image_entity = er.async_get(self._hass).async_get_entity_id(
                "image", DOMAIN, f"{self._entry.entry_id}_detection_image"
            )
            decision = event.best_frame.decisions.get(event.label)
            personal = decision.personal if decision else None
            data = {
                **base,
                "decided_by": decision.decided_by if decision else "base",
                "base_score": round(decision.base if decision else event.best_score, 4),
                "personal_score": None if personal is None else round(personal, 4),
                "confidence": round(event.confidence, 4),
                "frames": [round(s, 4) for s in event.why],
                "best_score": round(event.best_score, 4),
                "time": dt_util.utcnow().isoformat(),
                "image_entity_id": image_entity,
                "image_url": frame_url(self._hass, event.detection_id, self._reviews.settings.days),
            }
            self._hass.bus.async_fire(EVENT_DETECTION, data)
        else:
            duration = round(event.at - event.started, 1)
            self._hass.bus.async_fire(
                EVENT_CLEARED, {**base, "time": dt_util.utcnow().isoformat(), "duration": duration}
            )
        async_dispatcher_send(self._hass, self._signal, event)
