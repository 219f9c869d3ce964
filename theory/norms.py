"""Norms and duality: each norm's steepest-descent direction (its LMO) in closed form, and Hölder's equality
case <g, lmo(g)> = ‖g‖_* that it reaches, with q = p/(p − 1) the dual exponent.

ℓp (p = 1, 3/2, 2, 3, ∞): sign(g_{i*})e_{i*}, sign(g)|g|^{q−1}/‖g‖_q^{q−1}, sign(g) (Gunasekar et al. 2018,
Sec. 3; Hölder). Matrices: G/‖G‖_F (Frobenius, self-dual), UVᵀ (spectral, dual nuclear), u₁v₁ᵀ (nuclear,
dual spectral), UΣ^{q−1}Vᵀ/‖G‖_{S_q}^{q−1} (Schatten-p, dual Schatten-q) for G = UΣVᵀ (von Neumann's trace
inequality, then Hölder on the singular values); one entry sign(G_{ij*})e_ie_{j*}ᵀ per row (‖·‖_{∞→∞}, the max
row sum, dual Σ_i max_j |G_ij|) or per column (‖·‖_{1→1}) (Hölder row by row).
The checks instantiate the statements: the symbolic ones on generic vectors and 2×2 matrices in SVD form (a
2×3 matrix whose entries' order is known for the induced norms), the numeric ones compare `numerics.norms`
(imported lazily: importing `theory` never imports torch) with the statement's formula, lambdified or
instantiated, and, for matrices, with cvxpy's maximum of <G, D> over the norm's unit ball.
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register, registered, relation
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
        symbolic=_lp_symbolic, numeric=_lp_numeric, tolerance=1e-12, about=_lp_name(p))


def _lp_name(p) -> str:
    """The `numerics.norms` name of ℓp."""
    return "l1" if p == 1 else "l2" if p == 2 else "linf" if p == sympy.oo else f"lp:{float(p):g}"


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
    name = _lp_name(p)
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


# ---------------------------------------------------------------------------------------------- Schatten-p

S = sympy.IndexedBase("S")
"""S[p]: the Schatten-p norm's symbol, ‖G‖_{S_p} = ‖σ(G)‖_p."""
SIGMA = sympy.MatrixSymbol(r"\Sigma", 2, 2)


def schatten_lemma(p, q=None) -> Lemma:
    """Hölder's equality case for Schatten-p reached by its LMO; `q` overrides the dual exponent (wrong
    variants)."""
    p = sympy.sympify(p)
    q = dual_exponent(p) if q is None else sympy.sympify(q)
    direction = U_ * SIGMA ** (q - 1) * V_.T / Norm(G, S[q]) ** (q - 1)
    statement = sympy.And(sympy.Eq(Lmo(G, S[p]), direction, evaluate=False),
                          sympy.Eq(Inner(G, Lmo(G, S[p])), Norm(G, S[q]), evaluate=False), evaluate=False)
    return Lemma(
        id=f"lmo.schatten:{p}",
        title=rf"Schatten-${sympy.latex(p)}$ steepest descent steps along $U\Sigma^{{q-1}}V^T$; the dual is "
              rf"Schatten-$q$",
        source="von Neumann's trace inequality, then Hölder's on the singular values, equality case "
               "(Bhatia, Matrix Analysis, 1997, Sec. IV.2)",
        statement=statement, assumptions=(SVD, r"$G \neq 0$", r"$q = p/(p-1)$"),
        symbolic=_schatten_symbolic, numeric=_schatten_numeric, tolerance=1e-6, about=f"schatten:{float(p):g}")


def _schatten_parts(statement):
    """(p of the ball, the direction, the dual norm it is claimed to reach) read off the statement."""
    lmo = relation(statement, Lmo)
    return lmo.lhs.args[1].indices[0], lmo.rhs, relation(statement, Inner).rhs


def _sigma_exponents(expr) -> set:
    """The exponents e of the powers Σ^e in `expr` (a bare Σ is Σ^1)."""
    powers = {e for e in expr.atoms(sympy.MatPow) if e.args[0] == SIGMA}
    bare = expr.xreplace({e: sympy.Identity(2) for e in powers}).has(SIGMA)
    return {e.args[1] for e in powers} | ({sympy.Integer(1)} if bare else set())


