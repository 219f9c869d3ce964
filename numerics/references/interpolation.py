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
