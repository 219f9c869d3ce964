"""Models, losses and the batched engine."""

import numpy as np
import pytest
import scipy.special
import torch

from numerics import data
from numerics.train import metrics
from numerics.losses import Loss, logsumexp, softplus
from numerics.references.margins import max_margin
from numerics.models import Linear, Quadratic, TwoLayerLinear, TwoLayerReLU, TwoLayerSmooth
from numerics.optim import NoisySGD, SteepestDescent, inverse_sqrt, loss_adaptive
from numerics.train import compiled, run


@pytest.mark.parametrize("kind, out, y", [
    ("logistic", torch.tensor([1e4, -1e4, 3.0]), torch.tensor([1.0, -1.0, 1.0])),
    ("exponential", torch.tensor([1e4, -1e4, 3.0]), torch.tensor([1.0, -1.0, 1.0])),
    ("cross_entropy", torch.tensor([[1e4, 0.0, -1e4], [0.0, 2e4, 1.0]]), torch.tensor([0, 1])),
])
def test_losses_stay_finite_and_informative_at_margins_of_ten_thousand(kind, out, y):
    out = out.double().requires_grad_()
    loss = Loss(kind)
    assert torch.isfinite(loss.mean(out, y.double() if kind != "cross_entropy" else y))
    log_l = loss.log_mean(out, y.double() if kind != "cross_entropy" else y)
    log_l.backward()
    assert torch.isfinite(log_l) and torch.isfinite(out.grad).all() and out.grad.abs().sum() > 0


def test_squared_log_loss_does_not_underflow():
    out = torch.tensor([1e-170, 2e-170], dtype=torch.float64, requires_grad=True)
    log_l = Loss("squared").log_mean(out, torch.zeros(2, dtype=torch.float64))
    log_l.backward()
    assert torch.isfinite(log_l) and torch.isfinite(out.grad).all()


def test_log_mean_is_log_of_mean_where_both_are_representable():
    out, y = torch.tensor([0.3, -2.0, 5.0], dtype=torch.float64), torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64)
    for kind in ("logistic", "exponential", "squared"):
        assert float(Loss(kind).log_mean(out, y)) == pytest.approx(float(torch.log(Loss(kind).mean(out, y))), rel=1e-12)
    scores, labels = torch.randn(5, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 0])
    reference = torch.nn.functional.cross_entropy(scores, labels)
    assert float(Loss("cross_entropy").mean(scores, labels)) == pytest.approx(float(reference), rel=1e-12)


def test_models_shapes_and_homogeneity():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(7, 3, dtype=torch.float64)
    for model, out_shape in [(Linear(3), (2, 7)), (Linear(3, 4), (2, 7, 4)), (TwoLayerReLU(3, 5), (2, 7)),
                             (TwoLayerSmooth(3), (2, 7)), (Quadratic(3, 0.1), (2, 7)), (TwoLayerLinear(3, 4), (2, 7))]:
        params = model.init(2, g)
        assert tuple(model(params, X).shape) == out_shape
        if model.degree:
            scaled = [2.0 * p for p in params]
            assert torch.allclose(model(scaled, X), 2.0**model.degree * model(params, X))
    q = Quadratic(3, 0.5)
    assert torch.allclose(q.weights(q.init(1)), torch.zeros(1, 3, dtype=torch.float64))


def _two_layer_run(lrs, init):
    ds = data.gaussian_binary(20, 3, seed=0)
    model = TwoLayerReLU(3, 8)
    return run(model, ds.X, ds.y, "logistic",
               lambda ps: SteepestDescent(ps, torch.as_tensor(lrs), "linf", batch_dims=1, joint=True),
               steps=50, batch=len(lrs), record_every=10, init=init, metrics={"margin": metrics.margin(model, "linf")})


