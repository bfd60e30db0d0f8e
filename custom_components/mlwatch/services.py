"""Every action: classify and scan a camera, and turn the user's answers into training data."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .annotate import crop
from .const import (
    ATTR_CAMERA,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DETECTION_ID,
    ATTR_LABEL,
    ATTR_PATH,
    ATTR_VERDICT,
    CONF_CAMERA,
    DATASET_DIR,
    DOMAIN,
    SERVICE_CLASSIFY,
    SERVICE_CONFIRM,
    SERVICE_EXPORT,
    SERVICE_REJECT,
    SERVICE_RESET,
    SERVICE_RETRAIN,
    SERVICE_REVIEW_FRAME,
    SERVICE_ROLLBACK,
    SERVICE_SCAN,
    SERVICE_TEACH,
)
from .coordinator import MlwatchConfigEntry, MlwatchCoordinator
from .core.dataset import VERDICTS, Dataset, PendingItem, check_label, new_id
from .core.errors import DatasetError, InvalidLabelError, MlwatchError, UnknownItemError
from .core.result import FULL_FRAME
from .core.wire import result_to_json
from .errors import translated
from .feedback import (
    async_dataset_job,
    async_report,
    async_written,
    packed_embedding,
    pending_item,
)
from .frame import Frame
from .learn import Learner
from .validation import vol

EXPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TARGET_FIELDS = {
    vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "target"): cv.string,
    vol.Exclusive(ATTR_CAMERA, "target"): cv.entity_id,
}
TARGET_SCHEMA = vol.Schema(TARGET_FIELDS)
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
TEACH_SCHEMA = REVIEW_SCHEMA.extend({vol.Optional(ATTR_DETECTION_ID): cv.string})
LABEL_SCHEMA = vol.Schema({**TARGET_FIELDS, vol.Required(ATTR_LABEL): cv.string})
EXPORT_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Optional(ATTR_PATH): cv.string}
)


def async_entry_for_call(hass: HomeAssistant, call: ServiceCall) -> MlwatchConfigEntry:
    """The loaded entry an action names, by entry id or by camera."""
    return async_entry_for(
        hass, entry_id=call.data.get(ATTR_CONFIG_ENTRY_ID), camera=call.data.get(ATTR_CAMERA)
    )


def async_entry_for(
    hass: HomeAssistant, *, entry_id: str | None = None, camera: str | None = None
) -> MlwatchConfigEntry:
    """The loaded entry of an entry id or a camera; translated errors when there is none."""
    if entry_id:
        entry = hass.config_entries.async_get_entry(entry_id)
        target = entry_id
    elif camera:
        entry = next(
            (e for e in hass.config_entries.async_entries(DOMAIN) if e.data[CONF_CAMERA] == camera),
            None,
        )
        target = camera
    else:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target")
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"target": target},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"target": entry.title},
        )
    return entry


async def _capture(coordinator: MlwatchCoordinator, key: str) -> Frame:
    """A snapshot classified now; a camera or model failure is the action's translated error."""
    try:
        return await coordinator.async_capture()
    except UpdateFailed as err:
        raise translated(HomeAssistantError, err, {"camera": coordinator.camera}, key=key) from err


async def _classify(call: ServiceCall) -> ServiceResponse:
    """Classify the camera's current frame; does not feed the debouncer."""
    entry = async_entry_for_call(call.hass, call)
    coordinator = entry.runtime_data
    result = (await _capture(coordinator, "classify_failed")).result
    wire = result_to_json(result)
    timings = {k: round(v, 2) for k, v in asdict(result.timings).items()}
    return {
        "camera": coordinator.camera,
        "config_entry_id": entry.entry_id,
        "labels": [{**t, "score": round(t["score"], 4)} for t in wire["top"]],
        "groups": {name: round(score, 4) for name, score in wire["groups"].items()},
        "watched": {label: round(result.score(label), 4) for label in coordinator.watched},
        "detections": [
            {**d, "score": round(d["score"], 4), "box": [round(v, 4) for v in d["box"]]}
            for d in wire["detections"]
        ],
        "timings_ms": {**timings, "total": round(result.timings.total, 2)},
        "frame_size": [wire["frame"]["width"], wire["frame"]["height"]],
    }


async def _scan(call: ServiceCall) -> None:
    """Start a burst now, as a trigger would."""
    async_entry_for_call(call.hass, call).runtime_data.async_start_burst()


async def _run[T](hass: HomeAssistant, job: Callable[[Dataset], T]) -> T:
    """Run `job(dataset)` in the executor; loading or running, errors become translated ones."""
    try:
        result = await async_dataset_job(hass, job)
    except (UnknownItemError, InvalidLabelError) as err:
        raise translated(ServiceValidationError, err) from err
    except DatasetError as err:
        raise async_report(hass, err) from err
    async_written(hass)
    return result


