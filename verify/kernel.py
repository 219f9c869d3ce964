"""The one verdict kernel: "a quantity q_c(θ_t) tends to 0 at rate r, against the rivals r₁…r_m at certified
separations".

A claim's quantity is what its theorem says vanishes — the relative margin gap to the max margin in ‖·‖_c
(`verify.convergence.judge`), the residual against the minimiser over the c-ball (`verify.constrained`) — and each
rival r is the same statement for another norm, with its own quantity q_r. Two certified numbers per rival decide:

    s(r → c): the least q_c that any limit of r can have;   s(c → r): the least q_r that any limit of c can have.

The kernel's checks, shared by every judge:
  `separated`  s_min = min_r s(r → c) > 2·tol, else INCONCLUSIVE: this data cannot tell the claim from r;
  `excluded`   for every rival separated at this tolerance, q_r(θ_T) ≥ s(c → r)/2 — below it the run ends nearer
               r's limit than any of the claim's can be: a FAIL if q_c(θ_T) > tol, else INCONCLUSIVE (the tolerance
               is too coarse to tell them apart).
The rate of q_c → 0 is `verify.convergence.rate_checks`. The decisive tolerance is s_min/4 (`Rivals.tolerance`).

Where no separation of the limit sets is known — the KKT points of a network's non-convex margin problems
(`numerics.references.network_kkt`) — the certificates at the final point stand in for it (`at_the_point`): each
quantity is bracketed there, l ≤ q(θ_T) ≤ u, s_min is the least rival lower bound, and the same tolerance s_min/4
applies to the claim's upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from numerics import norms
from numerics.references import panel
from verify.evidence import FAIL, INCONCLUSIVE, Evidence


def rival_names(claim: str, rivals=None) -> tuple[str, ...]:
    """The rivals of a claim about norm `claim`: `rivals` (default: the panel of its kind), less the claim."""
    c = norms.get(claim).name
    named = panel(c) if rivals is None else rivals
    return tuple(dict.fromkeys(n for n in (norms.get(r).name for r in named) if n != c))


@dataclass(frozen=True)
class Quantity:
    """How a quantity and a rival's limit are named in the evidence."""

    of: Callable[[str], str]
    """The quantity in a norm, e.g. "linf-gap"."""
    limit: Callable[[str], str]
    """A rival's limit, e.g. "rival linf's max margin"."""
    claims_limits: str
    """The claim's own limits, e.g. "the claim's limits"."""


MARGIN_GAP = Quantity(lambda r: f"{r}-gap", lambda r: f"rival {r}'s max margin", "the claim's limits")
KKT_RESIDUAL = Quantity(lambda r: f"{r} KKT residual", lambda r: f"a KKT point of the {r} margin problem",
                        "the claim's KKT points")
ALIGNMENT_GAP = Quantity(lambda r: f"{r} alignment gap", lambda r: f"alignment in the {r} pairing",
                         "the claim's pairing")
BALL_RESIDUAL = Quantity(lambda r: f"{r}-ball residual", lambda r: f"the {r}-ball minimiser",
                         "the claim's minimisers")


@dataclass(frozen=True)
class Rivals:
    """The claim's norm, its rivals, and the certified separations both ways (each computed once)."""

    claim: str
    names: tuple[str, ...]
    separation: Mapping[str, float]
    """s(r → c): the least claim-quantity any limit of r can have."""
    back: Mapping[str, float]
    """s(c → r): the least r-quantity any limit of the claim can have."""

    @classmethod
    def of(cls, claim: str, rivals, separation: Callable[[str, str], float]) -> Rivals:
        """`separation(c, r)` = s(r → c), certified (e.g. `References.separation(c, r).value`)."""
        c = norms.get(claim).name
        names = rival_names(c, rivals)
        return cls(c, names, {r: separation(c, r) for r in names}, {r: separation(r, c) for r in names})

    @property
    def nearest(self) -> str | None:
        return min(self.separation, key=self.separation.get) if self.names else None

    @property
    def least(self) -> float:
        """s_min: the least separation of a rival from the claim (∞ without rivals)."""
        return self.separation[self.nearest] if self.names else float("inf")

    @property
    def tolerance(self) -> float:
        """s_min/4: the largest tolerance that excludes every rival (tol < s_min/2) with a factor 2 to spare."""
        return self.least / 4

    def record(self, ev: Evidence) -> None:
        ev.record(separations=dict(self.separation), reverse_separations=dict(self.back), nearest_rival=self.nearest,
                  least_separation=self.least)


def separated(ev: Evidence, rivals: Rivals, tol: float) -> None:
    """The check that the data can tell the claim from its nearest rival at this tolerance: s_min > 2·tol."""
    if not rivals.names:
        return
    ev.check("least separation from a rival over twice the tolerance", rivals.least, ">", 2 * tol,
             "the rivals' limits are at least s_min from the claim's (certified); tol < s_min/2 excludes them all",
             severity=INCONCLUSIVE, failure=f"this data cannot separate the claim from rival {rivals.nearest}: "
                                            f"separation {rivals.least:.3g} ≤ 2·tol = {2 * tol:.3g}")