def test_a_batched_run_equals_the_same_configurations_run_one_by_one():
    init = TwoLayerReLU(3, 8).init(3, torch.Generator().manual_seed(4))
    lrs = [0.01, 0.03, 0.1]
    batched = _two_layer_run(lrs, [p.detach() for p in init])
    for i, lr in enumerate(lrs):
        single = _two_layer_run([lr], [p.detach()[i:i + 1] for p in init])
        for a, b in zip(batched.final, single.final):
            np.testing.assert_allclose(a[i:i + 1], b, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(batched["margin"][:, i], single["margin"][:, 0], rtol=1e-12)


def test_engine_is_seeded_records_provenance_and_runs_minibatches_with_label_noise():
    ds = data.sparse_regression(20, 10, 2, seed=0)
    make = lambda ps: NoisySGD(ps, lr=0.01, label_noise=0.5, batch_dims=1, seed=3)
    kwargs = dict(steps=30, batch=4, batch_size=5, record_every=10, seed=7, metrics={"C": metrics.noether})
    a = run(Quadratic(10, 0.3), ds.X, ds.y, "squared", make, **kwargs)
    b = run(Quadratic(10, 0.3), ds.X, ds.y, "squared", make, **kwargs)
    for pa, pb in zip(a.final, b.final):
        np.testing.assert_array_equal(pa, pb)
    assert a.steps.tolist() == [0, 10, 20, 30] and a["loss"].shape == (4, 4) and a["C"].shape == (4, 4)
    assert a.config["seed"] == 7 and a.config["device"] == "cpu" and "torch" in a.config["versions"]
    assert not np.allclose(a.final[0][0], a.final[0][1])  # each configuration draws its own batches and noise


def test_loss_adaptive_gd_reaches_the_l2_max_margin_fast():
    """η/L: the margin gap closes like 1/t (Ji & Telgarsky 2021), not 1/log t; 2 000 steps give < 1 %."""
    ds = data.gaussian_binary(60, 5, margin=0.1, seed=1)
    gamma = max_margin(ds, norm="l2").margin
    traj = run(Linear(5), ds.X, ds.y, "logistic",
               lambda ps: SteepestDescent(ps, 1.0, "l2", normalized=False, batch_dims=1),
               steps=2000, schedule=loss_adaptive(1.0), record_every=500,
               metrics={"m": metrics.margin(Linear(5), "l2")})
    assert traj.config["log_domain"]
    assert (gamma - traj["m"][-1, 0]) / gamma < 0.01
    assert traj["log_loss"][-1, 0] < -30 and np.isfinite(traj["log_loss"]).all()  # L itself is ~1e-20 or less


@pytest.mark.parametrize("normalized, momentum", [(True, 0.0), (False, 0.0), (False, 0.5), (True, 0.5)])
def test_log_domain_training_gives_the_same_steps_as_training_on_the_loss(normalized, momentum):
    """Where the engine switches to ∇log L it must not change the algorithm: compare with autograd on L."""
    ds = data.gaussian_binary(30, 4, seed=3)
    make = lambda ps: SteepestDescent(ps, 0.5, "l2", normalized=normalized, momentum=momentum, batch_dims=1)
    fast = run(Linear(4), ds.X, ds.y, "logistic", make, steps=100, schedule=loss_adaptive(0.5), record_every=50)
    ref_params = Linear(4).init(1)
    opt = make(ref_params)
    X, y = torch.as_tensor(ds.X), torch.as_tensor(ds.y, dtype=torch.float64)
    for step in range(100):
        opt.zero_grad()
        L = Loss("logistic").mean(Linear(4)(ref_params, X), y)
        L.sum().backward()
        loss_adaptive(0.5).apply(opt, step, L.detach())
        opt.step()
    # Same algorithm, different rounding: η/L reaches ~1e4 here, so the 1e-14 relative difference between
    # η·e^{−log L} and η/L is multiplied by steps much longer than ‖W‖; 1e-6 bounds that accumulation.
    np.testing.assert_allclose(fast.final[0], ref_params[0].detach().numpy(), rtol=1e-6)
    assert fast.config["log_domain"] == (momentum == 0)


def test_log_loss_feeds_any_optimizer_the_gradient_of_log_l_and_stays_exact_where_l_underflows():
    """log_loss=True: torch's Adam (memory: the engine alone would feed it ∇L) trains on ∇log L, whose steps are
    finite where every e^{−q_i} is 0 in float64; log_loss=False keeps a scale-free rule optimizer on ∇L."""
    ds = data.gaussian_binary(20, 3, margin=0.1, seed=0)
    far = [torch.as_tensor(1e4 * max_margin(ds, norm="l2").W)[None]]  # least margin ≈ 10⁴ γ ≫ 745
    adam = lambda ps: torch.optim.Adam(ps, lr=0.1)  # noqa: E731
    on_loss = run(Linear(3), ds.X, ds.y, "exponential", adam, steps=5, record_every=5, init=far)
    on_log = run(Linear(3), ds.X, ds.y, "exponential", adam, steps=5, record_every=5, init=far, log_loss=True)
    assert not on_loss.config["log_domain"] and on_log.config["log_domain"]
    np.testing.assert_array_equal(on_loss.final[0], far[0].numpy())  # ∇L = 0 exactly: Adam never moves
    assert np.abs(on_log.final[0] - far[0].numpy()).max() > 0.1  # five steps of ≈ lr each
    sign = lambda ps: SteepestDescent(ps, 0.1, "linf", batch_dims=1)  # noqa: E731
    assert not run(Linear(3), ds.X, ds.y, "exponential", sign, steps=2, log_loss=False).config["log_domain"]
    with pytest.raises(ValueError, match="η/L schedule decides"):
        run(Linear(3), ds.X, ds.y, "exponential", sign, steps=2, schedule=loss_adaptive(1.0), log_loss=True)


def test_metrics():
    W = torch.stack([torch.eye(3, dtype=torch.float64), torch.outer(torch.ones(3), torch.arange(3.0)).double()])
    np.testing.assert_allclose(metrics.stable_rank(W).numpy(), [3.0, 1.0])
    np.testing.assert_allclose(metrics.effective_rank(W).numpy(), [3.0, 1.0], atol=1e-12)
    zero = [torch.zeros(2, 3, dtype=torch.float64)]
    assert torch.isnan(metrics.distance(np.ones(3))(zero, None, None)).all()
    assert torch.isnan(metrics.cosine(np.ones(3))(zero, None, None)).all()
    assert float(metrics.cosine(np.ones(3))([torch.ones(1, 3, dtype=torch.float64)], None, None)) == pytest.approx(1.0)
    u, v = torch.tensor([[2.0, 1.0]]), torch.tensor([[1.0, 3.0]])
    assert float(metrics.noether([u, v])) == pytest.approx(5.0)  # Σ u⊙v
    U, W = torch.ones(1, 1, 2), 2 * torch.ones(1, 2, 3)
    assert float(metrics.noether([U, W])) == pytest.approx(2.0 - 24.0)  # ‖U‖² − ‖W‖²
    with pytest.raises(ValueError, match="needs one"):
        metrics.margin(Linear(3), "fro")([torch.ones(2, 3, dtype=torch.float64)], torch.ones(4, 3), torch.ones(4))


def test_noether_quantities_are_conserved_by_small_step_gradient_descent():
    """Drift per step is O(η²) (lemma noether.gd.discrete): 2 000 steps at η = 1e-4 move C by ≲ 1e-4."""
    ds = data.sparse_regression(20, 6, 2, seed=0)
    for model in (Quadratic(6, 0.5), TwoLayerLinear(6, 3)):
        traj = run(model, ds.X, ds.y, "squared", lambda ps: NoisySGD(ps, lr=1e-4, batch_dims=1), steps=2000,
                   batch=2, record_every=1000, metrics={"C": metrics.noether}, init=None)
        assert traj["loss"][-1].max() < traj["loss"][0].max()  # it did train
        np.testing.assert_allclose(traj["C"][-1], traj["C"][0], atol=1e-4 * (1 + np.abs(traj["C"][0]).max()))


@pytest.mark.parametrize("kind, k", [("logistic", None), ("exponential", None), ("cross_entropy", 4),
                                     ("squared", None)])
@pytest.mark.parametrize("log_domain", [False, True])
def test_analytic_gradients_equal_autograd(kind, k, log_domain):
    torch.manual_seed(0)
    out = (torch.randn(3, 7, *((k,) if k else ()), dtype=torch.float64) * 3).requires_grad_()
    y = torch.randint(0, k, (7,)) if k else torch.sign(torch.randn(7, dtype=torch.float64))
    loss = Loss(kind)
    value, grad = loss.value_and_grad(out.detach(), y, log_domain)
    reference = loss.log_mean(out, y) if log_domain else loss.mean(out, y)
    (autograd,) = torch.autograd.grad(reference.sum(), out)
    torch.testing.assert_close(value, reference.detach(), rtol=1e-13, atol=0)
    torch.testing.assert_close(grad, autograd, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("k", [2, 5])
@pytest.mark.parametrize("log_domain", [False, True])
def test_cross_entropy_gradient_in_either_layout_with_per_configuration_labels(k, log_domain):
    """Scores laid out class-major (as `Linear.outputs` gives them) or sample-major, labels shared (n,) or per
    configuration (B, n): the same value and gradient as autograd; without the value, the same gradient."""
    torch.manual_seed(1)
    class_major = (torch.randn(3, k, 9, dtype=torch.float64) * 3).transpose(-1, -2)
    loss = Loss("cross_entropy")
    for out in (class_major, class_major.contiguous()):
        for y in (torch.randint(0, k, (9,)), torch.randint(0, k, (3, 9))):
            leaf = out.detach().clone().requires_grad_()
            reference = loss.log_mean(leaf, y) if log_domain else loss.mean(leaf, y)
            (autograd,) = torch.autograd.grad(reference.sum(), leaf)
            value, grad = loss.value_and_grad(out, y, log_domain)
            torch.testing.assert_close(value, reference.detach(), rtol=1e-13, atol=0)
            torch.testing.assert_close(grad, autograd, rtol=1e-10, atol=1e-15)
            skipped, same = loss.value_and_grad(out, y, log_domain, with_value=False)
            assert (skipped is None) != log_domain and torch.equal(same, grad)


@pytest.mark.parametrize("k, batch_size", [(None, None), (3, None), (3, 10)])
def test_the_engine_trains_linear_models_identically_with_and_without_autograd(k, batch_size):
    ds = data.gaussian_multiclass(30, 4, 3, seed=2) if k else data.gaussian_binary(30, 4, seed=2)
    loss = "cross_entropy" if k else "logistic"
    runs = [run(Linear(4, k), ds.X, ds.y, loss, lambda ps: SteepestDescent(ps, 0.1, "fro" if k else "l2", batch_dims=1,
                                                                         momentum=0.5),
                steps=200, batch=2, batch_size=batch_size, record_every=50, autograd=flag, backend="torch")
            for flag in (False, True)]
    assert runs[0].config["analytic_gradient"] and not runs[1].config["analytic_gradient"]
    np.testing.assert_allclose(runs[0].final[0], runs[1].final[0], rtol=1e-10, atol=1e-12)


def test_softplus_is_logaddexp_to_rounding_and_its_gradient_the_sigmoid_at_every_point_in_torch_and_jax():
    """softplus written with `where` (so that its autodiff fuses): log(1 + e^z) to 1 ulp from −800 to 800 (where it is
    normal) and at ±1e−300, its gradient σ(z) everywhere, ½ at z = 0 (a tie of max(z, 0) or the kink of |z| would
    give 0 in JAX)."""
    jax = compiled.jax()
    z = np.concatenate([np.linspace(-800.0, 800.0, 16_001), [0.0, -1e-300, 1e-300]])
    exact, sigmoid = np.logaddexp(0.0, z), scipy.special.expit(z)
    leaf = torch.tensor(z, requires_grad=True)
    value = softplus(leaf)
    (by_torch,) = torch.autograd.grad(value.sum(), leaf)
    by_jax = jax.grad(lambda x: softplus(x).sum())(jax.numpy.asarray(z))
    np.testing.assert_allclose(value.detach().numpy(), exact, rtol=3e-16, atol=1e-300)  # subnormal: 0
    np.testing.assert_allclose(np.asarray(softplus(jax.numpy.asarray(z))), exact, rtol=3e-16, atol=1e-300)
    for grad in (by_torch.numpy(), np.asarray(by_jax)):
        np.testing.assert_allclose(grad, sigmoid, rtol=1e-15, atol=1e-300)
        assert (grad[z == 0.0] == 0.5).all()


def test_logsumexp_gradient_is_the_softmax_with_its_shift_held_constant_in_torch_and_jax():
    """The maximum that shifts logsumexp is a constant to autodiff (its gradient cancels): the gradient is the softmax
    in either library, at a tie of the maximum and beside a −∞ entry (a rival that is not one)."""
    jax = compiled.jax()
    a = np.array([[3.0, 3.0, -1.0, -np.inf], [0.5, -2.0, 7.0, 7.0]])
    softmax = np.exp(a - a.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    leaf = torch.tensor(a, requires_grad=True)
    (by_torch,) = torch.autograd.grad(logsumexp(leaf).sum(), leaf)
    by_jax = jax.grad(lambda x: logsumexp(x).sum())(jax.numpy.asarray(a))
    for grad in (by_torch.numpy(), np.asarray(by_jax)):
        np.testing.assert_allclose(grad, softmax, rtol=1e-15, atol=0)


def test_cross_entropy_gradient_keeps_its_sign_where_the_loss_is_below_machine_epsilon():
    """softmax − one-hot rounds 1 − p_y to 0 once the loss is < 1e-16, so sign descent would see a zero own-class
    entry; the gradient formed from logsumexp keeps the exact −Σ_{j≠y} p_j there (and zero row sums)."""
    scores = torch.tensor([[[50.0, 0.0, -3.0], [1.0, 48.0, 2.0]]], dtype=torch.float64)  # margins ≈ 46–50
    y = torch.tensor([0, 1])
    naive = torch.softmax(scores, -1) - torch.nn.functional.one_hot(y, 3)
    assert (naive[0, torch.arange(2), y] == 0).all()  # the precision loss this guards against
    _, grad = Loss("cross_entropy").value_and_grad(scores, y, log_domain=True)
    own = grad[0, torch.arange(2), y]
    assert (own < 0).all()
    assert torch.allclose(grad.sum(-1), torch.zeros(1, 2, dtype=torch.float64), atol=1e-12 * grad.abs().max())


def test_a_diverging_run_stops_and_says_where():
    """A step that overflows stops the run at the first non-finite record (no exception from inside, not even
    the SVD of a NaN gradient), keeping what was recorded before."""
    ds = data.gaussian_multiclass(30, 4, 3, seed=0)
    model = Linear(4, 3)
    traj = run(model, ds.X, ds.y, "cross_entropy", lambda ps: SteepestDescent(ps, 1e308, "nuclear", normalized=False,
                                                                                batch_dims=1),
               steps=50, record_every=5)
    assert traj.diverged_at is not None and traj.diverged_at <= 10
    assert np.isfinite(traj["loss"]).all() and traj.steps[-1] < traj.diverged_at


def test_a_schedule_without_eta_uses_the_optimizers_lr():
    ds = data.gaussian_binary(20, 3, seed=0)
    model = Linear(3)
    lrs = []

    class Spy(SteepestDescent):
        def step(self, closure=None):
            lrs.append(self.param_groups[0]["lr"])
            return super().step(closure)

    run(model, ds.X, ds.y.astype(float), "logistic", lambda ps: Spy(ps, 0.3, "l2", batch_dims=1), steps=4,
        schedule=inverse_sqrt())
    np.testing.assert_allclose(lrs, [0.3 / np.sqrt(t + 1) for t in range(4)])


def test_a_run_specification_carries_every_option_and_keywords_replace_its_own():
    from numerics.train import RunSpec

    spec = RunSpec(steps=50, batch=2, record_every=10, seed=3)
    assert RunSpec.of(spec, seed=4).seed == 4 and RunSpec.of(spec, seed=4).batch == 2 and spec.seed == 3
    with pytest.raises(TypeError, match="unknown run options \\['stepz'\\]"):
        RunSpec.of(spec, stepz=10)
    with pytest.raises(ValueError, match="backend 'gpu' is not one of"):
        RunSpec(steps=1, backend="gpu")
    X, y = np.array([[1.0, 0.0], [-1.0, -0.5]]), np.array([1.0, -1.0])
    make = lambda ps: SteepestDescent(ps, 0.1, "l2", batch_dims=1)  # noqa: E731
    by_spec = run(Linear(2), X, y, "logistic", make, spec)
    by_keywords = run(Linear(2), X, y, "logistic", make, steps=50, batch=2, record_every=10, seed=3)
    np.testing.assert_array_equal(by_spec.final[0], by_keywords.final[0])
