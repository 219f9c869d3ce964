"""Minimum-norm interpolation, the reference of the regression claims, in float64:

    min ‖w‖ s.t. Xw = t   =   max <t, ν> s.t. ‖Xᵀν‖_* ≤ 1

(ℓ1: basis pursuit; ℓ2: the pseudo-inverse solution X⁺t). Any ν gives the lower bound <t, ν>/‖Xᵀν‖_*,
the returned w the upper bound ‖w‖; the answer is accepted when they agree and Xw = t holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from numerics import norms
from numerics.data import Dataset
from numerics.errors import InvalidDataError, NotInterpolableError
from numerics.norms import Norm
from numerics.references.solve import Attempt, Certificate, solve_certified

RESIDUAL_RTOL = 1e-7
"""‖Xw − t‖ / ‖t‖ above this means t is not in the range of X (checked by least squares first)."""


@dataclass(frozen=True)
class Interpolant:
    """A certified minimum-norm solution of Xw = t: `w`, its norm `value` (within `certificate.rel_gap` of
    the dual bound <t, ν>), the dual vector `nu` (‖Xᵀν‖_* = 1), and the relative residual ‖Xw − t‖/‖t‖."""

    w: np.ndarray
    value: float
    nu: np.ndarray
    residual: float
    norm: str
    solver: str
    status: str
    certificate: Certificate
    attempts: tuple[Attempt, ...]


def min_norm_interpolant(X, t=None, norm: str | Norm = "l2", *, rtol: float = 1e-6) -> Interpolant:
    """Solve min ‖w‖ s.t. Xw = t for a vector norm and certify it. `X` may be a regression `Dataset`.

    Raises `InvalidDataError` for bad input and `NotInterpolableError` when t is not in the range of X.
    """
    norm = norms.get(norm)
    if norm.ndim != 1:
        raise InvalidDataError(f"interpolation weights are vectors; {norm.name!r} is a matrix norm")
    ds = X if isinstance(X, Dataset) else Dataset(X, t, "regression")
    X, t = ds.X, ds.y
    t_norm = np.linalg.norm(t)
    if t_norm == 0:
        zero = Certificate(0.0, 0.0, rtol)
        return Interpolant(np.zeros(ds.d), 0.0, np.zeros(ds.n), 0.0, norm.name, "none", "trivial", zero, ())
    x_scale, t_scale = np.abs(X).max(), np.abs(t).max()
    least_squares = np.linalg.lstsq(X, t, rcond=None)[0]
    residual = np.linalg.norm(X @ least_squares - t) / t_norm
    if residual > RESIDUAL_RTOL:
        raise NotInterpolableError(f"t is not in the range of X: the least-squares fit leaves a relative "
                                   f"residual {residual:.2e} > {RESIDUAL_RTOL:g} (n = {ds.n}, rank "
                                   f"{np.linalg.matrix_rank(X)})")
    w = cp.Variable(ds.d)
    fits = (X / x_scale) @ w == t / t_scale
    problem = cp.Problem(cp.Minimize(norm.cvxpy(w)), [fits])
    to_original = t_scale / x_scale

    def dual_point() -> np.ndarray:
        """ν in the original units, scaled to ‖Xᵀν‖_* = 1 and signed so that <t, ν> ≥ 0 (weak duality holds
        for ν and −ν alike)."""
        nu = np.asarray(fits.dual_value, dtype=np.float64)
        size = float(norm.dual_norm(X.T @ nu))
        return np.sign(t @ nu) * nu / size if size > 0 else np.zeros_like(nu)

    def certify() -> Certificate:
        solution = w.value * to_original
        if np.linalg.norm(X @ solution - t) / t_norm > RESIDUAL_RTOL:  # not interpolating: try the next solver
            return Certificate(math.nan, math.nan, rtol)
        return Certificate(float(t @ dual_point()), float(norm.value(solution)), rtol)

    attempt, attempts = solve_certified(problem, norm.solvers, certify, f"the min-{norm.name} interpolant")
    solution = w.value * to_original
    residual = float(np.linalg.norm(X @ solution - t) / t_norm)
    return Interpolant(solution, attempt.certificate.upper, dual_point(), residual, norm.name,
                       attempt.solver, attempt.status, attempt.certificate, attempts)


def hyperbolic_potential(w, alpha2) -> float:
    """Q_α(w) = Σ_i α_i² q(w_i/α_i²), q(z) = 2 − √(4 + z²) + z arcsinh(z/2) (Woodworth et al. 2020), α² per
    coordinate."""
    z = np.asarray(w, dtype=np.float64) / alpha2
    return float(np.sum(alpha2 * (2 - np.sqrt(4 + z * z) + z * np.arcsinh(z / 2))))


def hyperbolic_interpolant(X, t=None, alpha2=1.0, *, rtol: float = 1e-10) -> Interpolant:
    """Solve min Q_α(w) s.t. Xw = t (α² a scalar or one per coordinate) and certify it.

    The dual is max_ν <t, ν> − Σ_i 2α_i²(cosh((Xᵀν)_i) − 1) (Q_α*(s) = 2α²(cosh s − 1)): smooth and concave, solved by
    Newton's method with a trust region and backtracking; its optimum gives w = 2α² sinh(Xᵀν), i.e.
    arcsinh(w/2α²) = Xᵀν in the row space of X. Certificate: the dual value at ν (lower) and Q_α at w projected onto
    {Xw = t} (upper). Raises `NotInterpolableError` when t is not in the range of X."""
    ds = X if isinstance(X, Dataset) else Dataset(X, t, "regression")
    X, t = ds.X, ds.y
    alpha2 = np.broadcast_to(np.asarray(alpha2, dtype=np.float64), (ds.d,))
    if np.linalg.norm(X @ np.linalg.lstsq(X, t, rcond=None)[0] - t) > RESIDUAL_RTOL * np.linalg.norm(t):
        raise NotInterpolableError("t is not in the range of X")

    def dual(nu):
        with np.errstate(over="ignore"):  # a trial step past the optimum may overflow cosh: −∞, and it backtracks
            return float(t @ nu - np.sum(2 * alpha2 * (np.cosh(X.T @ nu) - 1)))

    nu = np.zeros(ds.n)
    for _ in range(200):
        z = X.T @ nu
        gradient = t - X @ (2 * alpha2 * np.sinh(z))
        if np.linalg.norm(gradient) <= 1e-13 * max(np.linalg.norm(t), 1e-300):
            break
        step = np.linalg.solve((X * (2 * alpha2 * np.cosh(z))) @ X.T, gradient)
        # a trust region in the mirror coordinates: at small α the Hessian is tiny and a full step would move
        # Xᵀν by far more than cosh can hold; ≤ 8 per iteration reaches |Xᵀν| ~ log(1/α²) in a few dozen
        size, now = min(1.0, 8.0 / max(float(np.abs(X.T @ step).max()), 1e-300)), dual(nu)
        while dual(nu + size * step) < now + 0.25 * size * (gradient @ step) and size > 1e-12:
            size /= 2
        nu = nu + size * step
    w = 2 * alpha2 * np.sinh(X.T @ nu)
    feasible = w + X.T @ np.linalg.solve(X @ X.T, t - X @ w)
    certificate = Certificate(dual(nu), hyperbolic_potential(feasible, alpha2), rtol)
    residual = float(np.linalg.norm(X @ w - t) / np.linalg.norm(t))
    return Interpolant(feasible, certificate.upper, nu, residual, "hyperbolic", "newton",
                       "certified" if certificate.ok else "uncertified", certificate, ())
