"""KKT conditions of the generalized max-margin problem min ‖W‖ s.t. margin_r(W) = <z_r, W> ≥ 1 ∀r.

Lagrangian L(W, μ) = ‖W‖ − Σ_r μ_r(<z_r, W> − 1), μ ≥ 0. At an optimum W° (= W*/γ*, W* the unit-norm
maximiser), G = Σ μ_r z_r lies in ∂‖W°‖: ‖G‖_* = 1 and <G, W°> = ‖W°‖, with μ_r(<z_r, W°> − 1) = 0. For
½‖w‖₂² the stationarity reads w = Σ α_r z_r (α = μ‖w‖). The multipliers relate to those on the simplex
returned by `numerics.references.margins.max_margin` by μ = λ/γ* (and α = λ/γ*²).

The approximate-KKT residual of Lyu & Li 2020 (Def. of (ε, δ)-KKT points) is computed by
`numerics.references.kkt.epsilon_kkt`; lemma kkt.epsilon_residual states it and checks that code.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy

from theory.lemma import Lemma, register, relation, relations
from theory.symbols import Inner, Norm, STAR

LYU_LI = "Lyu and Li 2020, Gradient descent maximizes the margin of homogeneous networks, Def. of (ε, δ)-KKT"


def kkt_points(Z: sympy.Matrix) -> list[tuple[sympy.Matrix, sympy.Matrix]]:
    """All KKT points (w, α) of min ½‖w‖₂² s.t. Z w ≥ 1, found exactly by enumerating active sets S:
    w = Z_Sᵀ α_S, Z_S w = 1, α_S ≥ 0, Z w ≥ 1 (rows of Z are the signed points z_r)."""
    m = Z.rows
    found = []
    for size in range(1, m + 1):
        for S in itertools.combinations(range(m), size):
            ZS = Z.extract(list(S), list(range(Z.cols)))
            gram = ZS * ZS.T
            if gram.det() == 0:
                continue
            alpha_S = gram.inv() * sympy.ones(size, 1)
            w = ZS.T * alpha_S
            if all(a >= 0 for a in alpha_S) and all(v >= 1 for v in Z * w):
                alpha = sympy.zeros(m, 1)
                for j, r in enumerate(S):
                    alpha[r] = alpha_S[j]
                if not any(w == w2 for w2, _ in found):
                    found.append((w, alpha))
    return found


# Three signed points z = (1, 0), (0, 1), (1, 1) (the test suite's hand example): w* = (1, 1), α = (1, 1, 0).
THREE_POINTS_X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
THREE_POINTS_Y = np.array([1, 1, -1])
# Multiclass x_i = e_i with label i (k = d = 3): pairs (i, j ≠ i), z_ij = vec((e_i − e_j) e_iᵀ).
SIMPLEX_PAIRS = [(i, j) for i in range(3) for j in range(3) if j != i]


def _simplex_Z() -> sympy.Matrix:
    rows = []
    for i, j in SIMPLEX_PAIRS:
        Zr = sympy.zeros(3, 3)
        Zr[i, i], Zr[j, i] = 1, -1
        rows.append(list(Zr.reshape(1, 9)))
    return sympy.Matrix(rows)


def evaluate(expr, W_symbol, W, values: dict, k: int | None = None):
    """`expr` of a KKT statement at concrete values: its sums expanded, ⟨a, b⟩ replaced by the dot product of
    the vectors a, b stand for, then W → W[k] and each indexed symbol b[r] → values[b][r − 1] (its k-th entry
    when it is a vector). Exact with sympy values, float with numpy ones."""
    count = len(values["alpha"])
    expr = expr.subs({sympy.Symbol("m"): count, sympy.Symbol("n"): count}).doit()

    def vector(e):
        return W if e == W_symbol else values[str(e.base)][int(e.indices[0]) - 1]

    expr = expr.replace(lambda e: isinstance(e, Inner),
                        lambda e: sum(a * b for a, b in zip(vector(e.args[0]), vector(e.args[1]))))
    subs = {W_symbol: W[k]} if k is not None else {}
    for leaf in expr.atoms(sympy.Indexed):
        value = values[str(leaf.base)][int(leaf.indices[0]) - 1]
        subs[leaf] = value[k] if isinstance(value, sympy.MatrixBase) or np.ndim(value) else value
    return expr.xreplace(subs)


def kkt_residuals(statement, W_symbol, W, values: dict) -> list:
    """The statement's stationarity W = Σ ... (one residual per entry of W) and complementary slackness
    (one per multiplier r) at concrete values."""
    stationarity = relation(statement, W_symbol)
    slackness = [rel for rel in relations(statement) if rel != stationarity]
    out = [evaluate(stationarity.lhs - stationarity.rhs, W_symbol, W, values, k) for k in range(len(W))]
    for rel in slackness:
        out += [evaluate((rel.lhs - rel.rhs).subs(r_, r), W_symbol, W, values)
                for r in range(1, len(values["alpha"]) + 1)]
    return out


def _binary_symbolic(statement):
    """The exact KKT points of the three-point example (enumerated): one, w = (1, 1), α = (1, 1, 0), margin
    1/√2 — and the statement holds at it."""
    Z = sympy.Matrix(THREE_POINTS_Y[:, None] * THREE_POINTS_X).applyfunc(sympy.nsimplify)
    points = kkt_points(Z)
    w, alpha = points[0]
    values = {"alpha": list(alpha), "y": [sympy.Integer(v) for v in THREE_POINTS_Y],
              "x": [sympy.Matrix(row).applyfunc(sympy.nsimplify) for row in THREE_POINTS_X]}
    return [len(points) - 1, *(w - sympy.Matrix([1, 1])), *(alpha - sympy.Matrix([1, 1, 0])),
            1 / sympy.sqrt((w.T * w)[0]) - 1 / sympy.sqrt(2), *kkt_residuals(statement, W_BINARY, list(w), values)]


def _multiclass_symbolic(statement):
    """The exact KKT points on x_i = e_i (k = d = 3, enumerated): one, W = I − J/3, all multipliers 1/3 — and
    the statement holds at it."""
    Z = _simplex_Z()
    points = kkt_points(Z)
    w, alpha = points[0]
    W = w.reshape(3, 3)
    values = {"alpha": list(alpha), "z": [Z.row(r) for r in range(Z.rows)]}
    return [len(points) - 1, *(W - (sympy.eye(3) - sympy.ones(3, 3) / 3)), *(alpha - sympy.ones(6, 1) / 3),
            *kkt_residuals(statement, W_MATRIX, list(w), values)]


def _rows_by_loops(X, y, k: int | None) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The signed points z_r written out one by one (independently of `numerics.references.margins.signed_points`):
    y_i x_i, or vec((e_{y_i} − e_j) x_iᵀ) for every rival j; with their (point, rival) pairs."""
    if k is None:
        return y[:, None] * X, [(i, -1) for i in range(len(y))]
    rows, pairs = [], []
    for i, (x, label) in enumerate(zip(X, y)):
        for j in range(k):
            if j != label:
                z = np.zeros((k, X.shape[1]))
                z[label], z[j] = x, -x
                rows.append(z.ravel())
                pairs.append((i, j))
    return np.array(rows), pairs


