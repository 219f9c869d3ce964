"""The generalized sharpness of a Hessian in the ℓ∞ geometry, certified by a bracket:

    S_∞(H) = max_{‖d‖∞ ≤ 1} dᵀHd        (Islamov, Crawshaw, Cohen, Gower 2026: sup over the optimizer's unit ball)

a max-cut-type problem (NP-hard in general). Lower bound: the best vertex d ∈ {±1}^p found by one-flip local search
from the sign of H's top eigenvector and from random signs (any vertex is feasible). Upper bound: the SDP
relaxation max tr(HX) s.t. diag X ≤ 1, X ⪰ 0, certified from its dual — any y ≥ 0 with Diag(y) ⪰ H bounds S_∞ by
Σ y_i — by shifting the solver's y until the smallest eigenvalue of Diag(y) − H is ≥ 0 (recomputed here). For
ℓ2 the sharpness is λ_max(H), exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np


@dataclass(frozen=True)
class Bracket:
    lower: float
    upper: float


def _local_search(H: np.ndarray, start: np.ndarray) -> float:
    """dᵀHd at a vertex where no single sign flip increases it (flipping d_i changes it by 4H_ii − 4d_i(Hd)_i)."""
    d = np.where(start >= 0, 1.0, -1.0)
    for _ in range(10 * len(d)):
        gain = 4 * np.diag(H) - 4 * d * (H @ d)
        i = int(np.argmax(gain))
        if gain[i] <= 1e-12 * max(1.0, abs(float(d @ H @ d))):
            break
        d[i] = -d[i]
    return float(d @ H @ d)


def box_sharpness(H, *, starts: int = 8, seed: int = 0, sdp: bool = True) -> Bracket:
    """A certified bracket on max_{‖d‖∞≤1} dᵀHd (module docstring); without `sdp` the upper bound is Σ_ij |H_ij|
    (dᵀHd ≤ Σ|H_ij| for ‖d‖∞ ≤ 1: free, and loose)."""
    H = np.asarray(H, dtype=np.float64)
    H = (H + H.T) / 2
    rng = np.random.default_rng(seed)
    top = np.linalg.eigh(H)[1][:, -1]
    lower = max(_local_search(H, s) for s in [top, *rng.standard_normal((starts, len(H)))])
    if not sdp:
        return Bracket(lower, float(np.abs(H).sum()))
    X = cp.Variable(H.shape, symmetric=True)
    limits = cp.diag(X) <= 1
    cp.Problem(cp.Maximize(cp.trace(H @ X)), [X >> 0, limits]).solve(solver="CLARABEL")
    y = np.maximum(np.asarray(limits.dual_value, dtype=np.float64), 0.0)
    shift = max(0.0, -float(np.linalg.eigvalsh(np.diag(y) - H)[0]))
    return Bracket(lower, float(np.sum(y + shift)))
