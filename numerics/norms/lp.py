"""ℓp norms, 1 ≤ p ≤ ∞, on vectors (``l1``, ``l2``, ``linf``, ``lp:<p>``) and entrywise on matrices
(``entry_l1``, ``entry_linf``, ``entry_lp:<p>``, i.e. ℓp of vec(W)).

Dual exponent q = p/(p−1). LMO (Hölder's equality case):
  p = 1:  ±e_i at i = argmax |g_i| (greedy coordinate descent; ties → lowest flat index);
  p = ∞:  sign(g) (sign descent; coordinates with g_i = 0 get 0);
  else :  sign(g)|g|^{q−1} / ‖g‖_q^{q−1}  (q = 2 gives g/‖g‖₂).

Values and LMOs are written once against the array API standard (`numerics.norms.base.namespace`): the same code
runs on torch tensors (the eager optimizers) and on JAX arrays inside the compiled training path.
"""

from __future__ import annotations

import math
from functools import cache

import cvxpy as cp

from numerics.norms.base import Norm, flatten_matrix, namespace, one_hot, register


def _fmt(p: float) -> str:
    return "inf" if math.isinf(p) else f"{p:g}"


class Lp(Norm):
    """ℓp norm of a vector (ndim = 1) or of a matrix's entries (ndim = 2)."""

    solvers = ("CLARABEL", "SCS")

    def __init__(self, p: float, ndim: int = 1):
        p = float(p)
        if not p >= 1:
            raise ValueError(f"ℓp is a norm only for p ≥ 1; got p = {p}")
        self.p, self.ndim = p, ndim
        self.q = 1.0 if math.isinf(p) else (math.inf if p == 1 else p / (p - 1))
        short = {1.0: "l1", 2.0: "l2", math.inf: "linf"} if ndim == 1 else {1.0: "entry_l1", math.inf: "entry_linf"}
        self.name = short.get(p, f"{'lp' if ndim == 1 else 'entry_lp'}:{_fmt(p)}")
        self.strongly_convex = self.unique_lmo = 1 < p < math.inf
        sub = r"\infty" if math.isinf(p) else _fmt(p)
        self.symbol = rf"\|\cdot\|_{{{sub}}}" if ndim == 1 else rf"\|\operatorname{{vec}}(\cdot)\|_{{{sub}}}"

    @property
    def dual(self) -> Norm:
        return lp(self.q, self.ndim)

    def direction_error(self, gap: float, numel: int) -> float | None:
        """δ_p(ε) ≥ (p − 1)ε²/8 for 1 < p ≤ 2 (2-uniform convexity, Ball, Carlen, Lieb 1994), so ε ≤ 2√(gap/(p−1))
        and ‖·‖₂ ≤ ‖·‖_p; δ_p(ε) ≥ (ε/2)^p/p for p ≥ 2 (Clarkson 1936), so ε ≤ 2(p·gap/2)^{1/p} and
        ‖·‖₂ ≤ numel^{1/2 − 1/p}‖·‖_p. p = 2 gives the familiar 2√gap."""
        if not self.strongly_convex:
            return None
        gap = max(float(gap), 0.0)
        if self.p <= 2:
            return 2 * math.sqrt(gap / (self.p - 1))
        return 2 * (self.p * gap / 2) ** (1 / self.p) * numel ** (0.5 - 1 / self.p)

    def _flat(self, x):
        return flatten_matrix(x) if self.ndim == 2 else x

    def _value(self, x):
        xp, flat = namespace(x), self._flat(x)
        if self.p in (1.0, math.inf):
            return xp.linalg.vector_norm(flat, ord=self.p, axis=-1)
        # ‖x‖_p = m·‖x/m‖_p with m = max|x_i|: the libraries form |x_i|^p directly, which under/overflows
        # (p = 3 at |x| ~ 1e-200, p = 2 at 1e±300).
        m = _max_abs(flat)
        return m[..., 0] * xp.linalg.vector_norm(flat / m, ord=self.p, axis=-1)

    def lmo(self, g):
        self._check_shape(g)
        xp, flat = namespace(g), self._flat(g)
        if self.p == 1:
            at_max = one_hot(xp.argmax(xp.abs(flat), axis=-1), flat.shape[-1], flat)
            d = at_max * xp.sign(flat)
        elif math.isinf(self.p):
            d = xp.sign(flat)
        else:
            # Scale by max|g| first so |g|^{q-1} cannot under/overflow; the scaled vector has norm ≥ 1 (or is 0).
            a = xp.abs(flat) / _max_abs(flat)
            num = a ** (self.q - 1)
            den = xp.linalg.vector_norm(a, ord=self.q, axis=-1, keepdims=True) ** (self.q - 1)
            d = xp.sign(flat) * num / xp.where(den > 0, den, 1.0)
        return xp.reshape(d, g.shape)

    def cvxpy(self, expr: cp.Expression) -> cp.Expression:
        x = cp.vec(expr, order="C") if self.ndim == 2 else expr
        return cp.norm(x, "inf" if math.isinf(self.p) else self.p)


def lp(p: float, ndim: int = 1) -> Lp:
    """The ℓp norm object, one per (p, ndim)."""
    return _lp(float(p), int(ndim))


def _max_abs(flat):
    """max_i |x_i| over the last dimension (kept), with 1 in place of 0 so that it can divide."""
    xp = namespace(flat)
    m = xp.max(xp.abs(flat), axis=-1, keepdims=True)
    return xp.where(m > 0, m, 1.0)


@cache
def _lp(p: float, ndim: int) -> Lp:
    return Lp(p, ndim)


def _parse(arg: str | None, name: str) -> float:
    if arg is None:
        raise KeyError(f"norm {name!r} needs an exponent, e.g. '{name}:3'")
    return math.inf if arg in ("inf", "∞") else float(arg)


register("l1")(lambda _: lp(1.0))
register("l2")(lambda _: lp(2.0))
register("linf")(lambda _: lp(math.inf))
register("lp", examples=("lp:3", "lp:1.5"))(lambda arg: lp(_parse(arg, "lp")))
register("entry_l1")(lambda _: lp(1.0, 2))
register("entry_linf")(lambda _: lp(math.inf, 2))
register("entry_lp", examples=("entry_lp:3",))(lambda arg: lp(_parse(arg, "entry_lp"), 2))
