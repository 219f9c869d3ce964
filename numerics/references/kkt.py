"""The approximate-KKT residual of Lyu & Li 2020 (Def. of (ε, δ)-KKT points; Ji & Telgarsky 2020) for
min ½‖θ‖² s.t. q_r(θ) ≥ 1, evaluable on any θ that separates the data (lemma kkt.epsilon_residual)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.optimize


class EpsilonKKT(NamedTuple):
    """θ is an (ε, δ)-KKT point: some λ ≥ 0 has ‖θ̃ − Σλ_r∇q_r(θ̃)‖₂ = ε and Σλ_r(q_r(θ̃) − 1) = δ, where θ̃ =
    θ/q_min^{1/L} is rescaled to minimum margin 1. λ minimises ε² + δ² (one NNLS), so that both are small
    together whenever some λ makes them so; ε alone could be 0 with λ on non-support points when the
    gradients are linearly dependent."""

    epsilon: float
    delta: float
    multipliers: np.ndarray


def epsilon_kkt(theta: np.ndarray, margins: np.ndarray, margin_grads: np.ndarray, degree: float = 1.0) -> EpsilonKKT:
    """(ε, δ)-KKT residual of θ for min ½‖θ‖² s.t. q_r(θ) ≥ 1, for q_r positively homogeneous of `degree` L.

    `margins` (m,) are q_r(θ) and `margin_grads` (m, p) their gradients at θ (flattened). Since
    q_r(cθ) = c^L q_r(θ) and ∇q_r(cθ) = c^{L−1}∇q_r(θ), θ is rescaled to θ̃ with min_r q_r(θ̃) = 1 first.
    """
    theta = np.ravel(theta).astype(np.float64)
    q = np.asarray(margins, dtype=np.float64)
    q_min = q.min()
    if not q_min > 0:
        raise ValueError(f"θ does not separate the data (min margin {q_min:.3g} ≤ 0): no ε-KKT residual")
    c = q_min ** (-1.0 / degree)
    theta_t, q_t = c * theta, q / q_min
    grads = c ** (degree - 1) * np.asarray(margin_grads, dtype=np.float64).reshape(len(q), -1)
    system = np.vstack([grads.T, (q_t - 1)[None, :]])
    lam, _ = scipy.optimize.nnls(system, np.append(theta_t, 0.0), maxiter=50 * system.shape[1])
    return EpsilonKKT(float(np.linalg.norm(theta_t - grads.T @ lam)), float(lam @ (q_t - 1)), lam)
