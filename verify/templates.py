"""Claim templates anyone can call with their own optimizer: run it, measure it against the exact reference,
return `Evidence` with a verdict judged on the trajectory, not on one number.

    from verify.templates import margin_convergence
    ev = margin_convergence(lambda ps: MyOptimizer(ps, lr=0.1), ds, norm="linf", steps=20_000)
    print(ev.summary())            # PASS / FAIL with every check and its reason

A convergence claim "the normalized margin in `norm` tends to the max margin γ* and the direction to the
optimal face" is judged PASS when, at the end of the run,
  1. the relative margin gap g_T = 1 − γ(θ_T)/γ* is at most `tol`;
  2. it is still shrinking as the paper's rate r(t) says: g_{T/10}/g_T ≥ (r(T/10)/r(T))^{1/2} — at least half
     the predicted decrease over the last decade on a log scale (the rate's constants are not known, its
     exponent is), waived only once g_T is at the reference's own precision;
  3. the Euclidean distance of θ_T/‖θ_T‖ to the set of max-margin solutions (`OptimalFace`, a certified
     upper bound), relative to the maximiser's Euclidean size, is at most `face_tol` and smaller than at T/10;
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
    Z, _, _ = signed_points(ds)
    Z = Z.toarray() if hasattr(Z, "toarray") else Z
    B = float(np.max(norm.dual_norm(torch.as_tensor(Z.reshape(-1, *ds.weight_shape))).numpy()))
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
    model = model or linear_model(ds)
    traj = train(make_optimizer, ds, model, loss, steps, schedule=schedule, seed=seed, device=device,
                 batch_size=batch_size, record_every=record_every,
                 metrics={"margin": metrics.margin(model, norm), **(track or {})})
    gamma = traj["margin"][:, 0]
    gap = 1 - gamma / reference.margin
    t, i_decade = traj.steps, int(np.searchsorted(traj.steps, steps // 10))
    floor = 10 * reference.certificate.rtol
    ev.config.update(traj.config)
    ev.final = traj.final
    ev.record(norm=norm.name, gamma_star=reference.margin, certificate_rel_gap=reference.certificate.rel_gap,
              solver=reference.solver, final_margin=gamma[-1], final_gap=gap[-1], gap_at_decade=gap[i_decade],
              steps=steps, seconds=traj.seconds, final_accuracy=traj["accuracy"][-1, 0], rate=rate.name)
    ev.trajectory("relative margin gap", t, gap)
    for key in track or {}:
        ev.trajectory(key, t, traj[key][:, 0])

    ev.check("relative margin gap at T", gap[-1], "<=", tol, f"the claim's tolerance at this budget ({rate.source})")
    predicted = rate.decade_shrink(steps)
    if gap[-1] <= floor:
        ev.check("gap at the reference's precision", gap[-1], "<=", floor, "10× the certificate's rtol: cannot shrink further")
    else:
        ev.check("gap shrink over the last decade", gap[i_decade] / gap[-1], ">=", math.sqrt(predicted),
                 f"half the rate's predicted log-decrease: r(T/10)/r(T) = {predicted:.3g} for r = {rate.name}")
    face = OptimalFace(ds, norm=norm, reference=reference)
    size = float(np.linalg.norm(reference.W))  # distances relative to the maximiser's Euclidean size
    at_decade, at_end = (face.bounds(traj.params[0][i, 0]) for i in (i_decade, -1))
    ev.record(face_distance=at_end.upper / size, face_distance_lower=at_end.lower / size,
              face_distance_at_decade=at_decade.upper / size)
    if judge_direction:
        ev.check("relative distance to the optimal face at T", at_end.upper / size, "<=", face_tol,
                 "2√tol: a relative gap g puts the direction within ≈ 2√g of the maximiser for a strongly convex "
                 "ball; polyhedral and spectral balls have no such bound, and the shrink check carries the claim")
    if judge_direction and at_end.upper / size > floor:
        ev.check("face distance shrinks over the last decade", at_end.upper / size, "<", at_decade.upper / size,
                 "the direction still approaches the optimal face")
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
    when the Euclidean distance at T is at most `tol` and shrank over the last decade by at least half the
    rate's predicted log-decrease (see the module docstring)."""
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
    predicted = rate.decade_shrink(steps)
    ev.check("distance shrink over the last decade", dist[i_decade] / dist[-1], ">=", math.sqrt(predicted),
             f"half the rate's predicted log-decrease: r(T/10)/r(T) = {predicted:.3g} for r = {rate.name}")
    return ev


__all__ = ["Rate", "RATES", "margin_convergence", "direction_convergence", "exponential_loss_bound", "linear_model",
           "train"]
