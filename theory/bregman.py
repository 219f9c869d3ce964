"""Bregman divergences D_φ(x, y) = φ(x) − φ(y) − <∇φ(y), x − y> and the potentials of the papers.

- φ = ½‖·‖²: D is ½‖x − y‖² (gradient descent's geometry).
- φ = Σ x log x (negative entropy): D is the generalized KL divergence Σ x log(x/y) − x + y.
- Q_α(w) = α² Σ q(w_i/α²), q(z) = 2 − √(4 + z²) + z·arcsinh(z/2): the potential of diagonal linear
  networks / the quadratic model w = u⊙u − v⊙v started at u = v = α (Woodworth et al. 2020, Thm. 1):
  ∇Q_α(w) = arcsinh(w/2α²), ∇²Q_α(w) = 1/√(w² + 4α⁴) > 0, and gradient flow on (u, v) is mirror flow
  d/dt ∇Q_α(w) = −4∇L(w), so ∇Q_α(w(t)) stays in the row space of X for L(w) = ℓ(Xw).
- φ = ½‖·‖² for a non-smooth norm (steepest descent in homogeneous networks, Tsilivis, Vardi, Kempe 2024):
  the generalized divergence D(x, y) = ½‖x‖² − ½‖y‖² − ‖y‖·‖·‖′(y; x − y), with ‖·‖′(y; v) = max over the
  subdifferential ∂‖y‖ of <g, v> (the one-sided directional derivative). It is ≥ 0 because a convex
  function lies above its one-sided linearisation. (This is the convex-analysis form of the definition; the
  paper's own normalisation was not available to check against.)
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register, violation
from theory.symbols import Bregman, Norm

x, y = sympy.symbols("x y")
w, t = sympy.symbols("w t", real=True)
alpha = sympy.Symbol("alpha", positive=True)
WOODWORTH = "Woodworth et al. 2020, Kernel and rich regimes, Thm. 1"


def hyperbolic_potential(w_, alpha_):
    """Q_α(w) = α² q(w/α²), q(z) = 2 − √(4 + z²) + z·arcsinh(z/2) (per coordinate; sympy or numpy)."""
    lib = sympy if isinstance(w_, sympy.Basic) or isinstance(alpha_, sympy.Basic) else np
    z = w_ / alpha_**2
    return alpha_**2 * (2 - lib.sqrt(4 + z**2) + z * (lib.asinh(z / 2) if lib is sympy else np.arcsinh(z / 2)))


def bregman(phi, grad, a, b):
    """D_φ(a, b) = φ(a) − φ(b) − <∇φ(b), a − b> for callables φ, ∇φ (numpy, summed over the last axis)."""
    return phi(a) - phi(b) - np.sum(grad(b) * (a - b), axis=-1)


# ------------------------------------------------------------------------------------------------ lemmas

def _vector_norms(expr, xs, ys):
    """`expr` (in the scalar stand-ins x, y) with every ‖a‖_2 replaced by the Euclidean norm of a evaluated
    componentwise at (xs, ys)."""
    return expr.replace(lambda e: isinstance(e, Norm),
                        lambda e: sympy.sqrt(sum(e.args[0].subs({x: a, y: b}, simultaneous=True) ** 2
                                                 for a, b in zip(xs, ys))))


def half_square_lemma(factor=sympy.Rational(1, 2)) -> Lemma:
    """D_{½‖·‖²}(x, y) = factor·‖x − y‖²; `factor` other than ½ gives the wrong variant."""
    phi = sympy.Symbol(r"\tfrac{1}{2}\|\cdot\|_2^2")

    def symbolic(statement):  # the definition of D on x, y ∈ R³ against the statement's right-hand side
        xs, ys = sympy.symbols("x1:4", real=True), sympy.symbols("y1:4", real=True)
        half_sq = lambda v: sum(c**2 for c in v) / 2
        d = half_sq(xs) - half_sq(ys) - sum(b * (a - b) for a, b in zip(xs, ys))
        return [d - _vector_norms(statement.rhs, xs, ys)]

    def numeric(rng, statement):
        a, b = rng.standard_normal((2, 50, 6))
        d = bregman(lambda v: 0.5 * np.sum(v**2, -1), lambda v: v, a, b)
        size = sympy.Symbol("size")
        rhs = sympy.lambdify(size, statement.rhs.replace(lambda e: isinstance(e, Norm), lambda e: size), "numpy")
        return d - rhs(np.linalg.norm(a - b, axis=-1))

    return Lemma("bregman.half_square",
                 r"The Bregman divergence of $\frac12\|\cdot\|_2^2$ is half the squared distance",
                 "Bregman 1967; e.g. Gunasekar et al. 2018, Sec. 2",
                 sympy.Eq(Bregman(phi, x, y), factor * Norm(x - y, 2) ** 2, evaluate=False),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-12)


def _negentropy_lemma() -> Lemma:
    i, d = sympy.Symbol("i"), sympy.Symbol("d")
    xi, yi = sympy.Indexed("x", i), sympy.Indexed("y", i)
    kl = sympy.Sum(xi * sympy.log(xi / yi) - xi + yi, (i, 1, d))

    def symbolic(statement):  # the definition of D_H on x, y ∈ R³₊ against the statement's sum at d = 3
        xs, ys = sympy.symbols("x1:4", positive=True), sympy.symbols("y1:4", positive=True)
        phi = lambda v: sum(c * sympy.log(c) for c in v)
        D = phi(xs) - phi(ys) - sum((sympy.log(b) + 1) * (a - b) for a, b in zip(xs, ys))
        total = statement.rhs.subs(d, 3).doit().subs(
            {sympy.Indexed("x", k + 1): a for k, a in enumerate(xs)}
            | {sympy.Indexed("y", k + 1): b for k, b in enumerate(ys)})
        return [sympy.expand_log(D - total, force=True)]

    def numeric(rng, statement):
        import scipy.special

        a, b = rng.uniform(0.01, 3, (2, 50, 6))
        D = bregman(lambda v: np.sum(v * np.log(v), -1), lambda v: np.log(v) + 1, a, b)
        term = sympy.lambdify((xi, yi), statement.rhs.function, "numpy")
        return [*(D - term(a, b).sum(-1)), *(D - scipy.special.kl_div(a, b).sum(-1))]  # and scipy's own KL

    return Lemma("bregman.negentropy",
                 r"The Bregman divergence of the negative entropy is the (generalized) KL divergence",
                 "Bregman 1967; mirror descent with the entropy (Nemirovski and Yudin 1983)",
                 sympy.Eq(Bregman(sympy.Symbol(r"\mathrm{H}"), x, y), kl, evaluate=False),
                 assumptions=(r"$\mathrm{H}(x) = \sum_i x_i \log x_i$", r"$x, y > 0$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-12)


Q = hyperbolic_potential(w, alpha)
GRAD_Q = sympy.asinh(w / (2 * alpha**2))
HESS_Q = 1 / sympy.sqrt(w**2 + 4 * alpha**4)
Q_SYMBOL = sympy.Symbol(r"Q_\alpha")


def _derivative_lemma_checks(order: int):
    """Checks of a statement Q_α^(order) = f(w): sympy differentiates the potential itself; numerically a
    central difference of `hyperbolic_potential` against f lambdified."""

    def symbolic(statement):
        return [sympy.diff(Q, w, order) - statement.rhs, *([sympy.StrictGreaterThan(statement.rhs, 0)] if order == 2
                                                             else [])]

    def numeric(rng, statement):
        f = sympy.lambdify((w, alpha), statement.rhs, "numpy")
        a, al = rng.standard_normal(100) * (5 if order == 1 else 3), 10.0 ** rng.uniform(-0.5, 0.5, 100)
        if order == 1:
            h = 1e-6
            fd = (hyperbolic_potential(a + h, al) - hyperbolic_potential(a - h, al)) / (2 * h)
            return (fd - f(a, al)) / (1 + np.abs(fd))
        h = 1e-3  # central second difference, error O(h²) in units of the curvature
        fd = (hyperbolic_potential(a + h, al) - 2 * hyperbolic_potential(a, al)
              + hyperbolic_potential(a - h, al)) / h**2
        return (fd - f(a, al)) / f(a, al)

    return symbolic, numeric


def _hyperbolic_lemmas() -> list[Lemma]:
    x1, y1 = sympy.symbols("x_1 y_1", real=True)

    def divergence(a, b):
        return Q.subs(w, a) - Q.subs(w, b) - GRAD_Q.subs(w, b) * (a - b)

    def nonneg_symbolic(statement):
        """D(x, y) vanishes with its x-derivative at x = y and is convex in x (Q_α'' > 0): then the statement's
        relation D ≥ 0 holds; sympy must also prove the relation at the second order term."""
        D = divergence(x1, y1)
        return [D.subs(x1, y1), sympy.diff(D, x1).subs(x1, y1), sympy.diff(D, x1, 2) - HESS_Q.subs(w, x1),
                statement.func(HESS_Q.subs(w, x1), statement.rhs)]

    def nonneg_numeric(rng, statement):
        a, b = rng.standard_normal((2, 200)) * 10.0 ** rng.uniform(-2, 2, (2, 200))
        al = 10.0 ** rng.uniform(-2, 1, 200)
        D = hyperbolic_potential(a, al) - hyperbolic_potential(b, al) - np.arcsinh(b / (2 * al**2)) * (a - b)
        scale = np.abs(hyperbolic_potential(a, al)) + np.abs(hyperbolic_potential(b, al)) + 1.0
        return violation(statement, D / scale, float(statement.rhs))

    gradient_symbolic, gradient_numeric = _derivative_lemma_checks(1)
    hessian_symbolic, hessian_numeric = _derivative_lemma_checks(2)
    return [
        Lemma("potential.hyperbolic.gradient",
              r"The gradient of the diagonal-network potential $Q_\alpha$ is $\operatorname{arcsinh}(w/2\alpha^2)$",
              WOODWORTH, sympy.Eq(sympy.Derivative(Q_SYMBOL, w), GRAD_Q, evaluate=False),
              assumptions=(r"$Q_\alpha(w) = \alpha^2 q(w/\alpha^2)$, "
                           r"$q(z) = 2 - \sqrt{4+z^2} + z \operatorname{arcsinh}(z/2)$",),
              symbolic=gradient_symbolic, numeric=gradient_numeric, tolerance=1e-7),
        Lemma("potential.hyperbolic.convex",
              r"$Q_\alpha$ is strictly convex: $Q_\alpha'' = (w^2 + 4\alpha^4)^{-1/2} > 0$",
              WOODWORTH, sympy.Eq(sympy.Derivative(Q_SYMBOL, (w, 2)), HESS_Q, evaluate=False),
              symbolic=hessian_symbolic, numeric=hessian_numeric, tolerance=1e-5),
        Lemma("bregman.hyperbolic.nonneg", r"The Bregman divergence of $Q_\alpha$ is non-negative",
              WOODWORTH, sympy.GreaterThan(Bregman(Q_SYMBOL, x, y), 0, evaluate=False),
              symbolic=nonneg_symbolic, numeric=nonneg_numeric, tolerance=1e-12),
    ]


GRAD_L = sympy.Symbol(r"\nabla L(w(t))")


def _mirror_flow_lemma() -> Lemma:
    up, vp, gL = sympy.symbols("u v g", positive=True)
    ut, vt, wt = sympy.Function("u")(t), sympy.Function("v")(t), sympy.Function("w")(t)

    def symbolic(statement):
        """The statement's left side with w = u² − v² and the flow u̇ = −2ug, v̇ = 2vg (g = ∂L/∂w), where uv = α²
        is conserved (first residual), against its right side at ∇L = g."""
        u_dot, v_dot = -2 * ut * gL, 2 * vt * gL
        lhs = statement.lhs.subs(wt, ut**2 - vt**2).doit()
        lhs = lhs.subs({sympy.Derivative(ut, t): u_dot, sympy.Derivative(vt, t): v_dot}).subs({ut: up, vt: vp})
        return [(u_dot * vt + ut * v_dot).subs({ut: up, vt: vp}),
                (lhs - statement.rhs.subs(GRAD_L, gL)).subs(alpha, sympy.sqrt(up * vp))]

    def numeric(rng, statement):
        """Integrate the flow on (u, v) exactly; the statement says ∇Q_α(w) moves along −4∇L, which lies in
        the row space of X for L(w) = ℓ(Xw): the mirror point's distance from that space, and uv − α²."""
        from scipy.integrate import solve_ivp

        n, d, a0 = 5, 12, 0.3
        X = rng.standard_normal((n, d))
        target = X @ np.where(rng.random(d) < 0.3, 1.0, 0.0)

        def flow(_, z):
            uu, vv = z[:d], z[d:]
            g = X.T @ (X @ (uu**2 - vv**2) - target) / n
            return np.concatenate([-2 * uu * g, 2 * vv * g])

        sol = solve_ivp(flow, (0, 5.0), np.full(2 * d, a0), rtol=1e-11, atol=1e-13, method="DOP853")
        uu, vv = sol.y[:d, -1], sol.y[d:, -1]
        mirror = sympy.lambdify((wt, alpha), statement.lhs.args[0], "numpy")(uu**2 - vv**2, a0)
        Qr, _ = np.linalg.qr(X.T)
        return [np.linalg.norm(mirror - Qr @ (Qr.T @ mirror)) / np.linalg.norm(mirror),
                np.abs(uu * vv - a0**2).max()]

    return Lemma("mirror.diagonal_network",
                 r"Gradient flow on $w = u \odot u - v \odot v$ is mirror flow with potential $Q_\alpha$",
                 WOODWORTH + "; HaoChen et al. 2021 (quadratic model)",
                 sympy.Eq(sympy.Derivative(sympy.asinh(wt / (2 * alpha**2)), t), -4 * GRAD_L, evaluate=False),
                 assumptions=(r"$\dot u = -\nabla_u L$, $\dot v = -\nabla_v L$, $u(0) = v(0) = \alpha$",),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-7)


