"""PRGD and the dual-accelerated method (`numerics.optim.fast`): steps against the papers' recursions computed by
hand on two points, batched configurations against one-by-one runs, determinism, the engine's ∇log L where the
loss underflows. The mutants of both methods (no rescaling, no momentum) are rows of the mutation table, declared
by their claims (`verify/claims/fast_margin.py`)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from numerics.models import Linear
from numerics.optim import PRGD, DualAcceleration, loss_adaptive, measured_homogeneity
from numerics.train import run

X = np.array([[1.0, 0.0], [0.0, -2.0]])
Y = np.array([1.0, -1.0])
"""Two points whose signed points z_i = y_i x_i are the rows of Z = [[1, 0], [0, 2]]; max margin along (2, 1)."""


def sigma(x: float) -> float:
    """The logistic function, without overflow at any x."""
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def dual_weights(w) -> tuple[float, float]:
    """Zᵀq with q = softmax(−Zw) on the simplex: (q_1, 2q_2), q_1 = σ(m_2 − m_1), margins m = (w_1, 2w_2)."""
    m1, m2 = w[0], 2 * w[1]
    return sigma(m2 - m1), 2 * sigma(m1 - m2)


def grad_log_loss(w: torch.Tensor) -> torch.Tensor:
    """∇log L = −Zᵀq of the exponential loss on the two points."""
    return -torch.tensor(dual_weights(w.tolist()), dtype=torch.float64)


def dual_by_hand(steps: int, theta: float) -> np.ndarray:
    """Algorithm 1 of Ji et al. as written there: g_t = β_t(g_{t−1} − Zᵀq_t), w_{t+1} = w_t − θ(g_t − Zᵀq_t)."""
    w, g, out = [0.0, 0.0], [0.0, 0.0], []
    for t in range(steps):
        beta, zq = t / (t + 1), dual_weights(w)
        g = [beta * (g[i] - zq[i]) for i in range(2)]
        w = [w[i] - theta * (g[i] - zq[i]) for i in range(2)]
        out.append(w)
    return np.array(out)


def prgd_by_hand(steps: int, lr: float, radius: float, growth: float, period: int, warmup: int) -> np.ndarray:
    """Algorithm 1 of Wang et al.: normalized GD before T_0, w ← R_k·w/‖w‖ at T_k = T_0 + kΔT, and between
    projected normalized GD w ← R_k·v/‖v‖, v = w + η·Zᵀq/‖Zᵀq‖."""
    w, out = [0.0, 0.0], []
    for t in range(steps):
        zq = dual_weights(w)
        step = [lr * z / math.hypot(*zq) for z in zq]
        since = t - warmup
        if since < 0 or since % period:
            w = [w[i] + step[i] for i in range(2)]
        if since >= 0:
            r = radius * growth ** (since // period)
            w = [r * x / math.hypot(*w) for x in w]
        out.append(w)
    return np.array(out)


def fed_by_hand(optimizer_class, steps: int, lr: float, **options) -> np.ndarray:
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([w], lr, **options)
    out = []
    for _ in range(steps):
        w.grad = grad_log_loss(w.detach())
        optimizer.step()
        out.append(w.detach().tolist())
    return np.array(out)


SCHEDULE = dict(radius=2.0, growth=2.0, period=3, warmup=1)


def test_dual_acceleration_steps_as_algorithm_1_on_two_points():
    got = fed_by_hand(DualAcceleration, 6, 1.0)
    # t = 0: β_0 = 0, w_1 = θZᵀq_0 with q_0 = (½, ½): (½, 1)
    assert got[0].tolist() == [0.5, 1.0]
    # t = 1: β_1 = ½, g_1 = −½Zᵀq_1, w_2 = w_1 + (3/2)Zᵀq_1, margins Zw_1 = (½, 2), q_1 = (σ(3/2), σ(−3/2))
    assert got[1] == pytest.approx([0.5 + 1.5 * sigma(1.5), 1 + 3 * sigma(-1.5)], rel=1e-15)
    np.testing.assert_allclose(got, dual_by_hand(6, 1.0), rtol=1e-14)


def test_prgd_steps_as_algorithm_1_on_two_points():
    got = fed_by_hand(PRGD, 7, 1.0, **SCHEDULE)
    # t = 0 (before T_0 = 1): w_1 = Zᵀq_0/‖Zᵀq_0‖ = (1, 2)/√5; t = 1 = T_0: rescaled to R_0 = 2
    assert got[0] == pytest.approx([1 / math.sqrt(5), 2 / math.sqrt(5)], rel=1e-15)
    assert got[1] == pytest.approx([2 / math.sqrt(5), 4 / math.sqrt(5)], rel=1e-15)
    # on the sphere of R_0 = 2 for t = 2, 3; rescaled to R_1 = 4 at T_1 = 4, projected there at t = 5, 6
    assert np.linalg.norm(got, axis=1) == pytest.approx([1, 2, 2, 2, 4, 4, 4], rel=1e-14)
    np.testing.assert_allclose(got, prgd_by_hand(7, 1.0, **SCHEDULE), rtol=1e-14)
    assert not np.allclose(got[2], got[1])  # the projected steps move along the sphere


FACTORIES = {"PRGD": lambda ps, lr, b: PRGD(ps, lr, radius=3.0, growth=1.5, period=3, warmup=2, batch_dims=b),
             "DualAcceleration": lambda ps, lr, b: DualAcceleration(ps, lr, batch_dims=b)}


@pytest.mark.parametrize("name", FACTORIES)
def test_batched_configurations_equal_the_same_runs_one_by_one(name):
    """Three configurations (each its own lr and start) of two parameters, fed ten random gradients."""
    generator = torch.Generator().manual_seed(0)
    shapes, B = ((4,), (2, 3)), 3
    start = [torch.randn(B, *s, generator=generator, dtype=torch.float64) for s in shapes]
    grads = [[torch.randn(B, *s, generator=generator, dtype=torch.float64) for s in shapes] for _ in range(10)]
    lr = torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64)
    batched = [p.clone().requires_grad_() for p in start]
    optimizer = FACTORIES[name](batched, lr, 1)
    for g in grads:
        for p, gp in zip(batched, g):
            p.grad = gp.clone()
        optimizer.step()
    for i in range(B):
        single = [p[i].clone().requires_grad_() for p in start]
        optimizer = FACTORIES[name](single, float(lr[i]), 0)
        for g in grads:
            for p, gp in zip(single, g):
                p.grad = gp[i].clone()
            optimizer.step()
        for p, q in zip(batched, single):
            torch.testing.assert_close(p.detach()[i], q.detach(), rtol=1e-13, atol=1e-13)


ENGINE = {"PRGD": (lambda ps: PRGD(ps, 1.0, batch_dims=1, **SCHEDULE), None,
                   lambda steps: prgd_by_hand(steps, 1.0, **SCHEDULE)),
          "DualAcceleration": (lambda ps: DualAcceleration(ps, 10.0, batch_dims=1), loss_adaptive(),
                               lambda steps: dual_by_hand(steps, 10.0))}


@pytest.mark.parametrize("name", ENGINE)
def test_the_engine_takes_the_papers_steps_where_the_loss_underflows(name):
    """Through `numerics.train.run` (exponential loss, ∇log L fed): the hand recursion's iterates to rounding,
    past margins of 10³ where L = e^{−margin} underflows to 0; and the same run twice is the same run."""
    make, schedule, by_hand = ENGINE[name]
    steps = 60
    traj = run(Linear(2), X, Y, "exponential", make, steps=steps, schedule=schedule, record_every=1,
               record_params=True)
    assert traj.config["log_domain"] and traj.diverged_at is None
    assert traj["loss"][-1, 0] == 0.0 and np.isfinite(traj["log_loss"][-1, 0]) and traj["log_loss"][-1, 0] < -745
    np.testing.assert_allclose(traj.params[0][1:, 0], by_hand(steps), rtol=1e-12)
    again = run(Linear(2), X, Y, "exponential", make, steps=steps, schedule=schedule, record_every=1)
    assert np.array_equal(traj.final[0], again.final[0])


def test_gradient_degree_is_what_a_first_step_measures():
    prgd = lambda ps: PRGD(ps, 1.0, **SCHEDULE)  # noqa: E731
    accelerated = lambda ps: DualAcceleration(ps, 1.0)  # noqa: E731
    w = [torch.zeros(5, dtype=torch.float64, requires_grad=True)]
    assert prgd(w).gradient_degree == measured_homogeneity(prgd, (5,)) == 0
    assert accelerated(w).gradient_degree == measured_homogeneity(accelerated, (5,)) == 1


@pytest.mark.parametrize("options, message", [
    (dict(radius=0.0, growth=2.0, period=3), "R_0 must be > 0"),
    (dict(radius=1.0, growth=1.0, period=3), "growth ρ must be > 1"),
    (dict(radius=1.0, growth=2.0, period=1), "period ≥ 2"),
    (dict(radius=1.0, growth=2.0, period=3, warmup=-1), "warmup is a number of steps ≥ 0")])
def test_prgd_rejects_a_schedule_that_is_not_progressive(options, message):
    with pytest.raises(ValueError, match=message):
        PRGD([torch.zeros(2, requires_grad=True)], 1.0, **options)

