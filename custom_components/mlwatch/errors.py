"""The one place an error becomes the translated exception HA shows."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .core.errors import MlwatchError


def translated[E: HomeAssistantError](
    kind: type[E],
    err: Exception,
    placeholders: Mapping[str, str] | None = None,
    key: str | None = None,
) -> E:
    """`kind` carrying `err`'s message, under `key` or else the `MlwatchError`'s own key."""
    return kind(
        translation_domain=DOMAIN,
        translation_key=key or (err.key if isinstance(err, MlwatchError) else MlwatchError.key),
        translation_placeholders={**(placeholders or {}), "error": str(err)},
    )
