"""Lyu & Li 2020 (arXiv 1906.05890): once gradient descent has separated the data, an L-homogeneous network's loss
falls as L(θ_t) = Θ(1/(t (log t)^{2−2/L})) and its norm grows as (log t)^{1/L} — the depth is in the exponent.

The check stands on the lemma `rates.lyu_li.loss_law` (`theory.rates`): with u = log(1/L), I_p(u) = ∫^u e^s s^{−p} ds
grows exactly as η L² ∫F dt along the flow, F measured at every record from the margins, the norm and the alignment.
The law's fitted exponent p̂ over the last 90 % of the run, K(p̂) = 1 for
K(p) = (I_p(u_T) − I_p(u_a)) / (η L² ∫_a^T F dt) (bracketed by ∫F's lower and upper Riemann sums over the records), is
judged against the exponents of the other depths L' ∈ {1, 2, 3, 4} (L' = 1: a linear model's 1/t), certified
separations |p_L − p_L'| ≥ 1/6, by the kernel's `at_the_point`: |p̂ − (2 − 2/L)| at most a quarter of the least
rival's. The Θ's are F staying bounded: checked as F's drift shrinking from [T/10, T/√10] to [T/√10, T]. The exponent
fitted from the loss alone, p̃ (I_p(u_t) growing at one rate over both spans), is recorded: it is off p̂ by F's drift
(measured at 10⁶ steps: 1.070 for L = 2, 1.356 for L = 3; 1.060 for L = 2 at 10⁷ — it approaches p as F settles).

Networks (smooth, where the flow's gradient is the gradient): a two-layer linear network (L = 2) and a ReLU² network
(L = 3), on `verify.claims.gronich2026`'s data (12 points in R^10, 2-sparse teacher), GD at a constant step from a
seeded initialization on the exponential loss.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from scipy.optimize import brentq

from numerics.models import MLP
from numerics.norms.parameters import geometry
from numerics.optim import SteepestDescent
from numerics.optim.schedules import inverse_sqrt
from numerics.references.network_kkt import alignment, margins
from numerics.train import run
from theory import rates
from verify import kernel
from verify.claim import OPTIMIZER, VERIFIER, Mutant, claim
from verify.evidence import Evidence
from verify.kit import SEED, network_data

DEPTHS = (1, 2, 3, 4)
"""The homogeneity degrees whose exponents are the rivals."""
CASES = {"linear": "two-layer linear", "relu2": "ReLU²"}
"""The network's activation (`numerics.models.MLP`): its name."""
EXPONENT = kernel.Quantity(lambda r: f"|p̂ − p_{r}|", lambda r: f"the exponent of L = {r}", "the theorem's exponent")


def exponent(depth) -> float:
    """p = 2 − 2/L from the lemma's statement."""
    return float(rates.EXPONENT.subs(rates.L, depth))


def gd(lrs):
    """GD at the constant step η (steps linear in ∇L, unnormalized)."""
    return lambda ps: SteepestDescent(ps, lrs, "l2", normalized=False, joint=True, batch_dims=1), None


def law_terms(model, traj, ds) -> dict[str, np.ndarray]:
    """u = log(1/L), F (`theory.rates`), the least margin and the norm at every record after the initialization."""
    X, y = torch.as_tensor(ds.X), torch.as_tensor(ds.y)
    L = model.degree
    rows = []
    for i in range(1, len(traj.steps)):
        theta = [torch.as_tensor(p[i, 0]) for p in traj.params]
        q = margins(model, theta, X, y).double()
        u = -float(torch.logsumexp(-q, 0) - math.log(len(q)))
        q_bar, q_min = float((torch.softmax(-q, 0) * q).sum()), float(q.min())
        rho = float(torch.sqrt(sum((w * w).sum() for w in theta)))
        F = np.nan
        if q_min > 0:
            cos = alignment(model, theta, X, y, geometry("l2", len(theta)))
            F = (q_bar / u) ** 2 * (u / q_min) ** (2 / L) * (q_min / rho ** L) ** (2 / L) / cos ** 2
        rows.append((traj.steps[i], u, F, q_min, rho))
    t, u, F, q_min, rho = map(np.array, zip(*rows))
    return {"t": t, "u": u, "F": F, "q_min": q_min, "rho": rho}


