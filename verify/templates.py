"""Claim templates anyone can call with their own optimizer: run it, measure it against the exact reference,
return `Evidence` with a verdict judged on the trajectory, not on one number.

    from verify.templates import margin_convergence
    ev = margin_convergence(lambda ps: MyOptimizer(ps, lr=0.1), ds, norm="linf", steps=20_000)
    print(ev.summary())            # PASS / FAIL with every check and its reason

A convergence claim "the normalized margin in `norm` tends to the max margin γ* and the direction to the
optimal face" is judged PASS when, at the end of the run,
  1. the relative margin gap g_T = 1 − γ(θ_T)/γ* is at most `tol`;
  2. it is still converging as the paper's rate r(t) says (whose constant is not known, its shape is): it
     stays under the rate's envelope — in units of r, its maximum over the last decade is at most
     (r(T/10)/r(T))^{1/2} times its maximum over the decade before (≤ 1 under a C·r(t) envelope, r(T/10)/r(T)
     on a plateau; `still_converging`); waived only once g_T is at the reference's own precision or below
     what one step can resolve (`step_resolution`). A gap that overshoots and recovers below the envelope
     passes; a plateau fails;
  3. the Euclidean distance of θ/‖θ‖ to the set of max-margin solutions (`OptimalFace`, a certified upper
     bound), relative to the maximiser's Euclidean size, is at most `face_tol` at T, and at T/100, T/10, T
     it passes the same envelope test with the rate √r (directions converge at least that fast for a
     strongly convex ball);
  4. where the theorem gives an explicit bound on g_t (`bound`), g_t respects it at every recorded step.
A plateau at a wrong limit fails (2) even when it is close in absolute terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from numerics import metrics, norms
from numerics.data import Dataset
from numerics.margins import MaxMargin, OptimalFace, max_margin, signed_points
from numerics.models import Linear, Model
from numerics.optim.schedules import Schedule
from numerics.train import Trajectory, run
from verify.evidence import Evidence


@dataclass(frozen=True)
class Rate:
    """How fast a paper says a gap closes, up to constants: r(t)."""

    name: str
    r: Callable[[float], float]
    source: str

    def decade_shrink(self, T: int) -> float:
        """r(T/10)/r(T): the factor by which the gap should shrink over the last decade of T steps."""
        return self.r(T / 10) / self.r(T)


RATES = {
    "inverse_log": Rate("1/log t", lambda t: 1 / math.log(t),
                        "Soudry et al. 2018: GD on separable data, ‖w(t)/‖w(t)‖ − ŵ‖ = O(1/log t)"),
    "inverse_sqrt": Rate("log t/√t", lambda t: math.log(t) / math.sqrt(t),
                         "normalized steepest descent with η_t = η/√(t+1): g_t ≤ (log n + O(Σ η_s²))/(γ* Σ η_s) "
                         "(Gunasekar et al. 2018; Xie et al. 2026)"),
    "inverse": Rate("1/t", lambda t: 1 / t,
                    "loss-adaptive steps η/L: margin gap O(1/t) (Nacson et al. 2019; Ji & Telgarsky 2021)"),
}


def envelope_growth(t: np.ndarray, g: np.ndarray, r: Callable[[float], float], T: int) -> float:
    """max_{T/10 < t ≤ T} g_t/r(t) over max_{T/100 ≤ t ≤ T/10} g_t/r(t): how much the gap, measured in units of
    the rate, grew over the last decade. A gap obeying g_t ≤ C·r(t) with C attained early gives ≤ 1; a
    plateau g_t → g∞ > 0 gives r(T/10)/r(T) (or more). Fluctuations below the envelope do not count."""
    rt = np.array([r(max(float(s), 2.0)) for s in t])
    late, early = t > T // 10, (t >= T // 100) & (t <= T // 10)
    return float(np.max(g[late] / rt[late]) / np.max(g[early] / rt[early]))


def strongly_convex(norm) -> bool:
    """Whether the unit ball is strongly convex (ℓp and entrywise ℓp for 1 < p < ∞, Frobenius)."""
    name = norm.name
    if name in ("l2", "fro"):
        return True
    for prefix in ("lp:", "entry_lp:"):
        if name.startswith(prefix):
            return 1 < float(name[len(prefix):]) < math.inf
    return False


def dual_radius(ds: Dataset, norm) -> float:
    """B = max_i ‖z_i‖_*: the largest dual norm of a signed point (the margins' Lipschitz constant in `norm`)."""
    Z, _, _ = signed_points(ds)
    Z = Z.toarray() if hasattr(Z, "toarray") else Z
    return float(np.max(norm.dual_norm(torch.as_tensor(Z.reshape(-1, *ds.weight_shape))).numpy()))


def step_resolution(traj: Trajectory, norm, ds: Dataset, reference: MaxMargin, record_every: int) -> float:
    """2δB/(γ*‖θ_T‖): the most one step of (measured) size δ = ‖θ_T − θ_{T−k}‖/k can move the relative normalized
    margin, with B = max_i ‖z_i‖_* (|Δmin_i<z_i,θ>| ≤ δB and |Δ‖θ‖| ≤ δ ≤ δB/γ). Linear models only."""
    W = traj.params[0][:, 0]
    B = dual_radius(ds, norm)
    delta = float(norm.value(torch.as_tensor(W[-1] - W[-2]))) / record_every
    return 2 * delta * B / (reference.margin * float(norm.value(torch.as_tensor(W[-1]))))


def still_converging(t: np.ndarray, g: np.ndarray, r: Callable[[float], float], T: int, what: str) -> tuple:
    """The check (name, measured, op, bound, why) that g still converges at the end of the run: it stays under
    the rate's envelope, `envelope_growth` ≤ (r(T/10)/r(T))^{1/2} — ≤ 1 for g_t ≤ C·r(t) with C attained in
    the decade before, r(T/10)/r(T) on a plateau; the bound is their geometric mean. A gap that dips and
    recovers below the envelope (normalized steps overshoot) passes; a plateau, even one approached from
    above, fails."""
    plateau = r(T / 10) / r(T)
    return (f"{what} stays under the rate's envelope (growth of g/r over the last decade)", envelope_growth(t, g, r, T),
            "<=", math.sqrt(plateau), f"≤ 1 under a C·r(t) envelope, {plateau:.3g} on a plateau (r = {{rate}})")


def _dataset(X, y) -> Dataset:
    return X if isinstance(X, Dataset) else Dataset(X, y)


def linear_model(ds: Dataset) -> Linear:
    """The linear model of a data set: w ∈ R^d (binary) or W ∈ R^{k×d} (multiclass)."""
    return Linear(ds.d, ds.num_classes if ds.task == "multiclass" else None)


def train(make_optimizer, ds: Dataset, model: Model, loss: str | None, steps: int, **kw) -> Trajectory:
    """`numerics.train.run` on a data set with its natural loss, recording parameters."""
    loss = loss or ("cross_entropy" if ds.task == "multiclass" else "logistic")
    y = ds.y if ds.task == "multiclass" else ds.y.astype(np.float64)
    return run(model, ds.X, y, loss, make_optimizer, steps=steps, record_params=True, **kw)


def exponential_loss_bound(ds: Dataset, norm: str, lrs: np.ndarray, reference: MaxMargin) -> np.ndarray:
    """The guarantee for normalized steepest descent from θ_0 = 0 on the exponential loss, relative gap after
    each step: g_t ≤ (log n + ½B² Σ_{s<t} η_s² e^{η_s B}) / (γ* Σ_{s<t} η_s), B = max_i ‖z_i‖_*.

    Proof (in the style of Gunasekar et al. 2018): ‖∇L‖_* ≥ γ*L, and along a unit step the Hessian term is at
    most B²e^{ηB}L, so log L_t ≤ −γ*Ση_s + ½B²Ση_s²e^{η_sB}; then min margin ≥ −log(nL_t) and ‖θ_t‖ ≤ Ση_s.
    """
    norm = norms.get(norm)
    B = dual_radius(ds, norm)
    lrs = np.asarray(lrs, dtype=np.float64)
    curvature = np.cumsum(0.5 * B**2 * lrs**2 * np.exp(lrs * B))
    return (math.log(ds.n) + curvature) / (reference.margin * np.cumsum(lrs))


def margin_convergence(make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer], X, y=None,
                       norm: str = "l2", steps: int = 10_000, *, model: Model | None = None, loss: str | None = None,
                       schedule: Schedule | None = None, rate: str | Rate = "inverse_sqrt", tol: float = 0.05,
                       face_tol: float | None = None, bound: np.ndarray | None = None,
                       reference: MaxMargin | None = None, seed: int = 0, device=None,
                       batch_size: int | None = None, record_every: int | None = None,
                       track: dict | None = None, judge_direction: bool = True, name: str | None = None) -> Evidence:
    """Does this optimizer's normalized margin in `norm` tend to the max margin, and its direction to the
    optimal face? (See the module docstring for the four checks.) `face_tol` defaults to 2√tol: for a
    strongly convex unit ball (ℓ2, ℓp, p ∈ (1, ∞)) a relative gap g puts the direction within ≈ 2√g of the
    maximiser. `bound` (length `steps`) is an explicit guarantee on g_t after each step, e.g.
    `exponential_loss_bound`. `track` adds metrics (`numerics.metrics` style) whose trajectories are recorded
    too. `judge_direction=False` records the face distances without judging them (a claim about the margin
    only). The optimizer must be built with `batch_dims=1` (one configuration)."""
    ds = _dataset(X, y)
    rate = RATES[rate] if isinstance(rate, str) else rate
    norm = norms.get(norm)
    face_tol = 2 * math.sqrt(tol) if face_tol is None else face_tol
    ev = Evidence(name or f"margin convergence in {norm.name}")
    if steps < 100:
        raise ValueError(f"a trajectory needs at least 100 steps to judge the last decade; got {steps}")
    reference = reference or max_margin(ds, norm=norm)
    record_every = record_every or steps // 100
    if record_every > steps // 100:
        raise ValueError(f"record_every = {record_every} leaves the decade [T/100, T/10] unrecorded; use ≤ {steps // 100}")
    model = model or linear_model(ds)
    traj = train(make_optimizer, ds, model, loss, steps, schedule=schedule, seed=seed, device=device,
                 batch_size=batch_size, record_every=record_every,
                 metrics={"margin": metrics.margin(model, norm), **(track or {})})
    gamma = traj["margin"][:, 0]
    gap = 1 - gamma / reference.margin
    t, i_decade = traj.steps, int(np.searchsorted(traj.steps, steps // 10))
    floor = 10 * reference.certificate.rtol  # gaps and distances below this are the reference's own error
    ev.config.update(traj.config)
    ev.final = traj.final
    ev.record(norm=norm.name, gamma_star=reference.margin, certificate_rel_gap=reference.certificate.rel_gap,
              solver=reference.solver, final_margin=gamma[-1], final_gap=gap[-1], gap_at_decade=gap[i_decade],
              steps=steps, seconds=traj.seconds, final_accuracy=traj["accuracy"][-1, 0], rate=rate.name)
    ev.trajectory("relative margin gap", t, gap)
    for key in track or {}:
        ev.trajectory(key, t, traj[key][:, 0])

    ev.check("relative margin gap at T", gap[-1], "<=", tol, f"the claim's tolerance at this budget ({rate.source})")
    resolution = step_resolution(traj, norm, ds, reference, record_every)
    ev.record(step_resolution=resolution)
    if gap[-1] <= max(floor, resolution):
        ev.check("gap at the reference's precision or one step's resolution", gap[-1], "<=", max(floor, resolution),
                 "10× the certificate's rtol, or 2δB/(γ*‖θ_T‖): one step of size δ moves the normalized margin by "
                 "at most that, so a smaller gap cannot be resolved")
    else:
        name_, measured, op, limit, why = still_converging(t, np.maximum(gap, floor), rate.r, steps, "the margin gap")
        ev.check(name_, measured, op, limit, why.replace("{rate}", rate.name))
    face = OptimalFace(ds, norm=norm, reference=reference)
    size = float(np.linalg.norm(reference.W))  # distances relative to the maximiser's Euclidean size
    checkpoints = [int(np.searchsorted(t, s)) for s in (steps // 100, steps // 10, round(steps / math.sqrt(10)))]
    checkpoints.append(len(t) - 1)
    dist = np.array([face.bounds(traj.params[0][i, 0]).upper / size for i in checkpoints])
    ev.record(face_distance=dist[-1], face_distance_checkpoints=dict(zip(t[checkpoints].tolist(), dist.tolist())))
    ev.trajectory("relative distance to the optimal face", t[checkpoints], dist)
    if judge_direction:
        ev.check("relative distance to the optimal face at T", dist[-1], "<=", face_tol,
                 "2√tol: a relative gap g puts the direction within ≈ 2√g of the maximiser for a strongly convex "
                 "ball; polyhedral and spectral balls have no such bound, and the envelope check carries the claim")
    # for a strongly convex ball the distance is at most ≈ 2√gap: below 2√(resolution) it cannot be resolved
    if judge_direction and strongly_convex(norm) and dist[-1] <= 2 * math.sqrt(max(floor, resolution)):
        ev.check("face distance within what the gap's resolution allows", dist[-1], "<=",
                 2 * math.sqrt(max(floor, resolution)), "2√(resolution): distance ≤ 2√gap for a strongly convex ball")
    elif judge_direction and dist[-1] > floor and strongly_convex(norm):
        # directions converge at least like √r for a strongly convex ball (distance ≤ 2√gap)
        name_, measured, op, limit, why = still_converging(t[checkpoints], np.maximum(dist, floor),
                                                           lambda s: math.sqrt(rate.r(s)), steps, "the face distance")
        ev.check(name_, measured, op, limit, why.replace("{rate}", f"√({rate.name})"))
    elif judge_direction and dist[-1] > floor:
        ev.check("face distance at T over its maximum at T/100, T/10", dist[-1] / max(dist[0], dist[1]), "<=", 1.0,
                 f"the direction does not recede from the face; the {norm.name} ball is not strongly convex, so no "
                 "rate for directions follows from the margin's")
    if bound is not None:
        bound = np.asarray(bound, dtype=np.float64)
        after = t[1:] - 1  # bound[s] holds after step s + 1
        ratio = float(np.max(gap[1:] / bound[after]))
        ev.record(bound_at_T=bound[-1], worst_gap_over_bound=ratio)
        ev.check("gap within the theorem's bound at every recorded step", ratio, "<=", 1.0, "exponential_loss_bound")
    return ev


def direction_convergence(make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer], X, y=None,
                          reference: np.ndarray | None = None, steps: int = 10_000, *, model: Model | None = None,
                          loss: str | None = None, schedule: Schedule | None = None, rate: str | Rate = "inverse_log",
                          tol: float = 0.05, seed: int = 0, device=None, batch_size: int | None = None,
                          record_every: int | None = None, name: str | None = None) -> Evidence:
    """Does θ_t/‖θ_t‖₂ tend to the unique reference direction (default: the ℓ2 max-margin solution)? PASS
    when the Euclidean distance at T is at most `tol` and stays under the rate's envelope (the envelope test
    of the module docstring)."""
    ds = _dataset(X, y)
    rate = RATES[rate] if isinstance(rate, str) else rate
    ev = Evidence(name or "direction convergence")
    if steps < 100:
        raise ValueError(f"a trajectory needs at least 100 steps to judge the last decade; got {steps}")
    if reference is None:
        ref = max_margin(ds, norm="l2" if ds.task == "binary" else "fro")
        reference = ref.W
        ev.record(gamma_star=ref.margin, certificate_rel_gap=ref.certificate.rel_gap)
    traj = train(make_optimizer, ds, model or linear_model(ds), loss, steps, schedule=schedule, seed=seed,
                 device=device, batch_size=batch_size, record_every=record_every or steps // 100,
                 metrics={"distance": metrics.distance(reference)})
    dist = traj["distance"][:, 0]
    t, i_decade = traj.steps, int(np.searchsorted(traj.steps, steps // 10))
    ev.config.update(traj.config)
    ev.final = traj.final
    ev.record(final_distance=dist[-1], distance_at_decade=dist[i_decade], steps=steps, seconds=traj.seconds,
              final_accuracy=traj["accuracy"][-1, 0], rate=rate.name)
    ev.trajectory("distance to the reference direction", t, dist)
    ev.check("distance to the reference direction at T", dist[-1], "<=", tol, f"the claim's tolerance ({rate.source})")
    name_, measured, op, limit, why = still_converging(t, dist, rate.r, steps, "the distance")
    ev.check(name_, measured, op, limit, why.replace("{rate}", rate.name))
    return ev


__all__ = ["Rate", "RATES", "margin_convergence", "direction_convergence", "exponential_loss_bound", "linear_model",
           "train"]
