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

from theory.lemma import Lemma, register
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

def half_square_lemma(factor=sympy.Rational(1, 2)) -> Lemma:
    """D_{½‖·‖²}(x, y) = factor·‖x − y‖²; `factor` other than ½ gives the wrong variant."""
    phi = sympy.Symbol(r"\tfrac{1}{2}\|\cdot\|_2^2")
    xs, ys = sympy.symbols("x1:4", real=True), sympy.symbols("y1:4", real=True)

    def symbolic():
        half_sq = lambda v: sum(c**2 for c in v) / 2
        d = half_sq(xs) - half_sq(ys) - sum(b * (a - b) for a, b in zip(xs, ys))
        return [d - factor * sum((a - b) ** 2 for a, b in zip(xs, ys))]

    def numeric(rng):
        a, b = rng.standard_normal((2, 50, 6))
        d = bregman(lambda v: 0.5 * np.sum(v**2, -1), lambda v: v, a, b)
        return d - float(factor) * np.sum((a - b) ** 2, -1)

    return Lemma("bregman.half_square", r"The Bregman divergence of $\frac12\|\cdot\|_2^2$ is half the squared distance",
                 "Bregman 1967; e.g. Gunasekar et al. 2018, Sec. 2",
                 sympy.Eq(Bregman(phi, x, y), factor * Norm(x - y, 2) ** 2, evaluate=False),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-12)


def _negentropy_lemma() -> Lemma:
    xs, ys = sympy.symbols("x1:4", positive=True), sympy.symbols("y1:4", positive=True)
    i = sympy.Symbol("i")
    xi, yi = sympy.Indexed("x", i), sympy.Indexed("y", i)
    kl = sympy.Sum(xi * sympy.log(xi / yi) - xi + yi, (i, 1, sympy.Symbol("d")))

    def symbolic():
        phi = lambda v: sum(c * sympy.log(c) for c in v)
        d = phi(xs) - phi(ys) - sum((sympy.log(b) + 1) * (a - b) for a, b in zip(xs, ys))
        return [sympy.expand_log(d - sum(a * sympy.log(a / b) - a + b for a, b in zip(xs, ys)), force=True)]

    def numeric(rng):
        import scipy.special

        a, b = rng.uniform(0.01, 3, (2, 50, 6))
        d = bregman(lambda v: np.sum(v * np.log(v), -1), lambda v: np.log(v) + 1, a, b)
        return d - scipy.special.kl_div(a, b).sum(-1)  # scipy's independent generalized KL

    return Lemma("bregman.negentropy", r"The Bregman divergence of the negative entropy is the (generalized) KL divergence",
                 "Bregman 1967; mirror descent with the entropy (Nemirovski and Yudin 1983)",
                 sympy.Eq(Bregman(sympy.Symbol(r"\mathrm{H}"), x, y), kl, evaluate=False),
                 assumptions=(r"$\mathrm{H}(x) = \sum_i x_i \log x_i$", r"$x, y > 0$"),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-12)


Q = hyperbolic_potential(w, alpha)
GRAD_Q = sympy.asinh(w / (2 * alpha**2))
HESS_Q = 1 / sympy.sqrt(w**2 + 4 * alpha**4)
Q_SYMBOL = sympy.Symbol(r"Q_\alpha")


def _hyperbolic_lemmas() -> list[Lemma]:
    x1, y1 = sympy.symbols("x_1 y_1", real=True)

    def nonneg_symbolic():
        Qx, Qy = Q.subs(w, x1), Q.subs(w, y1)
        D = Qx - Qy - GRAD_Q.subs(w, y1) * (x1 - y1)
        return [D.subs(x1, y1), sympy.diff(D, x1).subs(x1, y1), sympy.diff(D, x1, 2) - HESS_Q.subs(w, x1),
                sympy.StrictGreaterThan(HESS_Q.subs(w, x1), 0)]

    def nonneg_numeric(rng):
        a, b = rng.standard_normal((2, 200)) * 10.0 ** rng.uniform(-2, 2, (2, 200))
        al = 10.0 ** rng.uniform(-2, 1, 200)
        D = (hyperbolic_potential(a, al) - hyperbolic_potential(b, al) - np.arcsinh(b / (2 * al**2)) * (a - b))
        scale = np.abs(hyperbolic_potential(a, al)) + np.abs(hyperbolic_potential(b, al)) + 1.0
        return np.maximum(0.0, -D / scale)

    def gradient_numeric(rng):
        a = rng.standard_normal(100) * 5
        al = 10.0 ** rng.uniform(-1, 1, 100)
        h = 1e-6
        fd = (hyperbolic_potential(a + h, al) - hyperbolic_potential(a - h, al)) / (2 * h)
        return (fd - np.arcsinh(a / (2 * al**2))) / (1 + np.abs(fd))

    def hessian_numeric(rng):  # central second difference of Q_α against the closed form
        a, al, h = rng.standard_normal(100) * 3, 10.0 ** rng.uniform(-0.5, 0.5, 100), 1e-3
        fd2 = (hyperbolic_potential(a + h, al) - 2 * hyperbolic_potential(a, al) + hyperbolic_potential(a - h, al)) / h**2
        return (fd2 - 1 / np.sqrt(a**2 + 4 * al**4)) * np.sqrt(a**2 + 4 * al**4)

    return [
        Lemma("potential.hyperbolic.gradient", r"The gradient of the diagonal-network potential $Q_\alpha$ is $\operatorname{arcsinh}(w/2\alpha^2)$",
              WOODWORTH, sympy.Eq(sympy.Derivative(Q_SYMBOL, w), GRAD_Q, evaluate=False),
              assumptions=(r"$Q_\alpha(w) = \alpha^2 q(w/\alpha^2)$, $q(z) = 2 - \sqrt{4+z^2} + z \operatorname{arcsinh}(z/2)$",),
              symbolic=lambda: [sympy.diff(Q, w) - GRAD_Q], numeric=gradient_numeric, tolerance=1e-7),
        Lemma("potential.hyperbolic.convex", r"$Q_\alpha$ is strictly convex: $Q_\alpha'' = (w^2 + 4\alpha^4)^{-1/2} > 0$",
              WOODWORTH, sympy.Eq(sympy.Derivative(Q_SYMBOL, (w, 2)), HESS_Q, evaluate=False),
              symbolic=lambda: [sympy.diff(Q, w, 2) - HESS_Q, sympy.StrictGreaterThan(HESS_Q, 0)],
              numeric=hessian_numeric, tolerance=1e-5),
        Lemma("bregman.hyperbolic.nonneg", r"The Bregman divergence of $Q_\alpha$ is non-negative",
              WOODWORTH, sympy.GreaterThan(Bregman(Q_SYMBOL, x, y), 0, evaluate=False),
              symbolic=nonneg_symbolic, numeric=nonneg_numeric, tolerance=1e-12),
    ]


