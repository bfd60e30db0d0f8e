"""Counting the solver's work, to show a warm start saves it: shared by the core tests."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.mlwatch.core import logistic


def counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """One entry per call of `logistic.<name>` from here on."""
    calls: list[int] = []
    original = getattr(logistic, name)

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(logistic, name, counting)
    return calls


def counted_sketches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per preconditioner sketched from here on."""
    return counted(monkeypatch, "_approximate_inverse")
