"""Schatten norms of matrices: ``fro`` (S2, self-dual), ``spectral`` (S∞ = σ_max) and ``nuclear`` (S1 = Σσ_i),
the last two dual to each other.

LMOs for G = U diag(σ) Vᵀ:
  fro:      G/‖G‖_F;
  spectral: U_r V_rᵀ over the singular pairs with σ_i > max(k, d)·eps·σ_1 (the polar factor; null pairs
            dropped, so a rank-deficient G gives a rank-r step) — the orthogonalized step;
  nuclear:  u₁v₁ᵀ, the top singular pair as returned by the SVD (for a repeated σ₁ any top pair is valid).
Each is 0 at G = 0.
"""

from __future__ import annotations

import cvxpy as cp
import torch

from numerics.norms.base import Norm, register
from numerics.norms.lp import lp


class Frobenius(Norm):
    name, symbol, ndim = "fro", r"\|\cdot\|_F", 2
    solvers = ("CLARABEL", "SCS")
    strongly_convex = unique_lmo = True

    def direction_error(self, gap, numel):
        return lp(2.0, 2).direction_error(gap, numel)

    @property
    def dual(self) -> Norm:
        return self

    def _value(self, x):
        return lp(2.0, 2)._value(x)  # max-scaled: matrix_norm("fro") under/overflows at 1e∓300

    def lmo(self, g):
        self._check_shape(g)
        v = self._value(g)[..., None, None]
        return g / torch.where(v > 0, v, 1.0)

    def cvxpy(self, expr):
        return cp.norm(expr, "fro")


class Spectral(Norm):
    name, symbol, ndim = "spectral", r"\|\cdot\|_{2}", 2
    # σ_max(W) ≤ 1 is one (k+d)-LMI with no extra variables: Clarabel certifies (200, 50, 10) in ~1.6 s,
    # SCS needs 2000–5000 iterations (3–7 s) there. Measured with benchmarks/references.py.
    solvers = ("CLARABEL", "SCS")
    lmo_methods = ("exact", "newton_schulz")

    @property
    def dual(self) -> Norm:
        return NUCLEAR

    def _value(self, x):
        return torch.linalg.matrix_norm(x, ord=2)

    def lmo(self, g):
        self._check_shape(g)
        u, s, vh = torch.linalg.svd(g, full_matrices=False)
        rtol = max(g.shape[-2:]) * torch.finfo(g.dtype).eps
        keep = (s > rtol * s[..., :1]).to(g.dtype)
        return (u * keep[..., None, :]) @ vh

    def cvxpy(self, expr):
        return cp.sigma_max(expr)


class Nuclear(Norm):
    name, symbol, ndim = "nuclear", r"\|\cdot\|_{*}", 2
    # ‖W‖_* ≤ 1 brings two PSD blocks of extra variables: SCS (eps 1e-9) certifies (200, 50, 10) in
    # 0.5–1 s, Clarabel takes ~6.5 s.
    solvers = ("SCS", "CLARABEL")
    lmo_methods = ("exact", "power")

    @property
    def dual(self) -> Norm:
        return SPECTRAL

    def _value(self, x):
        return torch.linalg.matrix_norm(x, ord="nuc")

    def lmo(self, g):
        self._check_shape(g)
        u, s, vh = torch.linalg.svd(g, full_matrices=False)
        nonzero = (s[..., :1] > 0).to(g.dtype)[..., None]
        return u[..., :, :1] @ vh[..., :1, :] * nonzero

    def cvxpy(self, expr):
        return cp.normNuc(expr)


FROBENIUS, SPECTRAL, NUCLEAR = Frobenius(), Spectral(), Nuclear()
register("fro")(lambda _: FROBENIUS)
register("spectral")(lambda _: SPECTRAL)
register("nuclear")(lambda _: NUCLEAR)
