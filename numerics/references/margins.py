"""Margins and their exact references, in float64.

For signed points z_i (binary: y_i x_i; multiclass: one per pair i, j ≠ y_i, the matrix (e_{y_i} − e_j) x_iᵀ)
the generalized max-margin problem and its dual are

    γ* = max_{‖W‖ ≤ 1} min_i <z_i, W>  =  min_{λ ∈ Δ} ‖Σ_i λ_i z_i‖_*

(Gunasekar et al. 2018, eq. 5; the dual by Lagrange/minimax). Any W gives the lower bound
normalized_margin(W) ≤ γ*, any λ on the simplex the upper bound ‖Σλ_i z_i‖_* ≥ γ*: `max_margin` returns a
solution only when these two agree, and `NotSeparableError` only when the upper bound is ≈ 0 (Gordan).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, replace
from typing import NamedTuple

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
import torch

from numerics import norms
from numerics.data import Dataset
from numerics.errors import InvalidDataError, NotSeparableError, SolverError
from numerics.norms import Norm
from numerics.references.solve import SERIAL, SOLVER_OPTIONS, Attempt, Certificate, solve_certified

CERTIFICATE_RTOL = 1e-6
"""Default relative gap between the achieved margin and the dual bound for a solution to be accepted."""
SEPARABILITY_TOL = 1e-7
"""Data whose max margin is below this (relative to max |x_ij|) are declared not separable."""
SUPPORT_TOL = 1e-6
"""Point i is a support vector when its multipliers (on the simplex) sum to more than this."""
GENERATED = frozenset({"spectral"})
"""Norms whose max margin is solved by constraint generation by default. Measured on NucGD's paper-size data
(gaussian_mixture(15, 25, 50), 10 500 margin rows, 2 shared cores): spectral 5.6–7 s whole, 1.6–3 s generated;
nuclear (SCS), fro, entry_l1 and entry_linf were slower generated (3–12 s against 3–5 s whole): the ranking at
the mean signed point misses more of their active rows, so they take more rounds."""
WORKING_ROWS = 4
"""The first working set of constraint generation has this many rows per entry of W (`_first_rows`)."""


# ------------------------------------------------------------------------------------------ margins (torch)

def score_margins(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """s_{i,y_i} − max_{j≠y_i} s_ij for scores (..., n, k) → (..., n)."""
    is_own = y[..., None] == torch.arange(scores.shape[-1], device=scores.device)
    own = scores.gather(-1, y.expand(*scores.shape[:-2], -1)[..., None]).squeeze(-1)
    return own - scores.masked_fill(is_own, -torch.inf).amax(-1)


def margins(X, y, W, *, multiclass: bool) -> torch.Tensor:
    """Per-point margins of W, batched over W's leading dimensions: (..., d) or (..., k, d) → (..., n)."""
    S = W @ X.T
    return score_margins(S.transpose(-1, -2), y) if multiclass else S * y


def normalized_margin(X, y, W, norm: str | Norm):
    """min_i margin_i(W) / ‖W‖ for W of shape (..., d) (binary, vector norm) or (..., k, d) (multiclass,
    matrix norm); batched over leading dimensions. numpy W gives numpy, torch W gives torch (its device).
    NaN where W = 0."""
    norm = norms.get(norm)
    as_numpy = not isinstance(W, torch.Tensor)
    W = torch.as_tensor(np.asarray(W, dtype=np.float64)) if as_numpy else W
    X = torch.as_tensor(X, dtype=W.dtype, device=W.device)
    y = torch.as_tensor(y, device=W.device).long()
    multiclass = norm.ndim == 2
    _check_margin_shapes(X, y, W, norm, multiclass)
    value = margins(X, y.to(W.dtype) if not multiclass else y, W, multiclass=multiclass).amin(-1) / norm.value(W)
    return value.numpy()[()] if as_numpy else value


def _check_margin_shapes(X, y, W, norm, multiclass):
    if X.ndim != 2 or y.shape != X.shape[:1] or W.shape[-1] != X.shape[1] or W.ndim < norm.ndim:
        raise InvalidDataError(f"shapes do not fit: X {tuple(X.shape)}, y {tuple(y.shape)}, W {tuple(W.shape)} "
                               f"under the {norm.ndim}-D norm {norm.name!r}")
    if not multiclass and not bool(((y == 1) | (y == -1)).all()):
        raise InvalidDataError(f"a vector norm ({norm.name!r}) means a binary problem; labels must be ±1")
    if multiclass and not bool(((y >= 0) & (y < W.shape[-2])).all()):
        raise InvalidDataError(f"multiclass labels must lie in 0..{W.shape[-2] - 1} for W of shape {tuple(W.shape)}")


