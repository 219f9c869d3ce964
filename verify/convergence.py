"""Margin convergence of one optimizer on one data set: `converge` trains and returns a typed run, `judge`
holds it to a claim with small named checks and returns the `Evidence` with its verdict.

    run = converge(lambda ps: SteepestDescent(ps, 1.0, "linf"), ds, steps=20_000)
    ev = judge(run, "linf")                   # rivals: the other norms of the panel; tol: TOL
    print(ev.summary())

A claim "the normalized margin in ‖·‖_c tends to the max margin γ*_c" is judged against rival hypotheses
r (default: the panel of the same kind, `numerics.references.panel`), each at its certified separation
s(r → c) — the least relative c-gap any limit of r can have (`numerics.references.separation`). With the relative gap
g_t = 1 − γ_c(θ_t)/γ*_c (γ*_c the certificate's upper bound) and the tolerance tol (default `TOL`; the
checklist's claims take s_min/4, the largest tolerance that excludes every rival with a factor 2 to spare):

  PASS          g_T ≤ tol, tol < s_min/2 and g stays under the rate's envelope — the run excludes every rival;
  FAIL          positive evidence against: the gap plateaus above tol (`rates.envelope_growth`), or the run
                ends outside tol and nearer a rival's max margin than any of the claim's limits can be
                (its r-gap below half of s(c → r)); or the run is broken (diverged, did not move, did not
                separate) or its measurements contradict each other (a margin above the certified maximum, a
                margin metric that disagrees with a direct computation, a face distance outside the bounds the
                gap implies) or the reference was accepted at a looser certificate than the suite's;
  INCONCLUSIVE  (a) s_min ≤ 2·tol: this data cannot separate the claim from its nearest rival; or (b) g_T > tol
                while still under the envelope: the budget is too small (the fitted envelope gives the steps
                needed); or the gap is within tol but stopped shrinking at the rate; or tol is finer than the
                reference resolves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from numerics import norms
from numerics.data import Dataset
from numerics.references.margins import margins, normalized_margin, signed_points
from numerics.models import Linear
from numerics.norms import Norm
from numerics.optim import Schedule
from numerics.references import References, references
from numerics.train import RunSpec, run as train_run
from verify import kernel
from verify.evidence import INCONCLUSIVE, Evidence
from verify.kernel import MARGIN_GAP, Rivals, rival_names
from verify.rates import Rate, defaults, envelope_growth, rate as as_rate, steps_needed

TOL = 0.05
"""The default tolerance: the relative precision at which a claim is judged (the gap must fall below it). The
data decide which rivals that precision can exclude (those separated by more than 2·tol); a claim that names
its tolerance from its data's separation uses s_min/4 (`judge(..., tol=...)`)."""
CERTIFIED = 1e-6
"""The relative duality gap at which the suite accepts a reference (README;
`numerics.references.margins.CERTIFICATE_RTOL`)."""
ROUNDING = 1e-9
"""Relative disagreement between two float64 computations of one margin that rounding explains (10⁴–10⁵ flops)."""