def _singular(expr, powers, schatten_norm):
    """`expr` with Σ^e replaced by powers(e) (a bare Σ by powers(1)) and every ‖G‖_{S_r} by schatten_norm(r)."""
    expr = expr.replace(lambda e: isinstance(e, sympy.MatPow) and e.args[0] == SIGMA, lambda e: powers(e.args[1]))
    expr = expr.xreplace({SIGMA: powers(sympy.Integer(1))}) if expr.has(SIGMA) else expr
    return expr.replace(lambda e: isinstance(e, Norm), lambda e: schatten_norm(e.args[1].indices[0]))


def _schatten_symbolic(statement):
    """On G = R(θ) diag(s₁, s₂) R(φ)ᵀ: the statement's direction D = U diag(d) Vᵀ has UᵀDV diagonal with
    d ≥ 0 (so d are its singular values), Σ d_i^p = 1, and <G, D> equals the dual norm the statement names."""
    p, direction, dual = _schatten_parts(statement)
    U, Sm, V, Gm = _svd_symbols()
    s = (Sm[0, 0], Sm[1, 1])

    def norm(r):
        return (s[0] ** r + s[1] ** r) ** (1 / r)

    def rotations_out(x):  # cos² + sin² = 1 after expanding: cheaper than simplify on the whole
        return sympy.trigsimp(sympy.expand(x))

    D = sympy.Matrix(_singular(direction, lambda e: sympy.diag(s[0] ** e, s[1] ** e), norm).subs(
        {U_: U, V_: V}).doit())
    diagonal = (U.T * D * V).applyfunc(rotations_out)
    return [rotations_out(sum(Gm.multiply_elementwise(D))) - _singular(dual, None, norm), diagonal[0, 1],
            diagonal[1, 0], sympy.GreaterThan(diagonal[0, 0], 0), sympy.GreaterThan(diagonal[1, 1], 0),
            diagonal[0, 0] ** p + diagonal[1, 1] ** p - 1]


def _schatten_numeric(rng, statement):
    """numerics' LMO against the statement's formula (lambdified over U, V, Σ^e and the norms it names, with
    the exponents read off the statement), <G, lmo(G)> against the dual norm it names and against cvxpy's
    maximum of <G, D> over the Schatten-p ball (its Ky Fan formulation), and ‖lmo(G)‖_{S_p} = 1."""
    import cvxpy as cp
    import torch

    from numerics import norms

    p, direction, dual = _schatten_parts(statement)
    norm = norms.get(f"schatten:{float(p):g}")
    exponents = sorted(_sigma_exponents(direction), key=str)
    powers = {e: sympy.MatrixSymbol(f"P{i}", 2, 2) for i, e in enumerate(exponents)}
    named = sorted({n.args[1].indices[0] for n in direction.atoms(Norm) | dual.atoms(Norm)}, key=str)
    sizes = {r: sympy.Symbol(f"N{i}") for i, r in enumerate(named)}
    formula = sympy.lambdify((U_, V_, *powers.values(), *sizes.values()),
                             _singular(direction, powers.get, sizes.get), "numpy")
    claimed_dual = sympy.lambdify(tuple(sizes.values()), _singular(dual, None, sizes.get), "numpy")
    residuals = []
    for shape in [(3, 5), (4, 4), (6, 2)]:
        Gn = rng.standard_normal(shape)
        Un, sn, Vt = np.linalg.svd(Gn, full_matrices=False)
        values = [np.sum(sn ** float(r)) ** (1 / float(r)) for r in named]
        expected = formula(Un, Vt.T, *(np.diag(sn ** float(e)) for e in powers), *values)
        D = norm.lmo(torch.as_tensor(Gn)).numpy()
        Dv = cp.Variable(shape)
        best = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Gn, Dv))), [norm.cvxpy(Dv) <= 1])
        best.solve(solver=norm.solvers[0])
        claimed = float(claimed_dual(*values))
        residuals += [abs((Gn * D).sum() - claimed) / claimed, abs(best.value - claimed) / claimed,
                      abs(np.sum(np.linalg.svd(expected, compute_uv=False) ** float(p)) - 1),
                      np.abs(D - expected).max()]
    return np.array(residuals)


