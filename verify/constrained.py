"""Convergence to a norm-constrained minimiser: the claim "with decoupled weight decay λ the optimizer tends to
argmin L s.t. ‖θ‖_c ≤ R = 1/λ" (not a direction limit), judged like `verify.convergence.judge` judges margins.

    run = converge(lambda ps: torch.optim.AdamW(ps, lr=0.01), ds, steps=20_000, natural=True)
    ev = judge_constrained(run, "linf", radius=100.0)       # rivals: the other panel norms' balls of radius R

With e(θ) = max((L(θ) − L*)/L*, ‖θ‖/R − 1) the residual against the certified minimum (`numerics.constrained`)
and s(r → c) the least residual any minimiser of the rival ball's problem can have (certified):

  PASS          e(θ_T) ≤ tol < s_min/2 and e stays under the rate's envelope: every rival excluded;
  FAIL          the run diverged or did not move; e plateaus above tol; or the run ends outside tol and nearer a
                rival's minimiser than any of the claim's can be (its r-residual below half of s(c → r)); or the
                reference's certificate or a negative residual (a feasible point below the certified minimum)
                says the measurement is wrong;
  INCONCLUSIVE  s_min ≤ 2·tol, or e(θ_T) > tol while still under the envelope (budget too small).

Rate: with η_t = η/√(t+1) the stationary condition λθ = −lmo(m) holds up to the step's own size, so the residual
is held to the envelope C·η_t ∝ 1/√t (Xie & Li 2024 and Chen, Li, Liu 2025 prove convergence to KKT points with
η_t → 0; no rate is claimed from them).
"""

from __future__ import annotations

import math

import numpy as np

from numerics import norms
from numerics.references import panel
from verify.convergence import CERTIFIED, ROUNDING, TOL, ConvergenceRun, moved, rate_checks
from verify.evidence import FAIL, INCONCLUSIVE, Evidence
from verify.rates import Rate

RATE = Rate("1/√t", lambda t: 1 / math.sqrt(t),
            "decoupled weight decay with η_t = η/√(t+1): stationary up to the step's own size η_t")


def constrained_tolerance(run: ConvergenceRun, claim: str, radius: float, rivals=None) -> float:
    """min(TOL, s_min/4): the standard precision, or a quarter of the least certified separation where the data
    separate the rivals by less (every rival excluded with a factor 2 to spare)."""
    rivals = _rivals(claim, rivals)
    s_min = min(run.references.constrained_separation(claim, r, radius).value for r in rivals)
    return min(TOL, s_min / 4)


def judge_constrained(run: ConvergenceRun, claim: str, radius: float, *, rivals=None, tol: float | None = None,
                      name: str | None = None) -> Evidence:
    """The evidence that `run` tends to argmin L s.t. ‖θ‖_claim ≤ radius (module docstring); `rivals` default
    to the other norms of the claim's panel, `tol` to `constrained_tolerance`."""
    c = norms.get(claim).name
    rivals = _rivals(c, rivals)
    ev = Evidence(name or f"{run.optimizer} → argmin L s.t. ‖θ‖_{c} ≤ {radius:g}")
    ev.config.update(run.config)
    ev.record(norm=c, radius=radius, steps=run.budget, seconds=run.seconds, rate=RATE.name, rivals=rivals)
    if not moved(ev, run):
        return ev
    refs, ds = run.references, run.data
    ref = refs.constrained(c, radius)
    separation = {r: refs.constrained_separation(c, r, radius).value for r in rivals}
    back = {r: refs.constrained_separation(r, c, radius).value for r in rivals}
    nearest = min(separation, key=separation.get)
    s_min = separation[nearest]
    tol = constrained_tolerance(run, c, radius, rivals) if tol is None else float(tol)
    t, e = run.steps, ref.residual(ds, run.weights)
    ev.record(minimum=ref.summary(), tol=tol, separations=separation, reverse_separations=back,
              nearest_rival=nearest, least_separation=s_min, final_residual=e[-1],
              final_norm_over_radius=float(norms.get(c).value(run.weights[-1])) / radius)
    ev.trajectory(f"{c}-ball residual", t, e)
    residuals = {r: refs.constrained(r, radius).residual(ds, run.weights) for r in rivals}
    for r in rivals:
        ev.trajectory(f"{r}-ball residual", t, residuals[r])

    ev.check("reference's certificate tolerance", ref.certificate.rtol, "<=", CERTIFIED,
             "the constrained minimum is accepted only when its Frank–Wolfe bracket closes to the suite's standard",
             failure=f"the reference was accepted at rtol {ref.certificate.rtol:.3g}: L* may be off by that much")
    worst = float(np.min(e))
    ev.check("least residual over the run (no feasible point below the certified minimum)", worst, ">=", -ROUNDING,
             "e(θ) ≥ 0 for every θ: a feasible point has L ≥ L* ≥ the certificate's lower end",
             failure=f"residual {worst:.3g} < 0: a feasible point below the certified minimum; the loss or the "
                     "reference is wrong")
    ev.check("least separation from a rival over twice the tolerance", s_min, ">", 2 * tol,
             "every minimiser of a rival ball's problem has residual ≥ s (certified); tol < s_min/2 excludes them",
             severity=INCONCLUSIVE,
             failure=f"this data cannot separate the claim from rival {nearest}: separation {s_min:.3g} ≤ 2·tol")
    _residual_checks(ev, run, c, radius, e, tol)
    for r in rivals:
        if separation[r] > 2 * tol:
            e_r = float(residuals[r][-1])
            ev.check(f"{r}-ball residual at T, against the least of the claim's minimisers", e_r, ">=", back[r] / 2,
                     f"every minimiser of the claim has {r}-ball residual ≥ s({c} → {r}) = {back[r]:.3g}; half of it "
                     "leaves room for a run still on its way", severity=FAIL if e[-1] > tol else INCONCLUSIVE,
                     failure=f"the run ends at the {r}-ball minimiser ({r} residual {e_r:.3g} < {back[r] / 2:.3g}) "
                             f"with {c} residual {e[-1]:.3g}")
    return ev


def _rivals(claim: str, rivals) -> list[str]:
    c = norms.get(claim).name
    return [norms.get(r).name for r in (panel(c) if rivals is None else rivals) if norms.get(r).name != c]


def _residual_checks(ev: Evidence, run: ConvergenceRun, c: str, radius: float, e: np.ndarray, tol: float) -> None:
    """The residual at T against the tolerance, and its trajectory against the rate's envelope."""
    floor = 10 * run.references.constrained(c, radius).certificate.rel_gap
    rate_checks(ev, run.steps, e, run.budget, RATE, tol, floor=floor, resolution=floor,
                quantity=("residual", f"{c}-ball residual", f"{c}-ball residual at T"),
                near="a point near the claim's minimiser, maybe not it", resolves="the reference")


__all__ = ["RATE", "constrained_tolerance", "judge_constrained"]
