"""The generalized Bregman divergence of φ = ½‖·‖² for a (possibly non-smooth) vector norm (Tsilivis, Vardi,
Kempe 2024, steepest descent in homogeneous networks):

    D(x, y) = ½‖x‖² − ½‖y‖² − ‖y‖·‖·‖′(y; x − y),   ‖·‖′(y; v) = max_{g ∈ ∂‖y‖} <g, v>,

the one-sided directional derivative; D ≥ 0 since a convex function lies above its one-sided linearisation
(lemma bregman.steepest.nonneg states it). For 1 < p < ∞ the norm is differentiable away from 0 and D is the
ordinary Bregman divergence of ½‖·‖_p².
"""

from __future__ import annotations

import numpy as np

from numerics import norms
from numerics.norms import Norm


def directional_derivative(y: np.ndarray, v: np.ndarray, norm: str | Norm) -> np.ndarray:
    """‖·‖′(y; v) = max_{g ∈ ∂‖y‖} <g, v> for ℓp, 1 ≤ p ≤ ∞ (numpy, last axis), y ≠ 0; for 1 < p < ∞ the
    norm is differentiable there, ∇‖y‖_p = sign(y)|y|^{p−1}/‖y‖_p^{p−1}."""
    p = _order(norm)
    if 1 < p < np.inf:
        size = np.linalg.norm(y, p, axis=-1, keepdims=True)
        return np.sum(np.sign(y) * np.abs(y / size) ** (p - 1) * v, axis=-1)
    if p == 1:
        return np.sum(np.where(y != 0, np.sign(y) * v, np.abs(v)), axis=-1)
    top = np.abs(y) == np.abs(y).max(axis=-1, keepdims=True)
    return np.max(np.where(top, np.sign(y) * v, -np.inf), axis=-1)


def generalized_bregman(x: np.ndarray, y: np.ndarray, norm: str | Norm) -> np.ndarray:
    """D(x, y) = ½‖x‖² − ½‖y‖² − ‖y‖·‖·‖′(y; x − y) for φ = ½‖·‖² (see the module docstring)."""
    p = _order(norm)
    nx, ny = np.linalg.norm(x, p, axis=-1), np.linalg.norm(y, p, axis=-1)
    return 0.5 * nx**2 - 0.5 * ny**2 - ny * directional_derivative(y, x - y, norm)


def _order(norm: str | Norm) -> float:
    norm = norms.get(norm)
    if norm.ndim != 1 or not hasattr(norm, "p"):
        raise ValueError(f"the generalized Bregman divergence is implemented for vector ℓp norms; got {norm.name!r}")
    return norm.p