# ------------------------------------------------------------------------------------ the margin operator

def signed_points(ds: Dataset) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray, np.ndarray]:
    """Z with one row vec(z) per margin constraint (C order), and each row's point i and rival class j
    (j = −1 for binary). Then margins ≥ γ ⇔ Z vec(W) ≥ γ, and Σ λ_r z_r = reshape(Zᵀλ)."""
    if ds.task == "binary":
        return ds.y[:, None] * ds.X, np.arange(ds.n), np.full(ds.n, -1)
    k, d = ds.weight_shape
    i, j = np.divmod(np.arange(ds.n * k), k)
    keep = j != ds.y[i]
    i, j = i[keep], j[keep]
    rows = np.repeat(np.arange(i.size), 2 * d)
    cols = np.concatenate([ds.y[i, None] * d + np.arange(d), j[:, None] * d + np.arange(d)], axis=1).ravel()
    vals = np.concatenate([ds.X[i], -ds.X[i]], axis=1).ravel()
    return sp.csr_matrix((vals, (rows, cols)), shape=(i.size, k * d)), i, j


def problem(X, y, norm: Norm | str, num_classes=None) -> Dataset:
    """The data as a `Dataset` whose task `norm` fits (a vector norm for binary labels, a matrix norm for
    multiclass ones), else an InvalidDataError that names the norms that fit and, for labels {0, 1}, the fix."""
    norm = norms.get(norm)
    if isinstance(X, Dataset) and y is not None:
        raise InvalidDataError("X is a Dataset, which carries its labels: leave y out")
    ds = X if isinstance(X, Dataset) else Dataset(X, y, num_classes=num_classes)
    if ds.task == "regression":
        raise InvalidDataError("a max margin needs class labels, not regression targets")
    want = 1 if ds.task == "binary" else 2
    if norm.ndim != want:
        hint = ("binary weights are vectors: use l1, l2, linf or lp:<p>" if want == 1 else
                "multiclass weights are k×d matrices: use fro, spectral, nuclear, schatten:<p>, entry_l1, "
                "entry_linf, entry_lp:<p>, op_linf, op_l1 (labels in {−1, +1} are read as binary)")
        if want == 2 and set(np.unique(ds.y).tolist()) == {0, 1}:
            hint += ("; these labels are {0, 1}: map them to ±1 for a binary problem, or use a matrix norm for "
                     "two-class multiclass")
        raise InvalidDataError(f"norm {norm.name!r} does not fit a {ds.task} problem: {hint}")
    return ds


# ------------------------------------------------------------------------------------------- max margin

@dataclass(frozen=True)
class MaxMargin:
    """A certified solution of max_{‖W‖≤1} min_i margin_i(W).

    `W` is one maximiser (unit norm); when the maximiser is not unique, compare directions with
    `OptimalFace.distance`, not with W. `margin` is the achieved margin of W, within `certificate.rel_gap`
    of the dual bound. `duals` are the multipliers on the simplex: shape (n,) binary, (n, k) multiclass
    (0 at j = y_i); `support` the points with Σ_j λ_ij > SUPPORT_TOL.
    """

    W: np.ndarray
    margin: float
    duals: np.ndarray
    support: np.ndarray
    norm: str
    task: str
    solver: str
    status: str
    certificate: Certificate
    attempts: tuple[Attempt, ...]
    seconds: float

    def summary(self) -> dict:
        """The numbers a report needs, as plain types."""
        c = self.certificate
        return {"norm": self.norm, "task": self.task, "margin": self.margin, "dual_bound": c.upper,
                "rel_gap": c.rel_gap, "support_size": int(self.support.size), "solver": self.solver,
                "status": self.status, "seconds": self.seconds}


