"""`mlwatch-server`: load the model, then serve until SIGTERM or Ctrl-C."""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Sequence

from mlwatch_core.engine import Classifier, Settings
from mlwatch_core.errors import MlwatchError
from mlwatch_core.postprocess import ENTRY_FILTER, DetectionFilter

from . import __version__
from .app import create_app
from .auth import STATE, is_loopback
from .config import ServerConfig, parse
from .conn import run
from .observe import setup_logging

_LOGGER = logging.getLogger("mlwatch_server")
# Clients filter boxes themselves (DeepStack's min_confidence); keep all but the noise.
MIN_DETECTION_SCORE = 0.05


def load(config: ServerConfig) -> list[Classifier]:
    """One classifier per worker; several Corals are addressed as usb:0, usb:1, ..."""
    classifiers = []
    for i in range(config.workers):
        device = config.device
        if config.workers > 1 and device in ("usb", "pci"):
            device = f"{device}:{i}"
        settings = Settings(
            device=device,
            num_threads=config.threads,
            max_pixels=config.max_pixels,
            detection_filter=DetectionFilter(
                min_score=MIN_DETECTION_SCORE,
                min_area=ENTRY_FILTER.min_area,
                max_area=ENTRY_FILTER.max_area,
            ),
            embedder=config.embedder,
        )
        classifiers.append(Classifier(config.model, config.labels, settings))
    return classifiers


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server; exit 2 when the model cannot be loaded."""
    config = parse(argv)
    setup_logging(config.log_level)
    try:
        classifiers = load(config)
        sha256 = hashlib.sha256(config.model.read_bytes()).hexdigest()
    except (MlwatchError, OSError) as err:
        _LOGGER.error("Cannot load the model: %s", err, extra={"model": str(config.model)})  # noqa: TRY400 - the message is the whole story
        return 2
    first = classifiers[0]
    if config.api_key is None and not is_loopback(config.host):
        if config.allow_remote_without_key:
            _LOGGER.warning("No API key and remote clients allowed: anyone on the network may call")
        else:
            _LOGGER.warning("No API key: only clients on this machine will be answered")
    _LOGGER.info(
        "mlwatch-server %s serving %s on %s (%s)",
        __version__,
        config.model.name,
        first.runner.device,
        first.kind,
        extra={"host": config.host, "port": config.port, "workers": config.workers},
    )
    app = create_app(config, classifiers, sha256)
    run(app, app[STATE].connections, config.host, config.port, config.shutdown_timeout)
    _LOGGER.info("Stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
