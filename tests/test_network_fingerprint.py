"""The network fingerprint and what it stands on: several optimizers as one (`Composite`), a first step's
homogeneity measured over a network's layers, the fingerprint's verdict and its command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numerics.optim import Composite, RelativeSteps, SteepestDescent, UnitSteps, homogeneity, measured_homogeneity
from verify.__main__ import main
from verify.network_fingerprint import network_fingerprint


def test_a_composite_steps_each_optimizer_on_its_own_parameters_and_shares_their_groups():
    a = torch.ones(3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.ones(1, 3, dtype=torch.float64, requires_grad=True)
    both = Composite([torch.optim.SGD([a], lr=0.1), SteepestDescent([b], 0.5, "linf")])
    a.grad, b.grad = torch.full_like(a, 2.0), torch.full_like(b, -3.0)
    both.step()
    torch.testing.assert_close(a.detach(), torch.full_like(a, 0.8))
    torch.testing.assert_close(b.detach(), torch.full_like(b, 1.5))
    both.param_groups[1]["lr"] = 0.25  # a scheduler's write reaches the child that owns the group
    assert both.optimizers[1].param_groups[0]["lr"] == 0.25
    assert homogeneity(both) is None  # linear SGD beside scale-free sign descent
    assert homogeneity(Composite([torch.optim.Adam([a]), SteepestDescent([b], 0.5, "linf")])) == 0
    state = both.state_dict()
    both.load_state_dict(state)
    assert both.defaults["lr"] in (0.1, 0.5)  # the children's defaults, for schedulers that read them
    with pytest.raises(NotImplementedError, match="child optimizer"):
        both.add_param_group({"params": [torch.zeros(2, requires_grad=True)]})
    with pytest.raises(ValueError, match="two of the Composite's optimizers"):
        Composite([torch.optim.SGD([a], lr=0.1), torch.optim.SGD([a], lr=0.1)])


def test_unit_steps_keep_the_wrapped_optimizers_directions_at_the_groups_lr():
    """SGD wrapped is normalized GD: the step −η g/‖g‖₂ over the group; heavy ball's momentum is its own."""
    a = torch.ones(3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.ones(1, 3, dtype=torch.float64, requires_grad=True)
    unit = UnitSteps(torch.optim.SGD([a, b], lr=0.5, momentum=0.9))
    g = [torch.arange(6.0, dtype=torch.float64).reshape(3, 2), torch.full((1, 3), -2.0, dtype=torch.float64)]
    length = torch.sqrt(sum((x * x).sum() for x in g))
    for step in range(2):
        a.grad, b.grad = g[0].clone(), g[1].clone()
        before = [a.detach().clone(), b.detach().clone()]
        unit.step()
        for p, q, x in zip((a, b), before, g):  # heavy ball on a constant gradient: every step along −g
            torch.testing.assert_close(p.detach() - q, -0.5 * x / length)
    assert homogeneity(unit) == 0 and measured_homogeneity(lambda ps: UnitSteps(torch.optim.SGD(ps, lr=0.1)),
                                                             [(3, 2), (1, 3)]) == 0
    unit.param_groups[0]["lr"] = 0.25  # a scheduler's write reaches the wrapped optimizer's group
    assert unit.optimizer.param_groups[0]["lr"] == 0.25
    a.grad = b.grad = None
    unit.step()  # no gradient, no step: nothing to rescale
    with pytest.raises(NotImplementedError, match="before wrapping"):
        unit.add_param_group({"params": [torch.zeros(2, requires_grad=True)]})


def test_relative_steps_set_each_groups_step_to_a_fixed_fraction_of_its_norm():
    """RelativeSteps: lr = c‖θ‖ before the first step and after every step; UnitSteps then moves θ by exactly that."""
    a = torch.full((2, 2), 3.0, dtype=torch.float64, requires_grad=True)
    unit = UnitSteps(torch.optim.SGD([a], lr=1.0))
    schedule = RelativeSteps(unit, 0.01)
    assert unit.param_groups[0]["lr"] == pytest.approx(0.06)  # 0.01·‖a‖, ‖a‖ = 6
    a.grad = torch.ones_like(a)
    unit.step()
    assert float(torch.linalg.vector_norm(a.detach() - 3.0)) == pytest.approx(0.06)
    schedule.step()
    assert unit.param_groups[0]["lr"] == pytest.approx(0.01 * float(torch.linalg.vector_norm(a.detach())))
    with pytest.raises(ValueError, match="positive"):
        RelativeSteps(unit, 0.0)


def test_mixed_rule_optimizers_step_as_their_children_and_compile():
    """Mixed: each group steps by its owner's rule, eagerly and on the compiled path alike (to rounding); it takes
    rule optimizers only."""
    from numerics import data
    from numerics.models import MLP
    from numerics.optim import Adam, Mixed
    from numerics.train import run

    ds = data.gaussian_binary(8, 3, margin=0.1, seed=0)
    model = MLP(3, (4,), activation="relu2")
    make = lambda ps: Mixed([SteepestDescent(ps[:-1], 0.05, "spectral", momentum=0.9, batch_dims=1),  # noqa: E731
                             Adam(ps[-1:], 0.05, eps=0.0, batch_dims=1)])
    runs = {b: run(model, ds.X, ds.y.astype(float), "exponential", make, steps=50, record_every=50, backend=b)
            for b in ("torch", "compiled")}
    assert runs["compiled"].config["backend"] == "compiled"
    for eager, compiled in zip(runs["torch"].final, runs["compiled"].final):
        np.testing.assert_allclose(eager, compiled, rtol=1e-9, atol=1e-12)
    a = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="rule optimizers"):
        Mixed([torch.optim.SGD([a], lr=0.1)])


