"""Certified separation between two implicit-bias hypotheses on one data set.

"Optimizer A tends to the max-margin solution under ‖·‖_c" has a rival "it tends to the one under ‖·‖_r". On
a given data set the two are told apart only by how far *every* limit of the rival is from the claim: the
separation

    s(r → c) = 1 − M/γ*_c,   M = max { γ_c(W) : W ∈ F_r }

is the smallest relative c-margin gap that any point of the rival's optimal face F_r (`OptimalFace`) can
have. s = 0 when the faces touch: then no run, however long, can tell the two apart in that norm. M is a
convex problem over the cone of F_r (the normalized margin is scale-free, so F_r may be replaced by
{W : ‖W‖_r ≤ t, Z W ≥ t·f_r}, f_r = γ*_r(1 − rtol) the face's margin floor):

    (P)  M = max γ   s.t.  Z W ≥ γ,  ‖W‖_c ≤ 1,  ‖W‖_r ≤ t,  Z W ≥ t f_r
    (D)  M ≤ ‖Zᵀ(λ + μ) − h‖_{c*}   for every λ ∈ Δ, μ ≥ 0, ‖h‖_{r*} ≤ f_r Σμ

(weak duality: γ ≤ λᵀZW = <Zᵀ(λ+μ) − h, W> + <h, W> − μᵀZW ≤ ‖Zᵀ(λ+μ) − h‖_{c*} + t(‖h‖_{r*} − f_rΣμ)).
Like `max_margin`, a value is returned only with a certificate recomputed in float64. The face is thin (its
slack is the reference's rtol), and a solver's W meets its floor only to ~1e-8, so the certificate is for the
face whose floor f' ≤ f_r is the one W actually meets (if it falls short of f_r(1 − rtol), W is first blended
with the rival's certified maximiser W*_r until it does: the margins are concave). That face contains F_r, so
its M is at least F_r's: the separation is, if anything, understated. Lower bound: the c-margin of W; upper
bound: (D) at floor f' with the solver's multipliers λ, μ and the best h of a small second problem, scaled to
be feasible. The reported separation uses the upper bound on M and the lower bound on γ*_c.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from numerics import norms
from numerics.data import Dataset
from numerics.references.margins import MaxMargin, normalized_margin, signed_points
from numerics.norms import Norm
from numerics.errors import SolverError
from numerics.references.solve import SOLVER_OPTIONS, Attempt, Certificate, solve_certified


SOLVERS = ("CLARABEL", "SCS")
"""Interior point first: on the panel's pairs at the checklist's sizes Clarabel certifies in 0.1–4 s where SCS
takes 4–30 s (nuclear pairs); SCS is the fallback for the large SDPs Clarabel gives up on."""
SEPARATION_RTOL = 1e-3
"""Relative precision at which M is certified. A separation is only ever compared with twice a tolerance
(≥ 1e-3 in practice), so 1e-4 on M moves it by a negligible 1e-4; second-order solvers on the two-norm cone
problem stall between 1e-6 and 1e-5 on some pairs (measured: ℓ1.5 → ℓ∞, Clarabel 1.7e-5, SCS 1.9e-6)."""
SEPARATION_ACCEPT = 1e-2
"""A solver's bracket within this relative gap is used without trying the next solver. The value uses the bracket's
upper bound on M, so it understates s by at most 1e-2·M/γ*_c ≤ 1e-2, never overstates it, and a tolerance
derived from it (s_min/4) only tightens. Measured on the NucGD paper data (k = 15, d = 25, 750 points), spectral
→ nuclear: Clarabel's bracket closes to 4.6e-3 in 15 s; SCS then took 1168 s to reach 6.2e-4 (0.28 when another
run shared the cores): separations 0.194 and 0.200."""


@dataclass(frozen=True)
class Separation:
    """s(rival → claim): every limit of the rival has a relative `claim`-margin gap of at least `value`.

    `closest` is a point of the rival's optimal face (unit `claim` norm) with the largest `claim` margin,
    `certificate` brackets that margin M; `value` = max(0, 1 − M_upper/γ*_c,lower). `multipliers` are the
    (λ, μ, h) of (D) that give the upper bound (`recertify` recomputes it from them)."""

    claim: str
    rival: str
    value: float
    closest: np.ndarray
    certificate: Certificate
    solver: str
    attempts: tuple[Attempt, ...]
    seconds: float
    multipliers: tuple[np.ndarray, np.ndarray, np.ndarray]

    def summary(self) -> dict:
        return {"claim": self.claim, "rival": self.rival, "separation": self.value,
                "closest_margin": [self.certificate.lower, self.certificate.upper], "solver": self.solver,
                "seconds": self.seconds}


def separation(ds: Dataset, claim: MaxMargin, rival: MaxMargin, *, rtol: float = SEPARATION_RTOL) -> Separation:
    """s(rival → claim) on `ds`, from the two certified references (see the module docstring). A solver whose
    bracket closes within `rtol` is taken; one within `SEPARATION_ACCEPT` ends the search too; when no solver gets
    there, the least valid upper bound any of them returned is used (its certificate says how loose): the
    separation is then understated, never overstated. `SolverError` only if none returned one."""
    start = time.perf_counter()
    c, r = norms.get(claim.norm), norms.get(rival.norm)
    if c.ndim != r.ndim:
        raise ValueError(f"{c.name} and {r.name} act on different shapes: no common hypothesis space")
    shape = rival.W.shape
    scale = float(np.abs(ds.X).max())
    Z, _, _ = signed_points(ds)
    Zs = Z / scale
    floor = rival.margin * (1 - rival.certificate.rtol)  # the face of `OptimalFace`: it holds every maximiser
    w, t, gamma = cp.Variable(int(np.prod(shape))), cp.Variable(nonneg=True), cp.Variable()
    W = cp.reshape(w, shape, order="C")
    fits, face = Zs @ w >= gamma, Zs @ w >= t * (floor / scale)
    problem = cp.Problem(cp.Maximize(gamma), [fits, face, c.cvxpy(W) <= 1, r.cvxpy(W) <= t])

    def certify() -> Certificate:
        if w.value is None or fits.dual_value is None or face.dual_value is None:
            return Certificate(np.nan, np.nan, rtol)
        V, met = _into_face(ds, w.value.reshape(shape), r, rival, floor * (1 - rtol))
        total = float(np.clip(fits.dual_value, 0, None).sum())
        if not total > 0:
            return Certificate(np.nan, np.nan, rtol)
        lam, mu = np.clip(fits.dual_value, 0, None) / total, np.clip(face.dual_value, 0, None) / total
        h = _best_h(Z.T @ (lam + mu), min(floor, met) * mu.sum(), shape, c, r)
        certificate = _certificate(ds, Z, V, (lam, mu, h), c, r, rival, rtol)
        points.append((certificate, V, (lam, mu, h)))
        return certificate

    points: list[tuple] = []  # each certified attempt's (certificate, point of the rival's face, multipliers)
    attempts: list[Attempt] = []
    for solver in SOLVERS:
        try:
            attempt, tried = solve_certified(problem, (solver,), certify, f"the separation {r.name} → {c.name}")
            attempts += tried
            break
        except SolverError as error:
            attempts += error.attempts
            close = [a for a in error.attempts if _bounded(a) and a.certificate.rel_gap <= SEPARATION_ACCEPT]
            if close:  # within SEPARATION_ACCEPT: good enough, rather than minutes of the next solver
                attempt = close[0]
                break
    else:  # no bracket within rtol: the least valid upper bound still bounds s from below
        bounded = [a for a in attempts if _bounded(a)]
        if not bounded:
            raise SolverError(f"no solver bounded the separation {r.name} → {c.name}: "
                              + "; ".join(f"{a.solver}: {a.status}" for a in attempts), tuple(attempts))
        attempt = min(bounded, key=lambda a: a.certificate.upper)
    closest, multipliers = next((V, m) for certificate, V, m in points if certificate is attempt.certificate)
    value = max(0.0, 1 - attempt.certificate.upper / claim.certificate.lower)
    return Separation(c.name, r.name, value, closest / c.value(closest), attempt.certificate, attempt.solver,
                      tuple(attempts), time.perf_counter() - start, multipliers)


def _bounded(attempt: Attempt) -> bool:
    return attempt.certificate is not None and bool(np.isfinite(attempt.certificate.upper))


def recertify(ds: Dataset, claim: MaxMargin, rival: MaxMargin, closest, lam, mu, h, *, solver: str,
              seconds: float, rtol: float = SEPARATION_RTOL) -> Separation | None:
    """The separation from a stored point of the rival's face and multipliers (λ, μ, h), its bracket recomputed
    in float64 as `separation` computes it, or None unless everything (D) needs holds again: λ, μ ≥ 0 normalised
    by Σλ (λ on the simplex), the point in the rival's face (its r-margin at least the floor the fresh solve
    asks), and a bracket that closes with upper ≥ lower."""
    c, r = norms.get(claim.norm), norms.get(rival.norm)
    Z, _, _ = signed_points(ds)
    V, lam, mu, h = (np.asarray(a, dtype=np.float64) for a in (closest, lam, mu, h))
    shapes_fit = V.shape == h.shape == rival.W.shape and lam.shape == mu.shape == (Z.shape[0],)
    if not shapes_fit or not all(np.all(np.isfinite(a)) for a in (V, lam, mu, h)):
        return None
    lam, mu = np.clip(lam, 0, None), np.clip(mu, 0, None)
    floor = rival.margin * (1 - rival.certificate.rtol)
    if not lam.sum() > 0 or normalized_margin(ds.X, ds.y, V, r) < floor * (1 - rtol):
        return None
    lam, mu = lam / lam.sum(), mu / lam.sum()
    certificate = _certificate(ds, Z, V, (lam, mu, h), c, r, rival, rtol)
    if not (certificate.ok and certificate.upper >= certificate.lower):
        return None
    value = max(0.0, 1 - certificate.upper / claim.certificate.lower)
    return Separation(c.name, r.name, value, V / c.value(V), certificate, solver,
                      (Attempt(solver, "loaded from the cache", 0.0, certificate),), seconds, (lam, mu, h))


def _certificate(ds: Dataset, Z, V: np.ndarray, multipliers, c: Norm, r: Norm, rival: MaxMargin,
                 rtol: float) -> Certificate:
    """[γ_c(V), ‖Zᵀ(λ + μ) − h‖_{c*}] with h scaled into its ball ‖h‖_{r*} ≤ f'Σμ, f' = min(f_r, γ_r(V)): the
    face of floor f' holds F_r, so this bounds M (module docstring)."""
    lam, mu, h = multipliers
    floor = rival.margin * (1 - rival.certificate.rtol)
    radius = min(floor, float(normalized_margin(ds.X, ds.y, V, r))) * mu.sum()
    size = float(r.dual_norm(h))
    h = h * min(1.0, radius / size) if size > 0 else h
    upper = float(c.dual_norm(np.asarray(Z.T @ (lam + mu)).reshape(V.shape) - h))
    return Certificate(float(normalized_margin(ds.X, ds.y, V, c)), upper, rtol)


