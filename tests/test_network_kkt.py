"""The network side of the suite: bias-free homogeneous MLPs, norms on a network's parameters, the certified KKT
residual of the parameter-space margin problem, and the verdict the kernel gives on its brackets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numerics import data
from numerics.models import MLP
from numerics.optim import SteepestDescent
from numerics.norms.parameters import GEOMETRIES, ParameterNorm, geometry
from numerics.references.network_kkt import ATOL, alignment, kkt_residual
from numerics.train import run
from verify import kernel
from verify.evidence import Evidence


@pytest.mark.parametrize("widths, activation, degree", [((5,), "relu", 2), ((5, 4), "leaky", 3), ((3, 3, 3), "relu", 4),
                                                         ((5,), "relu2", 3), ((4, 3), "relu2", 7),
                                                         ((5,), "linear", 2), ((4, 3), "linear", 3)])
@pytest.mark.parametrize("out", [None, 3])
def test_an_mlp_is_homogeneous_of_its_declared_degree(widths, activation, degree, out):
    model = MLP(4, widths, out=out, activation=activation)
    assert model.degree == degree and model.shapes[0] == (widths[0], 4) and model.shapes[-1][0] == (out or 1)
    params = model.init(2, torch.Generator().manual_seed(0))
    X = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    f = model(params, X)
    assert f.shape == ((2, 6) if out is None else (2, 6, out))
    torch.testing.assert_close(model([1.7 * p for p in params], X), 1.7**degree * f)


def test_torch_muon_trains_an_mlp_in_its_natural_shapes():
    """Users' optimizers see (out, in) matrices: torch's Muon takes 2-D parameters only."""
    ds = data.symmetric_axis()
    model = MLP(3, (4,), activation="relu")
    traj = run(model, ds.X, ds.y.astype(float), "logistic",
               lambda ps: torch.optim.Muon(ps, lr=0.02, weight_decay=0.0, adjust_lr_fn="match_rms_adamw"),
               steps=50, natural=True, record_every=10)
    assert traj["loss"][-1, 0] < traj["loss"][0, 0]
    assert traj.final[0].shape == (1, 4, 3)


@pytest.mark.parametrize("name", GEOMETRIES)
def test_a_geometry_and_its_dual_satisfy_hoelder_and_agree_with_cvxpy(name):
    import cvxpy as cp

    rng = np.random.default_rng(0)
    norm = geometry(name, 3)
    theta = [rng.standard_normal(s) for s in [(4, 3), (5, 4), (1, 5)]]
    g = [rng.standard_normal(p.shape) for p in theta]
    pairing = sum(np.vdot(a, b) for a, b in zip(g, theta))
    assert pairing <= norm.value(theta) * norm.dual.value(g) * (1 + 1e-12)
    variables = [cp.Variable(p.shape) for p in theta]
    for v, p in zip(variables, theta):
        v.value = p
    assert np.isclose(norm.cvxpy(variables).value, norm.value(theta), rtol=1e-12)
    assert np.isclose(norm.dual.cvxpy(variables).value, norm.dual.value(theta), rtol=1e-12)


def test_a_parameter_norm_refuses_the_wrong_number_of_layers_and_combinations():
    with pytest.raises(ValueError, match="2 layers"):
        geometry("l2", 2).value([np.ones((2, 2))])
    with pytest.raises(ValueError, match="combine"):
        ParameterNorm("bad", (), "min")
    with pytest.raises(ValueError, match="unknown network geometry"):
        geometry("l3", 2)
    with pytest.raises(ValueError, match="depth ≥ 2"):
        geometry("spectral+linf", 1)


def symmetric_point(tilt: float = 0.0):
    w = np.array([1.0, tilt, 0.0])
    return [np.vstack([w, -w]), np.array([[1.0, -1.0]]) * np.linalg.norm(w)]


def test_the_residual_vanishes_at_a_kkt_point_known_in_closed_form_and_not_near_it():
    """Lyu et al. 2021's symmetric data: the leaky-ReLU network computing (1 + α)x₁ is ℓ2-KKT (its linear max
    margin is e₁); tilted by 0.1 it is not, by a certified lower bound."""
    ds, model = data.symmetric_axis(), MLP(3, (2,), activation="leaky")
    at = kkt_residual(model, symmetric_point(), ds.X, ds.y, geometry("l2", 2))
    assert 0 <= at.lower <= at.upper <= 1e-6
    tilted = kkt_residual(model, symmetric_point(0.1), ds.X, ds.y, geometry("l2", 2))
    assert tilted.lower >= 0.05 and tilted.upper - tilted.lower <= ATOL
    # scale free: the residual of 10θ is that of θ
    scaled = kkt_residual(model, [10 * p for p in symmetric_point(0.1)], ds.X, ds.y, geometry("l2", 2))
    assert abs(scaled.upper - tilted.upper) <= 2 * ATOL


def test_the_alignment_is_one_at_the_closed_form_kkt_point_in_every_pairing_and_below_one_off_it():
    """At the symmetric point the support points' margins are equal and, scaled by 10 (margins ×100), the others'
    weights e^{−q} are e^{−50} of theirs: −∇L is the KKT combination, a = 1 in each pairing where the point is KKT
    (ℓ2, ℓ∞, ℓ1, spectral: residuals ≤ 2e-8) and 2√2 − 2 in the hybrid's, where it is not (residual 0.17: the head
    is not at the max); at scale 1 the non-support points still pull (a < 1); tilted, a < 1; always |a| ≤ 1."""
    ds, model = data.symmetric_axis(), MLP(3, (2,), activation="leaky")
    far = [10 * p for p in symmetric_point()]
    for name in ("l2", "linf", "l1", "spectral"):
        assert alignment(model, far, ds.X, ds.y, geometry(name, 2)) == pytest.approx(1.0, abs=1e-12)
    assert alignment(model, far, ds.X, ds.y, geometry("spectral+linf", 2)) == pytest.approx(2 * 2 ** 0.5 - 2)
    assert alignment(model, symmetric_point(), ds.X, ds.y, geometry("l2", 2)) < 1 - 1e-3
    tilted = [alignment(model, symmetric_point(0.1), ds.X, ds.y, geometry(name, 2)) for name in GEOMETRIES]
    assert all(-1 <= a <= 1 + 1e-12 for a in tilted) and tilted[0] < 1 - 1e-3
    with pytest.raises(ValueError, match="one-output"):
        alignment(MLP(3, (2,), out=3), [symmetric_point()[0], np.ones((3, 2))], ds.X, np.arange(12) % 3,
                  geometry("l2", 2))


@pytest.mark.parametrize("name", GEOMETRIES)
def test_the_bracket_closes_on_a_multiclass_network_in_every_geometry(name):
    ds = data.gaussian_mixture(3, 4, 4, noise=0.05, seed=0)
    model = MLP(4, (6,), out=3, activation="relu2")
    traj = run(model, ds.X, ds.y, "cross_entropy", lambda ps: SteepestDescent(ps, 0.05, "l2", batch_dims=1, joint=True),
               steps=2000, record_every=2000)
    r = kkt_residual(model, [p[0] for p in traj.final], ds.X, ds.y, geometry(name, 2))
    assert 0 <= r.lower <= r.upper <= 1 + ATOL and r.upper - r.lower <= ATOL
    assert len(r.multipliers) == len(ds.y) * 2  # margins over the two rival classes of each point


def test_a_direction_that_does_not_separate_and_labels_beyond_the_outputs_are_refused():
    ds, model = data.symmetric_axis(), MLP(3, (2,), activation="leaky")
    W1, W2 = symmetric_point()
    with pytest.raises(ValueError, match="does not separate"):
        kkt_residual(model, [W1, -W2], ds.X, ds.y, geometry("l2", 2))
    with pytest.raises(ValueError, match="3 outputs"):
        kkt_residual(MLP(3, (2,), out=3), [W1, np.ones((3, 2))], ds.X, np.arange(12) % 4, geometry("l2", 2))


@pytest.mark.parametrize("own, rivals, earlier, verdict", [
    ((0.01, 0.011), {"a": (0.2, 0.21), "b": (0.3, 0.31)}, 0.05, "PASS"),       # 0.011 ≤ 0.2/4
    ((0.3, 0.31), {"a": (0.05, 0.06), "b": (0.5, 0.51)}, 0.4, "FAIL"),         # rival a certifiably nearer
    ((0.12, 0.13), {"a": (0.2, 0.21), "b": (0.3, 0.31)}, 0.12, "FAIL"),        # certifiably no fall: a plateau
    ((0.12, 0.13), {"a": (0.2, 0.21), "b": (0.3, 0.31)}, 0.2, "INCONCLUSIVE"),  # still falling, above tol
    ((0.0, 1e-8), {"a": (0.0, 1e-8)}, 0.1, "INCONCLUSIVE"),                     # a KKT point of both: cannot tell
    ((0.0, 0.0), {"a": (0.0, 0.0)}, None, "INCONCLUSIVE"),                      # a tie is no evidence either way
])
def test_the_kernel_at_the_point(own, rivals, earlier, verdict):
    ev = Evidence("network")
    kernel.at_the_point(ev, "c", own, rivals, kernel.KKT_RESIDUAL, earlier=earlier)
    assert ev.verdict == verdict, ev.reasons


def test_the_kernel_at_the_point_needs_rivals():
    with pytest.raises(ValueError, match="no rivals"):
        kernel.at_the_point(Evidence("network"), "c", (0.0, 0.01), {}, kernel.KKT_RESIDUAL)
