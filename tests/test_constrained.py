"""Norm-constrained minima (`numerics.references.constrained`) and their judge (`verify.constrained`): certified
brackets, the residual, separations that hold for every rival minimiser, decoupled weight decay's stationary sphere."""

import numpy as np
import pytest
import torch

from numerics import data, norms
from numerics.references.constrained import constrained_minimum, loss_and_gradient, separation
from numerics.errors import InvalidDataError
from numerics.optim import SteepestDescent
from verify.constrained import judge_constrained
from verify.convergence import converge


@pytest.fixture(scope="module")
def binary():
    ds = data.gaussian_binary(20, 50, margin=0.1, sparsity=2, seed=0)
    return ds.scaled(0.1 / np.abs(ds.X).max())  # R·max|x| = 1 at R = 10


def test_the_bracket_is_certified_and_holds_the_minimum(binary):
    m = constrained_minimum(binary, "linf", 10.0)
    assert m.certificate.ok and m.certificate.lower <= m.value
    assert float(norms.get("linf").value(m.W)) <= 10.0 * (1 + 1e-12)
    # no feasible point does better than the bracket's lower end: random points of the ball, and the ℓ2 ball's minimum
    rng = np.random.default_rng(0)
    points = rng.uniform(-10, 10, (200, binary.d))
    assert np.all(loss_and_gradient(binary, points)[0] >= m.certificate.lower)
    assert constrained_minimum(binary, "l2", 10.0).value >= m.certificate.lower


def test_the_residual_is_zero_at_the_minimum_and_counts_loss_and_size(binary):
    m = constrained_minimum(binary, "l2", 10.0)
    assert m.residual(binary, m.W) == pytest.approx(0.0, abs=1e-5)
    assert m.residual(binary, 0.5 * m.W) > 0.05  # inside the ball, a larger loss
    assert m.residual(binary, 1.2 * m.W) == pytest.approx(0.2, rel=1e-6)  # outside the ball by 20 %
    assert m.residual(binary, np.stack([m.W, 1.2 * m.W])).shape == (2,)


def test_a_separation_bounds_the_residual_of_the_rivals_minimiser(binary):
    claim, rival = constrained_minimum(binary, "l2", 10.0), constrained_minimum(binary, "linf", 10.0)
    s = separation(binary, claim, rival)
    assert s.value > 0.5  # the ℓ∞ ball's minimiser is far outside the ℓ2 ball
    assert claim.residual(binary, rival.W) >= s.value * (1 - 1e-9)
    back = separation(binary, rival, claim)  # the ℓ2 ball lies inside the ℓ∞ ball: its minimiser's loss is larger
    assert back.u > 0 and rival.residual(binary, claim.W) >= back.value * (1 - 1e-9)


def test_bad_input_names_its_cause(binary):
    with pytest.raises(InvalidDataError, match="radius"):
        constrained_minimum(binary, "l2", 0.0)
    with pytest.raises(InvalidDataError, match="does not fit"):
        constrained_minimum(binary, "spectral", 1.0)


def test_decoupled_weight_decay_is_stationary_on_the_sphere_of_radius_one_over_lambda():
    """θ ← (1 − ηλ)θ − η·lmo(g) with a fixed g: θ → −lmo(g)/λ, on the sphere ‖θ‖ = 1/λ."""
    theta = torch.zeros(1, 5, dtype=torch.float64, requires_grad=True)
    optimizer = SteepestDescent([theta], 0.1, "linf", weight_decay=0.5, batch_dims=1)
    g = torch.tensor([[1.0, -2.0, 0.5, -0.1, 3.0]], dtype=torch.float64)
    for _ in range(500):
        theta.grad = g
        optimizer.step()
    np.testing.assert_allclose(theta.detach().numpy(), -np.sign(g.numpy()) / 0.5, rtol=1e-9)
    assert optimizer.gradient_degree == 0


def test_the_judge_passes_the_right_ball_and_fails_the_wrong_one(binary):
    run = converge(lambda ps: SteepestDescent(ps, 0.5, "linf", weight_decay=0.1), binary, steps=5_000, natural=True)
    right, wrong = judge_constrained(run, "linf", 10.0), judge_constrained(run, "l2", 10.0)
    assert right.verdict == "PASS", right.summary()
    assert wrong.verdict == "FAIL" and any("ends at the linf-ball minimiser" in r for r in wrong.reasons)


def test_the_judge_fails_a_run_that_does_not_move(binary):
    run = converge(lambda ps: SteepestDescent(ps, 0.0, "linf", weight_decay=0.1), binary, steps=200, natural=True)
    ev = judge_constrained(run, "linf", 10.0)
    assert ev.verdict == "FAIL" and "did not move" in ev.reasons[0]
