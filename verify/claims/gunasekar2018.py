"""Gunasekar, Lee, Soudry, Srebro 2018: normalized steepest descent tends to its own norm's max-margin solution,
within the proven bound, and each algorithm is best in its own norm.

Data (`kit.sparse_binary`): fewer points than dimensions, labelled by a 2-sparse unit teacher at margin ≥ 0.1.
There the norms' max-margin solutions are pairwise separated (certified; on dense data with n ≫ d every norm's
solution is fixed by the same d support vectors and they nearly coincide). Each claim names its rivals and takes a
quarter of the least certified separation as its tolerance (`decisive_tolerance`). Linear model from zero; float64.
"""

from __future__ import annotations

import numpy as np

from numerics.references import references
from verify import mutants
from verify.claim import VERIFIER, Mutant, claim
from verify.convergence import decisive_tolerance, judge
from verify.kit import SEED, best_in_own_norm, best_step, sparse_binary, steepest
from verify.templates import exponential_loss_bound

DESCENT = {"l2": "normalized GD", "linf": "sign descent", "l1": "coordinate descent", "lp:3": "ℓ3 steepest descent",
           "lp:1.5": "ℓ1.5 steepest descent"}


@claim(id="classics.steepest_descent_own_norm", papers=("gunasekar2018",),
       mutants=[Mutant("margin metric in another norm",
                       "the run's margins are measured in ℓ2 (Frobenius) whatever the claim", VERIFIER,
                       "margin metric disagrees with a direct computation", fails=True,
                       patch=mutants.margin_in_another_norm),
                Mutant("reference outside its own face", "OptimalFace's floor is 1.001γ*: the certified maximiser "
                       "is no point of its face", VERIFIER, "not in its own optimal face",
                       fails=True, patch=mutants.face_floor_above_the_margin, changes_references=True)],
       lemmas=["lmo.lp:1", "lmo.lp:2", "lmo.lp:3", "lmo.lp:inf", "kkt.norm.dual_condition"],
       statement="Normalized steepest descent under ℓ2, ℓ∞ (sign), ℓ1 (coordinate) and ℓ3 on the "
                 "exponential loss with η/√(t+1) (η the best of a recorded sweep) tends to that norm's "
                 "max margin within the proven bound, excluding every other norm of the panel; each is "
                 "best in its own norm.")
def test_steepest_descent_tends_to_its_own_norms_max_margin(scale, evidence):
    ds = sparse_binary(scale)
    steps = scale.pick(20_000, 200_000)
    refs = references(ds)
    runs = {}
    for norm in ("l2", "linf", "l1", "lp:3"):
        run = runs[norm] = best_step(evidence, steepest(norm), ds, norm, steps, loss="exponential", seed=SEED)
        lrs = run.config["eta"] / np.sqrt(np.arange(steps) + 1.0)
        evidence.include(judge(run, norm, tol=decisive_tolerance(refs, norm),
                               bound=exponential_loss_bound(ds, norm, lrs, refs.max_margin(norm)),
                               name=f"{DESCENT[norm]} → {norm} max margin"))
    best_in_own_norm(evidence, runs, DESCENT, refs)
    # negative control: sign descent does not tend to the ℓ1 max margin
    evidence.include(judge(runs["linf"], "l1", tol=decisive_tolerance(refs, "l1"), name="sign descent → ℓ1 max margin"),
                     expect="FAIL")
    evidence.conclude()
