"""Norms and duality: each norm's steepest-descent direction (its LMO) in closed form, and Hölder's equality
case <g, lmo(g)> = ‖g‖_* that it reaches, with q = p/(p − 1) the dual exponent.

ℓp (p = 1, 3/2, 2, 3, ∞): sign(g_{i*})e_{i*}, sign(g)|g|^{q−1}/‖g‖_q^{q−1}, sign(g) (Gunasekar et al. 2018,
Sec. 3; Hölder). Matrices: G/‖G‖_F (Frobenius, self-dual), UVᵀ (spectral, dual nuclear), u₁v₁ᵀ (nuclear,
dual spectral) for G = UΣVᵀ (von Neumann's trace inequality).
The numeric checks compare `numerics.norms` (imported lazily: importing `theory` never imports torch) with
these formulas and, for matrices, with cvxpy's maximum of <G, D> over the norm's unit ball.
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register
from theory.symbols import OP, STAR, F, Inner, Lmo, Norm, dual_exponent

g = sympy.Symbol("g")
G = sympy.Symbol("G")
HOLDER = "Hölder's inequality, equality case; steepest descent as in Gunasekar et al. 2018, Sec. 3"


def _lp_direction(x, p, q):
    """The closed-form ℓp LMO as a sympy expression in an entry x (finite 1 < p)."""
    return sympy.sign(x) * sympy.Abs(x) ** (q - 1) / Norm(g, q) ** (q - 1)


def lp_lemma(p, q=None) -> Lemma:
    """Hölder's equality case for ℓp reached by its LMO; `q` overrides the dual exponent (wrong variants)."""
    p = sympy.sympify(p)
    q = dual_exponent(p) if q is None else sympy.sympify(q)
    if p == 1:
        direction = sympy.sign(sympy.Symbol("g_{i^*}")) * sympy.Symbol("e_{i^*}")
        assumptions = (r"$i^* \in \arg\max_i |g_i|$",)
    elif p == sympy.oo:
        direction, assumptions = sympy.sign(g), ()
    else:
        direction, assumptions = _lp_direction(g, p, q), (r"$g \neq 0$",)
    statement = sympy.And(sympy.Eq(Lmo(g, p), direction, evaluate=False),
                          sympy.Eq(Inner(g, Lmo(g, p)), Norm(g, q), evaluate=False), evaluate=False)
    name = "inf" if p == sympy.oo else str(p)
    return Lemma(
        id=f"lmo.lp:{name}", title=rf"Steepest descent under $\ell_{{{sympy.latex(p)}}}$ reaches H\"older's bound",
        source=HOLDER, statement=statement, assumptions=(r"$q = p/(p-1)$",) + assumptions,
        symbolic=lambda: _lp_symbolic(p, q), numeric=lambda rng: _lp_numeric(rng, p, q), tolerance=1e-12)


def _lp_symbolic(p, q):
    """On g = (g₁, g₂, g₃): <g, d> = ‖g‖_q and ‖d‖_p = 1 for the closed-form d."""
    if p == 1:  # |g₁| = m is the largest entry: g = (m, m/(1+a), m/(1+b)), all positive
        m, a, b = sympy.symbols("m a b", positive=True)
        entries = (m, m / (1 + a), m / (1 + b))
        norm_q = sympy.Max(*entries) if q == sympy.oo else sum(e**q for e in entries) ** (1 / q)
        return [entries[0] * 1 - norm_q]
    if p == sympy.oo:  # sign(g) for real non-zero entries; ‖sign(g)‖_∞ = 1
        xs = sympy.symbols("g1:4", real=True, nonzero=True)
        norm_q = sum(sympy.Abs(x) ** q for x in xs) ** (1 / q)
        return [sum(x * sympy.sign(x) for x in xs) - norm_q]
    xs = sympy.symbols("g1:4", positive=True)
    norm_q = sum(x**q for x in xs) ** (1 / q)
    d = [x ** (q - 1) / norm_q ** (q - 1) for x in xs]
    return [sum(x * di for x, di in zip(xs, d)) - norm_q, sum(di**p for di in d) - 1]


def _lp_numeric(rng, p, q):
    import torch

    from numerics import norms

    p_f, q_f = float(p), float(q)
    name = "linf" if p == sympy.oo else f"lp:{p_f:g}"
    residuals = []
    for shape in [(7,), (3, 5)]:
        x = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3)
        d = norms.get(name).lmo(torch.as_tensor(x)).numpy()
        a = np.abs(x)
        if p == 1:
            formula = np.zeros_like(x)
            np.put_along_axis(formula, a.argmax(-1)[..., None], np.take_along_axis(np.sign(x), a.argmax(-1)[..., None], -1), -1)
        elif p == sympy.oo:
            formula = np.sign(x)
        else:
            formula = np.sign(x) * a ** (q_f - 1) / np.linalg.norm(x, q_f, axis=-1, keepdims=True) ** (q_f - 1)
        dual = np.linalg.norm(x, q_f, axis=-1)
        residuals += [np.abs((x * d).sum(-1) - dual) / dual, np.abs(np.linalg.norm(d, p_f, axis=-1) - 1),
                      np.abs(d - formula).ravel()]
    return np.concatenate([np.ravel(r) for r in residuals])


