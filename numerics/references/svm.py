"""An independent ℓ2 max-margin solver, used to cross-check the cvxpy reference: the hard-margin SVM without
bias, by its dual  max_{α ≥ 0} Σα_i − ½‖Σ α_i y_i x_i‖²  (L-BFGS-B on the box), w = Σα_i y_i x_i,
γ* = 1/‖w‖ (Vapnik; e.g. Soudry et al. 2018, eq. 4)."""

from __future__ import annotations

import numpy as np
import scipy.optimize


def hard_margin_svm(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(unit ℓ2 direction, margin γ*) of the ℓ2 max-margin separator through the origin."""
    Z = y[:, None] * X

    def objective(a):
        w = Z.T @ a
        return 0.5 * w @ w - a.sum(), Z @ w - 1

    res = scipy.optimize.minimize(objective, np.zeros(len(y)), jac=True, method="L-BFGS-B",
                                  bounds=[(0, None)] * len(y),
                                  options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20_000})
    w = Z.T @ res.x
    return w / np.linalg.norm(w), 1 / np.linalg.norm(w)
