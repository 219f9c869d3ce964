"""Optimizers as their users call them: the engine's natural-shape mode, torch lr schedulers, resolving an
optimizer by name with one clear error per bad input, measured homogeneity, the gradient a third-party optimizer
sees at large margins, and the fingerprint naming the geometry of known optimizers."""

from __future__ import annotations

import json
import math
import warnings

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numerics import data
from numerics.errors import OptimizerError
from numerics.losses import Loss
from numerics.models import Linear
from numerics.optim import SteepestDescent, inverse_sqrt, measured_homogeneity
from numerics.optim.resolve import optimizer_factory
from numerics.train import run
from verify.__main__ import main
from verify.kit import gd
from verify.fingerprint import fingerprint, panel_data


@pytest.fixture(scope="module")
def binary():
    return data.gaussian_binary(20, 8, margin=0.1, seed=0)


def test_natural_shape_sgd_takes_the_same_steps_as_batched_gd(binary):
    model = Linear(binary.d)
    natural = run(model, binary.X, binary.y, "logistic", lambda ps: torch.optim.SGD(ps, lr=0.5), steps=300,
                  natural=True)
    batched = run(model, binary.X, binary.y, "logistic", gd(0.5), steps=300)
    assert natural.config["natural_shape"]
    np.testing.assert_allclose(natural.final[0], batched.final[0], rtol=1e-12, atol=1e-14)


def test_muon_trains_its_matrix_in_natural_shape():
    ds = panel_data("multiclass")
    traj = run(Linear(ds.d, ds.num_classes), ds.X, ds.y, "cross_entropy",
               lambda ps: torch.optim.Muon(ps, lr=0.02, weight_decay=0), steps=200, natural=True)
    assert traj.diverged_at is None and traj.final[0].shape == (1, 10, 10) and np.abs(traj.final[0]).max() > 0


def test_a_torch_lr_scheduler_equals_the_same_schedule_of_ours(binary):
    model, steps = Linear(binary.d), 300
    sgd = lambda ps: torch.optim.SGD(ps, lr=0.5)  # noqa: E731
    ours = run(model, binary.X, binary.y, "logistic", sgd, steps=steps, natural=True, schedule=inverse_sqrt())
    torchs = run(model, binary.X, binary.y, "logistic", sgd, steps=steps, natural=True,
                 scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1 / math.sqrt(t + 1)))
    assert torchs.config["lr_scheduler"] == "LambdaLR"
    np.testing.assert_allclose(torchs.final[0], ours.final[0], rtol=1e-12)


def test_natural_shape_refuses_what_it_cannot_do(binary):
    sgd = lambda ps: torch.optim.SGD(ps, lr=0.5)  # noqa: E731
    with pytest.raises(ValueError, match="one configuration"):
        run(Linear(binary.d), binary.X, binary.y, "logistic", sgd, steps=10, batch=2, natural=True)
    with pytest.raises(ValueError, match="not both"):
        run(Linear(binary.d), binary.X, binary.y, "logistic", sgd, steps=10, natural=True, schedule=inverse_sqrt(),
            scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 10))


@pytest.mark.parametrize("spec, options, cause", [
    ("torch.optim.Nope", {}, "has no 'Nope'"),
    ("nopackage.Optimizer", {}, "no importable module"),
    ("numpy.ndarray", {}, "is not a torch.optim.Optimizer"),
    ("torch.optim.SGD", {"foo": 1}, "takes no option foo"),
    (lambda ps: torch.optim.SGD(ps, lr=1), {"lr": 0.1}, "sets its own lr"),
    (3, {}, "neither an optimizer class"),
])
def test_an_optimizer_that_cannot_be_built_is_one_clear_error(spec, options, cause):
    with pytest.raises(OptimizerError, match=cause):
        optimizer_factory(spec, **options)


def test_an_optimizer_that_rejects_the_parameters_or_is_none_is_one_clear_error():
    with pytest.raises(OptimizerError, match=r"rejects a vector w .*Muon only supports 2D"):
        fingerprint("torch.optim.Muon", "binary", lr=0.02)
    with pytest.raises(OptimizerError, match="returned a int, not a torch.optim.Optimizer"):
        fingerprint(lambda ps: 0)


