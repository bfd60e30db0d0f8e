"""Repairs: the threshold that reaches the precision target on the user's answers, in one click."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import slugify

from .const import CONF_LABEL_THRESHOLDS, DOMAIN
from .snapshot import LabelLearning
from .validation import vol

# HA 2026 types a repair step's result as RepairsFlowResult, 2025.4 as data_entry_flow's FlowResult.
type StepResult = Any
THRESHOLD_ISSUE = "better_threshold"
# Smaller changes are noise from a handful of answers, not worth the user's click.
MIN_CHANGE = 0.05


def threshold_issue_id(entry_id: str, label: str) -> str:
    """One issue per entry and label."""
    return f"{THRESHOLD_ISSUE}_{entry_id}_{slugify(label)}"


@callback
def async_offer_threshold(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    label: str,
    status: LabelLearning,
    off_threshold: float,
) -> None:
    """Offer the suggested threshold of a watched label when it differs enough from its own."""
    issue_id = threshold_issue_id(entry.entry_id, label)
    suggested = status.suggested_threshold
    # Never under the off-threshold: an episode could then never end.
    offered = None if suggested is None else max(suggested, off_threshold)
    if offered is None or abs(offered - status.threshold) < MIN_CHANGE:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    target = status.report.get("precision_target", 0.0)
    placeholders = {
        "label": label,
        "camera": entry.title,
        "threshold": f"{offered:.2f}",
        "current": f"{status.threshold:.2f}",
        "target": f"{float(target) * 100:.0f}",
        "answers": str(status.positives + status.negatives),
    }
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=THRESHOLD_ISSUE,
        translation_placeholders=placeholders,
        data={"entry_id": entry.entry_id, **placeholders},
    )


class ThresholdFlow(RepairsFlow):
    """Apply the offered threshold to the label; the entry reloads with it."""

    def __init__(self, data: dict[str, Any]) -> None:
        """`data` is what the issue was created with."""
        self._data = data

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> StepResult:
        """The only step is the confirmation."""
        del user_input  # the form is the confirm step's
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> StepResult:
        """Show the change; on confirm, store the label's threshold and reload the entry."""
        entry = self.hass.config_entries.async_get_entry(str(self._data["entry_id"]))
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is None:
            placeholders = {k: str(v) for k, v in self._data.items() if k != "entry_id"}
            return self.async_show_form(
                step_id="confirm", data_schema=vol.Schema({}), description_placeholders=placeholders
            )
        label, threshold = str(self._data["label"]), float(self._data["threshold"])
        thresholds = {**entry.options.get(CONF_LABEL_THRESHOLDS, {}), label: threshold}
        options = {**entry.options, CONF_LABEL_THRESHOLDS: thresholds}
        if self.hass.config_entries.async_update_entry(entry, options=options):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow of a threshold issue (the only fixable kind)."""
    del hass, issue_id
    return ThresholdFlow(data or {})
