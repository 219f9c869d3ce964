"""Rates of gradient descent on homogeneous networks: the law the loss follows once the data are separated.

Lyu & Li 2020 (arXiv 1906.05890): for gradient flow (and GD with small steps) on an L-homogeneous network with the
exponential loss, ‖θ_t‖ = Θ((log t)^{1/L}) and L(θ_t) = Θ(1/(t (log t)^{2−2/L})). Both come from one
identity: with u = −log L, ρ = ‖θ‖₂, the loss-weighted mean margin q̄ = Σ e^{−q_i} q_i / Σ e^{−q_i}, the least margin
q_min, the normalized margin γ̃ = q_min/ρ^L and the alignment c = ⟨−∇L, θ⟩/(‖∇L‖ ρ), Euler's identity
⟨∇q_i, θ⟩ = L q_i gives ‖∇L‖ = L e^{−u} q̄/(ρ c), so along dθ/dt = −η∇L

    du/dt = η‖∇L‖² e^{u} = η L² F_t u^{2−2/L} e^{−u},      F_t = (q̄/u)² (u/q_min)^{2/L} γ̃^{2/L} / c²,

and I_p(u) = ∫^u e^s s^{−p} ds with p = 2 − 2/L grows exactly as η L² ∫F dt. The theorem's Θ's are F_t staying in a
compact subset of (0, ∞) (q̄/u → 1, γ̃ non-decreasing, c → 1): then I_p(u_t) ~ e^{u} u^{−p} = Θ(t).
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register

t, u, eta, L, F = sympy.symbols("t u eta L F", positive=True)
q_bar, q_min, rho, gamma, c = sympy.symbols(r"\bar{q} q_{\min} \rho \tilde{\gamma} c", positive=True)
EXPONENT = 2 - 2 / L
"""p = 2 − 2/L: the exponent of log(1/L) in the loss's rate."""
LAW = sympy.Eq(sympy.Symbol(r"\frac{du}{dt}"), eta * L ** 2 * F * u ** EXPONENT * sympy.exp(-u), evaluate=False)


def log_integrand(p):
    """s − p log s = log(e^s s^{−p}): the log of I_p's derivative, the reciprocal of the law's right-hand side per
    unit η L² F (u → s); in logs, as e^s overflows past s ≈ 709."""
    s = sympy.Symbol("s", positive=True)
    per_unit = (eta * L ** 2 * F / LAW.rhs).subs({u: s, L: 2 / (2 - sympy.nsimplify(p))})
    return sympy.lambdify((s,), sympy.expand_log(sympy.log(per_unit), force=True), "numpy")


def _law_symbolic(statement):
    """The law from its parts: η‖∇L‖² e^{u} with ‖∇L‖ = L e^{−u} q̄/(ρ c) and ρ = (q_min/γ̃)^{1/L} equals the
    statement's right-hand side with F = (q̄/u)²(u/q_min)^{2/L}γ̃^{2/L}/c²."""
    gradient = L * sympy.exp(-u) * q_bar / (rho * c)
    flow = (eta * gradient ** 2 * sympy.exp(u)).subs(rho, (q_min / gamma) ** (1 / L))
    parts = (q_bar / u) ** 2 * (u / q_min) ** (2 / L) * gamma ** (2 / L) / c ** 2
    return [sympy.simplify(sympy.powsimp(sympy.expand_power_base(flow - statement.rhs.subs(F, parts), force=True),
                                         force=True))]


def _law_numeric(rng, statement):
    """The law integrated: for random p ∈ [0, 2) and a constant η L² F, solve du/dt = η L² F u^p e^{−u} from u₀ over
    10⁸ steps (scipy, in log time) and compare I_p(u_T) − I_p(u₀), integrated from `log_integrand`, with η L² F T
    (relative residuals in units of 1e-6); and the Θ's: t e^{−u} u^{p} η L² F at T is 1 up to the series
    1 + p/u + … (residual
    |that − 1|/(2p/u_T + 1/u_T))."""
    from scipy.integrate import quad, solve_ivp

    rhs = sympy.lambdify((u, eta, L, F), statement.rhs, "numpy")
    out = []
    for _ in range(3):
        p, rate, u0 = rng.uniform(0, 1.9), rng.uniform(0.01, 1.0), rng.uniform(2.0, 4.0)
        depth = 2 / (2 - p)
        T = 1e8
        sol = solve_ivp(lambda s, y: np.exp(s) * rhs(y[0], rate, depth, 1.0 / depth ** 2), (0.0, np.log(T)), [u0],
                        rtol=1e-11, atol=1e-12)
        uT = float(sol.y[0, -1])
        f = log_integrand(p)
        grown = quad(lambda s: np.exp(f(s) - uT), u0, uT, limit=200)[0]
        out.append(abs(grown - rate * (T - 1.0) * np.exp(-uT)) / (rate * T * np.exp(-uT)) / 1e-6)
        out.append(abs(T * np.exp(-uT) * uT ** p * rate - 1) / ((2 * p + 1) / uT))
    return np.array(out)


LEMMAS = [
    Lemma("rates.lyu_li.loss_law",
          r"Once the data are separated, gradient flow's loss on an $L$-homogeneous network obeys "
          r"$I_p(u_t) = \eta L^2 \int F\,dt$ with $u = \log(1/\mathcal{L})$ and $p = 2 - 2/L$",
          "Lyu & Li 2020 (arXiv 1906.05890): the identity behind their rates of the loss and the norm",
          LAW,
          assumptions=(r"$\langle \nabla q_i, \theta\rangle = L q_i$ (Euler)",
                       r"$\mathcal{L} = e^{-u}$ exponential loss",
                       r"$F = (\bar q/u)^2 (u/q_{\min})^{2/L} \tilde\gamma^{2/L} / c^2$"),
          symbolic=_law_symbolic, numeric=_law_numeric, tolerance=1.0),
]
for _lemma in LEMMAS:
    register(_lemma)
