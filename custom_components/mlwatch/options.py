"""The options form: its schema and the checks that span several fields."""

from __future__ import annotations

from typing import Any

from homeassistant.helpers import selector

from .const import (
    CONF_ASK_WHEN_UNSURE,
    CONF_BURST_INTERVAL,
    CONF_BURST_SIZE,
    CONF_COOLDOWN,
    CONF_HISTORY_DAYS,
    CONF_HISTORY_MB,
    CONF_K,
    CONF_N,
    CONF_OFF_THRESHOLD,
    CONF_ON_THRESHOLD,
    CONF_PENDING_DAYS,
    CONF_PENDING_MB,
    CONF_PRECISION_TARGET,
    CONF_REVIEWS_PER_DAY,
    CONF_ROI,
    CONF_SCAN_INTERVAL,
    CONF_THREADS,
    CONF_TRIGGERS,
    CONF_UNSURE_LOW,
    CONF_WATCHED,
)
from .core.result import Roi
from .validation import vol


def _number(
    low: float, high: float, step: float, unit: str | None = None
) -> selector.NumberSelector:
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def options_schema(current: dict[str, Any], labels: list[str]) -> Any:
    """The form, filled with `current`; `labels` are the choices for watched labels."""

    def field(key: str) -> Any:
        return vol.Required(key, default=current[key])

    return vol.Schema(
        {
            field(CONF_WATCHED): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=labels, multiple=True, mode=selector.SelectSelectorMode.DROPDOWN
                )
            ),
            field(CONF_ON_THRESHOLD): _number(0.05, 1.0, 0.01),
            field(CONF_OFF_THRESHOLD): _number(0.01, 1.0, 0.01),
            field(CONF_K): _number(1, 30, 1),
            field(CONF_N): _number(1, 30, 1),
            field(CONF_COOLDOWN): _number(0, 3600, 1, "s"),
            field(CONF_BURST_SIZE): _number(1, 120, 1),
            field(CONF_BURST_INTERVAL): _number(0.1, 10, 0.1, "s"),
            field(CONF_TRIGGERS): selector.EntitySelector(
                selector.EntitySelectorConfig(
                    domain=["binary_sensor", "event", "input_boolean"], multiple=True
                )
            ),
            field(CONF_SCAN_INTERVAL): _number(0, 86400, 1, "s"),
            vol.Optional(CONF_ROI, default=current[CONF_ROI]): selector.TextSelector(),
            field(CONF_THREADS): _number(1, 8, 1),
            field(CONF_ASK_WHEN_UNSURE): selector.BooleanSelector(),
            field(CONF_UNSURE_LOW): _number(0.01, 1.0, 0.01),
            field(CONF_REVIEWS_PER_DAY): _number(0, 50, 1),
            field(CONF_PENDING_DAYS): _number(1, 365, 1, "d"),
            field(CONF_PENDING_MB): _number(10, 100000, 10, "MB"),
            field(CONF_HISTORY_DAYS): _number(1, 90, 1, "d"),
            field(CONF_HISTORY_MB): _number(1, 1000, 1, "MB"),
            field(CONF_PRECISION_TARGET): _number(0.5, 0.99, 0.01),
        }
    )


INTEGER_OPTIONS = (
    CONF_K,
    CONF_N,
    CONF_BURST_SIZE,
    CONF_THREADS,
    CONF_COOLDOWN,
    CONF_REVIEWS_PER_DAY,
    CONF_PENDING_DAYS,
    CONF_PENDING_MB,
    CONF_HISTORY_DAYS,
    CONF_HISTORY_MB,
)


def normalize_options(data: dict[str, Any]) -> dict[str, Any]:
    """Number selectors answer with floats; counts are stored as integers."""
    return {**data, **{key: int(data[key]) for key in INTEGER_OPTIONS if key in data}}


def validate_options(data: dict[str, Any]) -> dict[str, str]:
    """Errors for combinations one field cannot check alone."""
    errors: dict[str, str] = {}
    if not data[CONF_WATCHED]:
        errors[CONF_WATCHED] = "nothing_watched"
    if data[CONF_OFF_THRESHOLD] > data[CONF_ON_THRESHOLD]:
        errors[CONF_OFF_THRESHOLD] = "off_above_on"
    if data.get(CONF_UNSURE_LOW, 0) >= data[CONF_ON_THRESHOLD]:
        errors[CONF_UNSURE_LOW] = "unsure_above_on"
    if data[CONF_K] > data[CONF_N]:
        errors[CONF_K] = "k_above_n"
    try:
        Roi.parse(data.get(CONF_ROI, ""))
    except ValueError:
        errors[CONF_ROI] = "invalid_roi"
    return errors