async def async_answer(
    hass: HomeAssistant, item_id: str, verdict: str, label: str | None = None
) -> dict[str, Any]:
    """File the user's verdict on a pending item (and the real label of a wrong one)."""
    row = await _run(hass, lambda store: store.record(item_id, verdict, label))
    return {k: row[k] for k in ("id", "camera", "label", "verdict", "corrected_label")}


def _verdict_handler(verdict: str) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        item_id, label = call.data[ATTR_DETECTION_ID], call.data.get(ATTR_LABEL)
        return await async_answer(call.hass, item_id, verdict, label)

    return handle


def _file_example(store: Dataset, item: PendingItem, frame: Frame, verdict: str) -> dict[str, str]:
    """Executor: crop like the model does, then file the example with its embedding."""
    roi, image = frame.result.roi, frame.image
    return store.add_example(
        item,
        image,
        crop(image, None if roi == FULL_FRAME else roi),
        verdict,
        packed_embedding(frame.result, item.model_sha256),
    )


async def _review_frame(call: ServiceCall, source: str = "manual") -> ServiceResponse:
    """File the camera's current frame as an example (for misses the model never flagged)."""
    coordinator = async_entry_for_call(call.hass, call).runtime_data
    label = call.data[ATTR_LABEL]
    try:
        check_label(label)
    except InvalidLabelError as err:
        raise translated(ServiceValidationError, err) from err
    frame = await _capture(coordinator, "capture_failed")
    item = pending_item(
        new_id(),
        label,
        source,
        frame.result,
        camera=coordinator.camera,
        watched=coordinator.watched,
        model_sha256=coordinator.backend.info.embedding_space,
    )
    job = partial(_file_example, item=item, frame=frame, verdict=call.data[ATTR_VERDICT])
    row = await _run(call.hass, job)
    return {k: row[k] for k in ("id", "camera", "label", "verdict")}


async def _teach(call: ServiceCall) -> ServiceResponse:
    """File a pending item, or the camera's current frame, under any label, new or not."""
    if (item_id := call.data.get(ATTR_DETECTION_ID)) is None:
        return await _review_frame(call, "teach")
    label, verdict = call.data[ATTR_LABEL], call.data[ATTR_VERDICT]
    row = await _run(call.hass, lambda store: store.teach(item_id, label, verdict))
    return {k: row[k] for k in ("id", "camera", "label", "verdict")}


def _learner(call: ServiceCall) -> Learner:
    learner = async_entry_for_call(call.hass, call).runtime_data.learner
    if not learner.available:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="learning_unavailable",
            translation_placeholders={"camera": learner.camera},
        )
    return learner


async def _retrain(call: ServiceCall) -> ServiceResponse:
    """Retrain the camera's personal models now; answers their evaluated state."""
    status = await _learner(call).async_retrain(force=True)
    return {label: s.as_dict() for label, s in status.items()}


async def _rollback(call: ServiceCall) -> ServiceResponse:
    """Go back to a label's previous personal model."""
    try:
        version = await _learner(call).async_rollback(call.data[ATTR_LABEL])
    except MlwatchError as err:
        raise translated(ServiceValidationError, err) from err
    return {"label": call.data[ATTR_LABEL], "version": version}


async def _reset(call: ServiceCall) -> None:
    """Forget a label's personal model: the base model decides again."""
    try:
        await _learner(call).async_reset(call.data[ATTR_LABEL])
    except MlwatchError as err:
        raise translated(ServiceValidationError, err) from err


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
        camera = async_entry_for_call(hass, call).runtime_data.camera
    return await _run(hass, lambda store: store.export(root / name, camera=camera))


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    register = partial(hass.services.async_register, DOMAIN)
    register(SERVICE_CLASSIFY, _classify, TARGET_SCHEMA, SupportsResponse.ONLY)
    register(SERVICE_SCAN, _scan, TARGET_SCHEMA)
    optional = SupportsResponse.OPTIONAL
    register(SERVICE_CONFIRM, _verdict_handler("confirmed"), VERDICT_SCHEMA, optional)
    register(SERVICE_REJECT, _verdict_handler("rejected"), VERDICT_SCHEMA, optional)
    register(SERVICE_REVIEW_FRAME, _review_frame, REVIEW_SCHEMA, optional)
    register(SERVICE_EXPORT, _export, EXPORT_SCHEMA, optional)
    register(SERVICE_TEACH, _teach, TEACH_SCHEMA, optional)
    register(SERVICE_RETRAIN, _retrain, TARGET_SCHEMA, optional)
    register(SERVICE_ROLLBACK, _rollback, LABEL_SCHEMA, optional)
    register(SERVICE_RESET, _reset, LABEL_SCHEMA)
