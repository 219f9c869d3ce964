"""Frei, Vardi, Bartlett, Srebro, Hu (arXiv 2210.07082, ICLR 2023): on nearly orthogonal data, ‖x_i‖² ≥ C·n·max_{i≠j}
|⟨x_i, x_j⟩|, gradient flow on a two-layer leaky-ReLU network f(x) = Σ_j a_j φ(w_jᵀx) with its second layer fixed at
a_j = ±1/√m tends to a network whose first-layer matrix W has rank at most 2 — so its stable rank
‖W‖_F²/‖W‖₂² is at most 2, the theorem's own number, where a generic W of this size has stable rank near m.

The flow is followed along its path (`numerics.optim.UnitSteps` around SGD on W alone, steps 10⁻³‖W_t‖:
`RelativeSteps`) from a standard initialization, on ∇log L; data `numerics.data.nearly_orthogonal` (n = 8 points in
R^1000, width 32; measured near-orthogonality C = 1.88, below the theorem's large constant, recorded). The energy of W
beyond its top two singular values is recorded at every record (measured: 0.93 at initialization, 3.4e−5 at T).
Control: low-dimensional data (40 points in R^10, C = 0.01), where the network's W keeps stable rank 3.1.
"""

from __future__ import annotations

import numpy as np
import torch

from numerics import data
from numerics.models import MLP
from numerics.optim import RelativeSteps, UnitSteps
from numerics.train import run
from verify.claim import DATA, Mutant, claim
from verify.evidence import Evidence
from verify.kit import SEED

BOUND = 2.0
"""The theorem's rank bound, which bounds the stable rank too (stable rank ≤ rank)."""


def high_dimensional(scale):
    n, d = scale.pick((8, 1000), (16, 4000))
    return data.nearly_orthogonal(n, d, seed=SEED)


def low_dimensional(scale):
    """The control: 40 Gaussian points in R^10, far from orthogonal (C ≈ 0.01)."""
    ds = data.nearly_orthogonal(40, 10, seed=SEED)
    return data.Dataset(ds.X, ds.y, "binary", description="low-dimensional, n = 40, d = 10", seed=SEED)


def first_layer_flow(ds, width: int, steps: int):
    """Gradient flow's path on W (the second layer fixed at ±1/√m), from W_jk ~ N(0, 1/d)."""
    model = MLP(ds.d, (width,), activation="leaky", alpha=0.1)
    generator = torch.Generator().manual_seed(SEED)
    W = torch.randn(1, width, ds.d, generator=generator, dtype=torch.float64) / np.sqrt(ds.d)
    a = torch.tensor([[[(-1.0) ** j for j in range(width)]]], dtype=torch.float64) / np.sqrt(width)
    return run(model, ds.X, ds.y.astype(float), "exponential", lambda ps: UnitSteps(torch.optim.SGD(ps[:1], lr=1.0)),
               steps=steps, natural=True, init=[W, a], record_every=steps // 10, record_params=True, seed=SEED,
               log_loss=True, scheduler=lambda o: RelativeSteps(o, 1e-3))


def judge_rank(name: str, ds, traj) -> Evidence:
    ev = Evidence(name)
    ev.check("the flow stays finite", float(traj.diverged_at is None), "==", 1.0, "a diverged run has no limit",
             failure=f"{name}: diverged at step {traj.diverged_at}")
    if traj.diverged_at is not None:
        return ev
    singular = [np.linalg.svd(W[0], compute_uv=False) for W in traj.params[0]]
    stable = [float((s ** 2).sum() / s[0] ** 2) for s in singular]
    beyond = [float((s[2:] ** 2).sum() / (s ** 2).sum()) for s in singular]
    W, a = traj.params[0][-1, 0], traj.params[1][-1, 0][0]
    hidden = ds.X @ W.T
    least = float((ds.y * (np.maximum(hidden, 0.1 * hidden) @ a)).min())
    ev.record(near_orthogonality=data.near_orthogonality(ds), stable_rank_per_record=stable,
              energy_beyond_two_per_record=beyond, least_margin_at_T=least)
    ev.trajectory("stable rank of W", traj.steps, np.array(stable))
    ev.trajectory("energy of W beyond its top two singular values", traj.steps, np.maximum(beyond, 1e-16))
    ev.check("the network separates the data at T (least margin)", least, ">", 0.0, "the theorem's limit separates",
             failure=f"{name}: least margin {least:.3g} ≤ 0 at T")
    ev.check("stable rank of W at T", stable[-1], "<=", BOUND,
             "Frei et al.: rank W ≤ 2 in the limit, and stable rank ≤ rank",
             failure=f"{name}: stable rank {stable[-1]:.3g} > 2 (energy beyond two singular values {beyond[-1]:.3g})")
    return ev


@claim(id="frei.rank_two_on_high_dimensional_data", papers=("frei2022",),
       seams={"data": high_dimensional},
       mutants=[Mutant("low-dimensional data posing as nearly orthogonal", "the claim's data are 40 points in R^10",
                       DATA, "stable rank", seams={"data": low_dimensional})],
       lemmas=[],
       statement="Gradient flow on a two-layer leaky-ReLU network with a fixed ±1/√m second layer, on nearly "
                 "orthogonal data, tends to a first layer of stable rank at most 2 (Frei et al.: rank at most 2).")
def test_the_first_layer_tends_to_rank_two(scale, evidence, seams):
    ds = seams.data(scale)
    width, steps = scale.pick(32, 64), scale.pick(6_000, 10_000)
    evidence.include(judge_rank(f"gradient flow on {ds.description}", ds, first_layer_flow(ds, width, steps)))
    control = low_dimensional(scale)
    evidence.include(judge_rank(f"gradient flow on {control.description}", control,
                                first_layer_flow(control, width, steps)), expect="FAIL")
    evidence.conclude()
