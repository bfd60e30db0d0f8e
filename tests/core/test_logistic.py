"""The MAP solvers: one optimum, where the gradient is zero; what a big retrain holds in memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from custom_components.mlwatch.core import logistic
from custom_components.mlwatch.core.head import Kind, base_logits, normalise_rows, unit_rows
from custom_components.mlwatch.core.learning import Answer, _design, _prior
from custom_components.mlwatch.core.logistic import (
    FloatArray,
    Preconditioner,
    fit_dual,
    fit_primal,
    sigmoid,
)
from custom_components.mlwatch.core.personal import retrain

from .solver_counts import counted_sketches


def _problem(n: int, d: int, kind: str, seed: int) -> tuple[FloatArray, ...]:
    """Two overlapping clusters of unit rows, the answers, and the prior of `kind`."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.float64)
    x = rng.normal(size=(n, d)) + 1.5 * y[:, None] * rng.normal(size=d)
    logits = base_logits(np.clip(0.4 + 0.2 * y + rng.normal(0, 0.15, n), 0.01, 0.99))
    mean, var = _prior(d, kind)  # type: ignore[arg-type]
    return _design(x, np.zeros(d), logits, kind), y, mean, var  # type: ignore[arg-type]


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


def test_a_nearby_fit_s_preconditioner_steers_to_the_same_optimum_without_a_new_sketch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phi, y, mean, var = _problem(3000, 300, "new", seed=7)
    most = fit_primal(phi[:2000], y[:2000], mean, var, mean.copy())
    cold = fit_primal(phi, y, mean, var, most.theta)
    sketches = counted_sketches(monkeypatch)
    warm = fit_primal(phi, y, mean, var, most.theta, preconditioner=most.preconditioner)
    assert sketches == []
    assert np.abs(phi @ warm.theta - phi @ cold.theta).max() < 1e-3
    other = Preconditioner(np.ones(3), np.zeros((3, 0)), np.zeros(0))  # another shape: ignored
    wrong = fit_primal(phi, y, mean, var, most.theta, preconditioner=other)
    assert len(sketches) == 1
    assert np.abs(phi @ wrong.theta - phi @ cold.theta).max() < 1e-3


def _hessian(phi: FloatArray, w: FloatArray, var: FloatArray) -> FloatArray:
    out: FloatArray = (phi * w[:, None]).T @ phi + np.diag(1.0 / var)
    return out


def test_a_sketch_as_wide_as_the_parameters_is_the_exact_inverse() -> None:
    phi, y, mean, var = _problem(400, 38, "base", seed=5)  # 40 parameters, rank 64 >= 40
    w = np.random.default_rng(5).uniform(0.0, 0.25, len(y))
    steer = logistic._approximate_inverse(phi.astype(np.float32), w, 1.0 / var)
    r = np.random.default_rng(6).normal(size=len(mean))
    exact = np.linalg.solve(_hessian(phi, w, var), r)
    assert np.abs(steer(r) - exact).max() < 1e-4 * np.abs(exact).max()


def test_a_narrow_sketch_steers_conjugate_gradients_in_a_few_steps() -> None:
    # Rows whose spectrum decays as an embedding's does (condition ~1e4): rank 64 of 300.
    rng = np.random.default_rng(9)
    rotation = np.linalg.qr(rng.normal(size=(299, 299)))[0]
    rows = (rng.normal(size=(3000, 299)) / np.arange(1, 300) ** 0.75) @ rotation
    phi = _design(rows + 1.0, np.zeros(299), np.zeros(3000), "new")
    _, var = _prior(299, "new")
    w = rng.uniform(0.05, 0.25, 3000)
    hessian = _hessian(phi, w, var)
    b = rng.normal(size=300)
    prior_only = Preconditioner(var, np.zeros((300, 0)), np.zeros(0))
    sketched = logistic._approximate_inverse(phi.astype(np.float32), w, 1.0 / var)
    steps = {
        name: logistic._conjugate_gradient(lambda v: hessian @ v, b, steer)[1]
        for name, steer in (("prior", prior_only), ("sketch", sketched))
    }
    assert steps["sketch"] * 3 <= steps["prior"]
    x, _ = logistic._conjugate_gradient(lambda v: hessian @ v, b, sketched)
    assert np.linalg.norm(hessian @ x - b) <= logistic.CG_TOLERANCE * np.linalg.norm(b)


def test_a_failed_factorisation_steers_by_the_prior_and_still_reaches_the_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phi, y, mean, var = _problem(3000, 300, "new", seed=9)
    expected = fit_primal(phi, y, mean, var, mean.copy()).theta

    def failing(_: FloatArray) -> FloatArray:
        raise np.linalg.LinAlgError("not positive definite")

    monkeypatch.setattr(np.linalg, "cholesky", failing)
    got = fit_primal(phi, y, mean, var, mean.copy())
    assert got.preconditioner.basis.shape == (301, 0)
    assert np.abs(phi @ got.theta - phi @ expected).max() < 1e-3


def test_answers_that_weigh_nothing_leave_the_prior_to_steer() -> None:
    # Every answer fitted with certainty: w = 0, so the Hessian is the prior's precision alone.
    phi, y, mean, var = _problem(400, 38, "base", seed=10)
    steer = logistic._approximate_inverse(phi.astype(np.float32), np.zeros(len(y)), 1.0 / var)
    r = np.random.default_rng(11).normal(size=len(mean))
    assert np.allclose(steer(r), var * r)


def test_rows_are_normalised_in_place_across_chunks_and_unknown_lengths_become_zero() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 5))
    x[2], x[5, 1] = 0.0, np.nan
    with np.errstate(invalid="ignore"):  # the expected rows 2 and 5 are set below
        want = x / np.linalg.norm(x, axis=1, keepdims=True)
    want[[2, 5]] = 0.0
    out = normalise_rows(x, chunk=3)  # rows 2 and 5 sit in different chunks
    assert out is x
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(unit_rows(want[0] * 3.0), want[0])


@pytest.mark.parametrize("kind", ["base", "new"])
def test_a_big_retrain_holds_no_full_size_temporary_beyond_the_design_s(kind: Kind) -> None:
    rng = np.random.default_rng(5)
    n, d = 2000, 1280
    proto = rng.normal(size=(3, d)).astype(np.float32)
    answers = [
        Answer(np.abs(proto[i % 3] + rng.normal(0, 2, d)).astype(np.float32), 0.5, i % 3 == 0, i)
        for i in range(n)
    ]
    tracemalloc.start()
    try:
        retrain(answers, label="x", kind=kind, threshold=0.6, model_sha256="", now=0.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The answers' float64 embeddings, the design and its float32 copy are needed (2.5 designs);
    # a centred copy, a scaled copy and a norm's squares besides made it 3.55.
    assert peak < 3.2 * n * (d + 2) * 8
