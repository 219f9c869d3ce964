"""Norms and duality: each norm's steepest-descent direction (its LMO) in closed form, and Hölder's equality
case <g, lmo(g)> = ‖g‖_* that it reaches, with q = p/(p − 1) the dual exponent.

ℓp (p = 1, 3/2, 2, 3, ∞): sign(g_{i*})e_{i*}, sign(g)|g|^{q−1}/‖g‖_q^{q−1}, sign(g) (Gunasekar et al. 2018,
Sec. 3; Hölder). Matrices: G/‖G‖_F (Frobenius, self-dual), UVᵀ (spectral, dual nuclear), u₁v₁ᵀ (nuclear,
dual spectral) for G = UΣVᵀ (von Neumann's trace inequality).
The checks instantiate the statements: the symbolic ones on generic vectors and 2×2 matrices in SVD form, the
numeric ones compare `numerics.norms` (imported lazily: importing `theory` never imports torch) with the
statement's formula, lambdified, and, for matrices, with cvxpy's maximum of <G, D> over the norm's unit ball.
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register, relation
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
        direction = sympy.sign(G_STAR) * E_STAR
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
        symbolic=_lp_symbolic, numeric=_lp_numeric, tolerance=1e-12)


G_STAR, E_STAR = sympy.Symbol("g_{i^*}"), sympy.Symbol("e_{i^*}")


def _lp_parts(statement):
    """(p, the LMO's formula, the exponent of the dual norm it is claimed to reach) read off the statement."""
    lmo = relation(statement, Lmo)
    return lmo.lhs.args[1], lmo.rhs, relation(statement, Inner).rhs.args[1]


def _concrete(expr, entries):
    """`expr` with every ‖g‖_k replaced by the ℓk norm of the concrete entries."""
    def value(k):
        return (sympy.Max(*(sympy.Abs(e) for e in entries)) if k == sympy.oo
                else sum(sympy.Abs(e) ** k for e in entries) ** (1 / k))
    return expr.replace(lambda e: isinstance(e, Norm), lambda e: value(e.args[1]))


def _lp_symbolic(statement):
    """On g = (g₁, g₂, g₃): the statement's direction d has ‖d‖_p = 1 and <g, d> = its claimed dual norm."""
    p, direction, q = _lp_parts(statement)
    if p == 1:  # |g₁| = m is the largest entry: g = (m, m/(1+a), m/(1+b)), all positive; i* = 1
        m, a, b = sympy.symbols("m a b", positive=True)
        entries = (m, m / (1 + a), m / (1 + b))
        d = [direction.subs({G_STAR: m, E_STAR: 1}), 0, 0]
    else:
        entries = (sympy.symbols("g1:4", real=True, nonzero=True) if p == sympy.oo
                   else sympy.symbols("g1:4", positive=True))
        d = [_concrete(direction, entries).subs(g, e) for e in entries]
    norm_d = sympy.Max(*(sympy.Abs(c) for c in d)) if p == sympy.oo else sum(sympy.Abs(c) ** p for c in d)
    return [sum(e * c for e, c in zip(entries, d)) - _concrete(Norm(g, q), entries), norm_d - 1]


def _lp_numeric(rng, statement):
    """numerics' LMO against the statement's formula (lambdified), its ℓp norm 1 and <g, lmo(g)> against the
    statement's dual norm, on random vectors and batches over 6 orders of magnitude."""
    import torch

    from numerics import norms

    p, direction, q = _lp_parts(statement)
    name = "l1" if p == 1 else "linf" if p == sympy.oo else f"lp:{float(p):g}"
    norm_symbols = sorted({e for e in direction.atoms(Norm)}, key=str)
    formula = sympy.lambdify((g, G_STAR, *norm_symbols), direction.subs(E_STAR, 1), "numpy")
    residuals = []
    for shape in [(7,), (3, 5)]:
        x = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3)
        d = norms.get(name).lmo(torch.as_tensor(x)).numpy()
        sizes = [np.linalg.norm(x, float(n.args[1]), axis=-1, keepdims=True) for n in norm_symbols]
        if p == 1:
            top = np.abs(x).argmax(-1)[..., None]
            expected = np.zeros_like(x)
            np.put_along_axis(expected, top, formula(0.0, np.take_along_axis(x, top, -1), *sizes), -1)
        else:
            expected = formula(x, 0.0, *sizes) * np.ones_like(x)
        dual = np.linalg.norm(x, float(q), axis=-1)
        residuals += [np.abs((x * d).sum(-1) - dual) / dual, np.abs(np.linalg.norm(d, float(p), axis=-1) - 1),
                      np.abs(d - expected).ravel()]
    return np.concatenate([np.ravel(r) for r in residuals])


def _rotation(angle):
    return sympy.Matrix([[sympy.cos(angle), -sympy.sin(angle)], [sympy.sin(angle), sympy.cos(angle)]])


def _svd_symbols():
    """G = R(θ) diag(s₁, s₂) R(φ)ᵀ with s₁ ≥ s₂ > 0: a generic 2×2 matrix in SVD form."""
    theta, phi = sympy.symbols("theta phi", real=True)
    s2, gap = sympy.symbols("s2 delta", positive=True)
    U, V, S = _rotation(theta), _rotation(phi), sympy.diag(s2 + gap, s2)
    return U, S, V, U * S * V.T


