"""Kernel and rich regimes (Woodworth et al. 2020): GD on the diagonal network w = u⊙u − v⊙v from u = v = α
interpolates like the minimum-ℓ1 solution as α → 0 and like the minimum-ℓ2 one for large α, with arcsinh(w/2α²) in
the row space of X (the mirror-descent potential of the lemmas)."""

from __future__ import annotations

import numpy as np
import torch

from numerics import data
from numerics.models import Quadratic
from numerics.train import run
from theory import bregman
from verify.claim import claim
from verify.kit import SEED, formula


@claim(id="woodworth.initialization_scale", papers=("woodworth2020",),
       lemmas=["mirror.diagonal_network", "potential.hyperbolic.gradient", "potential.hyperbolic.convex"],
       statement="GD on w = u⊙u − v⊙v from u = v = α reaches the minimum-ℓ1 interpolant as α → 0 and the "
                 "minimum-ℓ2 one for large α; arcsinh(w/2α²) stays in the row space of X.")
def test_initialization_scale_selects_the_interpolant(scale, evidence):
    from numerics.references.interpolation import min_norm_interpolant
    from numerics.optim import SteepestDescent

    n, d = scale.pick((20, 40), (40, 100))
    ds = data.sparse_regression(n, d, 3, seed=SEED)
    alphas = np.array([1e-3, 1e-2, 1.0, 10.0])
    init = [torch.as_tensor(alphas)[:, None] * torch.ones(len(alphas), d, dtype=torch.float64) for _ in range(2)]
    lrs = torch.as_tensor(0.01 / np.maximum(1.0, alphas**2))  # the curvature grows like α² in the kernel regime
    model = Quadratic(d, 1.0, signed=True)
    steps = scale.pick(30_000, 300_000)
    traj = run(model, ds.X, ds.y, "squared",
               lambda ps: SteepestDescent(ps, lrs, "l2", normalized=False, batch_dims=1),  # GD, one step per α
               steps=steps, batch=len(alphas), init=init, record_every=steps // 100, seed=SEED)
    W = model.weights([torch.as_tensor(p) for p in traj.final]).numpy()
    l1, l2 = (min_norm_interpolant(ds, norm=q).w for q in ("l1", "l2"))
    rows = ds.X.T @ np.linalg.pinv(ds.X @ ds.X.T) @ ds.X  # projector on the row space of X
    mirror = formula("potential.hyperbolic.gradient", bregman.w, bregman.alpha)  # ∇Q_α(w) = arcsinh(w/2α²)
    out = []
    for a, w in zip(alphas, W):
        phi = mirror(w, a)
        out.append({"alpha": a, "to_l1": float(np.linalg.norm(w - l1) / np.linalg.norm(l1)),
                    "to_l2": float(np.linalg.norm(w - l2) / np.linalg.norm(l2)),
                    "row_space_residual": float(np.linalg.norm(phi - rows @ phi) / np.linalg.norm(phi)),
                    "interpolation": float(np.linalg.norm(ds.X @ w - ds.y) / np.linalg.norm(ds.y))})
    evidence.record(results=out)
    evidence.trajectory("training loss per α", traj.steps, traj["loss"])
    for r in out:
        evidence.check(f"α = {r['alpha']:g}: ‖Xw − y‖/‖y‖", r["interpolation"], "<=", 1e-2, "GD interpolates")
        # gradient flow keeps ∇Q_α(w) in the row space exactly (lemma mirror.diagonal_network); GD with step η
        # drifts by O(η) = 1e-2
        evidence.check(f"α = {r['alpha']:g}: row-space residual of arcsinh(w/2α²)", r["row_space_residual"], "<=",
                       1e-2, "mirror flow: ∇Q_α(w_t) ∈ row space of X, up to the O(η) discretisation")
    for r in out[:2]:
        # Q_α/(α² log(1/α²)) → ‖·‖₁: the minimiser deviates from the min-ℓ1 one at relative order 1/log(1/α²)
        evidence.check(f"α = {r['alpha']:g}: ‖w − w_ℓ1‖/‖w_ℓ1‖", r["to_l1"], "<=", 1 / np.log(1 / r["alpha"] ** 2),
                       "1/log(1/α²): the rate at which Q_α tends to the ℓ1 norm")
    evidence.check("smaller α is closer to the min-ℓ1 interpolant", out[0]["to_l1"], "<", out[1]["to_l1"], "α → 0")
    big = out[-1]
    bound = float((np.abs(l2).max() / (2 * big["alpha"] ** 2)) ** 2)
    evidence.check(f"α = {big['alpha']:g}: ‖w − w_ℓ2‖/‖w_ℓ2‖", big["to_l2"], "<=", bound,
                   "(max|w|/2α²)²: Q_α = ‖w‖²/4α² up to that relative order")
    evidence.control(f"α = {big['alpha']:g} reaches the min-ℓ1 interpolant (≤ 1/log(1/α²) of α = 1e-3)", big["to_l1"],
                     "<=", 1 / np.log(1 / alphas[0] ** 2), "the kernel regime does not")
    evidence.control(f"α = {alphas[0]:g} reaches the min-ℓ2 interpolant (within the α = 10 bound ×100)",
                     out[0]["to_l2"],
                     "<=", 100 * bound, "the rich regime does not")
    evidence.conclude()
