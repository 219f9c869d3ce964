"""Optimizers: first steps against closed forms, SVD-free LMOs against the SVD, noise covariances."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from numerics import norms
from numerics.optim import NoisySGD, SteepestDescent, constant, inverse_sqrt, loss_adaptive
from numerics.optim.lmo import newton_schulz, power_iteration

NORMS = ["l1", "l2", "linf", "lp:3", "fro", "spectral", "nuclear", "entry_l1", "entry_linf"]


def one_step(G: torch.Tensor, norm: str, **options) -> torch.Tensor:
    W = torch.zeros_like(G, requires_grad=True)
    W.grad = G.clone()
    SteepestDescent([W], lr=1.0, norm=norm, **options).step()
    return W.detach()


@pytest.mark.parametrize("name", NORMS)
@given(data=st.data())
def test_a_normalized_step_is_minus_the_lmo_and_attains_the_dual_norm(name, data):
    norm = norms.get(name)
    shape = (3, 4) if norm.ndim == 2 else (6,)
    G = torch.as_tensor(data.draw(arrays(np.float64, shape, elements=st.floats(-100, 100))))
    step = -one_step(G, name)
    assert float((G * step).sum()) == pytest.approx(float(norm.dual_norm(G)), rel=1e-10, abs=1e-12)
    assert float(norm.value(step)) <= 1 + 1e-12


def test_closed_form_first_steps():
    g = torch.tensor([3.0, -1.0, 0.5], dtype=torch.float64)
    assert one_step(g, "linf").tolist() == [-1.0, 1.0, -0.5 * 2]  # sign descent: −sign(g)
    assert one_step(g, "l1").tolist() == [-1.0, 0.0, 0.0]  # greedy coordinate descent
    assert torch.allclose(one_step(g, "l2", normalized=False), -g)  # unnormalized ℓ2 = gradient descent
    assert torch.allclose(one_step(g, "linf", normalized=False), -g.abs().sum() * torch.sign(g))
    G = torch.tensor([[3.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    assert torch.allclose(one_step(G, "spectral"), -torch.eye(2, dtype=torch.float64))  # −UVᵀ
    assert torch.allclose(one_step(G, "nuclear"), -torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64))


def test_momentum_and_nesterov_follow_the_buffer():
    g1, g2 = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([-3.0, 0.5], dtype=torch.float64)
    for nesterov, expected_second in ((False, torch.sign(0.9 * g1 + g2)),
                                      (True, torch.sign(g2 + 0.9 * (0.9 * g1 + g2)))):
        W = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = SteepestDescent([W], lr=1.0, norm="linf", momentum=0.9, nesterov=nesterov)
        W.grad = g1.clone()
        opt.step()
        first = W.detach().clone()
        W.grad = g2.clone()
        opt.step()
        assert torch.equal(first, -torch.sign(g1 + (0.9 * g1 if nesterov else 0)))
        assert torch.allclose(W.detach() - first, -expected_second)


def test_joint_steepest_descent_treats_all_parameters_as_one_vector():
    a, b = (torch.zeros(2, requires_grad=True, dtype=torch.float64),
            torch.zeros(3, requires_grad=True, dtype=torch.float64))
    a.grad, b.grad = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([0.5, -5.0, 1.0], dtype=torch.float64)
    SteepestDescent([a, b], lr=1.0, norm="l1", joint=True).step()  # one coordinate over both parameters
    assert a.tolist() == [0.0, 0.0] and b.tolist() == [0.0, 1.0, 0.0]


def test_batched_step_sizes_are_one_program():
    G = torch.randn(3, 4, 5, dtype=torch.float64)
    W = torch.zeros_like(G, requires_grad=True)
    W.grad = G.clone()
    lr = torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64)
    SteepestDescent([W], lr=lr, norm="nuclear", batch_dims=1).step()
    for i in range(3):
        assert torch.allclose(W[i], -lr[i] * norms.get("nuclear").lmo(G[i]))


def test_newton_schulz_matches_the_polar_factor_and_drops_null_pairs():
    rng = np.random.default_rng(0)
    G = torch.as_tensor(rng.standard_normal((4, 6, 9)))
    X, error = newton_schulz(G, steps=40)
    assert torch.allclose(X, norms.get("spectral").lmo(G), atol=1e-9) and float(error.max()) < 1e-9
    low_rank = torch.as_tensor(rng.standard_normal((6, 2)) @ rng.standard_normal((2, 9)))
    X, _ = newton_schulz(low_rank, steps=40)
    s = torch.linalg.svdvals(X)
    assert torch.allclose(s[:2], torch.ones(2, dtype=torch.float64), atol=1e-9)
    assert float(s[2:].max()) <= 1.5**40 * 1e-15  # rounding-level null pairs grow ≤ 1.5× per step
    assert torch.allclose(X, norms.get("spectral").lmo(low_rank), atol=1e-6)


def test_warm_power_iteration_tracks_the_top_singular_pair_of_a_drifting_gradient():
    """NucGD's premise: the gradient drifts slowly relative to its spectral gap (σ₁ ≈ 2σ₂ here), so one warm
    power iteration per step keeps the rank-one step aligned with the exact u₁v₁ᵀ."""
    rng = np.random.default_rng(1)
    u, v0 = rng.standard_normal(40), rng.standard_normal(30)
    base = 12 * np.outer(u, v0) / np.linalg.norm(u) / np.linalg.norm(v0) + rng.standard_normal((40, 30))
    drift = rng.standard_normal((40, 30))
    v = torch.as_tensor(rng.standard_normal(30))
    for t in range(30):
        G = torch.as_tensor(base + 0.3 * np.sin(t / 5) * drift)
        D, v = power_iteration(G, v, iters=1)
        if t >= 5:
            U, S, Vh = torch.linalg.svd(G)
            assert float((D * torch.outer(U[:, 0], Vh[0])).sum()) > 0.999  # cosine of the unit rank-one steps


def test_svd_free_lmos_at_extreme_scales_and_zero_gradients():
    rng = np.random.default_rng(5)
    G = torch.as_tensor(rng.standard_normal((4, 6)))
    for scale in (1e-170, 1e170):
        X, error = newton_schulz(G * scale, steps=40)
        assert torch.allclose(X, norms.get("spectral").lmo(G), atol=1e-9) and float(error) < 1e-9
    v0 = torch.as_tensor(rng.standard_normal(6))
    D, v = power_iteration(torch.zeros(4, 6, dtype=torch.float64), v0)
    assert not D.any() and torch.equal(v, v0)  # a zero gradient keeps the warm start
    D, _ = power_iteration(G * 1e-300, v, iters=50)
    U, S, Vh = torch.linalg.svd(G)
    assert float((D * torch.outer(U[:, 0], Vh[0])).sum()) > 0.999999


def test_optimizer_rejects_inconsistent_options():
    W = [torch.zeros(2, 2, requires_grad=True)]
    with pytest.raises(ValueError, match="not a way to compute the nuclear LMO"):
        SteepestDescent(W, lr=1.0, norm="nuclear", lmo_method="newton_schulz")
    with pytest.raises(ValueError, match="needs a vector norm"):
        SteepestDescent(W, lr=1.0, norm="spectral", joint=True)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum"):
        SteepestDescent(W, lr=1.0, norm="l2", nesterov=True)


def test_gaussian_noise_has_covariance_sigma_squared_identity():
    """B = 20 000 configurations in one step at zero gradient: Δθ = −ησξ. Monte Carlo error of the
    covariance is ≈ √(2/B) ≈ 1 % per entry; the tolerance is 5 times that."""
    B, d, sigma = 20_000, 4, 0.3
    W = torch.zeros(B, d, dtype=torch.float64, requires_grad=True)
    W.grad = torch.zeros_like(W)
    NoisySGD([W], lr=1.0, gaussian_noise=sigma, batch_dims=1, seed=0).step()
    cov = torch.cov(W.detach().T)
    assert torch.allclose(cov, sigma**2 * torch.eye(d, dtype=torch.float64), atol=5 * np.sqrt(2 / B) * sigma**2)


def test_label_noise_has_the_model_shaped_covariance():
    """Squared loss, full batch of n, f = Xw: the gradient noise is −(σ/n)Σξ_i x_i, covariance σ²XᵀX/n²."""
    B, n, d, sigma = 20_000, 6, 3, 0.5
    X = torch.as_tensor(np.random.default_rng(2).standard_normal((n, d)))
    W = torch.zeros(B, d, dtype=torch.float64, requires_grad=True)
    opt = NoisySGD([W], lr=1.0, label_noise=sigma, batch_dims=1, seed=1)
    y = opt.perturb(torch.zeros(B, n, dtype=torch.float64))
    (0.5 * ((W @ X.T - y) ** 2).mean(1)).sum().backward()
    opt.step()
    expected = sigma**2 * X.T @ X / n**2
    assert torch.allclose(torch.cov(W.detach().T), expected, atol=5 * np.sqrt(2 / B) * float(expected.abs().max()))
    assert torch.equal(NoisySGD([W], lr=1.0).perturb(y), y)  # no label noise: targets untouched


def test_schedules():
    assert constant(0.5)(10) == 0.5
    assert inverse_sqrt(1.0)(3) == pytest.approx(0.5)
    assert loss_adaptive(2.0)(0, torch.tensor(0.5)) == pytest.approx(4.0) and loss_adaptive(1.0).log_domain
    with pytest.raises(ValueError, match="needs the loss"):
        loss_adaptive(1.0)(0)
    W = torch.zeros(2, requires_grad=True)
    opt = SteepestDescent([W], lr=1.0, norm="l2")
    inverse_sqrt(1.0).apply(opt, 8)
    assert opt.param_groups[0]["lr"] == pytest.approx(1 / 3)
