"""The compiled path against the eager one: the same rules take the same steps; the front door's choice; data sets as
a batch dimension; programs that follow the code they were traced from.

Two comparisons, because some of the suite's dynamics amplify rounding. Teacher-forced: along the compiled path's
1000-step trajectory, the eager optimizer is put at each θ_t (its own state — momentum, power-iteration v, counters —
carried along) and its step must land on θ_{t+1} to 1e−10 relative: both paths compute the same step at every point.
Free-running: two whole runs, one per path, agree to 1e−10 after 1000 steps where the dynamics do not amplify
rounding. Exact NucGD and spectral descent do: a 1e−15 difference in one step (two SVD implementations) grows to
1e−3 within 300 steps (measured), as it does between two eager runs whose data differ by one ulp — chaos of the
dynamics, not a disagreement of the paths — so they are compared teacher-forced only; so is Adam, whose sign-like
steps at ε ≪ |g| do the same (measured: 2e−4 after 1000 steps).
"""

import numpy as np
import pytest
import torch

from numerics import data
from numerics.losses import Loss
from numerics.models import Linear, Quadratic, TwoLayerReLU
from numerics.norms import schatten
from numerics.optim import PRGD, Adam, DualAcceleration, NoisySGD, SteepestDescent, inverse_sqrt, loss_adaptive
from numerics.train import NotCompilableError, run
from numerics.train.setup import learning_rate

STEPS = 1000
MULTICLASS = data.gaussian_mixture(4, 6, 10, noise=0.1, seed=0)
BINARY = data.gaussian_binary(30, 6, seed=1)


def steepest(norm, lr=None, **options):
    return lambda ps: SteepestDescent(ps, torch.tensor([0.05, 0.1], dtype=torch.float64) if lr is None else lr, norm,
                                      batch_dims=1, **options)


CASES = {
    **{f"NSD {norm}": (Linear(6, 4), MULTICLASS, "cross_entropy", steepest(norm), inverse_sqrt())
       for norm in ("fro", "spectral", "nuclear", "entry_linf", "entry_l1", "schatten:3", "op_linf", "row_linf_sum")},
    **{f"NSD {norm}": (Linear(6), BINARY, "logistic", steepest(norm), inverse_sqrt())
       for norm in ("l1", "l2", "linf", "lp:3")},
    "GD (η/L)": (Linear(6), BINARY, "logistic", steepest("l2", normalized=False), loss_adaptive(0.5)),
    "GD, constant step": (Linear(6, 4), MULTICLASS, "cross_entropy", steepest("fro", normalized=False), None),
    "NucGD, Nesterov momentum": (Linear(6, 4), MULTICLASS, "cross_entropy",
                                 steepest("nuclear", momentum=0.9, nesterov=True), inverse_sqrt()),
    "spectral, Newton–Schulz, weight decay": (Linear(6, 4), MULTICLASS, "cross_entropy",
                                              steepest("spectral", lmo_method="newton_schulz", weight_decay=0.1,
                                                       momentum=0.5), inverse_sqrt()),
    "joint ℓ∞ on a two-layer net": (TwoLayerReLU(6, 5), BINARY, "logistic", steepest("linf", joint=True),
                                    inverse_sqrt()),
    "SGD, momentum, weight decay": (Quadratic(6, 0.5), data.sparse_regression(20, 6, 2, seed=0), "squared",
                                    lambda ps: NoisySGD(ps, 0.01, momentum=0.9, weight_decay=1e-3, batch_dims=1),
                                    None),
    "PRGD": (Linear(6), BINARY, "exponential",
             lambda ps: PRGD(ps, 0.3, radius=2.0, growth=1.5, period=20, warmup=50, batch_dims=1), None),
    "dual acceleration": (Linear(6), BINARY, "exponential", lambda ps: DualAcceleration(ps, 0.05, batch_dims=1),
                          loss_adaptive()),
    "Adam": (Linear(6, 4), MULTICLASS, "cross_entropy",
             lambda ps: Adam(ps, torch.tensor([0.01, 0.03], dtype=torch.float64), betas=(0.9, 0.95), batch_dims=1),
             inverse_sqrt()),
}
CHAOTIC = {"NSD spectral", "NSD nuclear", "NucGD, Nesterov momentum", "Adam",
           "spectral, Newton–Schulz, weight decay", "NSD schatten:3"}


def _targets(ds, loss):
    return ds.y if loss == "cross_entropy" else ds.y.astype(np.float64)


