"""Parameter symmetries and their conserved quantities (Noether), and how gradient noise breaks them.

If L(e^{λA}θ) = L(θ) for all λ with A = Aᵀ, then <∇L(θ), Aθ> = 0, so C(θ) = θᵀAθ is conserved by gradient
flow θ̇ = −∇L. For the rescaling symmetry (u, w) → (e^λ u, e^{−λ} w) of f = u·w·x this is C = u² − w²,
and for the two-layer linear net f = UWx it is C = UᵀU − WWᵀ. A discrete step changes C by an exact factor,
C' = C(1 − η²ĝ²) with ĝ = ∂L/∂(uw); averaged over mini-batches, E[C'] = C(1 − η² E[ĝ_B²]), so gradient noise
(E[ĝ_B²] > (E ĝ_B)²) drives C to the fixed point C* = 0 — a balanced |u| = |w| — whatever the start
(Ziyin et al. 2024, Parameter symmetry and noise equilibrium of SGD / Noether flow).
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy

from theory.lemma import Lemma, register

ZIYIN = "Ziyin et al. 2024, Parameter symmetry and noise equilibrium of SGD"
u, w, x, eta, lam = sympy.symbols("u w x eta lambda", real=True)
ell = sympy.Function(r"\ell")
t = sympy.Symbol("t")


ut, wt = sympy.Function("u")(t), sympy.Function("w")(t)


def conserved_scalar_lemma(quantity=None) -> Lemma:
    """C = u² − w² is conserved by gradient flow on L = ℓ(u·w·x); `quantity` (in u, w) replaces C (wrong
    variants). The statement is d/dt C(u(t), w(t)) = 0 with C written out."""
    C = u**2 - w**2 if quantity is None else quantity

    def symbolic(statement):
        L = ell(u * w * x)
        invariance = L.subs({u: sympy.exp(lam) * u, w: sympy.exp(-lam) * w}, simultaneous=True) - L
        flow = {sympy.Derivative(ut, t): -sympy.diff(L, u), sympy.Derivative(wt, t): -sympy.diff(L, w)}
        change = statement.lhs.doit().subs(flow).subs({ut: u, wt: w})
        return [invariance, change - statement.rhs]

    def numeric(rng, statement):
        from scipy.integrate import solve_ivp

        xs, ys = rng.standard_normal(8), rng.standard_normal(8)
        C_f = sympy.lambdify((ut, wt), statement.lhs.args[0], "numpy")

        def flow(_, z):  # squared loss ½ mean (u w x − y)²
            r = np.mean((z[0] * z[1] * xs - ys) * xs)
            return [-r * z[1], -r * z[0]]

        z0 = rng.standard_normal(2) * 2
        sol = solve_ivp(flow, (0, 3.0), z0, rtol=1e-12, atol=1e-12, method="DOP853")
        moved = np.abs(sol.y[:, -1] - z0).max()
        change = (C_f(*sol.y[:, -1]) - C_f(*z0)) / 3.0  # the mean rate over [0, 3] against the statement's
        return [abs(change - float(statement.rhs)) / (1 + abs(C_f(*z0))), max(0.0, 1e-3 - moved)]

    return Lemma("noether.flow.scalar",
                 r"Gradient flow conserves $u^2 - w^2$ under the rescaling symmetry of $f = u\,w\,x$",
                 ZIYIN + "; Du, Hu, Lee 2018 (balancedness)",
                 sympy.Eq(sympy.Derivative(C.subs({u: ut, w: wt}), t), 0, evaluate=False),
                 assumptions=(r"$\dot u = -\partial_u L$, $\dot w = -\partial_w L$", r"$L(u, w) = \ell(u w x)$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-8)


def _matrix_flow_lemma() -> Lemma:
    Um = sympy.Matrix(1, 2, sympy.symbols("u1 u2", real=True))
    Wm = sympy.Matrix(2, 2, sympy.symbols("w11 w12 w21 w22", real=True))
    xv = sympy.Matrix(2, 1, sympy.symbols("x1 x2", real=True))
    r = sympy.Symbol("r", real=True)  # ℓ'(f) at f = U W x

    def symbolic(statement):  # the left side is named, not computed: d/dt(UᵀU − WWᵀ) under the flow, then = rhs
        U_dot = -r * (Wm * xv).T  # ∂L/∂U = ℓ'(f) (Wx)ᵀ
        W_dot = -r * Um.T * xv.T  # ∂L/∂W = ℓ'(f) Uᵀxᵀ
        C_dot = U_dot.T * Um + Um.T * U_dot - W_dot * Wm.T - Wm * W_dot.T
        return list(C_dot - sympy.Matrix(statement.rhs))

    def numeric(rng, statement):
        from scipy.integrate import solve_ivp

        h, d, n = 3, 4, 10
        X, Y = rng.standard_normal((n, d)), rng.standard_normal(n)

        def flow(_, z):
            U, W = z[:h], z[h:].reshape(h, d)
            res = (X @ W.T @ U - Y) / n  # squared loss ½ Σ (U W x − y)² / n
            return np.concatenate([-(W @ X.T @ res), -np.outer(U, X.T @ res).ravel()])

        z0 = rng.standard_normal(h + h * d)
        sol = solve_ivp(flow, (0, 2.0), z0, rtol=1e-12, atol=1e-12, method="DOP853")
        C = lambda z: np.outer(z[:h], z[:h]) - z[h:].reshape(h, d) @ z[h:].reshape(h, d).T
        rate = (C(sol.y[:, -1]) - C(z0)) / 2.0  # the mean rate over [0, 2]; the statement's is 0 (its 2×2 rhs)
        return np.abs(rate - float(sympy.Matrix(statement.rhs).norm())).ravel() / (1 + np.abs(C(z0)).max())

    return Lemma("noether.flow.matrix",
                 r"Gradient flow conserves $U^TU - WW^T$ in the two-layer linear network $f = UWx$",
                 ZIYIN + "; Arora et al. 2018; Du, Hu, Lee 2018",
                 sympy.Eq(sympy.Derivative(sympy.Symbol(r"\left(U^{T}U - WW^{T}\right)"), t), sympy.ZeroMatrix(2, 2),
                          evaluate=False),
                 assumptions=(r"$\dot U = -\nabla_U L$, $\dot W = -\nabla_W L$", r"$L = \ell(UWx)$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-8)


g_hat = sympy.Symbol(r"\hat g", real=True)
C_NOW, C_NEXT = sympy.Symbol("C_t"), sympy.Symbol("C_{t+1}")
C_EXPECTED, G_SQUARED = sympy.Symbol(r"\mathbb{E}[C_{t+1} \mid \theta_t]"), sympy.Symbol(r"\mathbb{E}_B[\hat g_B^2]")
"""The symbols of the discrete statements, for claims that lambdify their right-hand sides."""


def _discrete_lemma() -> Lemma:
    """C after one GD step on f = u·w·x: u' = u − η ĝ w, w' = w − η ĝ u with ĝ = ∂L/∂(uw) (= ℓ'(uwx)·x)."""

    def symbolic(statement):
        up, wp = u - eta * g_hat * w, w - eta * g_hat * u
        return [(statement.lhs - statement.rhs).subs({C_NEXT: up**2 - wp**2, C_NOW: u**2 - w**2})]

    def numeric(rng, statement):
        predicted = sympy.lambdify((C_NOW, eta, g_hat), statement.rhs, "numpy")
        X, Y = rng.standard_normal(16), rng.standard_normal(16)
        uu, ww, step = 1.5, -0.4, 0.1
        out = []
        for _ in range(50):
            batch = rng.choice(16, 4, replace=False)
            g = np.mean((uu * ww * X[batch] - Y[batch]) * X[batch])
            C0 = uu**2 - ww**2
            uu, ww = uu - step * g * ww, ww - step * g * uu
            out.append(abs((uu**2 - ww**2) - predicted(C0, step, g)) / (1 + abs(C0)))
        return np.array(out)

    return Lemma("noether.gd.discrete",
                 r"One gradient step multiplies $C = u^2 - w^2$ by exactly $1 - \eta^2 \hat g^2$",
                 ZIYIN + " (discrete-time Noether flow)",
                 sympy.Eq(C_NEXT, C_NOW * (1 - eta**2 * g_hat**2), evaluate=False),
                 assumptions=(r"$\hat g = \partial L_B / \partial(uw)$ on the batch $B$ "
                              r"($= \ell'(uwx)\,x$ for one sample)",),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-13)


def _drift_lemma() -> Lemma:
    """E over mini-batches of C' is C(1 − η² E[ĝ_B²]); E[ĝ_B²] ≥ (E ĝ_B)² (Jensen), so noise shrinks C further."""
    a, b = sympy.symbols("a b", positive=True)
    g1, g2 = sympy.symbols("g_1 g_2", real=True)
    p = a / (a + b)  # a batch distribution (p, 1 − p) with 0 < p < 1

    def symbolic(statement):
        C_next = lambda g: (u - eta * g * w) ** 2 - (w - eta * g * u) ** 2
        second_moment = p * g1**2 + (1 - p) * g2**2
        instance = {C_EXPECTED: p * C_next(g1) + (1 - p) * C_next(g2), C_NOW: u**2 - w**2, G_SQUARED: second_moment}
        return [(statement.lhs - statement.rhs).subs(instance),
                sympy.GreaterThan(second_moment - (p * g1 + (1 - p) * g2) ** 2, 0)]

    def numeric(rng, statement):  # exact average over every mini-batch of size 3 from 7 points
        predicted = sympy.lambdify((C_NOW, eta, G_SQUARED), statement.rhs, "numpy")
        X, Y = rng.standard_normal(7), rng.standard_normal(7)
        (uu, ww), step = rng.standard_normal(2) * 2, 0.3
        gs = np.array([np.mean((uu * ww * X[list(B)] - Y[list(B)]) * X[list(B)])
                       for B in itertools.combinations(range(7), 3)])
        mean_next = np.mean((uu - step * gs * ww) ** 2 - (ww - step * gs * uu) ** 2)
        C0 = uu**2 - ww**2
        return [abs(mean_next - predicted(C0, step, np.mean(gs**2))) / (1 + abs(C0)),
                max(0.0, np.mean(gs) ** 2 - np.mean(gs**2))]

    return Lemma("noether.sgd.drift",
                 r"SGD's expected step shrinks $C$ by $1 - \eta^2\,\mathbb{E}[\hat g_B^2]$: "
                 r"the noise equilibrium is $C^* = 0$",
                 ZIYIN + ", the rescaling symmetry",
                 sympy.Eq(C_EXPECTED, C_NOW * (1 - eta**2 * G_SQUARED), evaluate=False),
                 assumptions=(r"$B$ drawn independently of $\theta_t$",
                              r"$\mathbb{E}[\hat g_B^2] \ge (\mathbb{E}\hat g_B)^2$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-12)


h_, d_ = sympy.symbols("h d", integer=True, positive=True)
U_M, W_M, G_M = sympy.MatrixSymbol("U", 1, h_), sympy.MatrixSymbol("W", h_, d_), sympy.MatrixSymbol("g", 1, d_)
"""The factors of f = UWx and the gradient g = ∂L/∂(UW) (a row), for claims that lambdify the matrix statement."""


C_NEXT_M, C_NOW_M = sympy.MatrixSymbol("C_{t+1}", h_, h_), sympy.MatrixSymbol("C_t", h_, h_)


def _discrete_matrix_lemma() -> Lemma:
    """C = UᵀU − WWᵀ after one GD step on f = UWx: U' = U − η g Wᵀ, W' = W − η Uᵀ g (g = ∂L/∂(UW))."""

    def symbolic(statement):  # both sides on a generic 1×2 U, 2×3 W, 1×3 g
        U = sympy.Matrix(1, 2, sympy.symbols("u1:3", real=True))
        W = sympy.Matrix(2, 3, sympy.symbols("w1:7", real=True))
        g = sympy.Matrix(1, 3, sympy.symbols("g1:4", real=True))
        C = lambda A, B: A.T * A - B * B.T
        values = {U_M: U, W_M: W, G_M: g, C_NEXT_M: C(U - eta * g * W.T, W - eta * U.T * g), C_NOW_M: C(U, W)}
        sized = {k.subs({h_: 2, d_: 3}): sympy.ImmutableMatrix(v) for k, v in values.items()}
        side = lambda e: sympy.Matrix(e.subs({h_: 2, d_: 3}).xreplace(sized).doit())
        return list(side(statement.lhs) - side(statement.rhs))

    def numeric(rng, statement):
        named = {C_NEXT_M: sympy.MatrixSymbol("C_next", h_, h_), C_NOW_M: sympy.MatrixSymbol("C_now", h_, h_)}
        args = (*named.values(), U_M, W_M, G_M, eta)  # lambdify needs identifiers for matrix symbols
        lhs, rhs = (sympy.lambdify(args, side.xreplace(named), "numpy") for side in (statement.lhs, statement.rhs))
        C = lambda A, B: A.T @ A - B @ B.T
        out = []
        for _ in range(20):
            U, W, g, step = rng.standard_normal((1, 3)), rng.standard_normal((3, 4)), rng.standard_normal((1, 4)), 0.3
            values = (C(U - step * g @ W.T, W - step * U.T @ g), C(U, W), U, W, g, step)
            out.append(np.abs(lhs(*values) - rhs(*values)).max() / (1 + np.abs(C(U, W)).max()))
        return np.array(out)

    return Lemma("noether.gd.discrete_matrix", r"One gradient step changes $C = U^TU - WW^T$ by exactly "
                 r"$\eta^2(Wg^TgW^T - U^Tgg^TU)$", ZIYIN + " (discrete-time Noether flow, two-layer linear network)",
                 sympy.Eq(C_NEXT_M - C_NOW_M, eta**2 * (W_M * G_M.T * G_M * W_M.T - U_M.T * G_M * G_M.T * U_M),
                          evaluate=False),
                 assumptions=(r"$f = UWx$, $g = \partial L / \partial(UW)$ (a row)", r"$U' = U - \eta g W^T$, "
                              r"$W' = W - \eta U^T g$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-13)


LEMMAS = [conserved_scalar_lemma(), _matrix_flow_lemma(), _discrete_lemma(), _discrete_matrix_lemma(), _drift_lemma()]
for _lemma in LEMMAS:
    register(_lemma)
