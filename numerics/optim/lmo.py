"""SVD-free LMOs for the matrix norms, batched over leading dimensions, written against the array API (one source
for torch and for the compiled path's JAX).

- `newton_schulz`: the polar factor UVᵀ (spectral LMO) by the cubic iteration X ← (3X − XXᵀX)/2 from
  X₀ = G/‖G‖_F, which maps every singular value σ ∈ (0, √3) towards 1. An exact 0 stays 0, but a
  rounding-level singular value (~ε·σ₁ of a rank-deficient G) grows by at most 1.5× a step: ≤ 1.5^k·ε after
  k steps (1e-9 at k = 40), where the exact LMO drops it. Returns the error ‖XXᵀX − X‖_F with X.
- `power_iteration`: the top singular pair u₁v₁ᵀ (nuclear LMO) by alternating u ← Gv/‖Gv‖, v ← Gᵀu/‖Gᵀu‖,
  warm-started from the previous step's v: NucGD's "asynchronous power iteration" (Xie et al. 2026), one or
  a few matrix–vector products per step instead of an SVD.
"""

from __future__ import annotations

from numerics.norms.base import namespace
from numerics.norms.schatten import FROBENIUS


def newton_schulz(G, steps: int = 12):
    """(X ≈ polar factor of G, ‖XXᵀX − X‖_F): X has the singular vectors of G and singular values
    s_k(σ_i/‖G‖_F) with s_k → 1 on (0, √3); the error is 0 exactly when every kept singular value is 1."""
    xp = namespace(G)
    norm = FROBENIUS.value(G)[..., None, None]  # max-scaled: matrix_norm underflows at 1e-170
    X = G / xp.where(norm > 0, norm, 1.0)
    wide = X.shape[-2] <= X.shape[-1]
    for _ in range(steps):
        Xt = xp.matrix_transpose(X)
        X = 1.5 * X - 0.5 * ((X @ Xt) @ X if wide else X @ (Xt @ X))
    error = xp.linalg.matrix_norm(X @ xp.matrix_transpose(X) @ X - X, ord="fro")
    return X, error


def power_iteration(G, v, iters: int = 1):
    """(u₁v₁ᵀ estimate, new v) from `iters` alternating steps started at v (…, d); 0 where G = 0."""
    xp = namespace(G, v)
    for _ in range(iters):
        u = _unit(G @ v[..., None], axis=-2)
        v_new = _unit((xp.matrix_transpose(G) @ u)[..., 0], axis=-1)
        v = xp.where(xp.sum(xp.abs(v_new), axis=-1, keepdims=True) > 0, v_new, v)  # Gv = 0: keep the start
    u = _unit(G @ v[..., None], axis=-2)
    return u @ v[..., None, :], v


def _unit(x, axis: int):
    """x/‖x‖ along `axis` (max-scaled, so exact for tiny x); 0 where x = 0."""
    xp = namespace(x)
    m = xp.max(xp.abs(x), axis=axis, keepdims=True)
    x = x / xp.where(m > 0, m, 1.0)
    n = xp.linalg.vector_norm(x, axis=axis, keepdims=True)
    return x / xp.where(n > 0, n, 1.0)
