"""The convergence template's verdicts: each of PASS, FAIL and INCONCLUSIVE on the data and budget that call for
it, with the reason; broken optimizers fail with their cause; defaults that fit the optimizer; and on fresh
random data no true claim FAILs and no false one PASSes."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from numerics import data
from numerics.optim import SteepestDescent, inverse_sqrt
from numerics.references import MATRIX_PANEL, VECTOR_PANEL
from verify.convergence import TOL, converge, judge
from verify.rates import defaults
from verify.templates import margin_convergence


@pytest.fixture(scope="module")
def sparse():
    """n < d and a 2-sparse teacher: every pair of panel norms is separated by ≥ 5 % (certified)."""
    return data.gaussian_binary(20, 50, margin=0.1, sparsity=2, seed=0)


@pytest.fixture(scope="module")
def sign_descent_run(sparse):
    return converge(lambda ps: SteepestDescent(ps, 1.0, "linf"), sparse, steps=20_000)


def test_a_true_claim_passes_and_excludes_every_rival(sign_descent_run):
    ev = judge(sign_descent_run, "linf")
    assert ev.verdict == "PASS", ev.summary()
    assert ev.measured["least_separation"] > 2 * TOL and ev.measured["final_gap"] <= TOL
    assert set(ev.measured["separations"]) == set(VECTOR_PANEL) - {"linf"}


def test_a_false_claim_fails_with_positive_evidence(sign_descent_run):
    """Sign descent does not tend to the ℓ2 max margin: FAIL, because its ℓ2 gap plateaus and because it ends at
    the ℓ∞ max margin, which every ℓ2 limit misses by the separation."""
    ev = judge(sign_descent_run, "l2")
    assert ev.verdict == "FAIL", ev.summary()
    assert any("rival linf" in r for r in ev.reasons) and any("plateaus" in r for r in ev.reasons)


def test_inconclusive_when_the_data_cannot_separate_the_rivals():
    """Dense data with n ≫ d: the ℓ∞ and ℓ3 solutions are within 2·tol of each other."""
    ds = data.gaussian_binary(40, 8, margin=0.1, seed=0)
    ev = judge(converge(lambda ps: SteepestDescent(ps, 1.0, "linf"), ds, steps=20_000), "linf")
    assert ev.verdict == "INCONCLUSIVE", ev.summary()
    assert any(re.match(r"this data cannot separate the claim from rival \S+: separation", r) for r in ev.reasons)


def test_inconclusive_when_the_budget_is_too_small_with_the_steps_it_needs(sparse):
    """torch's SGD at its defaults: GD's 1/log t rate cannot reach the tolerance that excludes ℓ3 in any
    reasonable budget, and the verdict says how many steps the fitted envelope needs; against the other common
    optimizers' limits (ℓ1, ℓ∞) the same run is decisive."""
    run = converge(lambda ps: torch.optim.SGD(ps, lr=1.0), sparse, steps=20_000)
    assert run.rate.name == "1/log t"
    ev = judge(run, "l2", tol=0.01)
    assert ev.verdict == "INCONCLUSIVE" and "budget too small" in ev.reasons[0] and "steps" in ev.reasons[0]
    assert judge(run, "l2", rivals=("l1", "linf")).verdict == "PASS"


class Overflowing(torch.optim.SGD):
    """SGD whose parameters grow by 1e100 a step: infinite after three, NaN after that."""

    @torch.no_grad()
    def step(self, closure=None):
        super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(1e100)


@pytest.mark.parametrize("make, cause", [
    (lambda ps: Overflowing(ps, lr=1.0), r"diverged at step \d+"),
    (lambda ps: SteepestDescent(ps, 0.0, "l2"), "did not move"),
    (lambda ps: SteepestDescent(ps, -1.0, "l2"), "did not separate the data"),
])
def test_a_broken_optimizer_is_a_fail_with_its_cause(sparse, make, cause):
    ev = margin_convergence(make, sparse, norm="l2", steps=1_000, rate="inverse_sqrt")
    assert ev.verdict == "FAIL" and re.search(cause, "; ".join(ev.reasons)), ev.summary()


def test_defaults_follow_the_optimizer():
    p = [torch.zeros(1, 3, requires_grad=True)]
    assert defaults(torch.optim.SGD(p, lr=0.1))[1].name == "1/log t"
    schedule, rate = defaults(SteepestDescent(p, 0.1, "linf"))
    assert rate.name == "log t/√t" and schedule.kind == "inverse_sqrt" and schedule.lr is None
    assert defaults(torch.optim.Adam(p))[1].name == "log t/√t"
    with pytest.raises(ValueError, match="unknown rate 'fast'; known: inverse_log, inverse_sqrt, inverse"):
        defaults(torch.optim.SGD(p, lr=0.1), rate_name="fast")
    with pytest.raises(ValueError, match="no rate is known for LBFGS"):
        defaults(torch.optim.LBFGS(p))
    with pytest.raises(ValueError, match="X is a Dataset"):
        margin_convergence(lambda ps: SteepestDescent(ps, 1.0, "l2"), data.gaussian_binary(10, 3, seed=0),
                           np.ones(10), steps=100)


def test_the_readme_example_runs_as_printed():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "margin_convergence(" in b)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 (the project's own README)
    assert namespace["ev"].verdict == "PASS", namespace["ev"].summary()


FRESH = {"binary": (lambda seed: data.gaussian_binary(40, 8, margin=0.1, seed=seed), VECTOR_PANEL),
         "multiclass": (lambda seed: data.gaussian_multiclass(60, 10, 4, margin=0.1, seed=seed), MATRIX_PANEL)}


@pytest.mark.parametrize("kind", FRESH)
def test_on_fresh_data_no_true_claim_fails_and_no_false_claim_passes(kind):
    """Steepest descent in each panel norm (2·10⁴ steps, η/√(t+1)) judged against every panel norm's claim:
    the true claim is never FAIL, a false one never PASS, and a false one whose separation exceeds 2·tol FAILs."""
    make, panel = FRESH[kind]
    ds = make(0)
    for p in panel:
        run = converge(lambda ps: SteepestDescent(ps, 1.0, p, batch_dims=1), ds, steps=20_000,
                       schedule=inverse_sqrt(1.0))
        for q in panel:
            ev = judge(run, q)
            if p == q:
                assert ev.verdict != "FAIL", ev.summary()
            else:
                assert ev.verdict != "PASS", ev.summary()
                if run.references.separation(q, p).value > 2 * TOL:
                    assert ev.verdict == "FAIL", ev.summary()
                else:
                    assert ev.reasons, ev.summary()
    assert math.isfinite(run.seconds)


def test_a_sweep_is_the_runs_it_batches(sparse):
    """converge_each trains one configuration per η as one program: each is the run converge makes alone."""
    from verify.convergence import converge_each

    make = lambda ps: SteepestDescent(ps, 1.0, "l1", batch_dims=1)  # noqa: E731
    runs = converge_each(make, sparse, steps=1_000, etas=[0.5, 2.0])
    for eta, run in zip([0.5, 2.0], runs):
        alone = converge(make, sparse, steps=1_000, schedule=inverse_sqrt(eta))
        np.testing.assert_allclose(run.weights, alone.weights, rtol=1e-12, atol=1e-12)
        assert run.config["eta"] == eta
