"""Gronich & Vardi 2026 (arXiv 2602.16340v3; extending Tsilivis, Vardi, Kempe 2024 to normalized steepest descent
with a learning-rate schedule): on a smooth homogeneous network, normalized steepest descent with decaying steps
η_t (∫η_t dt = ∞) has a bias towards KKT points of its own norm's margin problem in parameter space — ℓ2 for
normalized GD, ℓ∞ for sign descent, the spectral norm of each layer (max over layers) for Muon's orthogonalized
steps, and the max-norm of spectral (hidden layers) and ℓ∞ (head) for Muon-Signum.

The network: f(x) = W₂ φ(W₁ x), φ(z) = max(z, 0)² (C¹, the paper's smoothness), no biases, 3-homogeneous; width 6
on 12 points in R^10 labelled by a 2-sparse teacher (n ≈ d: the geometries' KKT points differ there; measured: every
rival's certified residual at the others' limits is ≥ 0.15). Steps η/√(t+1), η the best of a recorded sweep. The
quantity is the certified KKT residual r ∈ [0, 1] of `numerics.references.network_kkt`, bracketed in all five
geometries of the panel (ℓ2, ℓ∞, ℓ1, spectral, spectral+ℓ∞); the verdict is `verify.network.judge_kkt`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numerics.optim import Adam, Mixed, SteepestDescent
from numerics.references.network_kkt import margins
from numerics.train import run
from verify import mutants
from verify.claim import OPTIMIZER, VERIFIER, Mutant, claim
from verify.kit import (SEED, STEEPEST_CASES, STEEPEST_CONTROL, best_network_run, network_data, network_sweep,
                        smooth_network, steepest_in, train_network)
from verify.network import judge_kkt, residuals


@claim(id="gronich.steepest_descent_kkt", papers=("gronich2026", "tsilivis2024"),
       seams={"steepest": steepest_in},
       mutants=[Mutant("sign descent posing as Muon", "the spectral case trains sign descent", OPTIMIZER,
                       "nearer a KKT point of the linf margin problem", params={"geometry": "spectral"},
                       seams={"steepest": lambda geometry, lrs: steepest_in("linf", lrs)}),
                Mutant("Muon's polar factor replaced by the raw gradient", "the spectral case normalizes each layer's "
                       "gradient by its Frobenius norm instead of orthogonalizing it", OPTIMIZER,
                       "spectral KKT residual", params={"geometry": "spectral"},
                       seams={"steepest": lambda geometry, lrs: lambda ps: SteepestDescent(ps, lrs, "fro",
                                                                                           batch_dims=1)}),
                Mutant("subdifferential of the wrong norm", "the spectral KKT residual is computed with the ℓ2 "
                       "norm's subdifferential and dual", VERIFIER, "spectral KKT residual",
                       params={"geometry": "spectral"}, patch=mutants.spectral_residual_in_l2),
                Mutant("the KKT multipliers' sign dropped", "the KKT residual lets ν_i < 0 (free multipliers, "
                       "equality constraints in its dual)", VERIFIER, "a certificate with a negative part",
                       params={"geometry": "l2"},
                       patch=mutants.multipliers_of_any_sign)],
       lemmas=["kkt.network.residual"],
       statement="On a smooth 3-homogeneous two-layer network, normalized steepest descent with η/√(t+1) in ℓ2, "
                 "ℓ∞, the per-layer spectral norm and the spectral/ℓ∞ hybrid tends to a KKT point of its own "
                 "geometry's parameter-space margin problem: its certified KKT residual falls to a quarter of "
                 "every other geometry's certified residual at the same point.")
@pytest.mark.parametrize("geometry", list(STEEPEST_CASES))
def test_steepest_descent_tends_to_a_kkt_point_of_its_own_geometry(geometry, scale, evidence, seams):
    ds = network_data(scale)
    model = smooth_network(ds, scale)
    steps = scale.pick(50_000, 200_000)
    label = STEEPEST_CASES[geometry]
    trained = train_network(lambda lrs: seams.steepest(geometry, lrs), ds, model, steps)
    claimed = best_network_run(evidence, label, geometry, trained,
                       model, ds)
    evidence.include(judge_kkt(claimed, geometry, name=f"{label} → {geometry} KKT point"))
    rival = STEEPEST_CONTROL[geometry]
    control = best_network_run(evidence, STEEPEST_CASES.get(rival, rival), rival,
                       train_network(lambda lrs: steepest_in(rival, lrs), ds, model, steps), model, ds)
    evidence.include(judge_kkt(control, geometry, name=f"{STEEPEST_CASES[rival]} → {geometry} KKT point"),
                     expect="FAIL")
    evidence.conclude()



BETA = 0.9
"""The momentum of every case (Adam: β₁ = 0.9, β₂ = 0.999), a constant as in the theorem."""


def with_momentum(case: str, lrs, beta2: float = 0.999):
    """The momentum methods of Gronich & Vardi 2026: steepest descent along the momentum m_t = β m_{t−1} + (1−β)∇L
    (normalized heavy ball in ℓ2, Signum, Muon with the exact polar factor, Muon-Signum), Adam with ε = 0 (second
    moment β₂), and Muon with Adam (ε = 0) on the head (`numerics.optim.Mixed`: compiled)."""
    if case == "adam":
        return lambda ps: Adam(ps, lrs, betas=(BETA, beta2), eps=0.0, batch_dims=1)
    if case == "muon+adam":
        return lambda ps: Mixed([SteepestDescent(ps[:-1], lrs, "spectral", momentum=BETA, batch_dims=1),
                                 Adam(ps[-1:], lrs, betas=(BETA, beta2), eps=0.0, batch_dims=1)])
    if case == "spectral+linf":
        return lambda ps: SteepestDescent([{"params": ps[:-1]}, {"params": ps[-1:], "norm": "linf"}], lrs, "spectral",
                                          momentum=BETA, batch_dims=1)
    return lambda ps: SteepestDescent(ps, lrs, case, momentum=BETA, batch_dims=1, joint=case == "l2")


MOMENTUM = {"l2": ("l2", "momentum GD"), "linf": ("linf", "Signum"), "spectral": ("spectral", "Muon with momentum"),
            "spectral+linf": ("spectral+linf", "Muon-Signum with momentum"), "adam": ("linf", "Adam with ε = 0"),
            "muon+adam": ("spectral+linf", "Muon with Adam (ε = 0) on the head")}
"""case: (the geometry the theorem names, the method)."""
MOMENTUM_CONTROL = {"l2": "linf", "linf": "l2", "spectral": "linf", "spectral+linf": "l2", "adam": "l2",
                    "muon+adam": "l2"}
BETA2S = (0.95, 0.99, 0.999)
"""Adam's β₂ swept for Muon with Adam on the head (measured at η = 0.1: hybrid residual 0.030, 0.056, 0.143 —
the head's second moment must forget fast enough); Adam alone keeps torch's 0.999."""
UNDERFLOW = 745.2
"""e^{−q} rounds to 0 in float64 for q > 745.13 (the least subnormal is 4.9e−324): past that least margin ∇L = 0."""


@claim(id="gronich.momentum_kkt", papers=("gronich2026",),
       seams={"momentum": with_momentum},
       mutants=[Mutant("momentum GD posing as Signum", "the Signum case trains normalized heavy ball", OPTIMIZER,
                       "nearer a KKT point of the l2 margin problem", params={"case": "linf"},
                       seams={"momentum": lambda case, lrs, **options: with_momentum("l2", lrs)})],
       lemmas=["kkt.network.residual"],
       statement="On the smooth 3-homogeneous two-layer network, steepest descent along a momentum (β = 0.9) with "
                 "η/√(t+1) — normalized heavy ball, Signum, Muon with the exact polar factor, Muon-Signum — and "
                 "Adam with ε = 0 tend to KKT points of ℓ2, ℓ∞, the per-layer spectral norm, the spectral/ℓ∞ hybrid "
                 "and ℓ∞, and Muon with Adam (ε = 0) on the head, with β₂ = 0.95 of a recorded sweep, to KKT points "
                 "of the hybrid: each certified residual falls to a quarter of every other geometry's. Run on "
                 "∇log L = ∇L/L "
                 "(the momentum averages then weight each past gradient by 1/L_s): on ∇L in float64 the steepest "
                 "methods at their chosen η freeze once the least margin passes 745, where ∇L underflows to 0 "
                 "(residual unchanged from T/2 to T), and Adam at η = 0.03 is still at ℓ∞ residual 0.29 with least "
                 "margin 18 — its averages remember larger past gradients — so its case is Adam on ∇log L.")
@pytest.mark.parametrize("case", list(MOMENTUM))
def test_momentum_methods_tend_to_a_kkt_point_of_their_geometry(case, scale, evidence, seams):
    ds = network_data(scale)
    model = smooth_network(ds, scale)
    steps = scale.pick(50_000, 200_000)
    geometry, label = MOMENTUM[case]
    beta2, trained = 0.999, {}
    for b in BETA2S if case == "muon+adam" else (beta2,):
        trained[b] = train_network(lambda lrs: seams.momentum(case, lrs, beta2=b), ds, model, steps, log_loss=True)
    if len(trained) > 1:
        finals = {b: min(network_sweep(evidence, f"{label}, β₂ = {b:g}", geometry, t, model, ds).values())
                  for b, t in trained.items()}
        beta2 = min(finals, key=finals.get)
        evidence.record(**{f"{label}: β₂ chosen": beta2})
    claimed = best_network_run(evidence, label, geometry, trained[beta2], model, ds)
    evidence.include(judge_kkt(claimed, geometry, name=f"{label} → {geometry} KKT point"))
    eta = float(claimed.name.rsplit("= ", 1)[1])
    on_loss = train_network(lambda lrs: seams.momentum(case, lrs, beta2=beta2), ds, model, steps, etas=(eta,))
    half = len(on_loss.steps) // 2
    plain = residuals(f"{label} on ∇L", model, on_loss, ds.X, ds.y, at=[half, len(on_loss.steps) - 1],
                      geometries=(geometry,))
    least = float(margins(model, [torch.as_tensor(p[half, 0]) for p in on_loss.params], torch.as_tensor(ds.X),
                          torch.as_tensor(ds.y)).min()) if on_loss.diverged_at is None else None
    evidence.record(**{f"on ∇L, η = {eta:g}: {geometry} KKT residual at T/2 and T":
                       [None if r is None else r.upper for r in plain.residuals[geometry]],
                       f"on ∇L, η = {eta:g}: least margin at T/2 (∇L = 0 past {UNDERFLOW})": least})
    rival = MOMENTUM_CONTROL[case]
    control = best_network_run(evidence, MOMENTUM[rival][1], rival,
                       train_network(lambda lrs: with_momentum(rival, lrs), ds, model, steps, log_loss=True), model, ds)
    evidence.include(judge_kkt(control, geometry, name=f"{MOMENTUM[rival][1]} → {geometry} KKT point"),
                     expect="FAIL")
    evidence.conclude()


def torch_muon(lrs):
    """torch's Muon as users call it, without momentum and weight decay: its quintic Newton–Schulz step (in
    bfloat16) in place of the exact polar factor."""
    return lambda ps: torch.optim.Muon(ps, lr=float(lrs[0]), momentum=0.0, nesterov=False, weight_decay=0.0)


def step_at(model, ds, params) -> tuple[float, np.ndarray]:
    """‖∇_{W₁}L‖_F at `params` and the singular values of torch's orthogonalized step for it (the exact polar
    factor's are all 1; torch's documentation says its iteration leaves them near Uniform(0.5, 1.5), and it divides
    the gradient by max(‖G‖_F, eps) first)."""
    from torch.optim import _muon

    W = [torch.as_tensor(p).clone().requires_grad_() for p in params]
    out = model([w[None] for w in W], torch.as_tensor(ds.X))[0]
    torch.exp(-torch.as_tensor(ds.y, dtype=out.dtype) * out).mean().backward()
    step = _muon._zeropower_via_newtonschulz(W[0].grad, (_muon.DEFAULT_A, _muon.DEFAULT_B, _muon.DEFAULT_C),
                                             _muon.DEFAULT_NS_STEPS, _muon.EPS)
    return float(W[0].grad.norm()), torch.linalg.svdvals(step.double()).numpy()


@claim(id="gronich.torch_muon_what_holds_it_back", papers=("gronich2026",),
       seams={"muon": torch_muon},
       mutants=[Mutant("the exact polar factor posing as torch's Muon", "the claim's torch Muon takes exact "
                       "polar-factor steps", OPTIMIZER, "over the exact polar factor's",
                       seams={"muon": lambda lrs: lambda ps: SteepestDescent(ps, float(lrs[0]), "spectral")})],
       lemmas=["kkt.network.residual"],
       statement="torch.optim.Muon without momentum, at the step size and schedule with which the exact polar "
                 "factor reaches a spectral KKT point on the smooth network, stays at least 4 times farther from "
                 "one (certified residuals at the same budget). Its eps, not its momentum, holds it back: late in "
                 "training ‖∇L‖_F is below eps = 1e-7, and its step's singular values fall far below the 0.5–1.5 "
                 "of its own documentation.")
def test_what_holds_torch_muon_back_on_a_network(scale, evidence, seams):
    ds = network_data(scale)
    model = smooth_network(ds, scale)
    steps = scale.pick(50_000, 200_000)
    exact = residuals("exact polar factor, η = 0.1", model,
                      train_network(lambda lrs: steepest_in("spectral", lrs), ds, model, steps, etas=(0.1,)), ds.X,
                      ds.y)
    evidence.include(judge_kkt(exact, "spectral", name="exact polar factor → spectral KKT point"))
    scheduler = lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: (t + 1) ** -0.5)  # noqa: E731
    init = [p.detach() for p in model.init(1, torch.Generator().manual_seed(SEED))]
    traj = run(model, ds.X, ds.y.astype(float), "exponential", seams.muon(torch.tensor([0.1])), steps=steps,
               natural=True, record_every=steps // 8, record_params=True, seed=SEED, init=init, scheduler=scheduler)
    muon = residuals("torch.optim.Muon (momentum 0), η = 0.1", model, traj, ds.X, ds.y)
    mine, theirs = exact.final("spectral"), muon.final("spectral")
    evidence.check("torch's Muon stays finite and separates the data at T", float(theirs is not None and
                   traj.diverged_at is None), "==", 1.0, "a residual needs a separating direction at T")
    if theirs is not None and mine is not None and traj.diverged_at is None:
        evidence.trajectory("torch's Muon: spectral KKT residual", traj.steps[muon.at],
                            [np.nan if r is None else r.upper for r in muon.residuals["spectral"]])
        gradient, singular = step_at(model, ds, muon.params(muon.at[-1]))
        evidence.record(torch_muon_residuals_at_T={g: None if muon.final(g) is None else muon.final(g).upper
                                                   for g in muon.residuals},
                        hidden_layer_gradient_norm_at_T=gradient, singular_values_of_its_step_at_T=singular)
        evidence.check("torch's Muon's spectral KKT residual (lower bound) over the exact polar factor's (upper)",
                       theirs.lower / max(mine.upper, 1e-300), ">=", 4.0,
                       "4: the kernel's ratio between a claimed geometry and its rivals (tol = s_min/4); same data, "
                       "initialization, η/√(t+1) and budget")
        evidence.check("torch's Muon at T: ‖∇_{W₁}L‖_F", gradient, "<", torch.optim._muon.EPS,
                       "its eps: below it the gradient is divided by eps, not by its norm")
        evidence.check("torch's Muon at T: largest singular value of its step", float(singular.max()), "<", 0.5,
                       "torch's documentation: its iteration leaves the singular values near Uniform(0.5, 1.5) "
                       "when it orthogonalizes; below 0.5 its eps has taken over")
    evidence.conclude()
