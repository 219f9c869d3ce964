"""Stochastic steepest descent with batch size, momentum and variance reduction (Li, Tang, Zou 2026). Sign descent on
the mean gradient of b points drawn without replacement per step: without momentum the LMO of a noisy gradient keeps
a batch-dependent gap (their claim: convergence only with large batches); momentum averages the noise before the LMO,
at a smaller step (a batch–momentum trade-off that slows convergence); the variance-reduced estimator ∇f_B(θ) −
∇f_B(θ̃) + ∇F(θ̃) (`numerics.optim.variance.SVRG`) recovers the full-batch bias at any batch size, slower (its
own claim, `li_tang_zou.variance_reduction_any_batch`, at batch sizes 1 and 5). Data: the
classics' n = 20 points in R^50 labelled by a 2-sparse teacher (ℓ∞'s max margin separated from every other panel
norm's by ≥ 0.41).

Linear model from zero, logistic loss (the suite's stable one), float64, step η/√(t+1); every verdict is `judge`d
against the whole vector panel at a quarter of the least certified separation (`decisive_tolerance`).
"""

from __future__ import annotations

import numpy as np
import pytest

from numerics import data
from numerics.optim.variance import SVRG, SampleGradient
from numerics.references import references
from verify import mutants
from verify.claim import OPTIMIZER, Mutant, claim
from verify.convergence import converge_each, decisive_tolerance, judge
from verify.kit import SEED, SIGN_ETAS, best_step, known_failure, steepest

MOMENTA = (0.9, 0.99)


@claim(id="li_tang_zou.batch_size_gap", papers=("li2026",),
       mutants=[Mutant("momentum ignored", "the momentum trace passes the step's gradient through", OPTIMIZER,
                       "momentum 0.99", patch=mutants.momentum_ignored)],
       lemmas=["lmo.lp:inf"],
       statement="Sign descent (η/√(t+1)) on binary data from a 2-sparse teacher (n = 20, d = 50): with "
                 "the full batch (η the best of a recorded sweep) it tends to the ℓ∞ max margin, excluding "
                 "every other panel norm; without momentum, batches n/2, n/4 and 1 at the same η do not, "
                 "their ℓ∞ gap at the budget larger the smaller the batch (each step by more than the "
                 "spread between two sample streams); momentum 0.9 at batch 1 and the same η reduces the "
                 "gap; with momentum 0.99 batch 1 tends to the ℓ∞ max margin (η the best of a recorded sweep; the "
                 "paper's v2 proves momentum's convergence only to an approximate max-margin solution).")
@known_failure("measured (n = 50, d = 125): sign descent at batch 1 with momentum 0.99 plateaus at ℓ∞ gap 0.16–0.18 "
               "(tol 0.123) for every η in {0.001, 0.003, 0.01} after 2·10⁵ and 10⁶ steps, ending nearer the ℓ2 and ℓ3 "
               "max margins than any ℓ∞ limit can be: at n = 50 momentum 0.99 (a window of 2n samples, 5n at the "
               "default n = 20) does not recover the full batch's bias; SVRG's batch 1 does (gap 0.041, claim "
               "li_tang_zou.variance_reduction_any_batch). The paper's v2 (June 2026) proves momentum's convergence "
               "only to an approximate max-margin solution.",
               scale="paper")