# ------------------------------------------------------------------------------------- induced (operator) norms

OP_INF, OP_ONE = sympy.Symbol(r"\infty \to \infty"), sympy.Symbol(r"1 \to 1")
"""‖W‖_{∞→∞} = max_i Σ_j |W_ij| (max row sum) and ‖W‖_{1→1} = max_j Σ_i |W_ij| (max column sum)."""
GI, E = sympy.IndexedBase("G"), sympy.IndexedBase("E")
"""G_ij, the entries of G ∈ R^{k×d}, and E_ij = e_i e_jᵀ."""
ROW_TOP, COL_TOP = sympy.IndexedBase("j^*"), sympy.IndexedBase("i^*")
"""j*_i ∈ argmax_j |G_ij| (the top of row i) and i*_j ∈ argmax_i |G_ij| (the top of column j)."""
i_, j_, k_, d_ = sympy.symbols("i j k d", integer=True, positive=True)
OPERATOR_NAMES = {OP_INF: "op_linf", OP_ONE: "op_l1"}


def operator_lemma(kind, by_rows=None) -> Lemma:
    """Hölder's equality case for the max row sum (`OP_INF`) or max column sum (`OP_ONE`) norm, reached by one
    signed entry per row (per column); `by_rows` overrides which lines the direction picks (wrong variants)."""
    by_rows = kind == OP_INF if by_rows is None else by_rows
    if by_rows:
        top, line = (i_, ROW_TOP[i_]), (i_, 1, k_)
    else:
        top, line = (COL_TOP[j_], j_), (j_, 1, d_)
    direction = sympy.Sum(sympy.sign(GI[top]) * E[top], line)
    statement = sympy.And(sympy.Eq(Lmo(GI, kind), direction, evaluate=False),
                          sympy.Eq(Inner(GI, Lmo(GI, kind)), sympy.Sum(sympy.Abs(GI[top]), line), evaluate=False),
                          evaluate=False)
    rows = kind == OP_INF
    line_name, dual_tex = ("row", r"\sum_i \max_j |G_{ij}|") if rows else ("column", r"\sum_j \max_i |G_{ij}|")
    return Lemma(
        id=f"lmo.{OPERATOR_NAMES[kind]}",
        title=rf"Steepest descent under the max {line_name} sum $\|\cdot\|_{{{sympy.latex(kind)}}}$ moves the "
              rf"largest entry of each {line_name}; the dual is ${dual_tex}$",
        source="Hölder's inequality (ℓ1 against ℓ∞) line by line, equality case; induced norms as in Horn and "
               "Johnson, Matrix Analysis, 2nd ed. 2013, Sec. 5.6",
        statement=statement,
        assumptions=(r"$G \in \mathbb{R}^{k \times d}$, $E_{ij} = e_i e_j^T$",
                     r"$j^*_i \in \arg\max_j |G_{ij}|$" if by_rows else r"$i^*_j \in \arg\max_i |G_{ij}|$"),
        symbolic=_operator_symbolic, numeric=_operator_numeric, tolerance=1e-6, about=OPERATOR_NAMES[kind])


def _instantiate(expr, Gm):
    """`expr` on the concrete matrix Gm: the sums expanded over its rows and columns, j*_i and i*_j the tops of
    its rows and columns (`_top`), G_ij its entries; E_ij stays symbolic."""
    rows, cols = Gm.shape
    expr = expr.subs({k_: rows, d_: cols}).doit()
    tops = {ROW_TOP[a + 1]: _top(Gm.row(a)) + 1 for a in range(rows)}
    tops |= {COL_TOP[b + 1]: _top(Gm.col(b)) + 1 for b in range(cols)}
    return expr.xreplace(tops).xreplace({GI[a + 1, b + 1]: Gm[a, b] for a in range(rows) for b in range(cols)})


def _top(line) -> int:
    """The index of the largest |entry| (the lowest one at ties); sympy must decide each comparison (it raises
    where it cannot, and the check is then an error, never a pass)."""
    best = 0
    for i in range(1, len(line)):
        if bool(sympy.Abs(line[i]) > sympy.Abs(line[best])):
            best = i
    return best