def _dual_by_cvxpy(Z: np.ndarray, norm, shape) -> tuple[float, np.ndarray]:
    """min_{λ ∈ Δ} ‖Σ λ_r z_r‖_* solved on its own; returns the bound ‖Σλz‖_* of the returned λ (put back on
    the simplex: an upper bound on γ* whatever the solver's accuracy) and G = Σλz."""
    import cvxpy as cp

    lam = cp.Variable(Z.shape[0], nonneg=True)
    G = cp.reshape(Z.T @ lam, shape, order="C")
    cp.Problem(cp.Minimize(norm.dual.cvxpy(G)), [cp.sum(lam) == 1]).solve(solver=norm.dual.solvers[0])
    weights = np.clip(lam.value, 0, None)
    G_value = (Z.T @ (weights / weights.sum())).reshape(shape)
    return float(norm.dual_norm(G_value)), G_value


def _duality_residuals(X, y, k, norm_name, statement=None):
    """Independent checks of a certified reference, each a residual that is ≤ 1 when it holds:
    weak duality — the reference's achieved margin never exceeds the bound of the separately solved dual
    (to 1e-9, rounding); agreement — the two formulations meet to 1e-5 (the first-order SDP solver's accuracy,
    10× the 1e-6 certificate); bookkeeping — the returned multipliers mapped through rows built by loops give
    ‖Σλz‖_* within 10 gaps of γ*; and where the LMO is unique (ℓ2, ℓ3, Frobenius) the primal–dual relation
    W* = lmo(G*) to 10√(2·gap) (strong convexity bounds the direction error by √(2·gap)). With `statement`
    (kkt.norm.dual_condition), its two equations at G = Σμ_r z_r, μ = λ/γ*, W° = W*/γ*, to 10 gaps."""
    import torch

    from numerics import norms
    from numerics.references.margins import max_margin

    norm = norms.get(norm_name)
    ref = max_margin(X, y, norm_name)
    Z, pairs = _rows_by_loops(X, y, k)
    shape = ref.W.shape
    gap = max(ref.certificate.rel_gap, 1e-9)  # solver tolerance floor for the separately solved dual
    value, G = _dual_by_cvxpy(Z, norm, shape)
    lam = np.array([ref.duals[i] if j < 0 else ref.duals[i, j] for i, j in pairs])
    mapped = float(norm.dual_norm((Z.T @ lam).reshape(shape)))
    out = [max(0.0, ref.margin - value) / ref.margin / 1e-9, (value - ref.margin) / ref.margin / 1e-5,
           abs(mapped - ref.margin) / ref.margin / (10 * gap)]
    if norm.unique_lmo:
        W_from_dual = norm.lmo(torch.as_tensor(G)).numpy()
        out.append(np.linalg.norm(W_from_dual - ref.W) / np.linalg.norm(ref.W) / (10 * np.sqrt(2 * gap)))
    if statement is not None:
        G_value, W_unit = (Z.T @ lam).reshape(shape) / ref.margin, ref.W / ref.margin
        values = {STAR: lambda v: float(norm.dual_norm(v)), NO_NAME: lambda v: float(norm.value(v))}

        def concrete(e):
            e = e.replace(lambda a: isinstance(a, Inner), lambda a: sympy.Float(float(np.sum(G_value * W_unit))))
            return float(e.replace(lambda a: isinstance(a, Norm), lambda a: sympy.Float(values[a.args[1]](
                G_value if a.args[0] == G_ else W_unit))))

        out += [abs(concrete(rel.lhs) - concrete(rel.rhs)) / concrete(rel.rhs) / (10 * gap)
                for rel in relations(statement)]
    return out


