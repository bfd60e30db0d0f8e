"""The guard that fails a test when mlwatch blocks the event loop."""

from __future__ import annotations

import logging
from pathlib import Path

from homeassistant.core import HomeAssistant

from custom_components.mlwatch import backend
from tests import BlockingCallLog


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord(
        "homeassistant.util.loop", logging.WARNING, __file__, 1, message, None, None
    )


def test_guard_blames_only_mlwatch_code() -> None:
    ours = (
        "Detected blocking call to open with args ('/x/custom_components/mlwatch/m.tflite',) "
        "in /config/custom_components/mlwatch/backend.py, line 90: f.read() inside the event loop"
    )
    theirs = (
        "Detected blocking call to open with args ('/x/custom_components/mlwatch/s.json',) "
        "in /venv/site-packages/syrupy/serializer.py, line 142: with open(p) inside the event loop"
    )
    log = BlockingCallLog()
    log.emit(_record(theirs))
    assert log.found == []
    log.emit(_record(ours))
    assert log.found == [ours]


async def test_guard_is_on_while_hass_runs(hass: HomeAssistant) -> None:
    # A read on the loop is reported by HA's detector (and blamed on this test file, not mlwatch).
    handler = BlockingCallLog()
    reports: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            reports.append(record.getMessage())

    catch = Catch()
    logging.getLogger("homeassistant.util.loop").addHandler(catch)
    try:
        Path(backend.__file__).read_bytes()  # noqa: ASYNC240 - the blocking call under test
    finally:
        logging.getLogger("homeassistant.util.loop").removeHandler(catch)
    assert any("Detected blocking call to read_bytes" in r for r in reports)
    for r in reports:
        handler.emit(_record(r))
    assert handler.found == []
