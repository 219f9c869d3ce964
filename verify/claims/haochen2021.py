"""Shape matters (HaoChen, Wei, Lee, Ma 2021): on the quadratic model — w = v⊙v (the authors' code) and
w = u⊙u − v⊙v (the paper) — with d = 100, n = 40 Gaussian inputs, a 5-sparse truth, noiseless labels and
initialization α = 1, label-noise SGD recovers the sparse truth while GD and Gaussian-noise SGD interpolate
with dense solutions, and mini-batch SGD without label noise stalls once it interpolates.

Test error is E_x⟨w − w*, x⟩² = ‖w − w*‖² for x ~ N(0, I), reported relative to ‖w*‖² = 5.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numerics import data
from numerics.models import Quadratic
from numerics.optim import NoisySGD
from numerics.train import run
from verify import mutants
from verify.claim import OPTIMIZER, Mutant, claim
from verify.kit import SEED

SIGMA = {False: 1.0, True: 2.0}
LR = {False: 0.005, True: 0.003}
"""Label-noise level and step per parameterization: the largest step of {0.002, 0.003, 0.005} that is stable
with a batch of one (0.005 diverges for u⊙u − v⊙v), and σ of {0.5, 1, 2, 3, 4} with the lowest error at the
default budget (measured; the effect's direction holds for every σ > 0 tried)."""
RECOVERED = 0.1
"""‖w − w*‖²/‖w*‖² below which the truth counts as recovered ("test error ≪ 1" relative to the signal)."""


def relative_error(model, w_star):
    w_star = torch.as_tensor(w_star)
    return lambda ps, X, y: ((model.weights(ps) - w_star) ** 2).sum(-1) / (w_star**2).sum()


def support_ok(w: np.ndarray, w_star: np.ndarray) -> bool:
    truth = set(np.flatnonzero(w_star))
    return set(np.argsort(-np.abs(w))[: len(truth)]) == truth


def support_gap(w: np.ndarray, w_star: np.ndarray) -> float:
    """max_{j ∉ supp w*} |w_j| / min_{j ∈ supp w*} |w_j|: < 1 iff the top entries are the true support; small when
    the off-support entries are noise around 0."""
    return float(np.abs(w[w_star == 0]).max() / np.abs(w[w_star != 0]).min())


def off_support_share(w: np.ndarray, w_star: np.ndarray) -> float:
    """Σ_{j ∉ supp w*} |w_j| / Σ_j |w_j|: 0 for the sparse truth, large for a dense interpolant."""
    return float(np.abs(w[w_star == 0]).sum() / np.abs(w).sum())


@claim(id="haochen.label_noise_recovers", papers=("haochen2021",),
       mutants=[Mutant("Gaussian noise posing as label noise",
                       "NoisySGD turns label noise σ into Gaussian gradient noise σ", OPTIMIZER, "label-noise SGD",
                       patch=mutants.gaussian_noise_as_label_noise, params={"signed": False})],
       lemmas=["mirror.diagonal_network", "potential.hyperbolic.gradient"],
       statement="On the quadratic model from α = 1, label-noise SGD recovers the 5-sparse truth; GD and "
                 "Gaussian-noise SGD interpolate with dense solutions; mini-batch SGD without label noise "
                 "stalls once it interpolates.")
@pytest.mark.parametrize("signed", [False, True], ids=["v*v", "u*u-v*v"])
def test_label_noise_sgd_recovers_the_sparse_truth(signed, scale, evidence):
    ds = data.sparse_regression(40, 100, 5, seed=SEED)
    model = Quadratic(100, 1.0, signed=signed)
    steps = scale.pick(40_000, 300_000)
    sigma, lr = SIGMA[signed], LR[signed]
    metrics = {"relative test error": relative_error(model, ds.teacher)}
    # batch of one: label noise σ and none, as one program
    sgd = run(model, ds.X, ds.y, "squared",
              lambda ps: NoisySGD(ps, lr, label_noise=torch.tensor([sigma, 0.0], dtype=torch.float64), batch_dims=1,
                                  seed=SEED), steps=steps, batch=2, batch_size=1, record_every=steps // 20, seed=SEED,
              metrics=metrics)
    # full batch: Gaussian gradient noise matched to the label noise's gradient noise at initialization
    # (|∂f/∂θ_j| = 2α|x_j|, so σ_g = σ·2α·E|x_j|), and none (GD)
    sigma_g = sigma * 2.0 * float(np.abs(ds.X).mean())
    full = run(model, ds.X, ds.y, "squared",
               lambda ps: NoisySGD(ps, lr, gaussian_noise=torch.tensor([sigma_g, 0.0], dtype=torch.float64),
                                   batch_dims=1, seed=SEED), steps=steps, batch=2, record_every=steps // 20, seed=SEED,
               metrics=metrics)
    runs = {"label-noise SGD": (sgd, 0), "SGD, no label noise": (sgd, 1), "Gaussian-noise GD": (full, 0),
            "GD": (full, 1)}
    final = {}
    for name, (traj, b) in runs.items():
        w = model.weights([torch.as_tensor(p[b:b + 1]) for p in traj.final])[0].numpy()
        err = traj["relative test error"][:, b]
        final[name] = {"error": float(err[-1]), "error_at_decade": float(err[2]), "support": support_ok(w, ds.teacher),
                       "off_support": off_support_share(w, ds.teacher),
                       "support_gap": support_gap(w, ds.teacher), "norm": float(np.linalg.norm(w)),
                       "train_loss": float(traj["loss"][-1, b])}
        evidence.trajectory(f"{name}: relative test error", traj.steps, err)
    evidence.record(sigma=sigma, sigma_gaussian=sigma_g, lr=lr, steps=steps, results=final,
                    truth_norm=float(np.linalg.norm(ds.teacher)))
    ln = final["label-noise SGD"]
    evidence.check("label-noise SGD: ‖w − w*‖²/‖w*‖²", ln["error"], "<=", RECOVERED, "recovers the truth")
    evidence.check("label-noise SGD: max off-support |w_j| / min on-support |w_j|", ln["support_gap"], "<", 1.0,
                   "the true support is exactly the top entries "
                   "(the error bound keeps off-support |w_j| ≤ √(0.1·‖w*‖²))")
    for name in ("GD", "Gaussian-noise GD", "SGD, no label noise"):
        evidence.control(f"{name}: ‖w − w*‖²/‖w*‖² ≤ {RECOVERED}", final[name]["error"], "<=", RECOVERED,
                         "without label noise the implicit bias is the dense α = 1 (kernel-like) one")
        evidence.check(f"{name}: share of ‖w‖₁ off the support", final[name]["off_support"], ">", 0.5,
                       "dense: most of the mass is off the true support")
    for name in ("GD", "SGD, no label noise"):
        evidence.check(f"{name}: training loss (interpolates)", final[name]["train_loss"], "<=", 1e-3, "interpolation")
    stall = final["SGD, no label noise"]["error"] / final["SGD, no label noise"]["error_at_decade"]
    evidence.check("SGD without label noise: error(T)/error(T/10)", stall, ">=", 0.9,
                   "stalls once it interpolates: no progress over the last decade")
    evidence.conclude()
