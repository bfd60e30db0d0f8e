"""Actions that turn the user's answers into training data: confirm, reject, review, export."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .annotate import crop
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DETECTION_ID,
    ATTR_LABEL,
    ATTR_PATH,
    ATTR_VERDICT,
    DATASET_DIR,
    DOMAIN,
    SERVICE_CONFIRM,
    SERVICE_EXPORT,
    SERVICE_REJECT,
    SERVICE_REVIEW_FRAME,
)
from .core.dataset import VERDICTS, Dataset, PendingItem, check_label, new_id
from .core.errors import DatasetError, InvalidLabelError, UnknownItemError
from .core.result import FULL_FRAME, Roi
from .feedback import async_get_dataset, async_report, async_written
from .services import TARGET_FIELDS, async_capture_for_action, async_entry_for_call
from .validation import vol

EXPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

VERDICT_SCHEMA = vol.Schema(
    {vol.Required(ATTR_DETECTION_ID): cv.string, vol.Optional(ATTR_LABEL): cv.string}
)
REVIEW_SCHEMA = vol.Schema(
    {
        **TARGET_FIELDS,
        vol.Required(ATTR_LABEL): cv.string,
        vol.Required(ATTR_VERDICT): vol.In(VERDICTS),
    }
)
EXPORT_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Optional(ATTR_PATH): cv.string}
)


async def _run[T](hass: HomeAssistant, job: Callable[[Dataset], T]) -> T:
    """Run `job(dataset)` in the executor; loading or running, errors become translated ones."""
    try:
        store = await async_get_dataset(hass)
        result = await hass.async_add_executor_job(job, store)
    except (UnknownItemError, InvalidLabelError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.key,
            translation_placeholders={"error": str(err)},
        ) from err
    except DatasetError as err:
        raise async_report(hass, err) from err
    async_written(hass)
    return result


def _verdict_handler(verdict: str) -> Any:  # noqa: ANN401
    async def handle(call: ServiceCall) -> ServiceResponse:
        item_id, label = call.data[ATTR_DETECTION_ID], call.data.get(ATTR_LABEL)
        row = await _run(call.hass, lambda store: store.record(item_id, verdict, label))
        return {k: row[k] for k in ("id", "camera", "label", "verdict", "corrected_label")}

    return handle


def _file_example(
    store: Dataset, item: PendingItem, image: bytes, verdict: str, roi: Roi
) -> dict[str, str]:
    """Executor: crop like the model does, then file the example."""
    return store.add_example(item, image, crop(image, None if roi == FULL_FRAME else roi), verdict)


async def _review_frame(call: ServiceCall) -> ServiceResponse:
    """File the camera's current frame as an example (for misses the model never flagged)."""
    entry = async_entry_for_call(call.hass, call)
    coordinator = entry.runtime_data.coordinator
    label = call.data[ATTR_LABEL]
    try:
        check_label(label)
    except InvalidLabelError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.key,
            translation_placeholders={"error": str(err)},
        ) from err
    frame = await async_capture_for_action(coordinator, "capture_failed")
    scores = {name: round(score, 4) for name, score in frame.result.top}
    item = PendingItem(
        new_id(), coordinator.camera, label, "manual", scores, coordinator.backend.info.sha256
    )
    job = partial(
        _file_example,
        item=item,
        image=frame.image,
        verdict=call.data[ATTR_VERDICT],
        roi=frame.result.roi,
    )
    row = await _run(call.hass, job)
    return {k: row[k] for k in ("id", "camera", "label", "verdict")}


async def _export(call: ServiceCall) -> ServiceResponse:
    """Write an ImageFolder export a trainer can read; only inside <config>/mlwatch/exports."""
    hass = call.hass
    root = Path(hass.config.path(DATASET_DIR, "exports"))
    name = call.data.get(ATTR_PATH) or dt_util.now().strftime("%Y%m%d-%H%M%S")
    if not EXPORT_NAME.match(name):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="export_path",
            translation_placeholders={"root": str(root), "path": name},
        )
    camera = None
    if ATTR_CONFIG_ENTRY_ID in call.data:
        camera = async_entry_for_call(hass, call).runtime_data.coordinator.camera
    return await _run(hass, lambda store: store.export(root / name, camera=camera))


@callback
def async_setup_feedback_services(hass: HomeAssistant) -> None:
    """Register the feedback actions."""
    for service, verdict in ((SERVICE_CONFIRM, "confirmed"), (SERVICE_REJECT, "rejected")):
        hass.services.async_register(
            DOMAIN,
            service,
            _verdict_handler(verdict),
            schema=VERDICT_SCHEMA,
            supports_response=SupportsResponse.OPTIONAL,
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_REVIEW_FRAME,
        _review_frame,
        schema=REVIEW_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT,
        _export,
        schema=EXPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
