"""Ji & Telgarsky 2020 (arXiv 2006.06657v2): on a homogeneous network with locally Lipschitz gradients, gradient
flow's parameters converge in direction and align with the negative gradient, a(θ_t) = ⟨−∇L, θ_t⟩/(‖∇L‖‖θ_t‖) → 1.
In the algorithm's own norm pairing, a(θ) = ⟨−∇L, θ⟩/(‖∇L‖_*‖θ‖) (`numerics.references.network_kkt.alignment`),
the same holds at the KKT points of every geometry's margin problem (Tsilivis et al. 2024; Gronich & Vardi 2026):
there −∇L tends to a subgradient of the norm at θ.

The set-up is the gronich claims' (`verify.kit`'s smooth network): the 3-homogeneous ReLU² network, 12 points in
R^10 from a 2-sparse teacher, normalized steepest descent with η/√(t+1) in ℓ2 (GD's direction), ℓ∞, spectral per
layer and the hybrid.
The quantity is the alignment gap 1 − a ∈ [0, 2] in each pairing, and the verdict the kernel's `at_the_point`
(`verify.network.judge_alignment`): the claim's gap at most a quarter of every other pairing's at θ_T.
"""

from __future__ import annotations

import numpy as np
import pytest

from verify import mutants
from verify.claim import OPTIMIZER, VERIFIER, Mutant, claim
from verify.kit import (NETWORK_ETAS, STEEPEST_CASES, STEEPEST_CONTROL, known_failure, network_data, smooth_network,
                        steepest_in, train_network)
from verify.network import alignment_gaps, judge_alignment


def best_alignment(evidence, label: str, geometry: str, traj, model, ds):
    """The η of the sweep whose final alignment gap in `geometry`'s pairing is least (sweep and choice recorded), and
    that configuration's gaps in every pairing at every record after the initialization."""
    last = len(traj.steps) - 1
    finals = {eta: alignment_gaps(model, traj, ds.X, ds.y, configuration=b, at=[last], geometries=(geometry,))
              [geometry][0] for b, eta in enumerate(NETWORK_ETAS)}
    best = min(NETWORK_ETAS, key=lambda e: np.inf if finals[e] is None else finals[e])
    evidence.record(**{f"{label}: {geometry} alignment gap at T per η (sweep)": {f"{e:g}": v for e, v in
                                                                                 finals.items()},
                       f"{label}: η chosen": best})
    return best, alignment_gaps(model, traj, ds.X, ds.y, configuration=NETWORK_ETAS.index(best))


@claim(id="ji_telgarsky.alignment", papers=("ji2020", "tsilivis2024", "gronich2026"),
       seams={"steepest": steepest_in},
       mutants=[Mutant("sign descent posing as normalized GD", "the ℓ2 case trains sign descent", OPTIMIZER,
                       "alignment in the linf pairing", params={"geometry": "l2"},
                       seams={"steepest": lambda geometry, lrs: steepest_in("linf", lrs)}),
                Mutant("the gradient measured in the primal norm", "the alignment divides by ‖∇L‖ ‖θ‖ in the same "
                       "norm, not the dual pairing", VERIFIER, "the pairing is not dual", params={"geometry": "linf"},
                       patch=mutants.alignment_in_the_primal_pairing)],
       lemmas=["kkt.network.residual"],
       statement="On the smooth 3-homogeneous network, normalized steepest descent with η/√(t+1) in ℓ2, ℓ∞, the "
                 "per-layer spectral norm and the spectral/ℓ∞ hybrid aligns with the negative gradient in its own "
                 "norm pairing: its alignment gap 1 − ⟨−∇L, θ⟩/(‖∇L‖_*‖θ‖) at T is at most a quarter of the gap in "
                 "every other pairing (Ji & Telgarsky 2020 for ℓ2).")
@pytest.mark.parametrize("geometry", [pytest.param(g, marks=known_failure(
    "sign descent's ℓ∞ alignment gap rises from 0.035 at T/2 to 0.184 at T, above tol 0.137 (40 points in R^30, "
    "width 16, 2·10⁵ steps, η = 0.03 of the sweep; at η = 0.1 and 0.3 it is 0.81): the cause is not isolated",
    scale="paper")) if g == "linf" else g for g in STEEPEST_CASES])
def test_steepest_descent_aligns_in_its_own_pairing(geometry, scale, evidence, seams):
    ds = network_data(scale)
    model = smooth_network(ds, scale)
    steps = scale.pick(50_000, 200_000)
    label = STEEPEST_CASES[geometry]
    traj = train_network(lambda lrs: seams.steepest(geometry, lrs), ds, model, steps)
    eta, gaps = best_alignment(evidence, label, geometry, traj, model, ds)
    evidence.include(judge_alignment(f"{label}, η = {eta:g} → alignment in the {geometry} pairing", traj.steps[1:],
                                     gaps, geometry))
    rival = STEEPEST_CONTROL[geometry]
    traj = train_network(lambda lrs: steepest_in(rival, lrs), ds, model, steps)
    eta, gaps = best_alignment(evidence, STEEPEST_CASES[rival], rival, traj, model, ds)
    evidence.include(judge_alignment(f"{STEEPEST_CASES[rival]}, η = {eta:g} → alignment in the {geometry} pairing",
                                     traj.steps[1:], gaps, geometry), expect="FAIL")
    evidence.conclude()