def _matrix_symbolic(statement):
    """The statement's direction D on a generic matrix: <G, D> equals the dual norm it names, and D lies on
    the unit sphere of its norm — ‖D‖_F = 1 (Frobenius), DDᵀ = I (spectral: all singular values 1),
    ‖D‖_* = √(tr DᵀD + 2|det D|) = 1 (nuclear)."""
    lmo = relation(statement, Lmo)
    kind, direction, dual = lmo.lhs.args[1], lmo.rhs, relation(statement, Inner).rhs.args[1]
    U, S, V, Gm = _svd_symbols()
    if kind == F:  # entries as symbols: the Frobenius formula needs no SVD
        Gm = sympy.Matrix(2, 2, sympy.symbols("g11 g12 g21 g22", real=True))
    fro = sympy.sqrt(sum(x**2 for x in Gm))
    values = {F: fro, STAR: S.trace(), OP: S[0, 0]}
    D = sympy.Matrix(direction.replace(lambda e: isinstance(e, Norm), lambda e: values[e.args[1]]).subs(
        {G: Gm, U_: U, V_: V, u1: U[:, 0], v1: V[:, 0]}).doit())
    inner = sum(Gm.multiply_elementwise(D)) - values[dual]
    if kind == F:
        return [inner, sum(x**2 for x in D) - 1]
    if kind == OP:
        return [inner, *(D * D.T - sympy.eye(2))]
    return [inner, sympy.sqrt((D.T * D).trace() + 2 * sympy.Abs(D.det())) - 1]  # ‖D‖_* = σ₁ + σ₂ for 2×2


NORM_NAMES = {F: "fro", STAR: "nuclear", OP: "spectral"}
"""The `numerics.norms` name of each matrix-norm symbol."""


def _matrix_numeric(rng, statement):
    """numerics' LMO against the statement's formula (lambdified over G or its SVD factors), <G, lmo(G)>
    against the dual norm the statement names, and against cvxpy's maximum of <G, D> over the unit ball."""
    import cvxpy as cp
    import torch

    from numerics import norms

    lmo = relation(statement, Lmo)
    norm, dual = norms.get(NORM_NAMES[lmo.lhs.args[1]]), NORM_NAMES[relation(statement, Inner).rhs.args[1]]
    direction = lmo.rhs.replace(lambda e: isinstance(e, Norm), lambda e: sympy.Symbol("N"))
    formula = sympy.lambdify((G, sympy.Symbol("N"), U_, V_, u1, v1), direction, "numpy")
    residuals = []
    for shape in [(3, 5), (4, 4), (6, 2)]:
        Gn = rng.standard_normal(shape)
        D = norm.lmo(torch.as_tensor(Gn)).numpy()
        Un, _, Vt = np.linalg.svd(Gn, full_matrices=False)
        expected = formula(Gn, np.linalg.norm(Gn), Un, Vt.T, Un[:, :1], Vt[:1].T)
        Dv = cp.Variable(shape)
        best = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Gn, Dv))), [norm.cvxpy(Dv) <= 1])
        best.solve(solver=norm.solvers[0])
        claimed = float(norms.get(dual).value(Gn))
        residuals += [abs((Gn * D).sum() - claimed) / claimed, abs(best.value - claimed) / claimed,
                      abs(float(norm.value(D)) - 1), np.abs(D - expected).max()]
    return np.array(residuals)


U_, V_ = sympy.MatrixSymbol("U", 2, 2), sympy.MatrixSymbol("V", 2, 2)
u1, v1 = sympy.MatrixSymbol("u_1", 2, 1), sympy.MatrixSymbol("v_1", 2, 1)
SVD = r"$G = U \Sigma V^{T}$ (thin SVD of the non-zero part)"

LEMMAS = [
    *(lp_lemma(p) for p in (1, sympy.Rational(3, 2), 2, 3, sympy.oo)),
    Lemma(id="lmo.fro", title=r"The Frobenius norm is self-dual; its steepest-descent direction is $G/\|G\|_F$",
          source="Cauchy–Schwarz, equality case", assumptions=(r"$G \neq 0$",),
          statement=sympy.And(sympy.Eq(Lmo(G, F), G / Norm(G, F), evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, F)), Norm(G, F), evaluate=False), evaluate=False),
          symbolic=_matrix_symbolic, numeric=_matrix_numeric, tolerance=1e-6),
    Lemma(id="lmo.spectral",
          title=r"Spectral steepest descent steps along the polar factor $UV^T$; the dual is the nuclear norm",
          source="von Neumann's trace inequality; orthogonalized steps (spectral descent)", assumptions=(SVD,),
          statement=sympy.And(sympy.Eq(Lmo(G, OP), U_ * V_.T, evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, OP)), Norm(G, STAR), evaluate=False), evaluate=False),
          symbolic=_matrix_symbolic, numeric=_matrix_numeric, tolerance=1e-6),
    Lemma(id="lmo.nuclear",
          title=r"Nuclear-norm steepest descent steps along the top singular pair $u_1v_1^T$; "
                r"the dual is the spectral norm",
          source="von Neumann's trace inequality; NucGD (Xie et al. 2026)", assumptions=(SVD, r"$\sigma_1 > \sigma_2$"),
          statement=sympy.And(sympy.Eq(Lmo(G, STAR), u1 * v1.T, evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, STAR)), Norm(G, OP), evaluate=False), evaluate=False),
          symbolic=_matrix_symbolic, numeric=_matrix_numeric, tolerance=1e-6),
]
for _lemma in LEMMAS:
    register(_lemma)