def _l2_numeric(rng, statement, multiclass: bool):
    """Exact multipliers on the hand example (from the symbolic solution) and, on random data, agreement with
    an independent solver (the hard-margin SVM's dual, or the separately solved dual) and the statement at the
    certified reference: W° = W*/γ*, α = λ/γ*², residuals relative to ‖W°‖ in units of 10√(2·gap)."""
    from numerics import data
    from numerics.references.margins import max_margin
    from numerics.references.svm import hard_margin_svm

    X, y, exact = ((np.eye(3), np.arange(3), np.full(6, 1 / 3)) if multiclass
                   else (THREE_POINTS_X, THREE_POINTS_Y, np.array([1.0, 1.0, 0.0])))
    ref = max_margin(X, y, "fro" if multiclass else "l2")
    Z, pairs = _rows_by_loops(X, y, 3 if multiclass else None)
    alpha = np.array([ref.duals[i] if j < 0 else ref.duals[i, j] for i, j in pairs]) / ref.margin**2  # α = λ/γ*²
    residuals = [np.abs(alpha - exact).max() / np.sqrt(2 * max(ref.certificate.rel_gap, 1e-16))]
    seed = int(rng.integers(1 << 30))
    if multiclass:
        ds = data.gaussian_multiclass(30, 4, 3, seed=seed)
        residuals += _duality_residuals(ds.X, ds.y, 3, "fro")
    else:
        ds = data.gaussian_binary(40, 5, seed=seed)
    ref = max_margin(ds, norm="fro" if multiclass else "l2")
    unit = 10 * np.sqrt(2 * max(ref.certificate.rel_gap, 1e-12))
    if not multiclass:
        w_svm, gamma_svm = hard_margin_svm(ds.X, ds.y)
        residuals += [np.linalg.norm(w_svm - ref.W) / unit, abs(gamma_svm - ref.margin) / ref.margin / unit]
    Z, pairs = _rows_by_loops(ds.X, ds.y, 3 if multiclass else None)
    alpha = np.array([ref.duals[i] if j < 0 else ref.duals[i, j] for i, j in pairs]) / ref.margin**2
    W = (ref.W / ref.margin).ravel()
    values = ({"alpha": alpha, "z": list(Z)} if multiclass else
              {"alpha": alpha, "y": [float(v) for v in ds.y], "x": list(ds.X)})
    size = np.linalg.norm(W)
    residuals += [float(r) / size / unit for r in kkt_residuals(statement, W_MATRIX if multiclass else W_BINARY,
                                                                  W, values)]
    return np.array(residuals)