def excluded(ev: Evidence, rivals: Rivals, tol: float, final: float, finals: Mapping[str, float],
             quantity: Quantity) -> None:
    """For every rival separated at `tol`: its quantity at T (`finals[r]`) against half of s(c → r), the least any
    of the claim's limits has; `final` is the claim's own quantity at T."""
    c = rivals.claim
    for r in rivals.names:
        if rivals.separation[r] <= 2 * tol:  # only a separated rival can be told apart at this tolerance
            continue
        q_r, half = float(finals[r]), rivals.back[r] / 2
        ev.check(f"{quantity.of(r)} at T, against the least {quantity.of(r)} of {quantity.claims_limits}", q_r, ">=",
                 half, f"every limit of the claim has {quantity.of(r)} ≥ s({c} → {r}) = {rivals.back[r]:.3g}; half "
                       "of it leaves room for a run still on its way", severity=FAIL if final > tol else INCONCLUSIVE,
                 failure=f"the run ends at {quantity.limit(r)} ({quantity.of(r)} {q_r:.3g} < {half:.3g}, nearer than "
                         f"any of {quantity.claims_limits}) with {quantity.of(c)} {final:.3g}"
                         + (f" > tol {tol:.3g}" if final > tol else f" ≤ tol {tol:.3g}: this tolerance is too coarse "
                            "to tell them apart"))


def at_the_point(ev: Evidence, claim: str, own: tuple[float, float], rivals: Mapping[str, tuple[float, float]],
                 quantity: Quantity, *, earlier: float | None = None, pointwise: bool = False) -> float:
    """The kernel's rules on certified brackets at θ_T: `own` = (l_c, u_c), `rivals[r]` = (l_r, u_r), `earlier` the
    claim's upper bound earlier in the run (at T/2: a plateau test). Returns the tolerance s_min/4.

    - a rival r with u_r < l_c: θ_T's r-quantity is certifiably below its claim-quantity — FAIL;
    - u_c ≤ tol = s_min/4 with s_min = min_r l_r > 0: every rival's quantity is at least 4 times the claim's — PASS
      (s_min = 0: a rival's limit may be θ_T too — INCONCLUSIVE);
    - otherwise FAIL if the claim's quantity certifiably did not fall since `earlier` (l_c ≥ the earlier upper
      bound: a plateau above tol), else INCONCLUSIVE (the budget is too short, or θ_T is near a rival's limit too);
      with `pointwise` the quantity is an identity's residual at the sampled points, not a limit's distance: no
      budget lowers it, so above tol is a FAIL."""
    if not rivals:
        raise ValueError(f"no rivals to judge the {quantity.of(claim)} against: bracket the run in other geometries")
    lower, upper = own
    nearest = min(rivals, key=lambda r: rivals[r][0])
    least = rivals[nearest][0]
    tol = least / 4
    ev.record(**{f"{quantity.of(claim)} at T": [lower, upper], "rival brackets at T": {r: list(b) for r, b in
                                                                                       rivals.items()},
                 "least rival lower bound at T": least, "nearest rival": nearest, "tol": tol})
    for r, (l_r, u_r) in rivals.items():
        ev.check(f"{quantity.of(r)} at T (upper bound), against the {quantity.of(claim)} (lower bound)", u_r, ">=",
                 lower, "both bracketed at the same point: u_r < l_c says θ_T is certifiably nearer "
                        f"{quantity.limit(r)} than {quantity.claims_limits}, in the two quantities' own units",
                 failure=f"the run ends nearer {quantity.limit(r)} ({quantity.of(r)} ≤ {u_r:.3g} < {lower:.3g} ≤ "
                         f"{quantity.of(claim)})")
    ev.check("least certified rival residual at T", least, ">", 0.0, "a rival whose quantity may be 0 at θ_T (θ_T may "
             "be one of its limits too) is not told apart at any tolerance", severity=INCONCLUSIVE,
             failure=f"θ_T may be {quantity.limit(nearest)} too ({quantity.of(nearest)} ≥ {least:.3g} only): "
                     "this point cannot tell them apart")
    plateau = pointwise or (earlier is not None and lower >= earlier)
    ev.check(f"{quantity.of(claim)} at T (upper bound)", upper, "<=", tol,
             f"tol = s_min/4, s_min = {least:.3g} the least certified rival residual at θ_T ({nearest}): the claim's "
             "quantity is then at most a quarter of every rival's", severity=FAIL if plateau else INCONCLUSIVE,
             failure=(f"the {quantity.of(claim)} is {upper:.3g} > tol {tol:.3g} at the sampled points (an identity's "
                      "residual: no budget lowers it)" if pointwise else
                      f"the {quantity.of(claim)} plateaus at {upper:.3g} > tol {tol:.3g} (certifiably no lower than "
                      f"its upper bound {earlier:.3g} at T/2)" if plateau else
                      f"the {quantity.of(claim)} {upper:.3g} is above tol {tol:.3g} and has not certifiably stopped "
                      f"falling: the budget is too short, or θ_T is near {quantity.limit(nearest)} too "
                      f"({quantity.of(nearest)} ≤ {rivals[nearest][1]:.3g})"))
    return tol


__all__ = ["ALIGNMENT_GAP", "BALL_RESIDUAL", "KKT_RESIDUAL", "MARGIN_GAP", "Quantity", "Rivals", "at_the_point",
           "excluded",
           "rival_names", "separated"]
