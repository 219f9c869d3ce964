"""Lyu, Li, Wang, Arora 2021 (arXiv 2110.13905, NeurIPS 2021): gradient flow on a two-layer leaky-ReLU network
f(x) = Σ_k a_k φ(w_kᵀx), φ(z) = max(z, αz), from a small initialization on linearly separable symmetric data (every
(x, y) with (−x, −y)) tends to a network that computes a linear function, in the direction of the ℓ2 max-margin
linear classifier — the global max margin of the network, (1 + α)γ*/4 for q_min/‖θ‖₂² (each pair of mirrored units
(a, w), (−a, −w) computes (1 + α)a wᵀx at parameter norm² 2(a² + ‖w‖²) ≥ 4|a|‖w‖).

φ(z) = ((1 + α)/2)z + ((1 − α)/2)|z| splits f into its linear part βᵀx, β = ((1 + α)/2)Σ_k a_k w_k, and the rest
((1 − α)/2)Σ_k a_k|w_kᵀx|. The flow is followed along its own path: normalized steps (`numerics.optim.UnitSteps`
around SGD) of length c‖θ_t‖ (`RelativeSteps`, c = 10⁻³) trace the flow's trajectory at one relative resolution
from the initialization's scale 10⁻³ to ‖θ‖ ~ 10³ (GD at a constant step moves on the 1/log t clock: measured, its
linear part's ℓ2 gap is 0.068 after 10⁶ steps). Data: `verify.kit`'s 12 points in R^10 from a 2-sparse teacher,
symmetrized (`numerics.data.symmetrized`: 24 points), width 8, α = 0.1, on ∇log L.

At T the linear part's relative margin gap to the ℓ2 max margin is judged by the kernel's `at_the_point` against
its gaps to the ℓ1 and ℓ∞ max margins (certified references); the network must be its linear part at that
precision (the rest at most tol of the linear part on the data) and its normalized margin within tol of the global
max margin, never above it. Control: the same run on the data without their mirror images, where the theorem says
nothing (measured: the rest stays 55 % of the linear part).
"""

from __future__ import annotations

import numpy as np
import torch

from numerics import data
from numerics.models import MLP
from numerics.optim import RelativeSteps, SteepestDescent, UnitSteps
from numerics.references import margins
from numerics.train import run
from theory import kkt
from verify import kernel
from verify.claim import DATA, OPTIMIZER, Mutant, claim
from verify.evidence import Evidence
from verify.kit import SEED, formula, network_data

ALPHA = 0.1
RELATIVE_STEP = 1e-3
INIT_SCALE = 1e-3
NORMS = ("l2", "l1", "linf")
ORDER = {"l2": 2, "l1": 1, "linf": np.inf}


def flow_path(lr):
    """Gradient flow's path: SGD's steps at unit length, the length set by `RelativeSteps`."""
    return lambda ps: UnitSteps(torch.optim.SGD(ps, lr=lr))


def linear_part(params) -> tuple[np.ndarray, np.ndarray]:
    """β = ((1 + α)/2) W₁ᵀa and the rest's weights: the network is βᵀx + ((1 − α)/2) Σ_k a_k |w_kᵀx|."""
    W1, a = params[0], params[1][0]
    return (1 + ALPHA) / 2 * W1.T @ a, (W1, a)


