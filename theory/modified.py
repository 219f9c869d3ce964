"""Backward error analysis of gradient descent: the modified loss whose flow its steps follow.

Barrett & Dherin 2020 (arXiv 2009.11162, ICLR 2021, "Implicit Gradient Regularization"): the iterates of
θ_{k+1} = θ_k − η∇L(θ_k) stay O(η²) close, over a fixed time kη, to the flow of

    L̃_η(θ) = L(θ) + (η/4)‖∇L(θ)‖²,

while the flow of L itself is only O(η) close. The time-η map of θ' = −∇L̃_η is θ − η∇L̃_η + (η²/2)H∇L + O(η³), and
∇(η/4)‖∇L‖² = (η/2)H∇L, so its η² terms cancel against the step's.
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register

eta = sympy.Symbol("eta", positive=True)
LOSS, GRADIENT_NORM2 = sympy.symbols(r"L \|\nabla{L}\|^{2}")
MODIFIED = sympy.Eq(sympy.Symbol(r"\tilde{L}_\eta"), LOSS + eta / 4 * GRADIENT_NORM2, evaluate=False)


def _symbolic(statement):
    """On L(x, y) = x²y + y⁴/4 + x: the time-η map of the modified flow, θ + ηf̃ + (η²/2)(Df̃)f̃ with
    f̃ = −∇L̃_η read from the statement, minus the GD step θ − η∇L, has no η² term (two residuals, one per
    coordinate)."""
    x, y = sympy.symbols("x y")
    loss = x ** 2 * y + y ** 4 / 4 + x
    grad = sympy.Matrix([sympy.diff(loss, v) for v in (x, y)])
    modified = statement.rhs.subs({LOSS: loss, GRADIENT_NORM2: (grad.T * grad)[0]})
    field = -sympy.Matrix([sympy.diff(modified, v) for v in (x, y)])
    flow = eta * field + eta ** 2 / 2 * field.jacobian([x, y]) * field
    step = -eta * grad
    return [sympy.expand((flow - step)[i]).coeff(eta, 2) for i in range(2)]


def _numeric(rng, statement):
    """On a random quartic L in R³, integrate the plain and the modified flow (scipy, rtol 1e-12) to T = 1 and run
    GD with η and η/2: the error ratios are 2 (plain, first order) and 4 (modified, second order); residuals
    |log₂ ratio − order| / 0.25."""
    from scipy.integrate import solve_ivp

    A = rng.standard_normal((3, 3))
    A = A @ A.T / 3 + np.eye(3)
    b = rng.standard_normal(3)

    def grad(v):
        return A @ v + b + 0.1 * v ** 3

    def hess_grad(v):
        return (A + np.diag(0.3 * v ** 2)) @ grad(v)

    lam = sympy.lambdify((LOSS, GRADIENT_NORM2, eta), statement.rhs)
    start, T, out = rng.standard_normal(3), 1.0, []
    for modified in (False, True):
        errors = []
        for h in (0.02, 0.01):
            weight = float(lam(0.0, 1.0, h)) if modified else 0.0  # the coefficient of ‖∇L‖², η/4
            field = (lambda t, v: -(grad(v) + 2 * weight * hess_grad(v)))
            exact = solve_ivp(field, (0, T), start, rtol=1e-12, atol=1e-14, method="DOP853").y[:, -1]
            v = start.copy()
            for _ in range(round(T / h)):
                v = v - h * grad(v)
            errors.append(np.linalg.norm(v - exact))
        out.append(abs(np.log2(errors[0] / errors[1]) - (2 if modified else 1)) / 0.25)
    return np.array(out)


LEMMAS = [
    Lemma("igr.modified_loss",
          r"Gradient descent with step $\eta$ follows the flow of $\tilde L_\eta = L + \frac{\eta}{4}\|\nabla L\|^2$ "
          r"to second order in $\eta$",
          "Barrett & Dherin 2020 (arXiv 2009.11162): gradient descent's modified loss",
          MODIFIED,
          assumptions=(r"$L$ three times continuously differentiable", r"a fixed time $T = k\eta$"),
          symbolic=_symbolic, numeric=_numeric, tolerance=1.0),
]
for _lemma in LEMMAS:
    register(_lemma)