def _dual_condition_numeric(rng, statement):
    from numerics import data

    binary = data.gaussian_binary(40, 6, seed=int(rng.integers(1 << 30)))
    multi = data.gaussian_multiclass(30, 5, 3, seed=int(rng.integers(1 << 30)))
    residuals = []
    for name in ("l1", "l2", "lp:3", "linf"):
        residuals += _duality_residuals(binary.X, binary.y, None, name, statement)
    for name in ("fro", "spectral", "nuclear", "entry_linf"):
        residuals += _duality_residuals(multi.X, multi.y, 3, name, statement)
    return np.array(residuals)


def _epsilon_symbolic(statement):  # the statement is a definition (numerics.references.kkt implements it)
    """At the exact KKT point of the three-point example, the residual vector and δ vanish."""
    Z = sympy.Matrix(THREE_POINTS_Y[:, None] * THREE_POINTS_X).applyfunc(sympy.nsimplify)
    w, alpha = kkt_points(Z)[0]
    q = Z * w
    return [*(w - Z.T * alpha), sum(a * (qi - 1) for a, qi in zip(alpha, q))]


def _epsilon_numeric(rng, statement):
    """ε ≈ 0 at the certified max-margin direction (at any scale), ε clearly > 0 at the teacher's direction.

    Units as in `_l2_numeric`: the reference is certified to a relative gap g, which allows a relative
    direction error √(2g); ε/‖θ̃‖ and δ/‖θ̃‖² are measured in that unit (≤ 1), and the teacher must be
    at least 100 units away (the third residual is ≤ 1 iff so).
    """
    from numerics import data
    from numerics.references.kkt import epsilon_kkt
    from numerics.references.margins import max_margin

    ds = data.gaussian_binary(30, 4, margin=0.2, seed=int(rng.integers(1 << 30)))
    Z = ds.y[:, None] * ds.X
    ref = max_margin(ds, norm="l2")
    unit = np.sqrt(2 * max(ref.certificate.rel_gap, 1e-16))
    size = 1 / ref.margin  # ‖θ̃‖ at the optimum
    at_optimum = epsilon_kkt(7.0 * ref.W, Z @ (7.0 * ref.W), Z)
    teacher = epsilon_kkt(ds.teacher, Z @ ds.teacher, Z)
    return np.array([at_optimum.epsilon / size / unit, abs(at_optimum.delta) / size**2 / unit,
                     100 * unit * size / max(teacher.epsilon, 1e-300)])



def _network_symbolic(statement):
    """Euler's identity, on which the residual's scale-free data rest (⟨a_i, u⟩ = q_i(u)/γ): for the two-layer
    network f = Σ_j v_j (w_j·x)² in the region where every pre-activation is positive (φ(z) = z² there), of degree
    L = 3, Σ_θ θ ∂f/∂θ − L f simplifies to 0."""
    x = sympy.symbols("x1:3")
    W = sympy.Matrix(2, 2, sympy.symbols("w1:5"))
    v = sympy.symbols("v1:3")
    f = sum(v[j] * sum(W[j, k] * x[k] for k in range(2)) ** 2 for j in range(2))
    theta = [*W, *v]
    return [sympy.expand(sum(t * sympy.diff(f, t) for t in theta) - 3 * f)]