def judge_linear_limit(name: str, ds, params, earlier_params, refs) -> Evidence:
    """The kernel at the point on the linear part's ℓ2 gap against its ℓ1 and ℓ∞ gaps, with the network's
    linearity and its margin against the global max margin (1 + α)γ*/4."""
    ev = Evidence(name)
    X, y = ds.X, ds.y

    def gaps(p):
        beta, (W1, a) = linear_part(p)
        return {n: 1 - float((y * (X @ beta)).min()) / np.linalg.norm(beta, ORDER[n]) / refs[n].margin for n in NORMS}

    now, before = gaps(params), gaps(earlier_params)
    beta, (W1, a) = linear_part(params)
    rest = (1 - ALPHA) / 2 * np.abs(X @ W1.T) @ a
    linear = X @ beta
    q_min = float((y * (linear + rest)).min())
    size = float(sum((p ** 2).sum() for p in params))
    ceiling = formula("margin.leaky_pairs", kkt.ALPHA, kkt.GAMMA_STAR)(ALPHA, refs["l2"].margin
                                                                    * (1 + refs["l2"].certificate.rel_gap))
    ev.record(**{f"{n}-gap of the linear part at T": now[n] for n in NORMS}, **{
        f"{n}-gap of the linear part at T/2": before[n] for n in NORMS},
        rest_over_linear_part=float(np.abs(rest).max() / np.abs(linear).max()),
        network_margin_over_global_max=q_min / size / ceiling)
    slack = {n: refs[n].certificate.rel_gap for n in NORMS}  # the certified max margins' relative precision
    tol = kernel.at_the_point(ev, "l2", (now["l2"] - slack["l2"], now["l2"] + slack["l2"]),
                              {n: (now[n] - slack[n], now[n] + slack[n]) for n in NORMS if n != "l2"},
                              kernel.MARGIN_GAP, earlier=before["l2"] + slack["l2"])
    ev.check("the rest of the network against its linear part (max over the data)",
             float(np.abs(rest).max() / np.abs(linear).max()), "<=", tol,
             "the limit computes a linear function: at the claim's precision tol the network is its linear part",
             failure=f"{name}: the network is not linear (its rest is {np.abs(rest).max() / np.abs(linear).max():.3g}"
                     " of its linear part)")
    ev.check("the network's normalized margin q_min/‖θ‖² over the global max margin (1 + α)γ*/4",
             q_min / size / ceiling, "<=", 1.0, "no network exceeds it on symmetric data (lemma; γ* certified)",
             failure=f"{name}: a margin above the global max margin — the bound or the data's symmetry is wrong")
    ev.check("the network's normalized margin gap to the global max margin", 1 - q_min / size / ceiling, "<=", tol,
             "Lyu et al. 2021: the global max margin is attained in the limit",
             failure=f"{name}: the network's margin is {1 - q_min / size / ceiling:.3g} below the global max margin")
    return ev


def train(ds, scale, optimizer):
    model = MLP(ds.d, (scale.pick(8, 16),), activation="leaky", alpha=ALPHA, scale=INIT_SCALE)
    init = [p.detach() for p in model.init(1, torch.Generator().manual_seed(SEED))]
    steps = scale.pick(20_000, 40_000)
    return run(model, ds.X, ds.y.astype(float), "exponential", optimizer(1.0), steps=steps, natural=True, init=init,
               record_every=steps // 10, record_params=True, seed=SEED, log_loss=True,
               scheduler=lambda o: RelativeSteps(o, RELATIVE_STEP))


def symmetric(scale):
    return data.symmetrized(network_data(scale))


@claim(id="lyu2021.symmetric_data_linear_limit", papers=("lyu2021",),
       seams={"data": symmetric, "flow": flow_path},
       mutants=[Mutant("the mirror images dropped", "the claim trains on the data without their mirror images", DATA,
                       "not linear", seams={"data": network_data}),
                Mutant("sign steps posing as gradient flow", "the claim's flow takes sign steps", OPTIMIZER,
                       "not linear", seams={"flow": lambda lr: lambda ps: UnitSteps(SteepestDescent(ps, lr, "linf"))})],
       lemmas=["margin.leaky_pairs"],
       statement="Gradient flow (normalized GD at steps 10⁻³‖θ_t‖) on a two-layer leaky-ReLU network from a small "
                 "initialization on symmetric linearly separable data tends to a linear function in the ℓ2 "
                 "max-margin direction, the network's global max margin: the linear part's ℓ2 gap at T is at most a "
                 "quarter of its ℓ1 and ℓ∞ gaps, the rest of the network and the gap to (1 + α)γ*/4 within that "
                 "tolerance.")
def test_symmetric_data_make_the_network_linear_at_the_l2_max_margin(scale, evidence, seams):
    ds = seams.data(scale)
    refs = {n: margins.max_margin(ds, norm=n) for n in NORMS}
    evidence.record(max_margins={n: r.margin for n, r in refs.items()})
    traj = train(ds, scale, seams.flow)
    evidence.check("the flow stays finite", float(traj.diverged_at is None), "==", 1.0, "a diverged run has no limit",
                   failure=f"diverged at step {traj.diverged_at}")
    if traj.diverged_at is None:
        at = lambda i: [p[i, 0] for p in traj.params]  # noqa: E731
        evidence.include(judge_linear_limit("the flow from 10⁻³ → the ℓ2 max-margin linear function", ds, at(-1),
                                            at(len(traj.steps) // 2), refs))
    plain = network_data(scale)
    plain_refs = {n: margins.max_margin(plain, norm=n) for n in NORMS}
    control = train(plain, scale, flow_path)
    at = lambda i: [p[i, 0] for p in control.params]  # noqa: E731
    evidence.include(judge_linear_limit("without the mirror images", plain, at(-1), at(len(control.steps) // 2),
                                        plain_refs), expect="FAIL")
    evidence.conclude()