@dataclass
class ConvergenceRun:
    """One configuration of a linear model trained from zero: its weights at every record and what it needs
    to be judged. Margins in any norm are computed from the recorded weights on demand."""

    data: Dataset
    references: References
    optimizer: str
    steps: np.ndarray
    """The recorded steps, 0 … T (fewer if the run diverged)."""
    weights: np.ndarray
    """(records, *weight_shape): the weights at each recorded step."""
    final: np.ndarray
    """The weights after the last step (non-finite if the run diverged)."""
    budget: int
    rate: Rate
    record_every: int
    config: dict
    seconds: float
    diverged_at: int | None = None
    tracked: dict[str, np.ndarray] = field(default_factory=dict)
    _margins: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def margin(self, norm: str | Norm) -> np.ndarray:
        """The normalized margin min_i margin_i(W_t)/‖W_t‖ at every record (NaN at W = 0)."""
        name = norms.get(norm).name
        if name not in self._margins:
            self._margins[name] = np.asarray(normalized_margin(self.data.X, self.data.y, self.weights, name))
        return self._margins[name]

    def gap(self, norm: str | Norm) -> np.ndarray:
        """1 − γ(W_t)/γ*, γ* the certified upper bound of the max margin: ≥ 0 up to rounding."""
        return 1 - self.margin(norm) / self.references.max_margin(norm).certificate.upper

    def step_resolution(self, norm: str | Norm) -> float:
        """2δB/(γ*‖W_T‖): the most one step of (measured) size δ = ‖W_T − W_{T−k}‖/k can move the relative
        normalized margin, with B = max_i ‖z_i‖_* (|Δ min_i <z_i, W>| ≤ δB and |Δ‖W‖| ≤ δ ≤ δB/γ*). A gap below
        it cannot be resolved by this run; 0 for a run that stopped moving."""
        norm = norms.get(norm)
        W = self.weights
        delta = float(norm.value(W[-1] - W[-2])) / self.record_every
        size = float(norm.value(W[-1]))
        gamma = self.references.max_margin(norm).margin
        return 2 * delta * dual_radius(self.data, norm) / (gamma * size) if delta > 0 and size > 0 else 0.0


def heading(run: ConvergenceRun) -> ConvergenceRun:
    """The run's heading: at each record t the last decade's displacement H_t = W_t − W_{t/10} (from the
    nearest earlier record) in place of W_t, judged like any run.

    By Stolz–Cesàro, if H_t/‖H_t‖ converges then W_t/‖W_t‖ converges to the same limit; and the heading gets
    there sooner where the iterate carries a bounded offset. For GD, W_t = ŵ·log t + ρ(t) with ρ bounded and
    convergent (Soudry et al. 2018, Thm. 3), so W_t's direction is off by O(1/log t) while H_t = ŵ·log 10 +
    ρ(t) − ρ(t/10) is off only by the change of ρ (measured: ℓ2 gap 0.010 against the iterate's 0.046 after
    10⁵ steps)."""
    W = run.weights
    earlier = np.arange(len(W)) // 10
    H = W - W[earlier]
    return replace(run, weights=H, final=H[-1], optimizer=f"{run.optimizer} (heading)", tracked={}, _margins={})


def dual_radius(ds: Dataset, norm) -> float:
    """B = max_i ‖z_i‖_*: the largest dual norm of a signed point (the margins' Lipschitz constant in `norm`)."""
    Z, _, _ = signed_points(ds)
    Z = Z.toarray() if hasattr(Z, "toarray") else Z
    return float(np.max(norms.get(norm).dual_norm(torch.as_tensor(Z.reshape(-1, *ds.weight_shape))).numpy()))


def as_dataset(X, y=None) -> Dataset:
    """A `Dataset` from one (then `y` must be None) or from arrays."""
    if isinstance(X, Dataset):
        if y is not None:
            raise ValueError("X is a Dataset, which carries its labels: leave y out")
        return X
    return Dataset(X, y)


def converge(make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer], X, y=None, steps: int = 10_000,
             *, loss: str | None = None, schedule: Schedule | None | str = "auto", rate: str | Rate = "auto",
             seed: int = 0, device=None, batch_size: int | None = None, record_every: int | None = None,
             track: dict | None = None, natural: bool = False, scheduler=None,
             backend: str = "auto") -> ConvergenceRun:
    """Train the linear model of the data (w ∈ R^d binary, W ∈ R^{k×d} multiclass) from zero with
    `make_optimizer(params)` for `steps` steps, recording the weights every `record_every` (default T/100).
    `schedule` and `rate` default by the optimizer's homogeneity (`verify.rates`); `track` adds metrics
    (`numerics.train.metrics` style) recorded alongside. `natural=True` gives the optimizer the weights in their own
    shape, without a configuration dimension, as its users call it (any `torch.optim.Optimizer`);
    `scheduler(optimizer)` attaches a `torch.optim.lr_scheduler` instead of a `schedule` (then pass `rate`);
    `backend` chooses the engine's path (`numerics.train.run`)."""
    if scheduler is not None and schedule == "auto":
        schedule = None
    return _converge(make_optimizer, as_dataset(X, y), steps, None, loss=loss, schedule=schedule, rate=rate, seed=seed,
                     device=device, batch_size=batch_size, record_every=record_every, track=track, natural=natural,
                     scheduler=scheduler, backend=backend)[0]