def _into_face(ds: Dataset, W: np.ndarray, r: Norm, rival: MaxMargin, least: float) -> tuple[np.ndarray, float]:
    """(V, its normalized r-margin): V = W/‖W‖_r if that margin is at least `least`, else the blend
    (1 − s)W/‖W‖_r + s·W*_r with the smallest s that reaches it (margins are concave: the blend's normalized
    r-margin is at least (1 − s)γ_r(W) + s·γ_r(W*_r), and W*_r lies above `least`)."""
    U = W / r.value(W)
    g = float(normalized_margin(ds.X, ds.y, U, r))
    if g >= least:
        return U, g
    s = (least - g) / (rival.margin - g)
    V = (1 - s) * U + s * rival.W
    return V, float(normalized_margin(ds.X, ds.y, V, r))


def _best_h(G: np.ndarray, radius: float, shape, c: Norm, r: Norm) -> np.ndarray:
    """argmin_h ‖G − h‖_{c*} over ‖h‖_{r*} ≤ radius by a small convex solve, the solver's point scaled into the
    ball; h = 0 (always feasible) if no solver returns a better one."""
    G = np.asarray(G, dtype=np.float64).reshape(shape)
    h = cp.Variable(shape)
    problem = cp.Problem(cp.Minimize(c.dual.cvxpy(G - h)), [r.dual.cvxpy(h) <= radius])
    for solver in ("CLARABEL", "SCS"):
        try:
            with warnings.catch_warnings():  # "may be inaccurate": any h scaled into the ball gives a valid bound
                warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                problem.solve(solver=solver, **SOLVER_OPTIONS.get(solver, {}))
        except cp.error.SolverError:
            continue
        if h.value is not None and np.all(np.isfinite(h.value)):
            candidate = np.asarray(h.value, dtype=np.float64)
            size = float(r.dual_norm(candidate))
            candidate = candidate * min(1.0, radius / size) if size > 0 else candidate
            return candidate if c.dual_norm(G - candidate) < c.dual_norm(G) else np.zeros(shape)
    return np.zeros(shape)
