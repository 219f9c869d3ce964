"""SVD-free LMOs for the matrix norms, batched over leading dimensions.

- `newton_schulz`: the polar factor UVᵀ (spectral LMO) by the cubic iteration X ← (3X − XXᵀX)/2 from
  X₀ = G/‖G‖_F, which maps every singular value σ ∈ (0, √3) towards 1. An exact 0 stays 0, but a
  rounding-level singular value (~ε·σ₁ of a rank-deficient G) grows by at most 1.5× a step: ≤ 1.5^k·ε after
  k steps (1e-9 at k = 40), where the exact LMO drops it. Returns the error ‖XXᵀX − X‖_F with X.
- `power_iteration`: the top singular pair u₁v₁ᵀ (nuclear LMO) by alternating u ← Gv/‖Gv‖, v ← Gᵀu/‖Gᵀu‖,
  warm-started from the previous step's v: NucGD's "asynchronous power iteration" (Xie et al. 2026), one or
  a few matrix–vector products per step instead of an SVD.
"""

from __future__ import annotations

import torch

from numerics.norms.schatten import FROBENIUS


def newton_schulz(G: torch.Tensor, steps: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """(X ≈ polar factor of G, ‖XXᵀX − X‖_F): X has the singular vectors of G and singular values
    s_k(σ_i/‖G‖_F) with s_k → 1 on (0, √3); the error is 0 exactly when every kept singular value is 1."""
    norm = FROBENIUS.value(G)[..., None, None]  # max-scaled: matrix_norm underflows at 1e-170
    X = G / torch.where(norm > 0, norm, torch.ones_like(norm))
    wide = X.shape[-2] <= X.shape[-1]
    for _ in range(steps):
        gram = X @ X.transpose(-1, -2) if wide else X.transpose(-1, -2) @ X
        X = 1.5 * X - 0.5 * (gram @ X if wide else X @ gram)
    error = torch.linalg.matrix_norm(X @ X.transpose(-1, -2) @ X - X, ord="fro")
    return X, error


def power_iteration(G: torch.Tensor, v: torch.Tensor, iters: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(u₁v₁ᵀ estimate, new v) from `iters` alternating steps started at v (…, d); 0 where G = 0."""
    for _ in range(iters):
        u = _unit(G @ v[..., None], dim=-2)
        v_new = _unit((G.transpose(-1, -2) @ u).squeeze(-1), dim=-1)
        v = torch.where(v_new.abs().sum(-1, keepdim=True) > 0, v_new, v)  # Gv = 0 (e.g. G = 0): keep the start
    u = _unit(G @ v[..., None], dim=-2)
    return u @ v[..., None, :], v


def _unit(x: torch.Tensor, dim: int) -> torch.Tensor:
    """x/‖x‖ along `dim` (max-scaled, so exact for tiny x); 0 where x = 0."""
    m = x.abs().amax(dim=dim, keepdim=True)
    x = x / torch.where(m > 0, m, 1.0)
    n = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return x / torch.where(n > 0, n, 1.0)