def _mirror_flow_lemma() -> Lemma:
    u, v, gL = sympy.symbols("u v g", real=True)
    up, vp = sympy.symbols("u v", positive=True)

    def symbolic():
        u_dot, v_dot = -2 * up * gL, 2 * vp * gL  # ∂L/∂u = 2u·g, ∂L/∂v = −2v·g for w = u² − v², g = ∂L/∂w
        w_dot = 2 * up * u_dot - 2 * vp * v_dot
        alpha_sq = up * vp  # u·v is conserved (first residual), = α² from u(0) = v(0) = α
        w_ = up**2 - vp**2
        mirror_dot = w_dot / (2 * alpha_sq * sympy.sqrt(1 + w_**2 / (4 * alpha_sq**2)))  # d/dt arcsinh(w/2α²)
        return [u_dot * vp + up * v_dot, mirror_dot + 4 * gL]

    def numeric(rng):
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
        mirror = np.arcsinh((uu**2 - vv**2) / (2 * a0**2))
        Qr, _ = np.linalg.qr(X.T)
        return [np.linalg.norm(mirror - Qr @ (Qr.T @ mirror)) / np.linalg.norm(mirror),
                np.abs(uu * vv - a0**2).max()]

    wt = sympy.Function("w")(t)
    return Lemma("mirror.diagonal_network", r"Gradient flow on $w = u \odot u - v \odot v$ is mirror flow with potential $Q_\alpha$",
                 WOODWORTH + "; HaoChen et al. 2021 (quadratic model)",
                 sympy.Eq(sympy.Derivative(sympy.asinh(wt / (2 * alpha**2)), t), -4 * sympy.Symbol(r"\nabla L(w(t))"),
                          evaluate=False),
                 assumptions=(r"$\dot u = -\nabla_u L$, $\dot v = -\nabla_v L$, $u(0) = v(0) = \alpha$",),
                 symbolic=symbolic, numeric=numeric, tolerance=1e-7)


def _steepest_lemma() -> Lemma:
    phi = sympy.Symbol(r"\tfrac12\|\cdot\|^2")
    xs, ys = sympy.symbols("x1:4", real=True), sympy.symbols("y1:4", real=True)

    def symbolic():  # where ‖·‖ = ℓ2 the generalized divergence is the ordinary one, ½‖x − y‖²
        nx, ny = sympy.sqrt(sum(c**2 for c in xs)), sympy.sqrt(sum(c**2 for c in ys))
        deriv = sum(b * (a - b) for a, b in zip(xs, ys)) / ny
        return [nx**2 / 2 - ny**2 / 2 - ny * deriv - sum((a - b) ** 2 for a, b in zip(xs, ys)) / 2]

    def numeric(rng):
        from numerics import norms
        from numerics.bregman import directional_derivative, generalized_bregman

        out = []
        for norm in ("l1", "l2", "lp:3", "linf"):
            a = np.round(rng.standard_normal((300, 4)) * 2)  # integers: zeros and ties in y are common
            b = np.round(rng.standard_normal((300, 4)) * 2)
            b = b[np.abs(b).sum(1) > 0]
            a = a[: len(b)]
            out.append(np.maximum(0.0, -generalized_bregman(a, b, norm)))
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


LEMMAS = [half_square_lemma(), _negentropy_lemma(), *_hyperbolic_lemmas(), _mirror_flow_lemma(), _steepest_lemma()]
for _lemma in LEMMAS:
    register(_lemma)
