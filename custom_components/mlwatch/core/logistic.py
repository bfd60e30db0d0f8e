"""MAP logistic regression with a Gaussian prior: the solvers behind the personal models.

Both find the θ that maximises log-likelihood (each answer with a weight) + log-prior, to the
same optimum. Fewer answers
than parameters: Newton on the n log-odds (the dual). More: Newton on the parameters, each
Newton system solved by conjugate gradients (two products with the design matrix a step),
preconditioned by the inverse of one Hessian, rebuilt only when it steers badly; the d-by-d
work is then a few inversions, not one solve per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

MAX_ITERATIONS = 100
TOLERANCE = 1e-9
DECREMENT = 1e-6  # the logit of a unit-norm frame is then within ~3e-4 of the optimum's
CG_TOLERANCE = 1e-3  # relative residual of each Newton system
CG_LIMIT = 200
REFRESH_AFTER = 25  # conjugate-gradient steps after which the preconditioner is rebuilt here


def sigmoid(z: np.ndarray[Any, Any]) -> FloatArray:
    """The logistic function without overflow."""
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))
    return out


def _log_sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = -np.logaddexp(0.0, -z)
    return out


def objective(f: FloatArray, y: FloatArray, c: FloatArray | float = 1.0) -> float:
    """Log-likelihood of labels y in {0, 1} at log-odds f, each answer weighted by c."""
    return float(np.sum(c * _log_sigmoid(np.where(y > 0, f, -f))))


def fit_dual(
    phi: FloatArray, y: FloatArray, mean: FloatArray, var: FloatArray, c: FloatArray | float = 1.0
) -> FloatArray:
    """The MAP θ by Newton on the n log-odds (n < number of parameters): O(n^3) per step."""
    k = (phi * var) @ phi.T  # prior covariance of the log-odds
    m = phi @ mean
    a = np.zeros(len(y))

    def psi(a: FloatArray) -> float:
        return objective(m + k @ a, y, c) - 0.5 * float(a @ k @ a)

    current = psi(a)
    for _ in range(MAX_ITERATIONS):
        f = m + k @ a
        p = sigmoid(f)
        w = c * p * (1.0 - p)
        sw = np.sqrt(w)
        b = w * (f - m) + c * (y - p)
        system = np.eye(len(y)) + sw[:, None] * k * sw[None, :]  # well conditioned: I + ...
        target = b - sw * np.linalg.solve(system, sw * (k @ b))
        step = target - a
        scale = 1.0
        while (trial := psi(a + scale * step)) < current and scale > 1e-6:
            scale *= 0.5  # a full Newton step can overshoot on separable answers
        a, previous, current = a + scale * step, current, trial
        if current - previous < TOLERANCE * (1.0 + abs(current)):
            break
    out: FloatArray = mean + var * (phi.T @ a)
    return out


def _inverse_hessian(
    phi32: np.ndarray[Any, Any], w: FloatArray, precision: np.ndarray[Any, Any]
) -> FloatArray:
    scaled = phi32 * np.sqrt(w).astype(np.float32)[:, None]
    hessian = (scaled.T @ scaled).astype(np.float64)  # A.T @ A runs as one syrk
    hessian[np.diag_indices_from(hessian)] += precision
    out: FloatArray = np.linalg.inv(hessian).astype(np.float64)
    return out


def _conjugate_gradient(
    product: Callable[[FloatArray], FloatArray], b: FloatArray, inverse: FloatArray
) -> tuple[FloatArray, int]:
    """Solve H x = b given x ↦ H x, preconditioned by an approximate inverse of H; x, steps."""
    x = np.zeros_like(b)
    r = b.copy()
    z = inverse @ r
    direction = z.copy()
    rz = float(r @ z)
    stop = CG_TOLERANCE * math.sqrt(float(b @ b))
    for steps in range(CG_LIMIT):
        if math.sqrt(float(r @ r)) <= stop:
            return x, steps
        q = product(direction)
        alpha = rz / float(direction @ q)
        x += alpha * direction
        r -= alpha * q
        z = inverse @ r
        rz, previous = float(r @ z), rz
        direction = z + (rz / previous) * direction
    return x, CG_LIMIT


@dataclass(frozen=True)
class Solution:
    """The MAP θ, and the inverted Hessian that steered its last step: a fit nearby may reuse it."""

    theta: FloatArray
    inverse: FloatArray


def fit_primal(
    phi: FloatArray,
    y: FloatArray,
    mean: FloatArray,
    var: FloatArray,
    start: FloatArray,
    *,
    c: FloatArray | float = 1.0,
    inverse: FloatArray | None = None,
) -> Solution:
    """The MAP θ by Newton on the parameters (n ≥ their number), steps by conjugate gradients.

    `inverse` (a nearby fit's) steers the first steps instead of a new inversion: it only
    preconditions, so the optimum is the same, and a poor one is rebuilt as any other is.
    """
    precision = 1.0 / var
    phi32 = phi.astype(np.float32)  # the products only steer: float32 halves their cost

    def psi(theta: FloatArray) -> float:
        delta = theta - mean
        return objective(phi @ theta, y, c) - 0.5 * float(delta @ (precision * delta))

    theta = start.copy()
    current = psi(theta)
    if inverse is not None and inverse.shape != (len(start), len(start)):
        inverse = None
    steering: FloatArray  # set by the first step: there is always one
    for _ in range(MAX_ITERATIONS):
        p = sigmoid(phi @ theta)
        w = c * p * (1.0 - p)
        grad = phi.T @ (c * (y - p)) - precision * (theta - mean)
        if inverse is None:
            inverse = _inverse_hessian(phi32, w, precision)
        steering = inverse
        w32 = w.astype(np.float32)

        def product(v: FloatArray, w32: np.ndarray[Any, Any] = w32) -> FloatArray:
            hv = phi32.T @ (w32 * (phi32 @ v.astype(np.float32)))
            out: FloatArray = hv.astype(np.float64) + precision * v
            return out

        step, steps = _conjugate_gradient(product, grad, inverse)
        if steps >= REFRESH_AFTER:
            inverse = None  # the Hessian has moved away from the one it inverts
        if float(grad @ step) < DECREMENT:  # twice what a full step could still gain, in nats
            break
        scale = 1.0
        while (trial := psi(theta + scale * step)) < current and scale > 1e-6:
            scale *= 0.5  # a full Newton step can overshoot on separable answers
        theta, current = theta + scale * step, trial
    return Solution(theta, steering)