def converge_each(make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer], X, y=None,
                  steps: int = 10_000, *, etas, **options) -> list[ConvergenceRun]:
    """One run per step size η of a sweep, trained as one batched program (the optimizer must take parameters
    with a leading configuration dimension, e.g. `SteepestDescent(..., batch_dims=1)`): the schedule of the
    optimizer's kind (η_b/√(t+1) for scale-free steps, η_b constant otherwise) with each η. A divergence in one
    configuration stops all. Options as for `converge`."""
    return _converge(make_optimizer, as_dataset(X, y), steps, torch.as_tensor(etas, dtype=torch.float64), **options)


def _converge(make_optimizer, ds: Dataset, steps: int, etas: torch.Tensor | None, *, loss=None, schedule="auto",
              rate="auto", seed=0, device=None, batch_size=None, record_every=None, track=None, natural=False,
              scheduler=None, backend="auto") -> list[ConvergenceRun]:
    if steps < 100:
        raise ValueError(f"a trajectory needs at least 100 steps to judge the last decade; got {steps}")
    record_every = record_every or steps // 100
    if record_every > steps // 100:
        raise ValueError(f"record_every = {record_every} leaves the decade [T/100, T/10] unrecorded; "
                         f"use ≤ {steps // 100}")
    if isinstance(make_optimizer, type) and issubclass(make_optimizer, torch.optim.Optimizer):
        raise TypeError(f"pass a factory of the optimizer, not the class {make_optimizer.__name__}: e.g. "
                        f"lambda params: {make_optimizer.__name__}(params, lr=…) (the class alone would run with "
                        "its default lr)")
    batch = 1 if etas is None else len(etas)
    shape = ds.weight_shape if natural else (batch, *ds.weight_shape)
    probe = make_optimizer([torch.zeros(shape, dtype=torch.float64, requires_grad=True)])
    schedule, rate = defaults(probe, schedule, as_rate(rate) if rate != "auto" else rate)
    if etas is not None:
        schedule = Schedule(schedule.kind if schedule is not None else "constant", etas)
    model = Linear(ds.d, ds.num_classes if ds.task == "multiclass" else None)
    targets = ds.y if ds.task == "multiclass" else ds.y.astype(np.float64)
    loss = loss or ("cross_entropy" if ds.task == "multiclass" else "logistic")
    spec = RunSpec(steps, batch, record_every, schedule, batch_size, track, seed, device, record_params=True,
                   natural=natural, scheduler=scheduler, backend=backend)
    traj = train_run(model, ds.X, targets, loss, make_optimizer, spec)
    config = {**traj.config, "rate": rate.name, "optimizer": type(probe).__name__, "optimizer_options": _options(probe)}
    return [ConvergenceRun(ds, references(ds), type(probe).__name__, traj.steps, traj.params[0][:, b],
                           traj.final[0][b], steps, rate, record_every,
                           config if etas is None else {**config, "eta": float(etas[b])}, traj.seconds,
                           traj.diverged_at, {k: traj[k][:, b] for k in track or {}})
            for b in range(batch)]


def _options(optimizer) -> dict:
    """The optimizer's hyperparameters as plain values (for the evidence)."""
    group = optimizer.param_groups[0]
    return {k: (v.name if isinstance(v, Norm) else v) for k, v in group.items()
            if k != "params" and isinstance(v, (int, float, str, bool, tuple, Norm, type(None)))}


