"""Gunasekar, Lee, Soudry, Srebro 2018 (arXiv 1806.00468, NeurIPS 2018, Theorem 2), and Yun, Krishnan, Mobahi 2021
(arXiv 2010.02501, ICLR 2021: the same limit from their tensor formulation, for full-length convolutions): gradient
descent on a depth-L full-width circular convolutional linear network with the exponential loss on separable data
tends in direction to a stationary point of min ‖β̂‖_{2/L} s.t. y_i⟨x_i, β⟩ ≥ 1, β̂ the DFT of the end-to-end β. At
L = 2 that is the max margin in the norm ‖β̂‖₁ (`numerics.norms.fourier`, certified like every panel norm), where the
fully connected network of the same depth goes to the ℓ2 max margin.

The network is `numerics.models.CircularConvNet` (D = 16, one channel, from N(0, 10⁻⁴/D)) on 12 Gaussian points in
R^16 labelled by a teacher with two frequency pairs (3 and 5), where the ‖β̂‖₁, ℓ2 and ℓ1 max-margin directions are
certified apart (each one's solution is ≥ 0.13 from the others in their gaps). Gradient flow's path is followed by
unit steps of 10⁻²‖θ_t‖ on ∇log L (`numerics.optim.UnitSteps`, `RelativeSteps`), as in `ji_telgarsky.layers_align`
(at 10⁻³ from 10⁻³ the ‖β̂‖₁ gap is still 0.09 after 10⁴ steps and 0.95 at half of them: the budget, not the limit;
measured at 3·10⁻³: 0.035).
At T the end-to-end β's relative margin gap to the ‖β̂‖₁ max margin is judged by the kernel's `at_the_point` against
its ℓ2 and ℓ1 gaps (certified max margins; plateau test at T/2). Control: the fully connected two-layer linear network
f(x) = uᵀWx (width D) on the same path, judged for the ‖β̂‖₁ max margin.
"""

from __future__ import annotations

import numpy as np
import torch

from numerics import norms
from numerics.data import Dataset
from numerics.models import MLP, CircularConvNet
from numerics.optim import RelativeSteps, SteepestDescent, UnitSteps
from numerics.references import margins
from numerics.train import run
from verify import kernel
from verify.claim import OPTIMIZER, Mutant, claim
from verify.evidence import Evidence
from verify.kit import SEED

RELATIVE_STEP = 1e-2
INIT_SCALE = 1e-2
NORMS = ("fourier_l1", "l2", "l1")


def frequency_sparse(scale) -> Dataset:
    """n Gaussian points in R^D (12 in R^16; 24 in R^32 at paper scale) labelled by the teacher
    cos(2π·3j/D) + ½cos(2π·5j/D + 1), keeping points whose teacher score is beyond 0.3 of its spread."""
    n, D = scale.pick((12, 16), (24, 32))
    rng = np.random.default_rng(SEED)
    j = np.arange(D)
    teacher = np.cos(2 * np.pi * 3 * j / D) + 0.5 * np.cos(2 * np.pi * 5 * j / D + 1)
    X = rng.standard_normal((4 * n, D))
    score = X @ teacher
    X = X[np.abs(score) > 0.3 * score.std()][:n]
    return Dataset(X, np.sign(X @ teacher), "binary", description=f"{n} points in R^{D}, two frequency pairs",
                   seed=SEED, teacher=teacher)


def flow_path(lr):
    """Gradient flow's path: SGD's steps at unit length, the length set by `RelativeSteps`."""
    return lambda ps: UnitSteps(torch.optim.SGD(ps, lr=lr))


def train(model, ds, scale, optimizer):
    init = [p.detach() for p in model.init(1, torch.Generator().manual_seed(SEED))]
    steps = scale.pick(5_000, 20_000)
    return run(model, ds.X, ds.y.astype(float), "exponential", optimizer(1.0), steps=steps, natural=True, init=init,
               record_every=steps // 10, record_params=True, seed=SEED, log_loss=True,
               scheduler=lambda o: RelativeSteps(o, RELATIVE_STEP))


def judge_predictor(name: str, ds, beta, earlier, refs, claimed: str) -> Evidence:
    """The end-to-end β's `claimed` gap at T against its gaps in the other norms (`at_the_point`)."""
    ev = Evidence(name)

    def gaps(w):
        return {n: 1 - float((ds.y * (ds.X @ w)).min()) / float(norms.get(n).value(w)) / refs[n].margin
                for n in NORMS}

    now, before = gaps(beta), gaps(earlier)
    ev.record(**{f"{n}-gap at T": now[n] for n in NORMS}, **{f"{n}-gap at T/2": before[n] for n in NORMS},
              fourier_magnitudes_at_T=np.abs(np.fft.fft(beta / np.linalg.norm(beta))).round(4).tolist())
    slack = {n: refs[n].certificate.rel_gap for n in NORMS}  # the certified max margins' relative precision
    kernel.at_the_point(ev, claimed, (now[claimed] - slack[claimed], now[claimed] + slack[claimed]),
                        {n: (now[n] - slack[n], now[n] + slack[n]) for n in NORMS if n != claimed},
                        kernel.MARGIN_GAP, earlier=before[claimed] + slack[claimed])
    return ev


@claim(id="gunasekar.conv_fourier_l1", papers=("gunasekar2018b", "yun2020"),
       seams={"flow": flow_path},
       mutants=[Mutant("sign steps posing as the flow", "the claim's flow takes sign steps", OPTIMIZER,
                       "fourier_l1-gap", seams={"flow": lambda lr: lambda ps: UnitSteps(SteepestDescent(ps, lr,
                                                                                                       "linf"))})],
       lemmas=["lmo.fourier_l1"],
       statement="Gradient flow (unit steps of 10⁻²‖θ_t‖ on ∇log L) on a two-layer full-width circular convolutional "
                 "linear network tends to the max margin in ‖β̂‖₁, the DFT's ℓ1 norm: its gap at T at most a quarter "
                 "of its ℓ2 and ℓ1 gaps; the fully connected network on the same path does not.")
def test_convolutional_network_tends_to_the_fourier_l1_max_margin(scale, evidence, seams):
    ds = frequency_sparse(scale)
    refs = {n: margins.max_margin(ds, norm=n) for n in NORMS}
    evidence.record(max_margins={n: r.margin for n, r in refs.items()})
    conv = CircularConvNet(ds.d, depth=2, scale=INIT_SCALE)
    traj = train(conv, ds, scale, seams.flow)
    if traj.diverged_at is not None:
        evidence.check("the run stays finite", 0.0, "==", 1.0, "a diverged run has no limit",
                       failure=f"diverged at step {traj.diverged_at}")
        evidence.conclude()
        return
    beta = lambda t, i: conv.predictor([torch.as_tensor(p[i, 0]) for p in t.params]).numpy()  # noqa: E731
    middle = len(traj.steps) // 2
    evidence.include(judge_predictor("the convolutional network → the ‖β̂‖₁ max margin", ds, beta(traj, -1),
                                     beta(traj, middle), refs, "fourier_l1"))
    dense = MLP(ds.d, (ds.d,), activation="linear", scale=INIT_SCALE)
    control = train(dense, ds, scale, flow_path)
    end_to_end = lambda i: control.params[1][i, 0][0] @ control.params[0][i, 0]  # noqa: E731
    evidence.include(judge_predictor("the fully connected network judged for the ‖β̂‖₁ max margin (control)", ds,
                                     end_to_end(-1), end_to_end(middle), refs, "fourier_l1"), expect="FAIL")
    evidence.conclude()