ETA_STEP, G_STEP = sympy.symbols(r"eta \hat{g}", real=True)
A_NOW, A_NEXT = sympy.symbols(r"\alpha_t^2 \alpha_{t+1}^2", positive=True)
M_NOW, M_NEXT = sympy.symbols(r"\mu_t \mu_{t+1}", real=True)
SGD_STEP = sympy.And(sympy.Eq(A_NEXT, A_NOW * (1 - 4 * ETA_STEP**2 * G_STEP**2), evaluate=False),
                     sympy.Eq(M_NEXT, M_NOW - 2 * sympy.atanh(2 * ETA_STEP * G_STEP), evaluate=False), evaluate=False)
"""One (S)GD step on w = u⊙u − v⊙v, per coordinate: α_t² = u_t v_t and μ_t = arcsinh(w_t/2α_t²) = ln(u_t/v_t)."""


def _sgd_step_lemma() -> Lemma:
    """Pesme, Pillaud-Vivien, Flammarion 2021 (the stochastic α_∞), exact for discrete steps: u' = u(1 − 2ηĝ),
    v' = v(1 + 2ηĝ) with ĝ = ∂L_B/∂w, so u'v' = uv(1 − 4η²ĝ²) and ln(u'/v') = ln(u/v) − 2 atanh(2ηĝ)."""
    from theory.lemma import relation

    u, v = sympy.symbols("u v", positive=True)
    x_ = sympy.Symbol("x", positive=True)  # 2ηĝ ∈ (0, 1); the identities are odd in x

    def symbolic(statement):
        up, vp = u * (1 - x_), v * (1 + x_)
        at = {ETA_STEP: x_ / (2 * G_STEP)}
        alpha_rel, mirror_rel = relation(statement, A_NEXT), relation(statement, M_NEXT)
        product = up * vp - alpha_rel.rhs.subs(at).subs(A_NOW, u * v)
        mirror = sympy.log(up) - sympy.log(vp) - mirror_rel.rhs.subs(at).subs(M_NOW, sympy.log(u) - sympy.log(v))
        return [sympy.simplify(product), sympy.simplify(sympy.expand_log(mirror.rewrite(sympy.log), force=True))]

    def numeric(rng, statement):
        """200 mini-batch steps on a random regression: u_t v_t and arcsinh(w_t/2u_tv_t) against the statement."""
        n, d, eta = 12, 8, 0.02
        X, target = rng.standard_normal((n, d)), rng.standard_normal(n)
        uu, vv = np.full(d, 0.5), np.full(d, 0.5)
        a2, mu = uu * vv, np.zeros(d)
        alpha_next = sympy.lambdify((A_NOW, ETA_STEP, G_STEP), relation(statement, A_NEXT).rhs, "numpy")
        mirror_next = sympy.lambdify((M_NOW, ETA_STEP, G_STEP), relation(statement, M_NEXT).rhs, "numpy")
        out = []
        for _ in range(200):
            batch = rng.choice(n, 3, replace=False)
            g = X[batch].T @ (X[batch] @ (uu**2 - vv**2) - target[batch]) / 3
            uu, vv = uu - eta * 2 * uu * g, vv + eta * 2 * vv * g
            a2, mu = alpha_next(a2, eta, g), mirror_next(mu, eta, g)
            out.extend(np.abs(uu * vv - a2) / a2)
            out.extend(np.abs(np.arcsinh((uu**2 - vv**2) / (2 * uu * vv)) - mu) / (1 + np.abs(mu)))
        return np.array(out)

    return Lemma("mirror.diagonal_network.sgd_step",
                 r"A (stochastic) gradient step on $w = u \odot u - v \odot v$ multiplies $\alpha_t^2 = u_t v_t$ by "
                 r"$1 - 4\eta^2\hat g^2$ and moves $\mu_t = \operatorname{arcsinh}(w_t/2\alpha_t^2)$ by "
                 r"$-2\operatorname{artanh}(2\eta\hat g)$",
                 "Pesme, Pillaud-Vivien, Flammarion 2021 (arXiv 2106.09524): the effective initialization α_∞",
                 SGD_STEP,
                 assumptions=(r"$u' = u - 2\eta\hat g u$, $v' = v + 2\eta\hat g v$, $\hat g = \partial L_B/\partial w$",
                              r"$|2\eta\hat g| < 1$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-11)


def _steepest_lemma() -> Lemma:
    phi = sympy.Symbol(r"\tfrac12\|\cdot\|^2")

    def symbolic(statement):
        """Where ‖·‖ = ℓ2 the generalized divergence is the ordinary one, ½‖x − y‖² (first residual); sympy
        must prove the statement's relation for that sum of squares."""
        xs, ys = sympy.symbols("x1:4", real=True), sympy.symbols("y1:4", real=True)
        nx, ny = sympy.sqrt(sum(c**2 for c in xs)), sympy.sqrt(sum(c**2 for c in ys))
        deriv = sum(b * (a - b) for a, b in zip(xs, ys)) / ny
        half_square = sum((a - b) ** 2 for a, b in zip(xs, ys)) / 2
        return [nx**2 / 2 - ny**2 / 2 - ny * deriv - half_square, statement.func(half_square, statement.rhs)]

    def numeric(rng, statement):
        from numerics import norms
        from numerics.bregman import directional_derivative, generalized_bregman

        out = []
        for norm in ("l1", "l2", "lp:3", "linf"):
            a = np.round(rng.standard_normal((300, 4)) * 2)  # integers: zeros and ties in y are common
            b = np.round(rng.standard_normal((300, 4)) * 2)
            b = b[np.abs(b).sum(1) > 0]
            a = a[: len(b)]
            out.append(violation(statement, generalized_bregman(a, b, norm), float(statement.rhs)))
            h = 1e-7  # piecewise-linear norms are exactly linear on [y, y + h(x − y)] for small h
            p = norms.get(norm).p  # smooth ℓ3: the forward difference is exact to O(h) ≈ 1e-7 ≪ the tolerance
            fd = (np.linalg.norm(b + h * (a - b), p, axis=1) - np.linalg.norm(b, p, axis=1)) / h
            out.append((fd - directional_derivative(b, a - b, norm)) / (1 + np.abs(fd)))
        return np.concatenate(out)

    return Lemma("bregman.steepest.nonneg",
                 r"The generalized Bregman divergence of $\frac12\|\cdot\|^2$ for a non-smooth norm is non-negative",
                 "Tsilivis, Vardi, Kempe 2024 (Flavors of Margin), Bregman divergence of steepest descent",
                 sympy.GreaterThan(Bregman(phi, x, y), 0, evaluate=False),
                 assumptions=(r"$D(x,y) = \frac12\|x\|^2 - \frac12\|y\|^2 - \|y\|\,\|\cdot\|'(y; x-y)$, "
                              r"$\|\cdot\|'(y; v) = \max_{g \in \partial\|y\|} \langle g, v\rangle$",),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-5)


LEMMAS = [half_square_lemma(), _negentropy_lemma(), *_hyperbolic_lemmas(), _mirror_flow_lemma(), _sgd_step_lemma(),
          _steepest_lemma()]
for _lemma in LEMMAS:
    register(_lemma)
