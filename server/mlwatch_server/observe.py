"""Counters for `/metrics` and one JSON object per log line."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import RequestPayloadError

# Log record attributes every record has; anything else was passed as `extra` and is logged.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", ...extra}`: parseable by log shippers, one per line."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON."""
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def setup_logging(level: str) -> None:
    """Send every logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class _BadRequests(logging.Filter):
    """A malformed request is the client's fault: a warning line, not aiohttp's ERROR traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        client = isinstance(exc, HttpProcessingError) and exc.code < 500
        if client or isinstance(exc, RequestPayloadError):  # a body that does not decode
            record.msg = f"{record.getMessage()}: {' '.join(str(exc).split())}"
            record.args, record.exc_info, record.exc_text = (), None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_bad_requests() -> None:
    """Install the filter on aiohttp's server logger, once."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _BadRequests) for f in logger.filters):
        logger.addFilter(_BadRequests())


class Metrics:
    """Request, rejection and latency counters since start."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.inferences = 0
        self.inference_ms_total = 0.0
        # The last 1000 are enough for percentiles and bound the memory.
        self._recent: deque[float] = deque(maxlen=1000)
        self._sorted: list[float] | None = None  # sorted once per new inference, not per refusal

    def inference(self, ms: float) -> None:
        """Count one classification and its time on the interpreter thread."""
        self.inferences += 1
        self.inference_ms_total += ms
        self._recent.append(ms)
        self._sorted = None

    def percentile(self, p: float) -> float | None:
        """The p-quantile of the recent inference times (ms), None before the first."""
        if self._sorted is None:
            self._sorted = sorted(self._recent)
        recent = self._sorted
        return round(recent[min(len(recent) - 1, int(p * len(recent)))], 3) if recent else None

    def snapshot(self, queue: dict[str, int]) -> dict[str, Any]:
        """Everything as JSON types."""
        pct = self.percentile

        return {
            "uptime_s": round(time.monotonic() - self.started, 1),
            "requests": dict(self.requests),
            "responses": dict(self.responses),
            "rejected": dict(self.rejected),
            "queue": queue,
            "inference": {
                "count": self.inferences,
                "ms_total": round(self.inference_ms_total, 1),
                "ms_p50": pct(0.5),
                "ms_p95": pct(0.95),
            },
        }