def _as_matrix(direction, shape):
    """The matrix Σ c_ab E_ab of a linear combination of the E_ab."""
    return sympy.Matrix(*shape, lambda a, b: direction.coeff(E[a + 1, b + 1]))


def _operator_parts(statement):
    lmo = relation(statement, Lmo)
    return lmo.lhs.args[1], lmo.rhs, relation(statement, Inner).rhs


def _operator_symbolic(statement):
    """On a 2×3 G whose entries' moduli are in a known order (t₁ > … > t₆ as sums of positive symbols, signs
    mixed, row and column tops in different places): the statement's direction D has norm 1, <G, D> equals
    the dual norm it states, and that equals Σ_lines max |G_ij| computed from the entries."""
    kind, direction, dual = _operator_parts(statement)
    e = sympy.symbols("e1:7", positive=True)
    t = [sum(e[n:]) for n in range(6)]  # t[0] > t[1] > … > t[5] > 0
    Gm = sympy.Matrix([[t[2], -t[0], t[4]], [-t[5], t[3], -t[1]]])
    D = _as_matrix(_instantiate(direction, Gm), Gm.shape)
    lines = (lambda M: [M.row(a) for a in range(M.rows)]) if kind == OP_INF else (
        lambda M: [M.col(b) for b in range(M.cols)])
    true_dual = sum(sympy.Max(*(sympy.Abs(x) for x in line)) for line in lines(Gm))
    norm_D = sympy.Max(*(sum(sympy.Abs(x) for x in line) for line in lines(D)))
    claimed = _instantiate(dual, Gm)
    return [sum(Gm.multiply_elementwise(D)) - claimed, claimed - true_dual, norm_D - 1]


def _operator_numeric(rng, statement):
    """numerics' LMO against the statement's direction instantiated on random G (its tops by numpy), <G, lmo(G)>
    against the dual norm the statement states and numerics' dual norm, cvxpy's maximum of <G, D> over the
    unit ball against the stated dual norm, and the stated direction's norm 1 (numpy's max row / column sum)."""
    import cvxpy as cp
    import torch

    from numerics import norms

    kind, direction, dual = _operator_parts(statement)
    norm = norms.get(OPERATOR_NAMES[kind])
    axis = 1 if kind == OP_INF else 0
    residuals = []
    for shape in [(3, 5), (4, 4), (6, 2)]:
        Gn = rng.standard_normal(shape)
        Gs = sympy.Matrix(Gn)
        expected = np.array(_as_matrix(_instantiate(direction, Gs), shape), dtype=np.float64)
        claimed = float(_instantiate(dual, Gs))
        D = norm.lmo(torch.as_tensor(Gn)).numpy()
        Dv = cp.Variable(shape)
        best = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Gn, Dv))), [norm.cvxpy(Dv) <= 1])
        best.solve(solver=norm.solvers[0])
        residuals += [abs((Gn * D).sum() - claimed) / claimed, abs(float(norm.dual_norm(Gn)) - claimed) / claimed,
                      abs(best.value - claimed) / claimed, abs(np.abs(expected).sum(axis).max() - 1),
                      np.abs(D - expected).max()]
    return np.array(residuals)