def test_the_command_line_reports_bad_input_in_one_line(capsys):
    assert main(["fingerprint", "torch.optim.Nope"]) == 2
    assert main(["fingerprint", "torch.optim.SGD", "--momentum"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: 'torch.optim.Nope' does not resolve: module 'torch.optim' has no 'Nope'",
                   "error: optimizer options must come as --name value pairs; got --momentum"]


class _Squared(torch.optim.Optimizer):
    """θ ← θ − η·g|g|: homogeneous of degree 2, neither of the suite's regimes."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad * p.grad.abs(), alpha=-group["lr"])


@pytest.mark.parametrize("cls, degree", [(torch.optim.SGD, 1), (torch.optim.Adam, 0), (torch.optim.Rprop, 0),
                                         (torch.optim.Muon, 0), (_Squared, None)])
def test_homogeneity_measured_on_a_first_step(cls, degree):
    assert measured_homogeneity(lambda ps: cls(ps, lr=0.1), (4, 5)) == degree


@pytest.mark.parametrize("multiclass", [False, True])
def test_the_gradient_an_optimizer_sees_stays_relatively_exact_at_large_margins(multiclass):
    """At margins 40 … 600 the loss is 1e-18 … 1e-261: the suite's gradient agrees with a 60-digit computation to
    1e-13 relative, while torch's cross_entropy loses the true class's component (p_y rounds to 1)."""
    ds = panel_data("multiclass" if multiclass else "binary")
    from numerics.references import references
    W0 = references(ds).max_margin("fro" if multiclass else "l2").W
    X = torch.as_tensor(ds.X)
    model = Linear(ds.d, ds.num_classes if multiclass else None)
    y = torch.as_tensor(ds.y) if multiclass else torch.as_tensor(ds.y, dtype=torch.float64)
    for scale in (40, 200, 600):
        W = torch.as_tensor(W0 * scale / np.min(_margins(ds, W0)))  # least margin = scale
        out = model([W[None]], X)
        _, grad_out = Loss("cross_entropy" if multiclass else "logistic").value_and_grad(out, y)
        (G,) = model.grad([W[None]], X, grad_out)
        exact = _exact_gradient(ds, W.numpy(), multiclass)
        assert np.linalg.norm(G[0].numpy() - exact) <= 1e-13 * np.linalg.norm(exact)
        if multiclass and scale == 40:
            Wt = W.clone().requires_grad_()
            F.cross_entropy(X @ Wt.T, y).backward()
            assert np.linalg.norm(Wt.grad.numpy() - exact) > 0.5 * np.linalg.norm(exact)


def _margins(ds, W):
    if ds.task == "multiclass":
        S = ds.X @ W.T
        own = S[np.arange(ds.n), ds.y]
        return (own[:, None] - np.where(np.eye(W.shape[0], dtype=bool)[ds.y], -np.inf, S)).min(axis=1)
    return ds.y * (ds.X @ W)


def _exact_gradient(ds, W, multiclass) -> np.ndarray:
    """∇L in 60-digit arithmetic, rounded to float64."""
    with mpmath.workdps(60):
        G = mpmath.zeros(*W.shape) if multiclass else mpmath.zeros(1, W.shape[0])
        for x, label in zip(ds.X, ds.y):
            x = [mpmath.mpf(float(v)) for v in x]
            if multiclass:
                s = [mpmath.fsum(mpmath.mpf(float(w)) * v for w, v in zip(row, x)) for row in W]
                p = [mpmath.exp(sj - max(s)) for sj in s]
                total = mpmath.fsum(p)
                rest = mpmath.fsum(p[j] for j in range(len(p)) if j != label)  # 1 − p_y, exactly
                for j in range(len(s)):
                    coef = (-rest if j == label else p[j]) / total
                    for i in range(len(x)):
                        G[j, i] += coef * x[i] / ds.n
            else:
                m = label * mpmath.fsum(mpmath.mpf(float(w)) * v for w, v in zip(W, x))
                coef = -label / (1 + mpmath.exp(m))
                for i in range(len(x)):
                    G[0, i] += coef * x[i] / ds.n
        return np.array(G.tolist(), dtype=np.float64).reshape(W.shape)


def test_fingerprint_names_l2_for_sgd_and_writes_its_figure_and_json(tmp_path):
    fp = fingerprint("torch.optim.SGD", lr=0.1)
    assert (fp.verdict, fp.geometry) == ("PASS", "l2"), fp.table()
    assert {c: ev.verdict for c, ev in fp.judged.items() if c != "l2"} == dict.fromkeys(
        ("l1", "lp:1.5", "lp:3", "linf"), "FAIL")
    doc = json.loads(fp.save(tmp_path / "fp.json").read_text())
    assert doc["geometry"] == "l2" and doc["homogeneity"] == 1 and doc["config"]["natural_shape"]
    assert fp.figure(tmp_path / "fp.png").stat().st_size > 10_000
    assert "geometry: l2 (PASS)" in fp.table()


@pytest.mark.parametrize("norm, geometry", [("linf", "linf"), ("lp:6", None)])
def test_fingerprint_names_linf_for_sign_descent_and_nothing_for_a_norm_outside_the_panel(norm, geometry):
    fp = fingerprint(lambda ps: SteepestDescent(ps, 1.0, norm))
    assert fp.geometry == geometry, fp.table()


def test_an_iterate_and_a_heading_that_contradict_each_other_leave_the_norm_undecided():
    """Lion at lr 0.1: its iterate reaches the ℓ∞ tolerance while its heading does not (measured: 0.018 and 0.46
    after 5·10⁴ steps) — neither is PASS nor FAIL then."""
    pytest.importorskip("lion_pytorch", reason="pip install -e '.[clients]'")
    fp = fingerprint("lion_pytorch.Lion", lr=0.1, steps=50_000)
    assert fp.disagree("linf") and fp.verdict_of("linf") == "INCONCLUSIVE"
    assert fp.verdict == "INCONCLUSIVE" and "the iterate's verdict is PASS" in fp.reason


def test_weight_decay_is_noted_as_a_constrained_minimiser_not_a_direction():
    fp = fingerprint(lambda ps: SteepestDescent(ps, 1.0, "linf", weight_decay=0.1), steps=1_000)
    assert any("weight_decay = 0.1 keeps ‖θ‖ bounded" in n for n in fp.notes), fp.notes
    assert not fingerprint(lambda ps: SteepestDescent(ps, 1.0, "linf"), steps=1_000).notes


def test_an_optimizer_of_unknown_homogeneity_is_run_with_the_schedule_named_on_the_command_line(capsys, tmp_path):
    """_Squared's steps are neither linear nor scale-free: the command says how to name a schedule, then runs."""
    spec = f"{__name__}._Squared"
    assert main(["fingerprint", spec, "--steps", "500", "--out", str(tmp_path)]) == 2
    assert "--schedule inverse_sqrt or --schedule constant" in capsys.readouterr().err
    assert main(["fingerprint", spec, "--steps", "500", "--schedule", "inverse_sqrt", "--out", str(tmp_path)]) in (0, 1)
    assert "rate log t/√t" in capsys.readouterr().out


def test_a_panel_of_ones_own_is_judged_each_norm_against_the_others():
    fp = fingerprint(lambda ps: SteepestDescent(ps, 1.0, "linf"), steps=2_000, norms=("l2", "linf"))
    assert list(fp.judged) == ["l2", "linf"] and list(fp.separations["linf"]) == ["l2"]
    with pytest.raises(ValueError, match="needs at least two vector norms"):
        fingerprint("torch.optim.SGD", lr=0.1, norms=("l2", "nuclear"))


@pytest.mark.parametrize("optimizer, argv, cause", [
    ("torch.optim.SGD", ["--lr", "0"], "lr = 0 is not a learning rate: it must be a finite number > 0"),
    ("torch.optim.SGD", ["--lr", "-0.1"], "lr = -0.1 is not a learning rate"),
    ("torch.optim.SGD", ["--lr", "nan"], "lr = nan is not finite"),
    ("torch.optim.SGD", ["--lr", "inf"], "lr = inf is not finite"),
    ("torch.optim.SGD", ["--lr", "0.1", "--momentum", "inf"], "momentum = inf is not finite"),
    ("torch.optim.Adam", ["--lr", "0.1", "--eps", "nan"], "eps = nan is not finite"),
    ("torch.optim.Adam", ["--lr", "0.1", "--betas", "(0.9, -inf)"], "betas = (0.9, -inf) is not finite"),
    ("torch.optim.SGD", ["--lr", "0.1", "--steps", "0"], "steps = 0: a budget is a positive number of steps"),
    ("torch.optim.SGD", ["--lr", "0.1", "--steps", "-5"], "steps = -5"),
    ("torch.optim.SGD", ["--lr", "0.1", "--steps", "50"], "steps = 50: the heading is the last decade's displacement"),
])
def test_bad_input_is_refused_in_one_line_before_any_training(optimizer, argv, cause, capsys, monkeypatch):
    """Item A: nothing is trained (training would call `converge`), one line names the cause, exit 2."""
    def trained(*args, **kwargs):
        raise AssertionError("trained on bad input")

    monkeypatch.setattr("verify.fingerprint.converge", trained)
    assert main(["fingerprint", optimizer, *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and cause in err[0], err
    with pytest.raises(ValueError, match="is not a learning rate"):
        fingerprint("torch.optim.SGD", lr=0.0)


def test_inf_and_nan_options_are_read_as_floats():
    from verify.__main__ import _options

    options = _options(["--momentum", "inf", "--eps", "NaN", "--betas", "(0.9, -inf)", "--name", "adamw"])
    assert options["momentum"] == math.inf and math.isnan(options["eps"]) and options["betas"] == (0.9, -math.inf)
    assert options["name"] == "adamw"


def test_an_underflowed_gradient_is_named_not_a_run_that_did_not_move():
    """Item B: at lr 1e10 SGD's first step puts the margins past 745; ∇L is 0 from step 1, the heading is zero."""
    fp = fingerprint("torch.optim.SGD", lr=1e10, steps=2_000)
    assert "did not move" not in fp.table() and "the heading θ_T − θ_{T/10} is zero" in fp.reason
    assert fp.cause.name == "underflow" and fp.cause.step == 1 and fp.cause.exact and fp.cause.heading_zero
    assert "∇L underflowed to 0 in float64 at step 1" in fp.table()


def test_numpy_warnings_during_the_run_become_a_note_not_raw_output():
    """Item B: at lr 1e300 the iterate's norms overflow; numpy's RuntimeWarning is the run's, said in a note."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fp = fingerprint("torch.optim.SGD", lr=1e300, steps=2_000)
    assert not caught, [str(w.message) for w in caught]
    assert any("RuntimeWarning: overflow encountered" in n for n in fp.notes), fp.notes


class _TurnsAway(torch.optim.Optimizer):
    """GD (lr 10) for the first `switch` steps, then tiny steps against θ: the iterate still separates the data,
    the last decade's displacement points against it."""

    def __init__(self, params, lr=10.0, switch=200):
        super().__init__(params, {"lr": lr, "switch": switch})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["t"] = state.get("t", 0) + 1
                if state["t"] <= group["switch"]:
                    p.add_(p.grad, alpha=-group["lr"])
                else:
                    state.setdefault("away", -1e-5 * p / p.norm())
                    p.add_(state["away"])


def test_a_heading_that_does_not_separate_is_told_apart_from_the_iterate():
    """Item C: the reason says the heading does not separate while the iterate does, with both margins."""
    fp = fingerprint(_TurnsAway, steps=2_000)
    separation = next(d for d in fp.diagnoses if d.name == "heading_separation")
    assert separation.holds and separation.heading_margin < 0 < separation.iterate_margin
    assert ("the heading — the last decade's displacement θ_T − θ_{T/10} — does not separate the data (least margin "
            f"{separation.heading_margin:.3g}), while the iterate θ_T does (least margin "
            f"{separation.iterate_margin:.3g})") in fp.reason
    assert "did not separate the data in" not in fp.reason


def test_output_files_carry_the_configuration_and_never_overwrite(tmp_path, capsys, monkeypatch):
    """Item D: named by optimizer, kind, lr, options, steps, seed; a rerun gets -2; the figure's title carries the
    call, kind, steps and seed, and each dotted tolerance line is in the legend."""
    import verify.fingerprint as module

    shown = []
    real = module.save_figure
    monkeypatch.setattr(module, "save_figure", lambda fig, ax, path: (
        shown.append((ax.get_title(), ax.get_legend_handles_labels()[1])), real(fig, ax, path))[1])
    argv = ["fingerprint", "torch.optim.SGD", "--lr", "0.1", "--momentum", "0.5", "--steps", "500", "--seed", "1",
            "--out", str(tmp_path)]
    main(argv)
    stem = "SGD-binary-lr=0.1-momentum=0.5-steps=500-seed=1"
    assert (tmp_path / f"{stem}.png").exists() and (tmp_path / f"{stem}.json").exists()
    first = (tmp_path / f"{stem}.json").read_text()
    main(argv)
    out = capsys.readouterr().out
    assert f"this run's files are named {stem}-2" in out
    assert (tmp_path / f"{stem}-2.png").exists() and (tmp_path / f"{stem}.json").read_text() == first
    title, labels = shown[0]
    assert "torch.optim.SGD(lr=0.1, momentum=0.5), binary, 500 steps, seed 1" in title
    assert {"l1 tol", "l2 tol", "linf tol"} <= set(labels)
    main(["fingerprint", "torch.optim.SGD", "--lr", "0.1", "--steps", "500", "--out", str(tmp_path / "mine.json")])
    assert (tmp_path / "mine.json").exists() and (tmp_path / "mine.png").exists()