def _compiled(name):
    model, ds, loss, make, schedule = CASES[name]
    return run(model, ds.X, _targets(ds, loss), loss, make, steps=STEPS, batch=2, record_every=1, record_params=True,
               schedule=schedule, backend="compiled", seed=3)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_eager_optimizer_takes_the_compiled_paths_step_at_every_point_of_its_trajectory(name):
    model, ds, loss_kind, make, schedule = CASES[name]
    traj = _compiled(name)
    assert traj.config["backend"] == "compiled" and traj.diverged_at is None
    X, y = torch.as_tensor(ds.X), torch.as_tensor(_targets(ds, loss_kind))
    loss = Loss(loss_kind)
    leaves = [torch.tensor(p[0]).requires_grad_() for p in traj.params]
    optimizer = make(leaves)
    bases = [group["lr"] for group in optimizer.param_groups]
    worst = 0.0
    for t in range(STEPS):
        with torch.no_grad():
            for leaf, p in zip(leaves, traj.params):
                leaf.copy_(torch.as_tensor(p[t]))
        optimizer.zero_grad()
        out = model(leaves, X)
        value = loss.log_mean(out, y) if traj.config["log_domain"] else loss.mean(out, y)
        value.sum().backward()
        if schedule is not None:
            for group, base in zip(optimizer.param_groups, bases):
                group["lr"] = learning_rate(schedule, schedule.log_domain, traj.config["log_domain"],
                                            optimizer.gradient_degree, t, value.detach(), base)
        optimizer.step()
        for leaf, p in zip(leaves, traj.params):
            expected = p[t + 1]
            worst = max(worst, float(np.linalg.norm(leaf.detach().numpy() - expected) / np.linalg.norm(expected)))
    assert worst <= 1e-10, f"{name}: the eager step leaves the compiled trajectory by {worst:.2e} (relative)"


@pytest.mark.parametrize("name", sorted(set(CASES) - CHAOTIC))
def test_whole_runs_on_the_two_paths_agree_after_a_thousand_steps(name):
    model, ds, loss, make, schedule = CASES[name]
    compiled = _compiled(name)
    eager = run(model, ds.X, _targets(ds, loss), loss, make, steps=STEPS, batch=2, record_every=100,
                schedule=schedule, backend="torch", seed=3)
    assert eager.config["backend"] == "torch"
    for a, b in zip(compiled.final, eager.final):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max())
    np.testing.assert_allclose(compiled["log_loss"][::100], eager["log_loss"], rtol=1e-9)


def test_the_suites_adam_takes_torchs_adam_steps():
    """`numerics.optim.Adam` (a rule, so compiled) is torch's Adam: 1000 eager steps of each agree to 1e−10."""
    finals = []
    for make in (lambda ps: Adam(ps, 0.01, betas=(0.9, 0.95), eps=1e-8),
                 lambda ps: torch.optim.Adam(ps, 0.01, betas=(0.9, 0.95), eps=1e-8)):
        finals.append(run(Linear(6, 4), MULTICLASS.X, MULTICLASS.y, "cross_entropy", make, steps=STEPS,
                          natural=True, backend="torch").final[0])
    np.testing.assert_allclose(finals[0], finals[1], rtol=1e-10, atol=1e-10 * np.abs(finals[1]).max())


class StartedPowerNucGD(SteepestDescent):
    """NucGD by power iteration whose first v is given (the state of another run at some step)."""

    def __init__(self, params, lr, v):
        super().__init__(params, lr, "nuclear", lmo_method="power", batch_dims=1)
        self.v = v

    def _random_start(self, shape, like):
        return self.v.clone().to(like)


def test_power_iteration_nucgd_takes_the_same_step_from_the_same_state():
    """The power iteration's v is state each path carries, and a difference in it is amplified where σ₁ ≈ σ₂ (the
    rank-one step is then nearly any top pair): so the paths are compared from the same (θ_t, v_t), taken at 40
    points of a 400-step eager run, each one compiled step against one eager step."""
    model, loss = Linear(6, 4), Loss("cross_entropy")
    X, y = torch.as_tensor(MULTICLASS.X), torch.as_tensor(MULTICLASS.y)
    W = torch.zeros(1, 4, 6, dtype=torch.float64, requires_grad=True)
    eager = SteepestDescent([W], 0.1, "nuclear", lmo_method="power", batch_dims=1)
    worst = 0.0
    for t in range(400):
        if t % 10 == 5:
            v = eager.state[W]["rule"][0][0].clone()
            one = run(model, MULTICLASS.X, MULTICLASS.y, "cross_entropy",
                      lambda ps: StartedPowerNucGD(ps, 0.1, v), steps=1, record_every=1,
                      init=[W.detach().clone()], backend="compiled").final[0]
        eager.zero_grad()
        loss.log_mean(model([W], X), y).sum().backward()
        eager.step()
        if t % 10 == 5:
            worst = max(worst, float(np.linalg.norm(W.detach().numpy() - one) / np.linalg.norm(one)))
    assert worst <= 1e-10, f"one step from the same (θ, v) differs by {worst:.2e} (relative)"