def test_homogeneity_is_measured_over_a_networks_layers():
    assert measured_homogeneity(lambda ps: torch.optim.SGD(ps, lr=0.1), [(3, 2), (1, 3)]) == 1
    assert measured_homogeneity(lambda ps: torch.optim.Adam(ps, lr=0.1), [(3, 2), (1, 3)]) == 0


def test_normalized_gd_on_a_network_is_named_l2():
    """Normalized GD (steepest descent in ℓ2 over all parameters, η/√(t+1)) reaches an ℓ2 KKT point far below a
    quarter of every other geometry's certified residual (measured: 0.003 against ≥ 0.24 at 5·10⁴ steps)."""
    fp = network_fingerprint(lambda ps: SteepestDescent(ps, 0.1, "l2", joint=True), steps=20_000)
    assert fp.geometry == "l2", fp.table()
    assert all(fp.judged[g].verdict == "FAIL" for g in fp.judged if g != "l2")
    assert set(fp.as_dict()["residuals"]) == set(fp.judged)


def test_normalized_gd_on_a_multiclass_network_is_named_l2():
    """The 3-class mixture on the wider built-in network (measured: residual 0.011 at 2·10⁴ steps, every other
    geometry ≥ 0.22)."""
    fp = network_fingerprint(lambda ps: SteepestDescent(ps, 0.1, "l2", joint=True), kind="multiclass", steps=20_000)
    assert fp.geometry == "l2", fp.table()


def test_torch_sgd_on_a_network_is_named_l2_on_the_clock_of_unit_steps(tmp_path, capsys):
    """torch.optim.SGD at lr 0.1, its steps rescaled to η/√(t+1) (`UnitSteps`) on ∇log L: measured ℓ2 residual
    0.0035 at the default 5·10⁴ steps, every other geometry ≥ 0.24 (at its constant step, 0.121: GD's 1/log t clock);
    the test runs 2·10⁴ (measured: 0.0068 against tol 0.061)."""
    assert main(["fingerprint", "torch.optim.SGD", "--lr", "0.1", "--model", "mlp2", "--steps", "20000",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "geometry: l2 (PASS)" in out and "UnitSteps" in out
    assert (tmp_path / "SGD-mlp2-binary-lr=0.1-steps=20000-seed=0.json").exists()  # the configuration in the name


def test_the_command_line_refuses_a_head_without_a_network(capsys):
    assert main(["fingerprint", "torch.optim.Muon", "--head", "torch.optim.AdamW"]) == 2
    assert "--head" in capsys.readouterr().err
    assert main(["fingerprint", "torch.optim.SGD", "--model", "mlp2", "--norms", "l2,linf"]) == 2


def test_a_network_fingerprint_refuses_bad_input_before_any_training(capsys):
    """A head's lr is checked like the body's: a finite number > 0; so are the options and the budget."""
    with pytest.raises(ValueError, match="head_lr = 0 is not a learning rate"):
        network_fingerprint("torch.optim.SGD", lr=0.1, head="torch.optim.SGD", head_lr=0.0)
    with pytest.raises(ValueError, match="steps = 0"):
        network_fingerprint("torch.optim.SGD", lr=0.1, steps=0)
    assert main(["fingerprint", "torch.optim.Muon", "--model", "mlp2", "--lr", "0.02", "--head", "torch.optim.AdamW",
                 "--head-lr", "nan"]) == 2
    assert main(["fingerprint", "torch.optim.SGD", "--model", "mlp2", "--lr", "0.1", "--head.momentum", "inf",
                 "--head", "torch.optim.SGD", "--head-lr", "0.1"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: head_lr = nan is not finite: a learning rate is a finite number > 0",
        "error: momentum = inf is not finite: a numeric optimizer option must be a finite number"]
