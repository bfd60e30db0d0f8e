"""The MAP solvers: the dual and the primal find the same optimum, where the gradient is zero."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.mlwatch.core.head import base_logits, unit_rows
from custom_components.mlwatch.core.learning import _design, _prior
from custom_components.mlwatch.core.logistic import FloatArray, fit_dual, fit_primal, sigmoid

from .solver_counts import counted_inversions


def _problem(n: int, d: int, kind: str, seed: int) -> tuple[FloatArray, ...]:
    """Two overlapping clusters of unit rows, the answers, and the prior of `kind`."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.float64)
    x = unit_rows(rng.normal(size=(n, d)) + 1.5 * y[:, None] * rng.normal(size=d))
    logits = base_logits(np.clip(0.4 + 0.2 * y + rng.normal(0, 0.15, n), 0.01, 0.99))
    mean, var = _prior(d, kind)  # type: ignore[arg-type]
    return _design(x, logits, kind), y, mean, var  # type: ignore[arg-type]


def _gradient(
    theta: FloatArray, phi: FloatArray, y: FloatArray, mean: FloatArray, var: FloatArray
) -> FloatArray:
    out: FloatArray = phi.T @ (y - sigmoid(phi @ theta)) - (theta - mean) / var
    return out


@pytest.mark.parametrize("kind", ["base", "new"])
def test_both_solvers_reach_the_same_optimum(kind: str) -> None:
    # 60 answers, 40 parameters: the primal's case; the dual solves it exactly too.
    phi, y, mean, var = _problem(60, 38 if kind == "base" else 39, kind, seed=3)
    dual = fit_dual(phi, y, mean, var)
    primal = fit_primal(phi, y, mean, var, mean.copy()).theta
    assert np.abs(phi @ primal - phi @ dual).max() < 1e-3  # the same log-odds on every answer
    assert np.linalg.norm(_gradient(dual, phi, y, mean, var)) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_the_primal_ends_where_the_gradient_vanishes(seed: int) -> None:
    phi, y, mean, var = _problem(3000, 300, "new", seed)
    theta = fit_primal(phi, y, mean, var, mean.copy()).theta
    start = np.linalg.norm(_gradient(mean, phi, y, mean, var))
    assert np.linalg.norm(_gradient(theta, phi, y, mean, var)) < 1e-4 * start


@pytest.mark.parametrize("n", [30, 60])
def test_whole_weights_count_as_repeated_answers(n: int) -> None:
    # 30 answers: the dual solves it; 60: the primal.
    phi, y, mean, var = _problem(n, 39, "new", seed=5)
    c = np.where(y > 0, 3.0, 1.0)
    repeated = np.concatenate([np.arange(n), *[np.flatnonzero(y > 0)] * 2])
    solve = fit_dual if n < phi.shape[1] else fit_primal
    expected = fit_dual(phi[repeated], y[repeated], mean, var)
    got = (
        solve(phi, y, mean, var, c)
        if solve is fit_dual
        else fit_primal(phi, y, mean, var, mean.copy(), c=c).theta
    )
    assert np.abs(phi @ got - phi @ expected).max() < 1e-3


def test_a_nearby_fit_s_inverse_steers_to_the_same_optimum_without_an_inversion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phi, y, mean, var = _problem(3000, 300, "new", seed=7)
    most = fit_primal(phi[:2000], y[:2000], mean, var, mean.copy())
    cold = fit_primal(phi, y, mean, var, most.theta)
    inversions = counted_inversions(monkeypatch)
    warm = fit_primal(phi, y, mean, var, most.theta, inverse=most.inverse)
    assert inversions == []
    assert np.abs(phi @ warm.theta - phi @ cold.theta).max() < 1e-3
    wrong = fit_primal(phi, y, mean, var, most.theta, inverse=np.eye(3))  # another shape: ignored
    assert len(inversions) == 1
    assert np.abs(phi @ wrong.theta - phi @ cold.theta).max() < 1e-3