def judge(run: ConvergenceRun, claim: str | Norm, *, rivals: tuple[str, ...] | Rivals | None = None,
          tol: float | None = None, bound: np.ndarray | None = None, name: str | None = None) -> Evidence:
    """The evidence that `run`'s normalized margin in `claim` tends to the max margin (module docstring).
    `rivals` default to the panel of the claim's kind, `tol` to `TOL`; `bound`
    (length T) is an explicit guarantee on g_t after each step (e.g. `templates.exponential_loss_bound`)."""
    c = norms.get(claim)
    names = rivals.names if isinstance(rivals, Rivals) else rival_names(c.name, rivals)
    ev = Evidence(name or f"{run.optimizer} → {c.name} max margin")
    ev.config.update(run.config)
    ev.record(norm=c.name, steps=run.budget, seconds=run.seconds, rate=run.rate.name, rivals=list(names))
    if not _ran(ev, run, c):
        return ev
    refs, ref = run.references, run.references.max_margin(c)
    if not isinstance(rivals, Rivals):
        rivals = Rivals.of(c.name, names, lambda a, b: refs.separation(a, b).value)
    elif rivals.claim != c.name:
        raise ValueError(f"rivals were computed for a claim about {rivals.claim}, not {c.name}")
    tol = TOL if tol is None else float(tol)
    t, g = run.steps, run.gap(c)
    ev.record(gamma_star=ref.margin, certificate_rel_gap=ref.certificate.rel_gap, solver=ref.solver, tol=tol,
              final_margin=run.margin(c)[-1], final_gap=g[-1])
    rivals.record(ev)
    ev.trajectory(f"{c.name} margin gap", t, g)
    for r in rivals.names:
        ev.trajectory(f"{r} margin gap", t, run.gap(r))
    for key, values in run.tracked.items():
        ev.trajectory(key, t, values)

    _integrity(ev, run, c, tol)
    kernel.separated(ev, rivals, tol)
    _gap_checks(ev, run, c, g, tol)
    kernel.excluded(ev, rivals, tol, float(g[-1]), {r: float(run.gap(r)[-1]) for r in rivals.names}, MARGIN_GAP)
    _face_checks(ev, run, c)
    if bound is not None:
        bound = np.asarray(bound, dtype=np.float64)
        ratio = float(np.max(g[1:] / bound[t[1:] - 1]))  # bound[s] holds after step s + 1
        ev.record(bound_at_T=bound[-1], worst_gap_over_bound=ratio)
        ev.check("gap within the theorem's bound at every recorded step", ratio, "<=", 1.0, "exponential_loss_bound")
    return ev


def decisive_tolerance(refs: References, claim: str | Norm, rivals: tuple[str, ...] | None = None) -> float:
    """s_min/4: the checklist's tolerance for a claim on this data — the largest that excludes every rival
    (tol < s_min/2) with a factor 2 to spare. It follows the data: at another scale it is recomputed."""
    c = norms.get(claim).name
    names = rival_names(c, rivals)
    if not names:
        raise ValueError(f"a claim about {c} with no rival has no decisive tolerance: name its rivals")
    return min(refs.separation(c, r).value for r in names) / 4


def moved(ev: Evidence, run: ConvergenceRun) -> bool:
    """The run's soundness, each a FAIL with its cause: finite parameters, and a move. False stops the judging."""
    finite = run.diverged_at is None
    ev.check("parameters stay finite", float(finite), "==", 1.0, "a diverged run has no limit",
             failure=f"diverged at step {run.diverged_at} (non-finite parameters)")
    if not finite:
        return False
    distance = float(np.linalg.norm(run.final - run.weights[0]))
    ev.check("‖θ_T − θ_0‖", distance, ">", 0.0, "a run must move to have a limit",
             failure="the heading is zero: θ_T = θ_{T/10} (no step in the last decade)" if _is_heading(run) else
             "did not move: θ_T = θ_0 (a zero learning rate or a zero step)")
    return distance > 0


def _is_heading(run: ConvergenceRun) -> bool:
    """Whether `run` is a run's heading (`heading`): its θ_t are displacements, its θ_0 is 0."""
    return run.optimizer.endswith(" (heading)")