def log_growth(p: float, u_a: float, u_b: float) -> float:
    """log(I_p(u_b) − I_p(u_a)) from the lemma's integrand, in logs (u_b may be far beyond 709): integrated in
    v = u_b − s, where it decays like e^{−v}, over [0, 60] and the rest (e^{−60} of it and less) apart."""
    f = rates.log_integrand(p)
    span = u_b - u_a
    head = quad(lambda v: math.exp(f(u_b - v) - u_b), 0.0, min(span, 60.0), limit=200)[0]
    tail = quad(lambda v: math.exp(f(u_b - v) - u_b), 60.0, span, limit=200)[0] if span > 60.0 else 0.0
    return u_b + math.log(head + tail)


def _root(log_k) -> float | None:
    """The p ∈ [−1, 4] with log_k(p) = 0 (log_k decreasing), None if it does not change sign there."""
    return brentq(log_k, -1.0, 4.0, xtol=1e-10) if log_k(-1.0) > 0 > log_k(4.0) else None


def law_exponent(terms, eta: float, depth: float, a: int) -> tuple[float | None, float, float]:
    """p̂ with K(p̂) = 1 from record a to T, K(p) = (I_p(u_T) − I_p(u_a)) / (η L² ∫F dt), and its bracket (low, high)
    from ∫F's upper and lower Riemann sums over the records (K decreases in p, and in ∫F)."""
    t, u, F = terms["t"][a:], terms["u"][a:], terms["F"][a:]
    dt = np.diff(t)
    roots = [_root(lambda p, integral=integral: log_growth(p, u[0], u[-1]) - math.log(eta * depth ** 2 * integral))
             for integral in (np.sum(dt * (F[1:] + F[:-1]) / 2), np.sum(dt * np.maximum(F[1:], F[:-1])),
                              np.sum(dt * np.minimum(F[1:], F[:-1])))]
    return (None, math.nan, math.nan) if None in roots else tuple(roots)  # the upper sum gives the lower root


def rate_exponent(terms, a: int, m: int) -> float | None:
    """p̃ for which I_p(u_t) grows at one rate over [t_a, t_m] and [t_m, T]: the exponent of L(θ_t) = Θ(1/(t (log
    1/L)^p)) fitted from the loss alone, off p̂ by F's drift between the spans (recorded, not judged)."""
    t, u = terms["t"], terms["u"]
    return _root(lambda p: (log_growth(p, u[m], u[-1]) - math.log(t[-1] - t[m]))
                 - (log_growth(p, u[a], u[m]) - math.log(t[m] - t[a])))


def judge_exponent(name: str, bracket: tuple[float, float] | None, depth: float, fits: str) -> Evidence:
    """The kernel at the point on a fitted exponent (`bracket`, None where none fits): |p − (2 − 2/L)| against
    the other depths' |p − p_L'|, certified apart by at least 1/6."""
    ev = Evidence(name)
    ev.check(f"an exponent p ∈ [−1, 4] {fits}", float(bracket is not None), "==", 1.0,
             "the root exists where the loss follows GD's law", failure=f"{name}: no exponent in [−1, 4] {fits}")
    if bracket is not None:
        ev.record(fitted_exponent_bracket=list(bracket), theorem_exponent=exponent(depth))
        kernel.at_the_point(ev, f"{depth:g}", _distance(bracket, exponent(depth)),
                            {f"{d:g}": _distance(bracket, exponent(d)) for d in DEPTHS if d != depth}, EXPONENT)
    return ev


