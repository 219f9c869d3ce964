"""Schatten norms of matrices, ‖W‖_{S_p} = ‖σ(W)‖_p: ``fro`` (S2, self-dual), ``spectral`` (S∞ = σ_max) and
``nuclear`` (S1 = Σσ_i), the last two dual to each other, and ``schatten:<p>`` for 1 < p < ∞, dual to
``schatten:<q>``, q = p/(p − 1) (``schatten:1``, ``schatten:2``, ``schatten:inf`` are nuclear, fro, spectral).

LMOs for G = U diag(σ) Vᵀ:
  fro:      G/‖G‖_F;
  spectral: U_r V_rᵀ over the singular pairs with σ_i > max(k, d)·eps·σ_1 (`null_rtol`: the polar factor; null pairs
            dropped, so a rank-deficient G gives a rank-r step) — the orthogonalized step;
  nuclear:  u₁v₁ᵀ, the top singular pair as returned by the SVD (for a repeated σ₁ any top pair is valid);
  S_p:      U diag(σ^{q−1}) Vᵀ / ‖σ‖_q^{q−1}, the null pairs dropped as for spectral (below float64's
            resolution σ_i is rounding noise; their weight would be ≤ (max(k, d)·eps)^{q−1}).
Each is 0 at G = 0. All follow from von Neumann's trace inequality <G, W> ≤ Σ σ_i(G)σ_i(W) and Hölder's
inequality on the singular values, with equality when W shares G's singular vectors.

Written against the array API (`numerics.norms.base.namespace`): one source for torch and for JAX.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
from cvxpy.transforms.partial_optimize import partial_optimize

from numerics.norms.base import Norm, flatten_matrix, namespace, register
from numerics.norms.lp import _max_abs, lp


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
        return g / namespace(g).where(v > 0, v, 1.0)

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
        return namespace(x).linalg.matrix_norm(x, ord=2)

    def lmo(self, g):
        self._check_shape(g)
        xp = namespace(g)
        u, s, vh = xp.linalg.svd(g / _max_abs(flatten_matrix(g))[..., None], full_matrices=False)
        keep = xp.astype(s > null_rtol(g) * s[..., :1], g.dtype)
        return (u * keep[..., None, :]) @ vh

    def lmo_rounding_gain(self, g):
        """σ₁/σ_r, σ_r the least kept singular value: a perturbation E (‖E‖ ≲ u·σ₁) tilts the kept singular
        vectors toward the dropped ones by ‖E‖/σ_r (Wedin 1972, sin Θ theorem, gap σ_r − σ_{r+1} ≈ σ_r), and the
        polar factor gives each kept pair weight 1."""
        return _kept_gain(g, lambda a: namespace(a).ones_like(a))

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
        return namespace(x).linalg.matrix_norm(x, ord="nuc")

    def lmo(self, g):
        self._check_shape(g)
        xp = namespace(g)
        u, s, vh = xp.linalg.svd(g, full_matrices=False)
        nonzero = xp.astype(s[..., :1] > 0, g.dtype)[..., None]
        return u[..., :, :1] @ vh[..., :1, :] * nonzero

    def cvxpy(self, expr):
        return cp.normNuc(expr)


class Schatten(Norm):
    """‖W‖_{S_p} = (Σ σ_i(W)^p)^{1/p} for 1 < p < ∞, dual ‖·‖_{S_q}; one object per exponent (`schatten`)."""

    ndim = 2
    # ‖σ(W)‖_p ≤ 1 brings m = min(k, d) Ky Fan constraints of up to two (k+d)-square PSD blocks each (`cvxpy`).
    # Measured on gaussian_mixture(10, 10, 10, noise=0.1, seed=0) (900 margin constraints, W 10×10), 2 busy CPU
    # cores: Clarabel certifies the max margin in 3–6 s (p = 3/2 and 3, rel. gap 4e-8) and the separations
    # against fro and spectral, either way, in 7–16 s; SCS needs 180–250 s for the max margin alone.
    solvers = ("CLARABEL", "SCS")
    strongly_convex = unique_lmo = True

    def __init__(self, p: float, q: float):
        self.p, self.q = p, q
        self.name = f"schatten:{_fmt(p)}"
        self.symbol = rf"\|\cdot\|_{{S_{{{p:g}}}}}"

    @property
    def dual(self) -> Norm:
        return _SCHATTEN[self.q]

    def direction_error(self, gap, numel):
        """Schatten classes have the moduli of convexity of ℓp, so `Lp.direction_error` holds as it is:
        ‖(A+B)/2‖²_p + (p − 1)‖(A−B)/2‖²_p ≤ (‖A‖²_p + ‖B‖²_p)/2 for 1 < p ≤ 2 (Ball, Carlen, Lieb 1994,
        Thm. 1), and Clarkson's ‖(A+B)/2‖^p_p + ‖(A−B)/2‖^p_p ≤ (‖A‖^p_p + ‖B‖^p_p)/2 for p ≥ 2 (McCarthy 1967;
        Tomczak-Jaegermann 1974); ‖·‖_F = ‖σ‖₂ ≤ rank^{1/2 − 1/p}‖σ‖_p ≤ numel^{1/2 − 1/p}‖·‖_{S_p} for p ≥ 2."""
        return lp(self.p, 2).direction_error(gap, numel)

    def _value(self, x):
        # σ(x/m)·m with m = max|x_ij|: the SVD of an O(1) matrix, then ℓp max-scaled (exact at 1e∓300).
        m = _max_abs(flatten_matrix(x))[..., None]
        return m[..., 0, 0] * lp(self.p)._value(namespace(x).linalg.svdvals(x / m))

    def lmo(self, g):
        self._check_shape(g)
        xp = namespace(g)
        u, s, vh = xp.linalg.svd(g / _max_abs(flatten_matrix(g))[..., None], full_matrices=False)
        # a = σ/σ₁ ∈ [0, 1], so a^{q−1} cannot under/overflow; ‖a‖_q ≥ 1 where G ≠ 0.
        a = s / xp.where(s[..., :1] > 0, s[..., :1], 1.0)
        a = a * xp.astype(a > null_rtol(g), a.dtype)
        den = xp.linalg.vector_norm(a, ord=self.q, axis=-1, keepdims=True) ** (self.q - 1)
        return (u * (a ** (self.q - 1) / xp.where(den > 0, den, 1.0))[..., None, :]) @ vh

    def lmo_rounding_gain(self, g):
        """max over kept pairs of (σ₁/σ_i)·(σ_i/σ₁)^{q−1}: pair i is tilted by ≲ u·σ₁/σ_i (Wedin 1972) and
        weighted (σ_i/σ₁)^{q−1} relative to the top pair, so (σ₁/σ_i)^{2−q}, at most 1 for q ≥ 2."""
        return _kept_gain(g, lambda a: a ** (self.q - 1))

    def cvxpy(self, expr):
        """‖σ(W)‖_p as the partial minimum over auxiliary u ∈ R^m, m = min(k, d), and X_j ∈ R^{k×d} of
        ‖u‖_p subject to  Σ_{i≤j} σ_i(W) ≤ Σ_{i≤j} u_i  (j = 1..m)  (Ky Fan dominance), each j-th as
        ‖X_j‖_* + j‖W − X_j‖_op ≤ Σ_{i≤j} u_i (σ_max for j = 1, the nuclear norm for j = m).
        Ky Fan dominance: u = σ is feasible; conversely |u| sorted decreasingly has at least u's partial sums
        and the same norm, so σ ≺_w |u|↓ (weak majorization), and Σ x_i^p is Schur-convex and increasing on
        R^m_+ (Tomić–Weyl; Marshall, Olkin, Arnold 2011, 3.C.1.b): ‖σ‖_p ≤ ‖u‖_p.
        Ky Fan j-norm: Σ_{i≤j} σ_i(W) ≤ Σ_{i≤j} σ_i(X) + Σ_{i≤j} σ_i(W − X) ≤ ‖X‖_* + j‖W − X‖_op for every X
        (the Ky Fan norms' triangle inequality), with equality at X = U diag((σ_i − σ_j)₊) Vᵀ.
        A constant's norm is its float64 value, as for cvxpy's own atoms."""
        if not expr.variables() and not expr.parameters():
            return cp.Constant(float(self.value(np.asarray(expr.value, dtype=np.float64))))
        m = min(expr.shape)
        u = cp.Variable(m)
        splits = [cp.Variable(expr.shape) for _ in range(m - 2)]
        ky_fan = [cp.sigma_max(expr) <= u[0]]
        ky_fan += [cp.normNuc(X) + j * cp.sigma_max(expr - X) <= cp.sum(u[:j]) for j, X in enumerate(splits, 2)]
        ky_fan += [cp.normNuc(expr) <= cp.sum(u)] if m > 1 else []
        # cvxpy evaluates a partial minimum (an objective's value, after each solve) by solving it again, with
        # `solver`: Clarabel takes ~1.5 s at 10×10 where its default, SCS, takes 30–50 s.
        return partial_optimize(cp.Problem(cp.Minimize(cp.pnorm(u, self.p)), ky_fan), opt_vars=[u, *splits],
                                solver=self.solvers[0])


def _fmt(p: float) -> str:
    """The exponent as the shortest text that reads back as the same float (the name round-trips)."""
    short = f"{p:g}"
    return short if float(short) == p else repr(p)


FROBENIUS, SPECTRAL, NUCLEAR = Frobenius(), Spectral(), Nuclear()
_SCHATTEN: dict[float, Schatten] = {}
"""1 < p < ∞ → its norm, created with its dual so that `dual.dual is norm` (p/(p−1) does not round-trip:
4 → 4/3 → 4.000000000000001)."""


def schatten(p: float) -> Norm:
    """The Schatten-p norm object: nuclear, Frobenius and spectral for p = 1, 2, ∞."""
    p = float(p)
    if not p >= 1:
        raise ValueError(f"Schatten-p is a norm only for p ≥ 1; got p = {p}")
    if p in (1.0, 2.0, math.inf):
        return {1.0: NUCLEAR, 2.0: FROBENIUS, math.inf: SPECTRAL}[p]
    if p not in _SCHATTEN:
        q = p / (p - 1)
        _SCHATTEN[p] = Schatten(p, q)
        _SCHATTEN.setdefault(q, Schatten(q, p))
    return _SCHATTEN[p]


def _parse(arg: str | None) -> float:
    if arg is None:
        raise KeyError("norm 'schatten' needs an exponent, e.g. 'schatten:3'")
    try:
        return math.inf if arg in ("inf", "∞") else float(arg)
    except ValueError:
        raise ValueError(f"Schatten-p needs a number p ≥ 1 (or inf); got {arg!r}") from None


register("fro")(lambda _: FROBENIUS)
register("spectral")(lambda _: SPECTRAL)
register("nuclear")(lambda _: NUCLEAR)
register("schatten", examples=("schatten:3", "schatten:1.5"))(lambda arg: schatten(_parse(arg)))


def null_rtol(g) -> float:
    """max(k, d)·eps: a singular value below this fraction of σ₁ is rounding noise of an SVD of g (k × d), a null
    pair that the spectral and Schatten LMOs drop and `lmo_rounding_gain` does not count."""
    return max(g.shape[-2:]) * float(namespace(g).finfo(g.dtype).eps)


def _kept_gain(g, weight):
    """max_i (σ₁/σ_i)·weight(σ_i/σ₁) over the singular values an SVD-based LMO keeps (σ_i > `null_rtol`·σ₁);
    1 at g = 0. The SVD is of g/max|g_ij|, as in the LMOs (exact for entries down to 1e−300)."""
    xp = namespace(g)
    s = xp.linalg.svdvals(g / _max_abs(flatten_matrix(g))[..., None])
    a = s / xp.where(s[..., :1] > 0, s[..., :1], 1.0)
    kept = a > null_rtol(g)
    gain = xp.max(xp.where(kept, weight(a) / xp.where(kept, a, 1.0), 0.0), axis=-1)
    return xp.where(s[..., 0] > 0, gain, 1.0)