def _ran(ev: Evidence, run: ConvergenceRun, c: Norm) -> bool:
    """The run's own soundness, each a FAIL with its cause: finite, moved, separated. False stops the judging."""
    if not moved(ev, run):
        return False
    least = float(np.min(margins(torch.as_tensor(run.data.X), torch.as_tensor(run.data.y), torch.as_tensor(run.final),
                                 multiclass=run.data.task == "multiclass").numpy()))
    ev.check("min_i margin_i(θ_T)", least, ">", 0.0, "the claim is about separating directions",
             failure=f"the heading θ_T − θ_{{T/10}} does not separate the data (least margin {least:.3g})"
             if _is_heading(run) else f"did not separate the data in {run.budget} steps (least margin {least:.3g})")
    return least > 0


def _integrity(ev: Evidence, run: ConvergenceRun, c: Norm, tol: float) -> None:
    """Checks that only fail when the measurement is wrong: each compares two independent computations."""
    ref = run.references.max_margin(c)
    ev.check("reference's certificate tolerance", ref.certificate.rtol, "<=", CERTIFIED,
             "references are accepted only when margin and dual bound agree to the suite's standard",
             failure=f"the reference was accepted at rtol {ref.certificate.rtol:.3g}, looser than the suite's "
                     f"{CERTIFIED:g}: its γ* may be off by that much")
    ev.check("tolerance over ten times the reference's certified precision", tol, ">=", 10 * ref.certificate.rtol,
             "a gap is only as exact as γ*", severity=INCONCLUSIVE,
             failure=f"tol {tol:.3g} is finer than the reference resolves (rtol {ref.certificate.rtol:.3g})")
    W = run.weights[-1]
    direct = float(margins(torch.as_tensor(run.data.X), torch.as_tensor(run.data.y), torch.as_tensor(W),
                           multiclass=run.data.task == "multiclass").min()) / float(c.value(W))
    ev.check("tracked margin at T against a direct computation", abs(run.margin(c)[-1] - direct) / abs(direct), "<=",
             ROUNDING, "min_i margin_i(W_T)/‖W_T‖ computed again from the signed margins and the norm",
             failure="the margin metric disagrees with a direct computation: the gaps measure something else")
    worst = float(np.nanmin(run.gap(c)))
    ev.check("least gap over the run (no margin above the certified maximum)", worst, ">=", -ROUNDING,
             "γ(W) ≤ γ* for every W: a negative gap means a wrong margin or reference",
             failure=f"a margin {-worst:.3g} above the certified maximum: the margin or the reference is wrong")


def _gap_checks(ev: Evidence, run: ConvergenceRun, c: Norm, g: np.ndarray, tol: float) -> None:
    """The gap at T against the tolerance and its trajectory against the rate's envelope."""
    ref = run.references.max_margin(c)
    resolution = max(run.step_resolution(c), 10 * ref.certificate.rel_gap)
    ev.record(step_resolution=resolution)
    rate_checks(ev, run.steps, g, run.budget, run.rate, tol, floor=10 * ref.certificate.rel_gap,
                resolution=resolution, quantity=("gap", f"{c.name} gap", f"{c.name} margin gap at T"),
                near="a limit near the claim's, maybe not it", resolves="one step or the reference")