def test_each_configuration_trains_on_its_own_data_set():
    sets = [data.gaussian_mixture(4, 6, 10, noise=0.1, seed=s) for s in range(3)]
    X, y = np.stack([d.X for d in sets]), np.stack([d.y for d in sets])
    make = steepest("fro", lr=0.1)
    for backend in ("compiled", "torch"):
        together = run(Linear(6, 4), X, y, "cross_entropy", make, steps=200, batch=3, record_every=50,
                       backend=backend)
        assert together.config["data_sets"] == 3
        for b, d in enumerate(sets):
            alone = run(Linear(6, 4), d.X, d.y, "cross_entropy", make, steps=200, record_every=50, backend=backend)
            np.testing.assert_allclose(together.final[0][b], alone.final[0][0], rtol=1e-12)
            np.testing.assert_allclose(together["loss"][:, b], alone["loss"][:, 0], rtol=1e-12)


def test_data_sets_with_minibatches_and_label_noise_are_seeded():
    sets = [data.sparse_regression(20, 6, 2, seed=s) for s in range(2)]
    X, y = np.stack([d.X for d in sets]), np.stack([d.y for d in sets])
    make = lambda ps: NoisySGD(ps, 0.01, label_noise=0.3, batch_dims=1, seed=1)  # noqa: E731
    a, b = (run(Quadratic(6, 0.5), X, y, "squared", make, steps=50, batch=2, batch_size=5, seed=4) for _ in range(2))
    np.testing.assert_array_equal(a.final[0], b.final[0])
    assert a.config["backend"] == "compiled" and not np.allclose(a.final[0][0], a.final[0][1])


def test_the_front_door_chooses_the_compiled_path_when_the_optimizer_has_a_rule():
    X, y = BINARY.X, BINARY.y.astype(np.float64)

    def backend(make, **options):
        return run(Linear(6), X, y, "logistic", make, steps=3, record_every=1, **options).config

    assert backend(steepest("l2", lr=0.1))["backend"] == "compiled"
    eager = backend(lambda ps: torch.optim.Adam(ps, lr=0.1))
    assert eager["backend"] == "torch" and "not one of the suite's rule optimizers" in eager["why_not_compiled"]

    class Overrides(SteepestDescent):
        def step(self, closure=None):
            return super().step(closure)

    assert "overrides step" in backend(lambda ps: Overrides(ps, 0.1, "l2", batch_dims=1))["why_not_compiled"]
    steps = []

    def hooked(params):
        optimizer = SteepestDescent(params, 0.1, "l2", batch_dims=1)
        optimizer.register_step_pre_hook(lambda o, args, kwargs: steps.append(len(steps)))
        return optimizer

    assert "step hooks" in backend(hooked)["why_not_compiled"] and steps == [0, 1, 2]  # the hook ran every step
    scheduled = backend(steepest("l2", lr=0.1), scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 1))
    assert scheduled["backend"] == "torch"
    assert backend(steepest("l2", lr=0.1), backend="torch")["backend"] == "torch"
    with pytest.raises(NotCompilableError, match="torch.optim.Adam|Adam is not one of"):
        backend(lambda ps: torch.optim.Adam(ps, lr=0.1), backend="compiled")
    with pytest.raises(ValueError, match="backend 'jit' is not one of"):
        backend(steepest("l2", lr=0.1), backend="jit")
    compiled = backend(steepest("l2", lr=0.1))
    assert compiled["compile_seconds"] >= 0 and "jax" in compiled["versions"]


def test_a_program_follows_a_patched_rule(monkeypatch):
    """Programs are kept by what they compute: patching a norm's LMO (as a mutant does) is a new program, within
    one process and one test."""
    honest = _nucgd_final()
    monkeypatch.setattr(schatten.Nuclear, "lmo", schatten.Frobenius.lmo)
    patched = _nucgd_final()
    monkeypatch.undo()
    assert not np.allclose(honest, patched)
    np.testing.assert_array_equal(_nucgd_final(), honest)


def _nucgd_final():
    return run(Linear(6, 4), MULTICLASS.X, MULTICLASS.y, "cross_entropy", steepest("nuclear", lr=0.1), steps=20,
               record_every=10).final[0]