def _network_numeric(rng, statement):
    """The residual's bracket closes, vanishes at a KKT point known in closed form and not near it: on the symmetric
    data (`numerics.data.symmetric_axis`), the leaky-ReLU network (e₁; −e₁), (1, −1) has upper bound ≤ 1e-6
    (first residual: upper/1e-6); the same network tilted by 0.1 towards e₂ has lower bound ≥ 0.01 (second:
    0.01/lower); a random separating direction of a random network has a closed bracket (third: (upper − lower)/ATOL)
    in every geometry of the panel."""
    from numerics import data
    from numerics.models import MLP
    from numerics.norms.parameters import GEOMETRIES, geometry
    from numerics.references.network_kkt import ATOL, kkt_residual

    ds, model = data.symmetric_axis(), MLP(3, (2,), activation="leaky")
    at = kkt_residual(model, [np.array([[1.0, 0, 0], [-1.0, 0, 0]]), np.array([[1.0, -1.0]])], ds.X, ds.y,
                      geometry("l2", 2))
    w = np.array([1.0, 0.1, 0.0])
    tilted = kkt_residual(model, [np.vstack([w, -w]), np.array([[1.0, -1.0]]) * np.linalg.norm(w)], ds.X, ds.y,
                          geometry("l2", 2))
    gaps = []
    teacher = data.gaussian_binary(8, 4, margin=0.2, seed=int(rng.integers(1 << 30)))
    net = MLP(4, (3,), activation="relu2")
    W1 = rng.standard_normal((3, 4))
    W1[0] = teacher.teacher  # one unit aligned with the teacher and a positive head: the network separates
    params = [W1, np.array([[5.0, 0.1, 0.1]])]
    for name in GEOMETRIES:
        try:
            r = kkt_residual(net, params, teacher.X, teacher.y, geometry(name, 2))
        except ValueError:  # this draw does not separate: no residual to bracket
            continue
        gaps.append((r.upper - r.lower) / ATOL)
    return np.array([at.upper / 1e-6, 0.01 / max(tilted.lower, 1e-300), max(gaps, default=0.0)])


W_BINARY, W_MATRIX, r_, NO_NAME = sympy.Symbol("w"), sympy.Symbol("W"), sympy.Symbol("r"), sympy.Symbol("")
G_ = sympy.Sum(sympy.Indexed(r"\mu", r_) * sympy.Indexed("z", r_), (r_, 1, sympy.Symbol("m")))

ALPHA, GAMMA_STAR = sympy.symbols(r"\alpha \gamma^{*}", positive=True)
PAIR_CEILING = sympy.Eq(sympy.Symbol(r"\max_\theta \frac{q_{\min}(\theta)}{\|\theta\|_2^2}"),
                        (1 + ALPHA) * GAMMA_STAR / 4, evaluate=False)


def _pairs_symbolic(statement):
    """The bound for any network f = Σ_k a_k φ(w_kᵀx) on symmetric data: the margins of x and −x average to the odd
    part, y(f(x) − f(−x))/2 = y βᵀx with β = ((1 + α)/2)Σ_k a_k w_k, since φ(z) − φ(−z) = (1 + α)z on both signs of
    z (φ(z) = max(z, αz), 0 < α < 1); so q_min ≤ γ*‖β‖ ≤ γ*((1 + α)/2)Σ|a_k|‖w_k‖, and 2|a|‖w‖ ≤ a² + ‖w‖²
    (a² + w² − 2aw = (a − w)²) gives q_min ≤ (1 + α)γ*‖θ‖²/4, the statement's right-hand side at a = ‖w‖ = 1, where a
    mirrored pair attains it."""
    z, a, w = sympy.symbols("z a w", positive=True)
    phi = lambda v, sign: v if sign > 0 else ALPHA * v  # noqa: E731  (φ on a known sign)
    pair_pos = phi(z, 1) - phi(-z, -1) - (1 + ALPHA) * z
    pair_neg = phi(-z, -1) - phi(z, 1) + (1 + ALPHA) * z
    cost = sympy.expand(a ** 2 + w ** 2 - 2 * a * w - (a - w) ** 2)
    at_balance = statement.rhs - ((1 + ALPHA) * 1 * 1 * GAMMA_STAR / (2 * (1 + 1)))
    return [sympy.expand(pair_pos), sympy.expand(pair_neg), cost, sympy.simplify(at_balance)]


