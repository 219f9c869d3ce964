"""Mini-batch pieces: scaled Rademacher data keep their structure; per-sample gradients match autograd; Inc-Adam is
torch's Adam fed the cyclic samples; SVRG's estimator is the full gradient at a snapshot and with the full batch."""

import numpy as np
import pytest
import torch

from numerics import data
from numerics.losses import Loss
from numerics.models import Linear
from numerics.optim import SteepestDescent
from numerics.optim.variance import SVRG, IncrementalAdam, SampleGradient, cyclic


def test_scaled_rademacher_points_have_equal_coordinates_and_are_separated_by_e1():
    ds = data.scaled_rademacher(12, 7, low=0.5, high=2.0, seed=3)
    magnitude = np.abs(ds.X)
    np.testing.assert_array_equal(magnitude, magnitude[:, :1].repeat(7, axis=1))
    assert ((0.5 <= magnitude[:, 0]) & (magnitude[:, 0] <= 2.0)).all()
    np.testing.assert_array_equal(ds.y * ds.X[:, 0], magnitude[:, 0])  # y_i x_i1 = a_i > 0: e_1 separates
    assert ds.y[:2].tolist() == [1, -1] and ds.task == "binary"
    again, other = data.scaled_rademacher(12, 7, low=0.5, high=2.0, seed=3), data.scaled_rademacher(12, 7, seed=4)
    np.testing.assert_array_equal(ds.X, again.X)
    assert not np.array_equal(ds.X, other.X)


def autograd_gradient(ds, W, index=None):
    """∇ of the mean loss over the points `index` (all: None) by autograd, for weights of their natural shape."""
    multiclass = ds.task == "multiclass"
    model = Linear(ds.d, ds.num_classes if multiclass else None)
    loss = Loss("cross_entropy" if multiclass else "logistic")
    X = torch.as_tensor(ds.X if index is None else ds.X[index])
    y = torch.as_tensor(ds.y if index is None else ds.y[index])
    y = y if multiclass else y.double()
    W = W.clone().requires_grad_()
    loss.mean(model([W[None]], X), y).sum().backward()
    return W.grad


@pytest.mark.parametrize("ds", [data.gaussian_binary(9, 5, seed=0), data.gaussian_mixture(3, 4, 3, seed=0)],
                         ids=["binary", "multiclass"])
def test_sample_gradient_matches_autograd_for_natural_and_batched_weights(ds):
    gradient = SampleGradient(ds)
    W = torch.randn(ds.weight_shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    torch.testing.assert_close(gradient(W), autograd_gradient(ds, W), rtol=1e-12, atol=0)
    torch.testing.assert_close(gradient(W, torch.tensor([[2, 5]])), autograd_gradient(ds, W, [2, 5]), rtol=1e-12,
                               atol=0)
    batched = torch.stack([W, 2 * W])
    G = gradient(batched, torch.tensor([[1, 4], [0, 3]]))
    assert gradient.configurations(batched) == 2 and gradient.configurations(W) == 1
    torch.testing.assert_close(G[1], autograd_gradient(ds, 2 * W, [0, 3]), rtol=1e-12, atol=0)


def test_cyclic_blocks_cover_every_point_once_per_epoch():
    blocks = torch.cat([cyclic(t, 12, 3, 1)[0] for t in range(4)])
    assert sorted(blocks.tolist()) == list(range(12))
    assert [int(cyclic(t, 5, 1, 2)[1, 0]) for t in range(7)] == [0, 1, 2, 3, 4, 0, 1]


def test_incremental_adam_is_torch_adam_fed_the_cyclic_samples():
    ds = data.scaled_rademacher(4, 6, seed=0)
    options = {"lr": 0.1, "betas": (0.9, 0.95), "eps": 1e-300}
    w = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    reference = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    incremental, adam = IncrementalAdam([w], SampleGradient(ds), **options), torch.optim.Adam([reference], **options)
    for t in range(9):
        w.grad = torch.full_like(w, float("nan"))  # whatever the engine put there is replaced
        incremental.step()
        reference.grad = autograd_gradient(ds, reference.detach(), [t % 4])
        adam.step()
        torch.testing.assert_close(w.detach(), reference.detach(), rtol=1e-12, atol=1e-15)
    v = incremental.state[w]["exp_avg_sq"]
    assert float(v.max() / v.min() - 1) <= 1e-12  # each (∇ℓ_i)² is constant across coordinates on this data


def test_svrg_estimator_is_the_full_gradient_with_the_full_batch_and_at_a_snapshot():
    ds = data.gaussian_binary(8, 5, seed=1)
    gradient = SampleGradient(ds)

    def run(make, steps):
        W = torch.zeros(2, 5, dtype=torch.float64, requires_grad=True)
        optimizer = make([W])
        trace = []
        for _ in range(steps):
            W.grad = gradient(W)  # the full gradient, as the engine computes it without mini-batches
            optimizer.step()
            trace.append(W.detach().clone())
        return optimizer, torch.stack(trace)

    lr = torch.tensor([0.1, 0.3])
    _, full = run(lambda ps: SteepestDescent(ps, lr, "linf", batch_dims=1), 6)
    _, whole = run(lambda ps: SVRG(ps, lr, "linf", batch_dims=1, gradient=gradient, batch_size=8), 6)
    torch.testing.assert_close(whole, full, rtol=1e-12, atol=1e-15)
    optimizer, single = run(lambda ps: SVRG(ps, lr, "linf", batch_dims=1, gradient=gradient, batch_size=1), 9)
    assert optimizer.epoch == 8
    torch.testing.assert_close(single[0], full[0], rtol=0, atol=0)  # step 0 is at the snapshot: g = ∇F(θ_0)
    W = optimizer.param_groups[0]["params"][0]
    torch.testing.assert_close(optimizer.state[W]["snapshot"], single[7])  # refreshed at step 8, before its step
    assert not torch.equal(single[1:8], full[1:8])  # between snapshots a one-point batch moves otherwise