def rate_checks(ev: Evidence, t: np.ndarray, g: np.ndarray, T: int, r: Rate, tol: float, *, floor: float,
                resolution: float, quantity: tuple[str, str, str], near: str, resolves: str) -> None:
    """A quantity g_t that must tend to 0 at rate r (a margin gap, a constrained residual): g_T against `tol`
    (INCONCLUSIVE above it while under the envelope: the budget is too small, with the steps the fitted envelope
    needs), and its growth over the last decade in units of r — a plateau above tol is a FAIL; within tol but not
    shrinking at the rate, INCONCLUSIVE; at or below `resolution` (what the run or the reference resolves) the
    envelope is not judged. `floor` bounds g from below in the growth (the reference's precision). `quantity`
    names it: (noun, the noun with its norm, the tolerance check's name)."""
    noun, named, check = quantity
    growth = envelope_growth(t, np.maximum(g, floor), r.r, T)
    plateau = r.decade_shrink(T)
    needed = steps_needed(t, g, r.r, T, tol) if g[-1] > tol else T
    ev.record(envelope_growth=growth, steps_needed=needed)
    ev.check(check, g[-1], "<=", tol, f"the claim's tolerance ({r.source})", severity=INCONCLUSIVE,
             failure=f"budget too small: {noun} {g[-1]:.3g} > tol {tol:.3g}, still under the {r.name} envelope; at "
                     f"its pace the run needs ≈ {_steps(needed)} steps")
    envelope = (f"≤ 1 under a C·r(t) envelope, {plateau:.3g} on a plateau (r = {r.name}); the bound is their "
                "geometric mean")
    if g[-1] > max(tol, resolution):
        ev.check(f"{noun} growth over the last decade in units of the rate (a plateau above tol?)", growth, "<=",
                 math.sqrt(plateau), envelope,
                 failure=f"the {named} plateaus at {g[-1]:.3g} > tol {tol:.3g} (growth {growth:.3g} over the last "
                         f"decade in units of {r.name}; {plateau:.3g} on a plateau)")
    elif g[-1] > resolution:
        ev.check(f"{noun} growth over the last decade in units of the rate", growth, "<=", math.sqrt(plateau),
                 envelope, severity=INCONCLUSIVE,
                 failure=f"the {noun} {g[-1]:.3g} is within tol but not shrinking at the rate {r.name} (growth "
                         f"{growth:.3g}): {near}")
    else:
        ev.note(f"the {noun} {g[-1]:.3g} is at what {resolves} resolves ({resolution:.3g}): its envelope is not "
                "judged")


def _face_checks(ev: Evidence, run: ConvergenceRun, c: Norm) -> None:
    """The Euclidean distance of W_T/‖W_T‖ to the optimal face (certified upper bound, one convex projection),
    held to the bounds the margin implies: at least (floor − γ(W_T))/max‖z_i‖₂ (margins are Lipschitz), and
    for a uniformly convex ball at most `Norm.direction_error(g)` (g against the certified upper bound of γ*,
    so at least the true gap). Polyhedral, spectral and nuclear balls get no upper bound: their directions are
    recorded, not judged."""
    face = run.references.face(c)
    bounds = run.references.face_bounds(c, run.weights[-1])
    ev.check("the reference lies in its own optimal face", float(bounds is not None), "==", 1.0,
             "W* has unit norm and margin γ* above F's floor γ*(1 − rtol): it is a point of F",
             failure=f"the {c.name} reference is not in its own optimal face (norm above 1 or margin below the "
                     "floor): the reference or the face is wrong")
    if bounds is None:
        return
    distance = bounds.upper
    ev.record(face_distance=distance)
    Z, _, _ = signed_points(run.data)
    lipschitz = float(np.sqrt((Z.multiply(Z) if hasattr(Z, "multiply") else Z**2).sum(axis=1).max()))
    lower = max(0.0, face.floor - float(run.margin(c)[-1])) / lipschitz
    ev.check("face distance at T against its Lipschitz lower bound from the margin", distance, ">=",
             lower * (1 - ROUNDING), "every point of the face has margin ≥ its floor, and margins are "
             "max‖z_i‖₂-Lipschitz: distance ≥ (floor − γ(W_T))/max‖z_i‖₂",
             failure="the face distance is smaller than the margin gap allows: the distance is wrong")
    upper = c.direction_error(float(run.gap(c)[-1]), int(np.prod(run.data.weight_shape)))
    if upper is not None:
        ev.check("face distance at T against the modulus-of-convexity bound from the gap", distance, "<=",
                 upper * (1 + ROUNDING), f"the {c.name} ball is uniformly convex: δ(‖W − W*‖) ≤ g/2",
                 failure="the face distance is larger than the margin gap allows: the distance or the gap is wrong")


def _steps(n: float) -> str:
    return "more than 10^300" if math.isinf(n) else f"{n:.2g}" if n < 1e6 else f"10^{math.log10(n):.1f}"


__all__ = ["TOL", "ConvergenceRun", "converge", "converge_each", "decisive_tolerance", "judge", "dual_radius",
           "as_dataset", "heading", "moved", "rate_checks"]
