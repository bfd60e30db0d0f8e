"""Who may call: the API key (Bearer or DeepStack's field), else this machine only."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from mlwatch_core.engine import Classifier
from mlwatch_core.postprocess import Kind

from .config import ServerConfig
from .conn import ConnectionGuard
from .errors import ApiError
from .observe import Metrics
from .pool import InferencePool


@dataclass(slots=True)
class State:
    """What the handlers share."""

    config: ServerConfig
    pool: InferencePool[Classifier]
    model: dict[str, Any]
    kind: Kind
    connections: ConnectionGuard
    metrics: Metrics = field(default_factory=Metrics)
    _key_digest: bytes | None = None

    def __post_init__(self) -> None:
        """Keep only a digest of the key: compared digests take the same time for any input."""
        if self.config.api_key is not None:  # never empty: ServerConfig refuses that
            self._key_digest = hashlib.sha256(self.config.api_key.encode()).digest()

    def check_key(self, given: str | None) -> bool:
        """Whether `given` is the API key, compared in constant time."""
        if self._key_digest is None:
            return True
        digest = hashlib.sha256((given or "").encode()).digest()
        return hmac.compare_digest(digest, self._key_digest) and given is not None


STATE = web.AppKey("state", State)


def is_loopback(remote: str | None) -> bool:
    """Whether an address (or the host name `localhost`) is this machine."""
    if remote == "localhost":
        return True
    try:
        return remote is not None and ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:  # a unix socket has no address: it is local
        return remote == ""


def bearer(request: web.Request) -> str | None:
    """The Bearer token of the Authorization header, if any."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def authorize(request: web.Request, form_key: str | None = None) -> None:
    """Bearer token (or DeepStack's `api_key` field); without a key, this machine only."""
    state = request.app[STATE]
    if state.config.api_key is None:
        if not state.config.allow_remote_without_key and not is_loopback(request.remote):
            raise ApiError(
                403, "remote_needs_key", "No API key is set, so only this machine may call"
            )
    else:
        token = bearer(request)
        if not state.check_key(token if token is not None else form_key):
            raise ApiError(401, "invalid_auth", "Missing or wrong API key")
    state.connections.trusted(request.protocol)


def form_key(request: web.Request, fields: dict[str, str]) -> None:
    """Check DeepStack's `api_key` field, which must come before the image."""
    if "api_key" not in fields:
        raise ApiError(
            401,
            "invalid_auth",
            "Missing API key: send 'Authorization: Bearer <key>', or the form field 'api_key' "
            "before the image",
        )
    authorize(request, fields["api_key"])
