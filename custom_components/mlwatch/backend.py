"""Where inference runs: the `Backend` protocol and the in-process backend."""

from __future__ import annotations

import hashlib
import importlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import HomeAssistant
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from .const import (
    CONF_DEVICE,
    CONF_LABELS_PATH,
    CONF_MEAN,
    CONF_MODEL,
    CONF_MODEL_PATH,
    CONF_STD,
    CONF_THREADS,
    DEFAULT_LABELS_FILE,
    DEFAULT_MODEL_FILE,
    DETECTOR_LABELS_FILE,
    DETECTOR_MODEL_FILE,
    DOMAIN,
    MODEL_CUSTOM,
    MODEL_DETECTOR,
    RUNTIME_REQUIREMENTS,
)
from .core.embedding import space
from .core.errors import MlwatchError, RuntimeUnavailableError
from .core.result import Result, Roi

if TYPE_CHECKING:
    from .core.engine import Classifier

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a backend runs, for entities, diagnostics and the options form."""

    name: str
    sha256: str
    # The digest naming its embeddings' space (`core.embedding.space`): what answers and
    # learned heads are keyed by. "" where there are none (DeepStack).
    embedding_space: str
    kind: str
    labels: list[str]
    groups: list[str]
    device: str
    fallback_reason: str | None


class ServerUnavailableError(MlwatchError):
    """No configured server answered."""

    key = "cannot_connect"


class ServerBusyError(ServerUnavailableError):
    """Every server answered that its queue is full: this frame is dropped, nothing is down."""

    key = "server_busy"


class ServerAuthError(MlwatchError):
    """The server refused the API key."""

    key = "invalid_auth"


class Backend(Protocol):
    """Runs the model somewhere; failures are `MlwatchError`s, the three above included."""

    info: ModelInfo

    async def classify(self, image: bytes, roi: Roi | None = None) -> Result:
        """Classify one JPEG/PNG frame."""

    async def close(self) -> None:
        """Release threads, sessions and the model."""


def model_paths(hass: HomeAssistant, data: dict[str, Any]) -> tuple[Path, Path]:
    """The model and labels files an entry names: bundled, or under the HA config directory."""
    if data.get(CONF_MODEL) == MODEL_CUSTOM:
        return Path(hass.config.path(data[CONF_MODEL_PATH])), Path(
            hass.config.path(data[CONF_LABELS_PATH])
        )
    if data.get(CONF_MODEL) == MODEL_DETECTOR:
        return DETECTOR_MODEL_FILE, DETECTOR_LABELS_FILE
    # Entries made before the detector have no model key or "default": the classifier.
    return DEFAULT_MODEL_FILE, DEFAULT_LABELS_FILE


async def async_ensure_runtime(hass: HomeAssistant) -> None:
    """Install the TFLite runtime and OpenCV through HA's requirements machinery, if needed."""
    try:
        await async_process_requirements(hass, DOMAIN, RUNTIME_REQUIREMENTS)
    except RequirementsNotFound as err:
        raise RuntimeUnavailableError(
            "The in-process backend needs ai-edge-litert and OpenCV, which cannot be installed on "
            "this system (Home Assistant OS and Container are musl-based); use an mlwatch server"
        ) from err


def _load(
    model: Path,
    labels: Path,
    device: str,
    threads: int,
    normalisation: tuple[float | None, float | None],
) -> tuple[Classifier, ModelInfo]:
    """Import the heavy modules and load the model (executor thread)."""
    try:
        engine = importlib.import_module(f"{__package__}.core.engine")
    except ImportError as err:
        raise RuntimeUnavailableError(f"OpenCV or numpy cannot be imported here: {err}") from err
    clf: Classifier = engine.Classifier(
        model,
        labels,
        engine.Settings(
            device=device,
            num_threads=threads,
            mean=normalisation[0],
            std=normalisation[1],
            detection_filter=engine.postprocess.ENTRY_FILTER,
            # The bundled detector learns on the bundled classifier's embedding of the region.
            embedder=(DEFAULT_MODEL_FILE, DEFAULT_LABELS_FILE)
            if model == DETECTOR_MODEL_FILE
            else None,
        ),
    )
    sha256 = hashlib.sha256(model.read_bytes()).hexdigest()
    info = ModelInfo(
        name=model.name,
        sha256=sha256,
        embedding_space=space(sha256, clf.settings.embedding_recipe),
        kind=str(clf.kind),
        labels=list(clf.labels),
        groups=sorted(clf.groups),
        device=clf.runner.device,
        fallback_reason=clf.runner.fallback_reason,
    )
    return clf, info


class LocalBackend:
    """The core running in this process, on one executor thread of its own per model."""

    def __init__(
        self, hass: HomeAssistant, executor: ThreadPoolExecutor, clf: Classifier, info: ModelInfo
    ) -> None:
        """Wrap a loaded classifier; use `create`."""
        self._hass = hass
        self._executor = executor
        self._classifier = clf
        self.info = info

    @classmethod
    async def create(
        cls, hass: HomeAssistant, data: dict[str, Any], options: dict[str, Any]
    ) -> LocalBackend:
        """Install the runtime if needed and load the model off the event loop."""
        await async_ensure_runtime(hass)
        model, labels = model_paths(hass, data)
        # One worker: the interpreter runs one frame at a time anyway, and a dedicated thread
        # keeps inference from starving HA's shared executor.
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{DOMAIN}_inference")
        try:
            clf, info = await hass.loop.run_in_executor(
                executor,
                _load,
                model,
                labels,
                data.get(CONF_DEVICE, "auto"),
                int(options.get(CONF_THREADS, 2)),
                (data.get(CONF_MEAN), data.get(CONF_STD)),
            )
        except Exception:
            # Let the worker thread end before reporting, so a failed load leaves nothing behind.
            await hass.async_add_executor_job(partial(executor.shutdown, wait=True))
            raise
        except BaseException:  # cancelled: do not await again
            executor.shutdown(wait=False)
            raise
        return cls(hass, executor, clf, info)

    async def classify(self, image: bytes, roi: Roi | None = None) -> Result:
        """Classify on the backend's own thread."""
        return await self._hass.loop.run_in_executor(
            self._executor, self._classifier.classify, image, roi
        )

    async def close(self) -> None:
        """Finish the frame in flight, then stop the thread."""
        await self._hass.async_add_executor_job(partial(self._executor.shutdown, wait=True))
