"""Fixtures for the HA-free core tests: real photos as camera snapshots, and the real model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from custom_components.mlwatch.core.engine import Classifier, Settings
from devtools import DEFAULT_LABELS, DEFAULT_MODEL
from devtools.photos import snapshot


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    """Factory for doorbell-sized JPEG snapshots of the sample photos."""
    return snapshot


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The bundled default model, loaded once."""
    return Classifier(DEFAULT_MODEL, DEFAULT_LABELS, Settings(num_threads=2))