def _pairs_numeric(rng, statement):
    """On symmetrized random data: random networks, paired or not, never exceed the bound (ratio − 1, clipped at 0:
    must be 0), and the balanced pair along the ℓ2 max-margin direction attains it (|ratio − 1| in units of the
    certificate's 1e-6)."""
    from numerics import data
    from numerics.references.margins import max_margin

    ds = data.symmetrized(data.gaussian_binary(8, 4, margin=0.1, seed=int(rng.integers(1 << 16))))
    alpha = float(rng.uniform(0.05, 0.5))
    ref = max_margin(ds, norm="l2")
    ceiling = float(sympy.lambdify((ALPHA, GAMMA_STAR), statement.rhs)(alpha, ref.margin))
    phi = lambda v: np.maximum(v, alpha * v)  # noqa: E731

    def ratio(W, a):
        f = phi(ds.X @ W.T) @ a
        return float((ds.y * f).min()) / (float((W ** 2).sum() + (a ** 2).sum()) * ceiling)

    out = []
    for _ in range(20):
        W, a = rng.standard_normal((3, ds.d)), rng.standard_normal(3)
        out.append(max(0.0, ratio(np.vstack([W, -W]), np.concatenate([a, -a])) - 1))
        out.append(max(0.0, ratio(W, a) - 1))
    w = ref.W.reshape(-1) / np.linalg.norm(ref.W)
    out.append(abs(ratio(np.vstack([w, -w]), np.array([1.0, -1.0])) - 1) / 1e-6)
    return np.array(out)


