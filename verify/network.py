"""Which geometry an optimizer follows in a homogeneous network: the claim "θ_t/‖θ_t‖ tends to a KKT point of the
margin problem min ‖θ‖_c s.t. q_i(θ) ≥ 1", against the panel's other geometries (`numerics.norms.parameters`).

    runs = train_network(MLP(10, (6,), activation="relu2"), ds, {"spectral": muon_like}, steps=50_000, etas=(0.1,))
    ev = judge_kkt(runs["spectral"], "spectral")

The quantity is the certified KKT residual r_c(θ) ∈ [0, 1] (`numerics.references.network_kkt`), bracketed at θ_T in
every geometry of the panel; the verdict is the kernel's `at_the_point`:

  PASS          u_c(θ_T) ≤ tol = s_min/4, s_min the least certified rival residual l_r(θ_T);
  FAIL          θ_T does not separate the data, the run diverged, a rival's residual is certifiably below the
                claim's (u_r < l_c), or r_c certifiably did not fall from T/2 to T while above tol (a plateau);
  INCONCLUSIVE  otherwise: the budget is too short, or θ_T is near a rival's KKT point too.

The same kernel judges the alignment of −∇L with θ in each geometry's norm pairing (`judge_alignment`, Ji &
Telgarsky 2020), the gaps 1 − ⟨−∇L, θ⟩/(‖∇L‖_*‖θ‖) computed in float64 at every record (`alignment_gaps`).

No rate is claimed: Tsilivis et al. 2024 (Thm. 4.4, steepest flow) and Gronich & Vardi 2026 (normalized and
momentum steepest descent with decaying steps) prove that limit points are KKT points, not how fast the residual
falls. A residual near 0 certifies a stationary point of a non-convex problem, not the global max margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numerics.norms.parameters import GEOMETRIES, geometry
from numerics.references.network_kkt import NetworkKKT, alignment, kkt_residual
from numerics.train import Trajectory
from verify import kernel
from verify.evidence import Evidence


@dataclass
class NetworkRun:
    """One trained configuration of a network: the steps recorded, the loss, and at each of `at` (record indices)
    the KKT residual brackets in every geometry (None where θ does not separate the data)."""

    name: str
    model: object
    trajectory: Trajectory
    configuration: int
    at: list[int]
    residuals: dict[str, list[NetworkKKT | None]] = field(default_factory=dict)

    def params(self, record: int) -> list[np.ndarray]:
        return [p[record, self.configuration] for p in self.trajectory.params]

    def final(self, geometry_name: str) -> NetworkKKT | None:
        """The residual at T (None where θ_T does not separate, or no record after the initialization was kept)."""
        found = self.residuals[geometry_name]
        return found[-1] if found and self.at[-1] == len(self.trajectory.steps) - 1 else None


def residuals(name: str, model, traj: Trajectory, X, y, *, configuration: int = 0, at=None,
              geometries=GEOMETRIES) -> NetworkRun:
    """Bracket the KKT residual of configuration `configuration` of `traj` (recorded with `record_params=True`) in
    every geometry, at record indices `at` (default: every record after the initialization)."""
    if traj.params is None:
        raise ValueError("the KKT residual needs the parameters: train with record_params=True")
    last = len(traj.steps) - 1
    at = sorted({i % len(traj.steps) for i in (range(1, len(traj.steps)) if at is None else at)})
    if at and not 0 <= at[-1] <= last:
        raise IndexError(f"record {at[-1]} of {len(traj.steps)}")
    run = NetworkRun(name, model, traj, configuration, at)
    for g in geometries:
        norm = geometry(g, len(traj.params))
        run.residuals[g] = [_residual(model, run.params(i), X, y, norm) for i in at]
    return run


def _residual(model, params, X, y, norm) -> NetworkKKT | None:
    if not all(np.isfinite(p).all() for p in params):
        return None
    try:
        return kkt_residual(model, params, X, y, norm)
    except ValueError:  # θ does not separate the data: no KKT residual
        return None


def judge_kkt(run: NetworkRun, claim: str, rivals=None, *, name: str | None = None) -> Evidence:
    """The verdict on "`run` tends to a KKT point of the `claim` geometry's margin problem" against `rivals`
    (default: the rest of the panel the run was bracketed in)."""
    ev = Evidence(name or f"{run.name} → {claim} KKT point")
    rivals = [r for r in (run.residuals if rivals is None else rivals) if r != claim]
    unknown = [r for r in [claim, *rivals] if r not in run.residuals]
    if unknown:
        raise ValueError(f"the run was not bracketed in {unknown}: pass geometries= to residuals()")
    traj = run.trajectory
    ev.record(steps=int(traj.steps[-1]), records=[int(traj.steps[i]) for i in run.at],
              **{f"{g} KKT residual per record": [None if r is None else [r.lower, r.upper] for r in run.residuals[g]]
                 for g in run.residuals})
    parts = [min(r.epsilon, r.delta, r.eta, float(np.min(r.multipliers, initial=0.0))) for rs in run.residuals.values()
             for r in rs if r is not None]
    ev.check("least part of every certificate (ε, δ, η, ν_i; every geometry, every record)", min(parts, default=0.0),
             ">=", -1e-9, "ε is a dual norm, δ = νᵀc with ν, c ≥ 0, η ≥ 0 by Hölder: a negative part is a broken "
                          "certificate (1e-9: float64 rounding of sums of O(1) terms)",
             failure=f"{run.name}: a certificate with a negative part ({min(parts, default=0.0):.3g})")
    ev.check("parameters stay finite", float(traj.diverged_at is None), "==", 1.0, "a diverged run has no direction",
             failure=f"{run.name} diverged at step {traj.diverged_at}")
    if traj.diverged_at is not None:
        return ev
    final = run.final(claim)
    ev.check("θ_T separates the data (least normalized margin > 0)", float(final is not None), "==", 1.0,
             "the KKT residual is defined on separating directions",
             failure=f"{run.name} does not separate the data at T = {traj.steps[-1]}")
    if final is None:
        return ev
    brackets = {r: (run.final(r).lower, run.final(r).upper) for r in rivals if run.final(r) is not None}
    steps = traj.steps[run.at]
    for g in [claim, *rivals]:
        shown = [(t, r.upper) for t, r in zip(steps, run.residuals[g]) if r is not None]
        if shown:
            ev.trajectory(f"{g} KKT residual" + (" (claimed)" if g == claim else ""), *map(np.array, zip(*shown)))
    earlier = [(t, r) for t, r in zip(steps, run.residuals[claim]) if t <= steps[-1] / 2 and r is not None]
    half = earlier[-1][1] if earlier else None
    if earlier:
        ev.record(plateau_test_from_step=int(earlier[-1][0]))
    ev.record(margin_at_T=final.margin, **{f"{claim}: ε, δ, η at T": [final.epsilon, final.delta, final.eta]})
    kernel.at_the_point(ev, claim, (final.lower, final.upper), brackets, kernel.KKT_RESIDUAL,
                        earlier=None if half is None else half.upper)
    return ev


ROUNDING = 1e-12
"""What float64 rounding may move an alignment computed from one ∇log L (10³–10⁴ flops on numbers of order 1)."""


def alignment_gaps(model, traj: Trajectory, X, y, *, configuration: int = 0, at=None,
                   geometries=GEOMETRIES) -> dict[str, list[float | None]]:
    """1 − a(θ) (`numerics.references.network_kkt.alignment`) in every geometry's pairing at record indices `at`
    (default: every record after the initialization); None where θ or ∇L is 0 or not finite."""
    at = range(1, len(traj.steps)) if at is None else at
    gaps = {}
    for g in geometries:
        norm = geometry(g, len(traj.params))
        gaps[g] = []
        for i in at:
            params = [p[i, configuration] for p in traj.params]
            try:
                gaps[g].append(1.0 - alignment(model, params, X, y, norm)
                               if all(np.isfinite(p).all() for p in params) else None)
            except ValueError:
                gaps[g].append(None)
    return gaps


def judge_alignment(name: str, steps, gaps: dict[str, list[float | None]], claim: str) -> Evidence:
    """The verdict on "the run aligns in the `claim` geometry's pairing": the kernel's `at_the_point` on the gaps
    1 − a at the last record (bracketed by `ROUNDING`), against every other pairing's, with the plateau test from
    the last record at or before T/2."""
    ev = Evidence(name)
    steps = np.asarray(steps)
    ev.record(records=[int(t) for t in steps], **{f"{g} alignment gap per record": v for g, v in gaps.items()})
    known = [v for values in gaps.values() for v in values if v is not None]
    ev.check("least alignment gap over every pairing and record", min(known, default=0.0), ">=", -ROUNDING,
             "Hölder: ⟨−∇L, θ⟩ ≤ ‖∇L‖_*‖θ‖, so a ≤ 1 in a dual pairing; a gap below 0 is a pairing that is not dual",
             failure=f"{name}: an alignment above 1 (gap {min(known, default=0.0):.3g}): the pairing is not dual")
    final = gaps[claim][-1]
    ev.check("θ_T and ∇L(θ_T) are finite and non-zero", float(final is not None), "==", 1.0,
             "the alignment needs a direction and a gradient", failure=f"{name}: no alignment at T")
    if final is None:
        return ev
    for g, values in gaps.items():
        shown = [(t, v) for t, v in zip(steps, values) if v is not None]
        if shown:
            ev.trajectory(f"{g} alignment gap" + (" (claimed)" if g == claim else ""), *map(np.array, zip(*shown)))
    earlier = [v for t, v in zip(steps, gaps[claim]) if t <= steps[-1] / 2 and v is not None]
    rivals = {g: (v[-1] - ROUNDING, v[-1] + ROUNDING) for g, v in gaps.items() if g != claim and v[-1] is not None}
    kernel.at_the_point(ev, claim, (final - ROUNDING, final + ROUNDING), rivals, kernel.ALIGNMENT_GAP,
                        earlier=earlier[-1] + ROUNDING if earlier else None)
    return ev


__all__ = ["NetworkRun", "alignment_gaps", "judge_alignment", "judge_kkt", "residuals"]
