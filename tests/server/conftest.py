"""A real mlwatch server on a free loopback port, around the real default model."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from mlwatch_core.engine import Classifier
from mlwatch_core.result import Result, Roi
from mlwatch_server.app import create_app
from mlwatch_server.cli import load
from mlwatch_server.config import ServerConfig, bundled_model

# The classifier: most server tests are about the API, and it is the faster model.
MODEL, LABELS = bundled_model("classifier")
SHA256 = hashlib.sha256(MODEL.read_bytes()).hexdigest()
BASE = ServerConfig(model=MODEL, labels=LABELS, device="cpu", threads=2)

type Serve = Callable[..., Awaitable[TestClient[Any, Any]]]


class Gated:
    """The real classifier behind a gate the test opens: the interpreter stays busy until then."""

    def __init__(self, classifier: Classifier) -> None:
        self._classifier = classifier
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._classifier, name)

    def classify(self, image: bytes, roi: Roi | None = None) -> Result:
        self.calls += 1
        self.entered.release()
        self.gate.wait(30)
        return self._classifier.classify(image, roi)


def image_form(image: bytes, **fields: str) -> aiohttp.FormData:
    """A multipart form with the frame as `image`, as DeepStack clients send it: fields first."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("image", image, filename="frame.jpg", content_type="image/jpeg")
    return form


@pytest.fixture(scope="session")
def classifiers() -> list[Classifier]:
    """The bundled model, loaded once as the server loads it."""
    loaded: list[Classifier] = load(BASE)
    return loaded


@pytest.fixture
async def serve(classifiers: list[Classifier], socket_enabled: None) -> AsyncGenerator[Serve]:
    """Start servers with settings overridden per test; all are closed afterwards."""
    clients: list[TestClient[Any, Any]] = []

    async def start(workers: Sequence[Any] | None = None, **overrides: Any) -> TestClient[Any, Any]:
        config = replace(BASE, **overrides)
        sha256 = hashlib.sha256(config.model.read_bytes()).hexdigest()
        app = create_app(config, workers or classifiers, sha256)
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


@pytest.fixture
def gated(classifiers: list[Classifier], serve: Serve) -> Generator[Gated]:
    """Set up after `serve`, so the gate opens before the servers drain at teardown."""
    worker = Gated(classifiers[0])
    yield worker
    worker.gate.set()