LEMMAS = [
    Lemma("kkt.l2.binary",
          r"KKT of the $\ell_2$ max-margin problem: $w$ is a non-negative combination of the support vectors",
          "Vapnik 1998; Soudry et al. 2018, eq. (4)",
          sympy.And(sympy.Eq(W_BINARY,
                             sympy.Sum(sympy.Indexed("alpha", r_) * sympy.Indexed("y", r_) * sympy.Indexed("x", r_),
                                       (r_, 1, sympy.Symbol("n"))), evaluate=False),
                    sympy.Eq(sympy.Indexed("alpha", r_)
                             * (sympy.Indexed("y", r_) * Inner(W_BINARY, sympy.Indexed("x", r_)) - 1),
                             0, evaluate=False), evaluate=False),
          assumptions=(r"$\alpha \ge 0$", r"$y_r \langle w, x_r\rangle \ge 1$",
                       r"$\min \frac12\|w\|_2^2$ s.t. the margins are $\ge 1$"),
          symbolic=_binary_symbolic, numeric=lambda rng, st: _l2_numeric(rng, st, False), tolerance=1.0),
    Lemma("kkt.fro.multiclass",
          r"KKT of the multiclass Frobenius max-margin problem on $x_i = e_i$: "
          r"$W = I - \frac13 \mathbf{1}\mathbf{1}^T$, all multipliers $\frac13$",
          "Multiclass max margin (Crammer and Singer 2001); NucGD (Xie et al. 2026) uses its nuclear analogue",
          sympy.And(sympy.Eq(W_MATRIX, sympy.Sum(sympy.Indexed("alpha", r_) * sympy.Indexed("z", r_),
                                                 (r_, 1, sympy.Symbol("m"))), evaluate=False),
                    sympy.Eq(sympy.Indexed("alpha", r_) * (Inner(W_MATRIX, sympy.Indexed("z", r_)) - 1), 0,
                             evaluate=False), evaluate=False),
          assumptions=(r"$z_r = (e_{y_r} - e_{j_r})\,x_r^T$ for the pair $r = (i, j)$, $j \ne y_i$",
                       r"$\alpha \ge 0$",
                       r"$\langle W, z_r\rangle \ge 1$", r"$\min \frac12\|W\|_F^2$ s.t. the margins are $\ge 1$"),
          symbolic=_multiclass_symbolic, numeric=lambda rng, st: _l2_numeric(rng, st, True), tolerance=1.0),
    Lemma("kkt.norm.dual_condition",
          r"At the max margin under any norm, $\sum_r \mu_r z_r$ is a unit dual-norm subgradient of $\|W\|$",
          "Gunasekar et al. 2018, Sec. 3 (KKT of the generalized max-margin problem)",
          sympy.And(sympy.Eq(Norm(G_, STAR), 1, evaluate=False),
                    sympy.Eq(Inner(G_, W_MATRIX), Norm(W_MATRIX, NO_NAME), evaluate=False), evaluate=False),
          assumptions=(r"$\mu \ge 0$, $\mu_r(\langle z_r, W\rangle - 1) = 0$", r"$\|\cdot\|_*$ the dual norm"),
          outside_algebra="the subdifferential of a general norm is not algebraic; checked numerically for l1, l2, l3, "
                          "linf, fro, spectral, nuclear, entry_linf against the dual solved separately",
          numeric=_dual_condition_numeric, tolerance=1.0),
    Lemma("kkt.epsilon_residual",
          r"The $(\varepsilon,\delta)$-KKT residual vanishes at the max-margin direction and not elsewhere",
          LYU_LI,
          sympy.Eq(sympy.Symbol(r"\varepsilon(\theta)"),
                   sympy.Symbol(r"\min_{\lambda \ge 0} \| \tilde\theta - "
                                r"\sum_r \lambda_r \nabla q_r(\tilde\theta)\|_2"),
                   evaluate=False),
          assumptions=(r"$\tilde\theta = \theta / q_{\min}(\theta)^{1/L}$",
                       r"$q_r$ positively homogeneous of degree $L$"),
          symbolic=_epsilon_symbolic, numeric=_epsilon_numeric, tolerance=1.0),
    Lemma("kkt.network.residual",
          r"The KKT residual of a homogeneous network's margin problem in any norm is a convex program with a "
          r"closed-form dual: it vanishes exactly at KKT points",
          "Lyu & Li 2020, Def. C.1 (ℓ2); Tsilivis et al. 2024 and Gronich & Vardi 2026 (subdifferential form)",
          sympy.Eq(sympy.Symbol(r"\min_{\nu \ge 0,\, \|g\|_* \le 1} \|g - \textstyle\sum_i \nu_i a_i\|_* "
                                r"+ \nu^\top c + 1 - \langle g, u\rangle"),
                   sympy.Symbol(r"\max_{\|w\| \le 1,\, \langle a_i, w\rangle \le c_i} 1 - \|w - u\|"),
                   evaluate=False),
          assumptions=(r"$u = \theta/\|\theta\|$, $\gamma = \min_i q_i(u) > 0$",
                       r"$a_i = \nabla q_i(u)/(L\gamma)$, $c_i = q_i(u)/\gamma - 1$",
                       r"$q_i$ positively homogeneous of degree $L$"),
          outside_algebra="the equality is weak duality for a norm-defined program (swap the min over (ν, g) with "
                          "the max defining the dual norm); checked numerically by the bracket closing",
          symbolic=_network_symbolic, numeric=_network_numeric, tolerance=1.0),
]
LEMMAS.append(
    Lemma("margin.leaky_pairs",
          r"On symmetric data every two-layer leaky-ReLU network has normalized margin at most "
          r"$(1 + \alpha)\gamma^*/4$, attained by a linear function in the $\ell_2$ max-margin direction",
          "Lyu, Li, Wang, Arora 2021 (arXiv 2110.13905): the global max margin on symmetric data",
          PAIR_CEILING,
          assumptions=(r"$\varphi(z) = \max(z, \alpha z)$, $0 < \alpha < 1$", r"every $(x, y)$ comes with $(-x, -y)$",
                       r"$\gamma^*$ the $\ell_2$ max margin of the data"),
          symbolic=_pairs_symbolic, numeric=_pairs_numeric, tolerance=1.0))
for _lemma in LEMMAS:
    register(_lemma)