def max_margin(X, y=None, norm: str | Norm = "l2", *, num_classes: int | None = None,
               solvers: tuple[str, ...] | None = None, rtol: float = CERTIFICATE_RTOL,
               generate: bool | None = None) -> MaxMargin:
    """Solve max γ s.t. margin_i(W) ≥ γ ∀i, ‖W‖ ≤ 1 in float64 and certify it (see module docstring).

    `X` may be a `Dataset` (then `y` must be None). Labels ±1 are binary (vector norm), 0..k−1 multiclass
    (matrix norm). The data are rescaled to max |x_ij| = 1 for the solver and the answer scaled back.
    `generate` solves by constraint generation (`_generate`; default: for the norms in `GENERATED`), else the
    whole problem at once; either way the certificate is recomputed over every margin constraint.
    Raises `InvalidDataError`, `NotSeparableError` (with the best margin and Gordan's witness) or
    `SolverError` (with every attempt).
    """
    start = time.perf_counter()
    norm = norms.get(norm)
    ds = problem(X, y, norm, num_classes)
    Z, point, rival = signed_points(ds)
    generate = norm.name in GENERATED if generate is None else generate
    rows = _first_rows(Z, ds.weight_shape) if generate else np.arange(Z.shape[0])
    W, lam, attempt, attempts = _generate(ds, Z, point, norm, rows, solvers or norm.solvers, rtol)
    duals = np.bincount(point, lam, ds.n) if ds.task == "binary" else _pair_matrix(lam, point, rival, ds)
    per_point = duals if duals.ndim == 1 else duals.sum(1)
    return MaxMargin(W, attempt.certificate.lower, duals, np.flatnonzero(per_point > SUPPORT_TOL), norm.name,
                     ds.task, attempt.solver, attempt.status, attempt.certificate, attempts,
                     time.perf_counter() - start)


def _first_rows(Z, shape) -> np.ndarray:
    """The first working set: the WORKING_ROWS · dim(W) margin rows smallest at the mean signed point Zᵀ1/m
    (the direction of gradient descent's first step from 0); every row when there are no more than that."""
    count = WORKING_ROWS * int(np.prod(shape))
    if count >= Z.shape[0]:
        return np.arange(Z.shape[0])
    return np.sort(np.argsort(Z @ (Z.T @ np.ones(Z.shape[0])), kind="stable")[:count])


def _generate(ds: Dataset, Z, point, norm: Norm, rows: np.ndarray, solvers, rtol: float):
    """Constraint generation (cutting planes) for the max margin, certified over every row of Z.

    Round: solve the problem restricted to the working set S, certified on S (lower_S = min_{r∈S} <z_r, W>/‖W‖,
    upper = ‖Σ_{r∈S} λ_r z_r‖_*). λ extended by zeros lies on the full simplex, so `upper` bounds the full γ*
    too (weak duality); the full lower bound is normalized_margin(W) over all rows. If that certificate closes,
    done; otherwise its lower bound is below lower_S, so some row outside S has margin < lower_S: each point's
    smallest such row joins S. S grows every round and the full set closes like the one-shot solve, so the loop
    ends. Every attempt records the full problem's certificate. Returns (W, λ over all rows, attempt, attempts).
    """
    attempts: list[Attempt] = []
    while True:
        W, lam, attempt, tried = _solve_rows(ds, Z, point, norm, rows, solvers, rtol)
        full = Certificate(float(normalized_margin(ds.X, ds.y, W, norm)), attempt.certificate.upper, rtol)
        attempts += [replace(a, certificate=full) if a is attempt else a for a in tried]
        if full.ok:
            return W / norm.value(W), lam, attempts[-1], tuple(attempts)
        fits = np.asarray(Z @ W.ravel()).ravel() / norm.value(W)
        missing = np.setdiff1d(np.flatnonzero(fits < attempt.certificate.lower), rows)
        grown = np.union1d(rows, _worst_per_point(fits, point, missing))
        if grown.size == rows.size:  # only rounding between the two margin computations leaves nothing missing
            raise SolverError(f"the {norm.name} max margin: certified on {rows.size} rows, {full} on all",
                              tuple(attempts))
        rows = grown