def _rotation(angle):
    return sympy.Matrix([[sympy.cos(angle), -sympy.sin(angle)], [sympy.sin(angle), sympy.cos(angle)]])


def _svd_symbols():
    """G = R(θ) diag(s₁, s₂) R(φ)ᵀ with s₁ ≥ s₂ > 0: a generic 2×2 matrix in SVD form."""
    theta, phi = sympy.symbols("theta phi", real=True)
    s2, gap = sympy.symbols("s2 delta", positive=True)
    U, V, S = _rotation(theta), _rotation(phi), sympy.diag(s2 + gap, s2)
    return U, S, V, U * S * V.T


def _frobenius_symbolic():
    Gm = sympy.Matrix(2, 2, sympy.symbols("g11 g12 g21 g22", real=True))
    fro = sympy.sqrt(sum(x**2 for x in Gm))
    D = Gm / fro
    return [sum(Gm.multiply_elementwise(D)) - fro, sum(x**2 for x in D) - 1]


def _spectral_symbolic():
    U, S, V, Gm = _svd_symbols()
    D = U * V.T
    return [sum(Gm.multiply_elementwise(D)) - S.trace(), *(D * D.T - sympy.eye(2))]


def _nuclear_symbolic():
    U, S, V, Gm = _svd_symbols()
    u, v = U[:, 0], V[:, 0]
    D = u * v.T
    return [sum(Gm.multiply_elementwise(D)) - S[0, 0], (u.T * u)[0] * (v.T * v)[0] - 1]


def _matrix_numeric(rng, name: str, formula):
    """numerics' LMO against the SVD formula, and <G, lmo(G)> against cvxpy's max over the unit ball."""
    import cvxpy as cp
    import torch

    from numerics import norms

    norm = norms.get(name)
    residuals = []
    for shape in [(3, 5), (4, 4), (6, 2)]:
        Gn = rng.standard_normal(shape)
        D = norm.lmo(torch.as_tensor(Gn)).numpy()
        Dv = cp.Variable(shape)
        best = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Gn, Dv))), [norm.cvxpy(Dv) <= 1])
        best.solve(solver=norm.solvers[0])
        residuals += [abs((Gn * D).sum() - best.value) / best.value, abs(float(norm.value(D)) - 1),
                      np.abs(D - formula(Gn)).max()]
    return np.array(residuals)


def _svd_formula(kind):
    def formula(Gn):
        U, s, Vt = np.linalg.svd(Gn, full_matrices=False)
        return U @ Vt if kind == "polar" else np.outer(U[:, 0], Vt[0])
    return formula


U_, V_ = sympy.MatrixSymbol("U", 2, 2), sympy.MatrixSymbol("V", 2, 2)
u1, v1 = sympy.MatrixSymbol("u_1", 2, 1), sympy.MatrixSymbol("v_1", 2, 1)
SVD = r"$G = U \Sigma V^{T}$ (thin SVD of the non-zero part)"

LEMMAS = [
    *(lp_lemma(p) for p in (1, sympy.Rational(3, 2), 2, 3, sympy.oo)),
    Lemma(id="lmo.fro", title=r"The Frobenius norm is self-dual; its steepest-descent direction is $G/\|G\|_F$",
          source="Cauchy–Schwarz, equality case", assumptions=(r"$G \neq 0$",),
          statement=sympy.And(sympy.Eq(Lmo(G, F), G / Norm(G, F), evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, F)), Norm(G, F), evaluate=False), evaluate=False),
          symbolic=_frobenius_symbolic,
          numeric=lambda rng: _matrix_numeric(rng, "fro", lambda Gn: Gn / np.linalg.norm(Gn)), tolerance=1e-6),
    Lemma(id="lmo.spectral", title=r"Spectral steepest descent steps along the polar factor $UV^T$; the dual is the nuclear norm",
          source="von Neumann's trace inequality; orthogonalized steps (spectral descent)", assumptions=(SVD,),
          statement=sympy.And(sympy.Eq(Lmo(G, OP), U_ * V_.T, evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, OP)), Norm(G, STAR), evaluate=False), evaluate=False),
          symbolic=_spectral_symbolic, numeric=lambda rng: _matrix_numeric(rng, "spectral", _svd_formula("polar")),
          tolerance=1e-6),
    Lemma(id="lmo.nuclear", title=r"Nuclear-norm steepest descent steps along the top singular pair $u_1v_1^T$; the dual is the spectral norm",
          source="von Neumann's trace inequality; NucGD (Xie et al. 2026)", assumptions=(SVD, r"$\sigma_1 > \sigma_2$"),
          statement=sympy.And(sympy.Eq(Lmo(G, STAR), u1 * v1.T, evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, STAR)), Norm(G, OP), evaluate=False), evaluate=False),
          symbolic=_nuclear_symbolic, numeric=lambda rng: _matrix_numeric(rng, "nuclear", _svd_formula("top")),
          tolerance=1e-6),
]
for _lemma in LEMMAS:
    register(_lemma)