def judge_rate(evidence, name: str, terms, eta: float, depth: float, *, expect: str = "PASS") -> None:
    """A run from T/10 on: the law's exponent p̂ judged, F's settling checked (for a run expected to PASS), the rate's
    p̃ (middle at T/√10) recorded."""
    ok = np.isfinite(terms["F"]) & (terms["q_min"] > 0)
    a, m = len(ok) // 10, int(np.searchsorted(terms["t"], terms["t"][-1] / math.sqrt(10)))
    evidence.check(f"{name}: the data are separated from T/10 on", float(ok[a:].all()), "==", 1.0,
                   "the law holds once every margin is positive", failure=f"{name}: a margin ≤ 0 after T/10")
    if not ok[a:].all():
        return
    p_hat, low, high = law_exponent(terms, eta, depth, a)
    p_tilde = rate_exponent(terms, a, m)
    evidence.record(**{f"{name}: u = log 1/L at T/10, T/√10, T": [terms["u"][i] for i in (a, m, -1)],
                       f"{name}: F at T/10, T/√10, T": [terms["F"][i] for i in (a, m, -1)],
                       f"{name}: ‖θ‖ at T/10, T": [terms["rho"][a], terms["rho"][-1]],
                       f"{name}: law exponent p̂": p_hat, f"{name}: rate exponent p̃": p_tilde})
    evidence.include(judge_exponent(f"{name}: the law I_p(u) = η L² ∫F dt", None if p_hat is None else (low, high),
                                    depth, "makes I_p(u) grow as η L² ∫F dt"), expect=expect)
    if expect == "PASS":  # the Θ's: F settles (its drift shrinks from one span to the next)
        F = terms["F"]
        evidence.check(f"{name}: drift of log F over [T/√10, T] against [T/10, T/√10]",
                       abs(math.log(F[-1] / F[m])), "<", abs(math.log(F[m] / F[a])),
                       "the theorem's Θ constants are F's limits: q̄/u → 1, γ̃ non-decreasing and bounded, the "
                       "alignment → 1 — a settling F drifts less over each later span of equal log-length",
                       failure=f"{name}: F does not settle ({F[a]:.4g}, {F[m]:.4g}, {F[-1]:.4g})")


def _distance(bracket: tuple[float, float], p: float) -> tuple[float, float]:
    """The least and the largest |p̂ − p| over p̂ in `bracket`."""
    low, high = bracket
    return (0.0 if low <= p <= high else min(abs(low - p), abs(high - p)), max(abs(low - p), abs(high - p)))


@claim(id="lyu_li.loss_rate", papers=("lyu2020",),
       seams={"descend": gd},
       mutants=[Mutant("decaying steps posing as constant-step GD", "the claim's GD takes η/√(t+1)", OPTIMIZER,
                       "exponent", params={"network": "relu2"},
                       seams={"descend": lambda lrs: (gd(lrs)[0], inverse_sqrt())}),
                Mutant("the exponent 2 − 1/L", "the lemma's exponent reads 2 − 1/L", VERIFIER, "exponent",
                       params={"network": "relu2"},
                       patch=lambda mp: mp.setattr(rates, "EXPONENT", 2 - 1 / rates.L))],
       lemmas=["rates.lyu_li.loss_law"],
       statement="GD at a constant step on a smooth L-homogeneous network (two-layer linear, L = 2; ReLU², L = 3) "
                 "follows the law I_p(log 1/L) = η L² ∫F dt of Lyu & Li 2020 with the exponent p = 2 − 2/L, i.e. "
                 "L(θ_t) = Θ(1/(t (log t)^{2−2/L})): the fitted exponent is within a quarter of the nearest other "
                 "depth's exponent of the theorem's.")
@pytest.mark.parametrize("network", list(CASES))
def test_the_loss_follows_the_depths_law(network, scale, evidence, seams):
    ds = network_data(scale)
    model = MLP(ds.d, (scale.pick(6, 16),), activation=network)
    steps, eta = scale.pick(1_000_000, 10_000_000), 0.1
    init = [p.detach() for p in model.init(1, torch.Generator().manual_seed(SEED))]
    make, schedule = seams.descend(torch.tensor([eta], dtype=torch.float64))
    traj = run(model, ds.X, ds.y.astype(float), "exponential", make, steps=steps, init=init,
               record_every=steps // 200, record_params=True, seed=SEED, schedule=schedule)
    evidence.check("GD stays finite", float(traj.diverged_at is None), "==", 1.0, "a diverged run has no rate",
                   failure=f"GD diverged at step {traj.diverged_at}")
    if traj.diverged_at is None:
        judge_rate(evidence, f"GD on the {CASES[network]} network (L = {model.degree:g})",
                   law_terms(model, traj, ds), eta, model.degree)
    control = run(model, ds.X, ds.y.astype(float), "exponential",
                  lambda ps: SteepestDescent(ps, 0.1, "l2", joint=True, batch_dims=1), steps=steps, init=init,
                  record_every=steps // 200, record_params=True, seed=SEED, schedule=inverse_sqrt())
    judge_rate(evidence, f"normalized GD (η/√(t+1)) on the {CASES[network]} network", law_terms(model, control, ds),
               eta, model.degree, expect="FAIL")
    evidence.conclude()