LEMMAS = [
    *(lp_lemma(p) for p in (1, sympy.Rational(3, 2), 2, 3, sympy.oo)),
    Lemma(id="lmo.fro", title=r"The Frobenius norm is self-dual; its steepest-descent direction is $G/\|G\|_F$",
          source="Cauchy–Schwarz, equality case", assumptions=(r"$G \neq 0$",),
          statement=sympy.And(sympy.Eq(Lmo(G, F), G / Norm(G, F), evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, F)), Norm(G, F), evaluate=False), evaluate=False),
          symbolic=_matrix_symbolic, numeric=_matrix_numeric, tolerance=1e-6, about="fro"),
    Lemma(id="lmo.spectral",
          title=r"Spectral steepest descent steps along the polar factor $UV^T$; the dual is the nuclear norm",
          source="von Neumann's trace inequality; orthogonalized steps (spectral descent)", assumptions=(SVD,),
          statement=sympy.And(sympy.Eq(Lmo(G, OP), U_ * V_.T, evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, OP)), Norm(G, STAR), evaluate=False), evaluate=False),
          symbolic=_matrix_symbolic, numeric=_matrix_numeric, tolerance=1e-6, about="spectral"),
    Lemma(id="lmo.nuclear",
          title=r"Nuclear-norm steepest descent steps along the top singular pair $u_1v_1^T$; "
                r"the dual is the spectral norm",
          source="von Neumann's trace inequality; NucGD (Xie et al. 2026)", assumptions=(SVD, r"$\sigma_1 > \sigma_2$"),
          statement=sympy.And(sympy.Eq(Lmo(G, STAR), u1 * v1.T, evaluate=False),
                              sympy.Eq(Inner(G, Lmo(G, STAR)), Norm(G, OP), evaluate=False), evaluate=False),
          symbolic=_matrix_symbolic, numeric=_matrix_numeric, tolerance=1e-6, about="nuclear"),
    *(schatten_lemma(p) for p in (sympy.Rational(3, 2), 3)),
    operator_lemma(OP_INF), operator_lemma(OP_ONE),
]
for _lemma in LEMMAS:
    register(_lemma)


# ------------------------------------------------------------------------------ every other registered norm

HOLDER_TOLERANCE = 1e-5
"""cvxpy's maximum over the ball: ~1e-8 relative on polyhedral balls, ~1e-6 on power cones (measured: entry_lp:3
5e-7, entry_l1 8e-8); the LMO's own residuals are rounding. A wrong LMO misses by O(1)."""


def holder_lemma(name: str) -> Lemma:
    """Hölder's equality case for a norm of the `numerics.norms` registry that no hand-written lemma is about:
    its LMO lies in the unit ball and reaches the dual norm, <G, lmo(G)> = ‖G‖_* — the LMO's defining property,
    stated for a norm known only by name, so checked numerically (against its dual norm and against cvxpy's
    maximum of <G, D> over the norm's own ball), not derived."""
    N = sympy.Symbol(rf"\mathrm{{{name.replace('_', ' ')}}}")
    statement = sympy.And(sympy.Eq(Inner(G, Lmo(G, N)), Norm(G, sympy.Symbol(rf"{sympy.latex(N)}^*")),
                                   evaluate=False),
                          sympy.Le(Norm(Lmo(G, N), N), 1, evaluate=False), evaluate=False)
    return Lemma(id=f"lmo.{name}", title=rf"Steepest descent under the registered norm {name.replace('_', ' ')} "
                                        r"reaches its dual norm", source=HOLDER, statement=statement,
                 numeric=lambda rng, _: _holder_numeric(rng, name), tolerance=HOLDER_TOLERANCE, about=name,
                 outside_algebra="a norm known by its registry name only: its defining property is checked on "
                                 "random instances")


def _holder_numeric(rng, name: str) -> np.ndarray:
    """Relative residuals of <G, lmo(G)> = ‖G‖_* and of cvxpy's max over the unit ball, and ‖lmo(G)‖ − 1 above 0,
    on random G over six orders of magnitude."""
    import cvxpy as cp
    import torch

    from numerics import norms

    norm = norms.get(name)
    residuals = []
    for shape in ([(7,), (3,)] if norm.ndim == 1 else [(3, 5), (4, 4)]):
        g = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3)
        d = norm.lmo(torch.as_tensor(g)).numpy()
        dual = float(norm.dual_norm(g))
        D = cp.Variable(shape)
        best = cp.Problem(cp.Maximize(cp.sum(cp.multiply(g, D))), [norm.cvxpy(D) <= 1])
        best.solve(solver=norm.solvers[0])
        residuals += [abs(float((g * d).sum()) - dual) / dual, max(0.0, float(norm.value(d)) - 1),
                      abs(best.value - dual) / dual]
    return np.array(residuals)


def registered_norms() -> list[Lemma]:
    """The Hölder lemma of every example norm of the `numerics.norms` registry that no lemma is about, registered
    on first sight (numerics is loaded then, as the numeric checks load it: importing `theory` loads no torch)."""
    from numerics import norms

    about = {lemma.about for lemma in registered()} | {lemma.id.removeprefix("lmo.") for lemma in registered()}
    return [register(holder_lemma(name)) for name in norms.examples() if name not in about]