def test_stochastic_sign_descent_batch_size_momentum_and_variance_reduction(scale, evidence):
    n, d = scale.pick((20, 50), (50, 125))
    ds = data.gaussian_binary(n, d, margin=0.1, sparsity=2, seed=SEED)
    steps = scale.pick(20_000, 200_000)
    tol = decisive_tolerance(references(ds), "linf")
    full = best_step(evidence, steepest("linf"), ds, "linf", steps, etas=SIGN_ETAS, label="full batch", seed=SEED)
    eta = full.config["eta"]
    evidence.include(judge(full, "linf", tol=tol, name="sign descent (full batch) → ℓ∞ max margin"))
    gaps = {(None, 0.0): [float(full.gap("linf")[-1])] * 2}  # one stream: the full batch draws nothing
    for batch, beta in [(n // 2, 0.0), (n // 4, 0.0), (1, 0.0), (1, MOMENTA[0])]:
        # two configurations with the same η: two independent streams of mini-batches
        runs = converge_each(steepest("linf", momentum=beta), ds, steps=steps, etas=[eta, eta], batch_size=batch,
                             seed=SEED)
        gaps[batch, beta] = [float(run.gap("linf")[-1]) for run in runs]
        if beta == 0.0:
            evidence.include(judge(runs[0], "linf", tol=tol, name=f"sign descent (batch {batch}) → ℓ∞ max margin"),
                             expect="FAIL")
    evidence.record(linf_gap_at_budget={f"batch {b or n}, momentum {beta}": g for (b, beta), g in gaps.items()})

    def more_than_noise(name, larger, smaller, why):
        spread = abs(gaps[larger][0] - gaps[larger][1]) + abs(gaps[smaller][0] - gaps[smaller][1])
        evidence.check(name, np.mean(gaps[larger]) - np.mean(gaps[smaller]), ">", spread,
                       f"{why}; the difference must exceed the spread between two sample streams ({spread:.3g})")

    more_than_noise(f"gap(batch {n // 2}) − gap(full batch)", (n // 2, 0.0), (None, 0.0),
                    "the LMO of a mini-batch gradient keeps a batch-dependent gap")
    more_than_noise(f"gap(batch {n // 4}) − gap(batch {n // 2})", (n // 4, 0.0), (n // 2, 0.0),
                    "smaller batch, larger gap")
    more_than_noise(f"gap(batch 1) − gap(batch {n // 4})", (1, 0.0), (n // 4, 0.0), "smaller batch, larger gap")
    more_than_noise(f"gap(batch 1) − gap(batch 1, momentum {MOMENTA[0]})", (1, 0.0), (1, MOMENTA[0]),
                    "momentum averages the samples' gradients before the LMO")

    momentum = best_step(evidence, steepest("linf", momentum=MOMENTA[1]), ds, "linf", steps, etas=SIGN_ETAS,
                         label=f"batch 1, momentum {MOMENTA[1]}", batch_size=1, seed=SEED)
    evidence.include(judge(momentum, "linf", tol=tol, name=f"sign descent (batch 1, momentum {MOMENTA[1]}) → ℓ∞"))
    evidence.conclude()


VR_BATCHES = (1, 5)


@claim(id="li_tang_zou.variance_reduction_any_batch", papers=("li2026",),
       mutants=[Mutant("SVRG snapshot never refreshed",
                       "SVRG keeps θ̃ = θ_0 and ∇F(θ_0): its estimator's correction never vanishes", OPTIMIZER,
                       "SVRG's estimator (batch 1) → ℓ∞", params={"batch": 1},
                       patch=mutants.svrg_snapshot_never_refreshed)],
       lemmas=["lmo.lp:inf"],
       statement="Sign descent on the variance-reduced estimator ∇f_B(θ) − ∇f_B(θ̃) + ∇F(θ̃) (SVRG, snapshot every "
                 "epoch; η/√(t+1), η the best of a recorded sweep) tends to the ℓ∞ max margin at batch sizes 1 and 5 "
                 "on binary data from a 2-sparse teacher (n = 20, d = 50), excluding every other panel norm — the "
                 "full batch's bias at any batch size (Li, Tang, Zou 2026, v2).")
@pytest.mark.parametrize("batch", VR_BATCHES, ids=[f"batch{b}" for b in VR_BATCHES])
def test_variance_reduction_recovers_the_full_batch_bias(scale, evidence, batch):
    n, d = scale.pick((20, 50), (50, 125))
    ds = data.gaussian_binary(n, d, margin=0.1, sparsity=2, seed=SEED)
    steps = scale.pick(10_000, 200_000)
    per_sample = SampleGradient(ds)
    reduced = best_step(evidence, lambda ps: SVRG(ps, 1.0, "linf", batch_dims=1, gradient=per_sample, batch_size=batch,
                                                  seed=SEED),
                        ds, "linf", steps, etas=SIGN_ETAS, label=f"SVRG, batch {batch}", seed=SEED)
    evidence.include(judge(reduced, "linf", tol=decisive_tolerance(references(ds), "linf"),
                           name=f"sign descent on SVRG's estimator (batch {batch}) → ℓ∞"))
    # negative control: the same variance-reduced run is not at the ℓ2 max margin (the verdicts tell norms apart)
    evidence.include(judge(reduced, "l2", tol=decisive_tolerance(references(ds), "l2"),
                           name=f"sign descent on SVRG's estimator (batch {batch}) → ℓ2"), expect="FAIL")
    evidence.conclude()
