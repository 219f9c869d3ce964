"""Convergence to a norm-constrained minimiser: the claim "with decoupled weight decay λ the optimizer tends to
argmin L s.t. ‖θ‖_c ≤ R = 1/λ" (not a direction limit), judged like `verify.convergence.judge` judges margins.

    run = converge(lambda ps: torch.optim.AdamW(ps, lr=0.01), ds, steps=20_000, natural=True)
    ev = judge_constrained(run, "linf", radius=100.0)       # rivals: the other panel norms' balls of radius R

With e(θ) = max((L(θ) − L*)/L*, ‖θ‖/R − 1) the residual against the certified minimum
(`numerics.references.constrained`) and s(r → c) the least residual any minimiser of the rival ball's problem can
have (certified):

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
from verify import kernel
from verify.convergence import CERTIFIED, ROUNDING, TOL, ConvergenceRun, moved, rate_checks
from verify.evidence import Evidence
from verify.kernel import BALL_RESIDUAL, Rivals, rival_names
from verify.rates import Rate

RATE = Rate("1/√t", lambda t: 1 / math.sqrt(t),
            "decoupled weight decay with η_t = η/√(t+1): stationary up to the step's own size η_t")


def constrained_tolerance(run: ConvergenceRun, claim: str, radius: float, rivals=None) -> float:
    """min(TOL, s_min/4): the standard precision, or a quarter of the least certified separation where the data
    separate the rivals by less (every rival excluded with a factor 2 to spare)."""
    names = rival_names(claim, rivals)
    if not names:
        raise ValueError(f"a constrained claim about {claim} with no rival has no decisive tolerance: name its rivals")
    return min(TOL, min(run.references.constrained_separation(claim, r, radius).value for r in names) / 4)


def judge_constrained(run: ConvergenceRun, claim: str, radius: float, *, rivals=None, tol: float | None = None,
                      name: str | None = None) -> Evidence:
    """The evidence that `run` tends to argmin L s.t. ‖θ‖_claim ≤ radius (module docstring); `rivals` default
    to the other norms of the claim's panel, `tol` to `constrained_tolerance`."""
    c = norms.get(claim).name
    names = rival_names(c, rivals)
    ev = Evidence(name or f"{run.optimizer} → argmin L s.t. ‖θ‖_{c} ≤ {radius:g}")
    ev.config.update(run.config)
    ev.record(norm=c, radius=radius, steps=run.budget, seconds=run.seconds, rate=RATE.name, rivals=list(names))
    if not moved(ev, run):
        return ev
    refs, ds = run.references, run.data
    ref = refs.constrained(c, radius)
    rivals = Rivals.of(c, names, lambda a, b: refs.constrained_separation(a, b, radius).value)
    tol = min(TOL, rivals.tolerance) if tol is None else float(tol)
    t, e = run.steps, ref.residual(ds, run.weights)
    ev.record(minimum=ref.summary(), tol=tol, final_residual=e[-1],
              final_norm_over_radius=float(norms.get(c).value(run.weights[-1])) / radius)
    rivals.record(ev)
    ev.trajectory(f"{c}-ball residual", t, e)
    residuals = {r: refs.constrained(r, radius).residual(ds, run.weights) for r in rivals.names}
    for r in rivals.names:
        ev.trajectory(f"{r}-ball residual", t, residuals[r])

    ev.check("reference's certificate tolerance", ref.certificate.rtol, "<=", CERTIFIED,
             "the constrained minimum is accepted only when its Frank–Wolfe bracket closes to the suite's standard",
             failure=f"the reference was accepted at rtol {ref.certificate.rtol:.3g}: L* may be off by that much")
    worst = float(np.min(e))
    ev.check("least residual over the run (no feasible point below the certified minimum)", worst, ">=", -ROUNDING,
             "e(θ) ≥ 0 for every θ: a feasible point has L ≥ L* ≥ the certificate's lower end",
             failure=f"residual {worst:.3g} < 0: a feasible point below the certified minimum; the loss or the "
                     "reference is wrong")
    kernel.separated(ev, rivals, tol)
    _residual_checks(ev, run, c, radius, e, tol)
    kernel.excluded(ev, rivals, tol, float(e[-1]), {r: float(residuals[r][-1]) for r in rivals.names}, BALL_RESIDUAL)
    return ev


def _residual_checks(ev: Evidence, run: ConvergenceRun, c: str, radius: float, e: np.ndarray, tol: float) -> None:
    """The residual at T against the tolerance, and its trajectory against the rate's envelope."""
    floor = 10 * run.references.constrained(c, radius).certificate.rel_gap
    rate_checks(ev, run.steps, e, run.budget, RATE, tol, floor=floor, resolution=floor,
                quantity=("residual", f"{c}-ball residual", f"{c}-ball residual at T"),
                near="a point near the claim's minimiser, maybe not it", resolves="the reference")


__all__ = ["RATE", "constrained_tolerance", "judge_constrained"]
