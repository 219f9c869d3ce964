"""Ji & Telgarsky 2019 (arXiv 1810.02032, ICLR 2019), gradient descent aligns the layers of deep linear networks: on
linearly separable data, gradient flow on f(x) = W_L ⋯ W_1 x with the exponential or logistic loss drives the
end-to-end w = W_L ⋯ W_1 to the ℓ2 max-margin direction, each layer W_k/‖W_k‖ to a rank-one u_k v_kᵀ, and adjacent
layers into alignment, |⟨v_{k+1}, u_k⟩| → 1 (Theorem 1 and its corollaries).

The network is `numerics.models.MLP` with the identity activation, depth 3, width 6, from N(0, 10⁻⁶/h) on `verify.kit`'s
12 points in R^10 from a 2-sparse teacher (where the ℓ2, ℓ1 and ℓ∞ max-margin directions are certified apart).
Gradient flow's path is followed as in `lyu2021.symmetric_data_linear_limit`: unit steps of SGD on ∇log L with length
10⁻³‖θ_t‖ (`numerics.optim.UnitSteps`, `RelativeSteps`). At T the end-to-end ℓ2 margin gap is judged by the kernel's
`at_the_point` against its ℓ1 and ℓ∞ gaps (certified max margins, plateau test at T/2); at that tolerance every layer
must be rank one (σ₂/σ₁) and adjacent layers aligned (1 − |⟨v_{k+1}, u_k⟩|). Control: the same run judged for the
ℓ∞ max margin. (Sign steps on the same path end at ℓ2 gap 0.075 after 10⁴ steps, but at paper scale are still
falling, 0.231 → 0.228, so they make no decisive control.)
"""

from __future__ import annotations

import numpy as np
import torch

from numerics.models import MLP
from numerics.optim import RelativeSteps, SteepestDescent, UnitSteps
from numerics.references import margins
from numerics.train import run
from verify import kernel
from verify.claim import OPTIMIZER, Mutant, claim
from verify.evidence import Evidence
from verify.kit import SEED, network_data

RELATIVE_STEP = 1e-3
INIT_SCALE = 1e-3
WIDTH, DEPTH = 6, 3
NORMS = ("l2", "l1", "linf")
ORDER = {"l2": 2, "l1": 1, "linf": np.inf}


def flow_path(lr):
    """Gradient flow's path: SGD's steps at unit length, the length set by `RelativeSteps`."""
    return lambda ps: UnitSteps(torch.optim.SGD(ps, lr=lr))


def steps_in(norm: str):
    """Steepest steps in `norm` on the same path (unit length, set by `RelativeSteps`)."""
    return lambda lr: lambda ps: UnitSteps(SteepestDescent(ps, lr, norm))


def end_to_end(layers) -> np.ndarray:
    return np.linalg.multi_dot(layers[::-1])[0]


def judge_alignment(name: str, ds, layers, earlier, refs, claimed: str = "l2") -> Evidence:
    """The end-to-end `claimed` gap at T against its gaps in the other norms (`at_the_point`), then rank one and
    alignment within the tolerance the kernel returns."""
    ev = Evidence(name)

    def gaps(w):
        return {n: 1 - float((ds.y * (ds.X @ w)).min()) / np.linalg.norm(w, ORDER[n]) / refs[n].margin for n in NORMS}

    now, before = gaps(end_to_end(layers)), gaps(end_to_end(earlier))
    svd = [np.linalg.svd(W) for W in layers]
    rank_one = [float(s[1] / s[0]) if len(s) > 1 else 0.0 for _, s, _ in svd]
    alignment = [float(1 - abs(svd[k + 1][2][0] @ svd[k][0][:, 0])) for k in range(len(layers) - 1)]
    ev.record(**{f"{n}-gap at T": now[n] for n in NORMS}, **{f"{n}-gap at T/2": before[n] for n in NORMS},
              sigma2_over_sigma1=rank_one, misalignment=alignment)
    slack = {n: refs[n].certificate.rel_gap for n in NORMS}  # the certified max margins' relative precision
    tol = kernel.at_the_point(ev, claimed, (now[claimed] - slack[claimed], now[claimed] + slack[claimed]),
                              {n: (now[n] - slack[n], now[n] + slack[n]) for n in NORMS if n != claimed},
                              kernel.MARGIN_GAP, earlier=before[claimed] + slack[claimed])
    ev.check("largest σ₂/σ₁ over the layers at T", max(rank_one), "<=", tol,
             "Ji & Telgarsky 2019: every layer tends to rank one; at the claim's precision tol",
             failure=f"a layer is not rank one (σ₂/σ₁ = {max(rank_one):.3g})")
    ev.check("largest 1 − |⟨v_{k+1}, u_k⟩| over adjacent layers at T", max(alignment), "<=", tol,
             "adjacent layers align: the top right singular vector of W_{k+1} meets the top left one of W_k",
             failure=f"adjacent layers are not aligned (1 − |⟨v, u⟩| = {max(alignment):.3g})")
    return ev


def train(ds, scale, optimizer):
    model = MLP(ds.d, (WIDTH,) * (DEPTH - 1), activation="linear", scale=INIT_SCALE)
    init = [p.detach() for p in model.init(1, torch.Generator().manual_seed(SEED))]
    steps = scale.pick(10_000, 60_000)
    return run(model, ds.X, ds.y.astype(float), "exponential", optimizer(1.0), steps=steps, natural=True, init=init,
               record_every=steps // 10, record_params=True, seed=SEED, log_loss=True,
               scheduler=lambda o: RelativeSteps(o, RELATIVE_STEP))


@claim(id="ji_telgarsky.layers_align", papers=("ji2018",),
       seams={"flow": flow_path},
       mutants=[Mutant("coordinate steps posing as the flow", "the claim's flow takes ℓ1 steepest steps", OPTIMIZER,
                       "l2-gap", seams={"flow": steps_in("l1")})],
       lemmas=[],
       statement="Gradient flow (unit steps of length 10⁻³‖θ_t‖ on ∇log L) on a depth-3 linear network on separable "
                 "data: the end-to-end map tends to the ℓ2 max-margin direction (its ℓ2 gap at most a quarter of its "
                 "ℓ1 and ℓ∞ gaps), every layer to rank one and adjacent layers into alignment within that tolerance.")
def test_gradient_flow_aligns_the_layers(scale, evidence, seams):
    ds = network_data(scale)
    refs = {n: margins.max_margin(ds, norm=n) for n in NORMS}
    evidence.record(max_margins={n: r.margin for n, r in refs.items()})
    traj = train(ds, scale, seams.flow)
    if traj.diverged_at is not None:
        evidence.check("the run stays finite", 0.0, "==", 1.0, "a diverged run has no limit",
                       failure=f"diverged at step {traj.diverged_at}")
    else:
        at = lambda i: [p[i, 0] for p in traj.params]  # noqa: E731
        evidence.include(judge_alignment("the flow from 10⁻³ → the ℓ2 max margin", ds, at(-1), at(len(traj.steps) // 2),
                                         refs))
        evidence.include(judge_alignment("the same flow judged for the ℓ∞ max margin (control)", ds, at(-1),
                                         at(len(traj.steps) // 2), refs, claimed="linf"), expect="FAIL")
    evidence.conclude()
