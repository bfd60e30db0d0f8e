"""MAP logistic regression with a Gaussian prior: the solvers behind the personal models.

Both find the θ that maximises log-likelihood (each answer with a weight) + log-prior, to the
same optimum. Fewer answers
than parameters: Newton on the n log-odds (the dual). More: Newton on the parameters, each
Newton system solved by conjugate gradients (two products with the design matrix a step),
preconditioned by an approximate inverse Hessian from a randomised Nyström sketch of its data
term (Frangella, Tropp & Udell, SIAM J. Matrix Anal. Appl. 2023), rebuilt only when it steers
badly. An embedding's Hessian has few large eigenvalues above the prior's, so a sketch of rank
64 steers about as well as the exact inverse (within 20 % of its conjugate-gradient steps on
5,000 answers) at a quarter of its cost, and applies in O(d · 64) rather than O(d²);
bench/README.md measures it.
"""

from __future__ import annotations

import functools
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
REFRESH_AFTER = 15  # conjugate-gradient steps after which the preconditioner is rebuilt here
SKETCH_RANK = 64


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
    a = dual((phi * var) @ phi.T, phi @ mean, y, c)
    out: FloatArray = mean + var * (phi.T @ a)
    return out


def dual(k: FloatArray, m: FloatArray, y: FloatArray, c: FloatArray | float = 1.0) -> FloatArray:
    """The MAP log-odds' coefficients a (f = m + k a) for prior log-odds N(m, k): `fit_dual`'s."""
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
    return a


@functools.cache
def _sketch(d: int, rank: int) -> np.ndarray[Any, Any]:
    """A fixed orthonormal d-by-rank test basis: the same preconditioner for the same answers."""
    basis, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((d, rank)))
    out: np.ndarray[Any, Any] = basis.astype(np.float32)
    out.flags.writeable = False  # shared by every sketch of this size
    return out


@dataclass(frozen=True, eq=False)
class Preconditioner:
    """≈ H⁻¹ = diag(rest) + basis · diag(gain) · basisᵀ: applied in O(d · rank), not O(d²)."""

    rest: FloatArray
    basis: FloatArray  # d by rank
    gain: FloatArray

    def __call__(self, r: FloatArray) -> FloatArray:
        """≈ H⁻¹ r."""
        out: FloatArray = self.rest * r + self.basis @ (self.gain * (self.basis.T @ r))
        return out


def _approximate_inverse(
    phi32: np.ndarray[Any, Any], w: FloatArray, precision: np.ndarray[Any, Any]
) -> Preconditioner:
    """≈ (Φᵀ W Φ + diag(precision))⁻¹: exact on the sketch's top eigenvectors, scaled elsewhere."""
    d = phi32.shape[1]
    root = 1.0 / np.sqrt(precision)  # in the prior's units the Hessian is A + I
    basis = _sketch(d, min(SKETCH_RANK, d))
    root32 = root.astype(np.float32)[:, None]
    # Φᵀ W Φ applied to the scaled basis without a scaled copy of Φ (tens of MB on big retrains).
    weighted = (phi32 @ (root32 * basis)) * w.astype(np.float32)[:, None]
    y = (root32 * (phi32.T @ weighted)).astype(np.float64)  # A @ basis
    q = basis.astype(np.float64)
    # Keeps the core's Cholesky positive definite under float32 rounding, and when A is 0.
    shift = math.sqrt(d) * float(np.finfo(np.float32).eps) * float(np.linalg.norm(y)) + 1e-12
    y += shift * q
    core = q.T @ y
    try:
        factor = np.linalg.cholesky(0.5 * (core + core.T))
        b = np.linalg.solve(factor, y.T).T  # A ≈ b bᵀ
        squares, v = np.linalg.eigh(b.T @ b)
    except np.linalg.LinAlgError:  # not in exact arithmetic; the prior alone still steers
        return Preconditioner(1.0 / precision, np.zeros((d, 0)), np.zeros(0))
    squares = np.maximum(squares, shift)
    eigenvalues = squares - shift
    # (A + I)⁻¹ exactly on A's kept eigenvectors, and 1 / (the smallest kept + 1) off them.
    floor = 1.0 / (eigenvalues.min() + 1.0)
    u = root[:, None] * (b @ v) / np.sqrt(squares)  # back from the prior's units
    return Preconditioner(floor / precision, u, 1.0 / (eigenvalues + 1.0) - floor)


def _conjugate_gradient(
    product: Callable[[FloatArray], FloatArray],
    b: FloatArray,
    steer: Callable[[FloatArray], FloatArray],
) -> tuple[FloatArray, int]:
    """Solve H x = b given x ↦ H x, preconditioned by r ↦ ≈ H⁻¹ r; x, steps."""
    x = np.zeros_like(b)
    r = b.copy()
    z = steer(r)
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
        z = steer(r)
        rz, previous = float(r @ z), rz
        direction = z + (rz / previous) * direction
    return x, CG_LIMIT


@dataclass(frozen=True)
class Solution:
    """The MAP θ and the preconditioner of its last step, for a fit nearby to reuse."""

    theta: FloatArray
    preconditioner: Preconditioner


def fit_primal(
    phi: FloatArray,
    y: FloatArray,
    mean: FloatArray,
    var: FloatArray,
    start: FloatArray,
    *,
    c: FloatArray | float = 1.0,
    preconditioner: Preconditioner | None = None,
) -> Solution:
    """The MAP θ by Newton on the parameters (n ≥ their number), steps by conjugate gradients.

    `preconditioner` (a nearby fit's) steers the first steps instead of a new sketch: it only
    steers, so the optimum is the same, and a poor one is rebuilt as any other is.
    """
    precision = 1.0 / var
    phi32 = phi.astype(np.float32)  # the products only steer: float32 halves their cost

    def psi(theta: FloatArray) -> float:
        delta = theta - mean
        return objective(phi @ theta, y, c) - 0.5 * float(delta @ (precision * delta))

    theta = start.copy()
    current = psi(theta)
    steer = preconditioner
    if steer is not None and steer.rest.shape != start.shape:
        steer = None
    steering: Preconditioner  # set by the first step: there is always one
    for _ in range(MAX_ITERATIONS):
        p = sigmoid(phi @ theta)
        w = c * p * (1.0 - p)
        grad = phi.T @ (c * (y - p)) - precision * (theta - mean)
        if steer is None:
            steer = _approximate_inverse(phi32, w, precision)
        steering = steer
        w32 = w.astype(np.float32)

        def product(v: FloatArray, w32: np.ndarray[Any, Any] = w32) -> FloatArray:
            hv = phi32.T @ (w32 * (phi32 @ v.astype(np.float32)))
            out: FloatArray = hv.astype(np.float64) + precision * v
            return out

        step, steps = _conjugate_gradient(product, grad, steer)
        if steps >= REFRESH_AFTER:
            steer = None  # the Hessian has moved away from the one it approximates
        if float(grad @ step) < DECREMENT:  # twice what a full step could still gain, in nats
            break
        scale = 1.0
        while (trial := psi(theta + scale * step)) < current and scale > 1e-6:
            scale *= 0.5  # a full Newton step can overshoot on separable answers
        theta, current = theta + scale * step, trial
    return Solution(theta, steering)