def _worst_per_point(fits: np.ndarray, point: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Among `candidates`, each point's row of smallest margin `fits`."""
    order = candidates[np.lexsort((fits[candidates], point[candidates]))]
    return order[np.r_[True, point[order][1:] != point[order][:-1]]]


def _solve_rows(ds: Dataset, Z, point, norm: Norm, rows: np.ndarray, solvers, rtol: float):
    """The max margin restricted to the margin rows `rows`, certified on them (see `_generate`).
    Returns (W, λ over all rows with zeros outside `rows`, the accepted attempt, every attempt)."""
    scale = np.abs(ds.X).max()  # > 0: all-zero X with two classes is a conflicting duplicate
    Z_rows = Z[rows]
    w = cp.Variable(int(np.prod(ds.weight_shape)))
    gamma = cp.Variable()
    fits = (Z_rows / scale) @ w >= gamma
    problem = cp.Problem(cp.Maximize(gamma), [fits, norm.cvxpy(cp.reshape(w, ds.weight_shape, order="C")) <= 1])

    def multipliers() -> np.ndarray | None:
        lam = _simplex(fits.dual_value)
        if lam is None:
            return None
        full = np.zeros(Z.shape[0])
        full[rows] = lam
        return full

    def certify() -> Certificate:
        lam = multipliers()
        if lam is None or w.value is None:  # no multipliers (or no point) to certify with: a failed attempt
            return Certificate(math.nan, math.nan, rtol)
        upper = float(norm.dual_norm((Z.T @ lam).reshape(ds.weight_shape)))
        if upper <= SEPARABILITY_TOL * scale:
            per_point = np.bincount(point, lam, ds.n)
            witness = np.flatnonzero(per_point > SUPPORT_TOL)
            raise NotSeparableError(
                f"not separable under {norm.name}: the best achievable margin is {gamma.value * scale:.3g} "
                f"(≤ 0 up to solver accuracy); points {witness.tolist()} carry the certificate "
                f"‖Σ λ_i z_i‖_* = {upper:.2e} with λ on the simplex (Gordan)",
                float(gamma.value * scale), witness, per_point[witness])
        lower = float(np.min(Z_rows @ w.value) / norm.value(w.value.reshape(ds.weight_shape)))
        return Certificate(lower, upper, rtol)

    attempt, attempts = solve_certified(problem, solvers, certify, f"the {norm.name} max margin", SERIAL)
    return w.value.reshape(ds.weight_shape), multipliers(), attempt, attempts


def _simplex(lam) -> np.ndarray | None:
    """The multipliers clipped to ≥ 0 and normalised onto the simplex; None if there are none (all ≤ 0)."""
    if lam is None:
        return None
    lam = np.clip(np.asarray(lam, dtype=np.float64).ravel(), 0, None)
    total = lam.sum()
    return lam / total if total > 0 else None


def _pair_matrix(lam, point, rival, ds: Dataset) -> np.ndarray:
    out = np.zeros((ds.n, ds.num_classes))
    out[point, rival] = lam
    return out


# ----------------------------------------------------------------------------------------- optimal face

class FaceDistance(NamedTuple):
    """Bounds on the Euclidean distance from a direction to the optimal face; `projected` says whether the
    upper bound comes from the solver's projection (tight) or only from the reference maximiser (loose);
    `point` is the point of the face at distance `upper` (what `OptimalFace.bounds_at` re-checks)."""

    lower: float
    upper: float
    projected: bool
    point: np.ndarray | None = None


class OptimalFace:
    """The set F = {V : ‖V‖ ≤ 1, margin_i(V) ≥ γ(1 − rtol) ∀i} of max-margin solutions, γ the certified margin.

    For ℓ1, ℓ∞, spectral and entrywise norms F is often more than one point, so directions are compared with
    F, not with one maximiser. Since γ(1 − rtol) ≤ γ*, F holds every exact maximiser. For P = W/‖W‖
    (Euclidean/Frobenius distances), `bounds(P)` returns
      lower: (γ(1 − rtol) − min_i margin_i(P))₊ / max_i ‖z_i‖₂ — margins are Lipschitz with that constant;
      upper: ‖P − V‖ for a point V of F: the solver's projection, moved towards the reference maximiser W*
             (which lies in F) just enough to satisfy F's constraints with a relative margin slack of
             `REPAIR_SLACK` (so that V stays in F when F's floor is recomputed from a stored reference, whose
             margin may differ in the last bits); ‖P − W*‖ if no projection.
    Both hold whatever the solver reports. F is thin (its margin slack is rtol·γ), so the projection is
    ill-conditioned and solvers may call it inaccurate; the repair step makes that harmless.
    The projection problem is compiled once (cvxpy parameter): one solve per direction.
    """

    SOLVERS = ("CLARABEL", "SCS")
    """Projection solvers in order; interior point is the faster here (nuclear (200, 50, 10): 12 s vs > 100 s)."""
    REPAIR_SLACK = 1e-12
    """The relative margin above F's floor that a repaired point keeps: recomputing the floor from a stored
    reference (its margin re-evaluated in another order of operations) moves it in its last bits, which
    rejected 62 of 611 stored face points on re-certification in a warm checklist run without it. The worst
    margin grows by about t·rtol·γ along (1 − t)V + tW*, so the slack costs t ≈ REPAIR_SLACK/rtol (1e-6 at the
    suite's rtol) of the way to W*: the upper bound ‖P − V‖ loosens by at most that fraction of ‖V − W*‖ and
    stays valid (V is checked to lie in F)."""

    def __init__(self, X, y=None, norm: str | Norm = "l2", *, reference: MaxMargin | None = None,
                 num_classes: int | None = None, rtol: float = CERTIFICATE_RTOL):
        self.norm = norms.get(norm)
        self.data = problem(X, y, self.norm, num_classes)
        self.reference = reference or max_margin(self.data, norm=self.norm, rtol=rtol)
        self.floor = self.reference.margin * (1 - rtol)
        scale = np.abs(self.data.X).max()
        Z, _, _ = signed_points(self.data)
        self._lipschitz = float(np.sqrt((Z.multiply(Z) if sp.issparse(Z) else Z**2).sum(axis=1).max()))
        shape = self.data.weight_shape
        self._v = cp.Variable(int(np.prod(shape)))
        self._point = cp.Parameter(self._v.size)
        self._problem = cp.Problem(cp.Minimize(cp.norm2(self._v - self._point)),
                                   [(Z / scale) @ self._v >= self.floor / scale,
                                    self.norm.cvxpy(cp.reshape(self._v, shape, order="C")) <= 1])

    def distance(self, W) -> float:
        """Euclidean distance from W/‖W‖ to F (the upper bound of `bounds`; exact up to solver accuracy
        when the projection succeeded); NaN when no point of F is known (`bounds` is None)."""
        bounds = self.bounds(W)
        return math.nan if bounds is None else bounds.upper

    def bounds(self, W) -> FaceDistance | None:
        """Lower and upper bounds on the Euclidean distance from W/‖W‖ to F (see the class docstring); None when
        neither the projection nor the reference maximiser is a point of F (the reference left its own face:
        a wrong reference, which the caller reports)."""
        P = self._direction(W)
        V, projected = self.reference.W, False
        self._point.value = P.ravel()
        for solver in self.SOLVERS:
            try:
                with warnings.catch_warnings():  # "may be inaccurate": the repair step below makes V feasible
                    warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                    self._problem.solve(solver=solver, **SOLVER_OPTIONS.get(solver, {}))
            except cp.error.SolverError:
                continue
            if self._v.value is not None:  # repaired into F, any returned point gives a valid bound
                repaired = self._repair(self._v.value.reshape(self.data.weight_shape))
                if np.linalg.norm(P - repaired) < np.linalg.norm(P - V):
                    V, projected = repaired, True
                break
        return self.bounds_at(W, V, projected) or self.bounds_at(W, self.reference.W, False)

    def bounds_at(self, W, V, projected: bool) -> FaceDistance | None:
        """The bounds of `bounds` from a given point V of F (e.g. a stored one), or None if V is not in F:
        ‖V‖ ≤ 1 and min_i margin_i(V) ≥ the floor are checked here, so the upper bound holds whatever V is."""
        P, V = self._direction(W), np.asarray(V, dtype=np.float64)
        if V.shape != P.shape or not np.all(np.isfinite(V)) or self.norm.value(V) > 1 + 1e-12 \
                or self._worst_margin(V) < self.floor:
            return None
        lower = max(0.0, self.floor - self._worst_margin(P)) / self._lipschitz
        return FaceDistance(lower, max(lower, float(np.linalg.norm(P - V))), projected, V)

    def _direction(self, W) -> np.ndarray:
        W = np.asarray(W, dtype=np.float64)
        if W.shape != self.data.weight_shape:
            raise InvalidDataError(f"W has shape {W.shape}; this problem's weights are {self.data.weight_shape}")
        return W / self.norm.value(W)

    def _repair(self, V: np.ndarray, steps: int = 40) -> np.ndarray:
        """The point (1−t)V + tW* (rescaled into the unit ball) of F, with the floor raised by `REPAIR_SLACK`,
        with the smallest t found by bisection (t = 1 is W*, whose margin is γ > the floor by rtol·γ)."""
        def point(t):
            U = (1 - t) * V + t * self.reference.W
            return U / max(1.0, float(self.norm.value(U)))

        target = self.floor * (1 + self.REPAIR_SLACK)  # floor > 0: the data are separable
        if self._worst_margin(point(0.0)) >= target:
            return point(0.0)
        lo, hi = 0.0, 1.0
        for _ in range(steps):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if self._worst_margin(point(mid)) >= target else (mid, hi)
        return point(hi)

    def _worst_margin(self, V: np.ndarray) -> float:
        return margins(torch.as_tensor(self.data.X), torch.as_tensor(self.data.y), torch.as_tensor(V),
                       multiclass=self.data.task == "multiclass").min().item()


def optimal_face_distance(X, y, W, norm: str | Norm, *, reference: MaxMargin | None = None) -> float:
    """Euclidean distance from W/‖W‖ to the set of max-margin solutions under `norm` (see `OptimalFace`)."""
    return OptimalFace(X, y, norm, reference=reference).distance(W)
