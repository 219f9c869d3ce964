"""Norms of a vector's discrete Fourier transform: ‖x‖_{F,1} = Σ_k |x̂_k| (``fourier_l1``) and its dual
‖g‖_{F,∞} = max_k |ĝ_k|/D (``fourier_linf``), with x̂_k = Σ_j x_j e^{−2πikj/D} the unnormalized DFT of x ∈ R^D.

Gunasekar, Lee, Soudry, Srebro 2018 (arXiv 1806.00468, NeurIPS 2018, Theorem 2): gradient descent on a depth-L
full-width circular convolutional linear network tends to a stationary point of min ‖x̂‖_{2/L} s.t. margins ≥ 1; at
L = 2 that is the ``fourier_l1`` max margin (a convex problem).

Duality (Parseval, <g, x> = (1/D) Re Σ_k ĝ_k conj(x̂_k)): <g, x> ≤ (max_k |ĝ_k|/D)·Σ_k |x̂_k|. The LMOs:
  fourier_l1:   (1/D) cos(2πk*j/D + φ) at k* = argmax_k |ĝ_k| (ties → lowest k), φ = arg ĝ_{k*} — a real x has
                x̂_{−k} = conj(x̂_k), so one frequency pair carries mass ½ at k* and at −k* (all of it at k* = 0, D/2);
  fourier_linf: the real x with x̂_k = D·ĝ_k/|ĝ_k| for every k (0 where ĝ_k = 0), i.e. Σ_k D·phase in the time domain.
Both through the real DFT matrices C_kj = cos(2πkj/D), S_kj = sin(2πkj/D) (x̂ = Cx − iSx), after scaling by max|x_j|
so that no modulus under- or overflows; written once against the array API.
"""

from __future__ import annotations

from functools import cache

import array_api_compat
import cvxpy as cp
import numpy as np

from numerics.norms.base import Norm, namespace, one_hot, register


@cache
def dft(D: int) -> tuple[np.ndarray, np.ndarray]:
    """(C, S): x̂ = Cx − iSx."""
    angle = 2 * np.pi * np.outer(np.arange(D), np.arange(D)) / D
    return np.cos(angle), np.sin(angle)


def _parts(x):
    """(m, Cy, Sy, |ŷ|) for y = x/m, m = max|x_j| (1 where x = 0), as arrays of x's library."""
    xp = namespace(x)
    C, S = (xp.asarray(a, dtype=x.dtype, device=array_api_compat.device(x)) for a in dft(x.shape[-1]))
    m = xp.max(xp.abs(x), axis=-1, keepdims=True)
    m = xp.where(m > 0, m, 1.0)
    y = x / m
    re, im = y @ C.T, y @ S.T
    return m, re, im, xp.sqrt(re * re + im * im), C, S


class FourierL1(Norm):
    name = "fourier_l1"
    symbol = r"\|\mathcal{F}(\cdot)\|_{1}"
    ndim = 1
    solvers = ("CLARABEL", "SCS")

    @property
    def dual(self) -> Norm:
        return FOURIER_LINF

    def _value(self, x):
        m, _, _, modulus, _, _ = _parts(x)
        return m[..., 0] * namespace(x).sum(modulus, axis=-1)

    def lmo(self, g):
        self._check_shape(g)
        xp = namespace(g)
        _, re, im, modulus, C, S = _parts(g)
        top = one_hot(xp.argmax(modulus, axis=-1), g.shape[-1], g)
        a, b, r = (xp.sum(top * v, axis=-1, keepdims=True) for v in (re, im, modulus))
        d = ((top @ C) * a + (top @ S) * b) / (g.shape[-1] * xp.where(r > 0, r, 1.0))
        return xp.where(r > 0, d, 0.0)

    def cvxpy(self, expr: cp.Expression) -> cp.Expression:
        C, S = dft(expr.shape[-1])
        return cp.sum(cp.norm(cp.vstack([C @ expr, S @ expr]), 2, axis=0))


class FourierLinf(Norm):
    name = "fourier_linf"
    symbol = r"\tfrac{1}{D}\|\mathcal{F}(\cdot)\|_{\infty}"
    ndim = 1
    solvers = ("CLARABEL", "SCS")

    @property
    def dual(self) -> Norm:
        return FOURIER_L1

    def _value(self, x):
        m, _, _, modulus, _, _ = _parts(x)
        return m[..., 0] * namespace(x).max(modulus, axis=-1) / x.shape[-1]

    def lmo(self, g):
        self._check_shape(g)
        xp = namespace(g)
        _, re, im, modulus, C, S = _parts(g)
        safe = xp.where(modulus > 0, modulus, 1.0)
        return xp.where(modulus > 0, re / safe, 0.0) @ C + xp.where(modulus > 0, im / safe, 0.0) @ S

    def cvxpy(self, expr: cp.Expression) -> cp.Expression:
        C, S = dft(expr.shape[-1])
        return cp.max(cp.norm(cp.vstack([C @ expr, S @ expr]), 2, axis=0)) / expr.shape[-1]


FOURIER_L1, FOURIER_LINF = FourierL1(), FourierLinf()
register("fourier_l1")(lambda _: FOURIER_L1)
register("fourier_linf")(lambda _: FOURIER_LINF)
