"""How fast the papers say a margin gap closes, up to constants, and which rate a run should be held to.

    rate            r(t)        holds for                                                        default schedule
    inverse_log     1/log t     unnormalized GD/SGD (step linear in ∇L: d = 1), constant step   the optimizer's lr
                                (Soudry et al. 2018; Nacson et al. 2019 for SGD)
    inverse_sqrt    log t/√t    normalized steps (scale-free: d = 0) with η_t = η/√(t+1)        η/√(t+1), η its lr
                                (Gunasekar et al. 2018; Xie et al. 2026)
    inverse         1/t         loss-adaptive steps η/L (Nacson et al. 2019; Ji & Telgarsky 2021) given by the user
    inverse_square  log t/t²    the dual-accelerated momentum method (Ji, Srebro, Telgarsky 2021)  η/L, given

d is the optimizer's homogeneity in the gradient (`numerics.optim.homogeneity`). The envelope test (`envelope_growth`)
asks whether a gap stays under C·r(t); `steps_needed` extrapolates that envelope to a tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from numerics.optim import Schedule, inverse_sqrt, homogeneity


@dataclass(frozen=True)
class Rate:
    """How fast a paper says a gap closes, up to constants: r(t)."""

    name: str
    r: Callable[[float], float]
    source: str

    def decade_shrink(self, T: int) -> float:
        """r(T/10)/r(T): the factor by which a gap under the envelope shrinks over the last decade of T steps."""
        return self.r(T / 10) / self.r(T)


RATES = {
    "inverse_log": Rate("1/log t", lambda t: 1 / math.log(t),
                        "Soudry et al. 2018: GD on separable data, ‖w(t)/‖w(t)‖ − ŵ‖ = O(1/log t)"),
    "inverse_sqrt": Rate("log t/√t", lambda t: math.log(t) / math.sqrt(t),
                         "normalized steepest descent with η_t = η/√(t+1): g_t ≤ (log n + O(Σ η_s²))/(γ* Σ η_s) "
                         "(Gunasekar et al. 2018; Xie et al. 2026)"),
    "inverse": Rate("1/t", lambda t: 1 / t,
                    "loss-adaptive steps η/L: margin gap O(1/t) (Nacson et al. 2019; Ji & Telgarsky 2021)"),
    "inverse_square": Rate("log t/t²", lambda t: math.log(t) / t / t,
                           "dual-accelerated momentum (Ji, Srebro, Telgarsky 2021): with θ_t = 1, β_t = t/(t+1) and "
                           "max‖z_i‖₂ ≤ 1, γ* − γ(w_t) = O(ln n·ln t/(γ* t²))"),
}


def rate(name: str | Rate) -> Rate:
    """The rate named `name` (a `Rate` is returned as is); an unknown name is an error listing the known."""
    if isinstance(name, Rate):
        return name
    if name not in RATES:
        raise ValueError(f"unknown rate {name!r}; known: {', '.join(RATES)} (or pass a verify.rates.Rate)")
    return RATES[name]


def defaults(optimizer, schedule: Schedule | None | str = "auto", rate_name: str | Rate = "auto") -> tuple:
    """(schedule, rate) for a run of `optimizer` (a built `torch.optim.Optimizer`), by the table of the module
    docstring; explicit arguments are kept. An optimizer whose homogeneity is unknown needs an explicit rate."""
    adaptive = isinstance(schedule, Schedule) and schedule.log_domain
    degree = homogeneity(optimizer)
    if schedule == "auto":
        schedule = inverse_sqrt() if degree == 0 else None
    if rate_name == "auto":
        if adaptive:
            rate_name = "inverse"
        elif degree == 0 and schedule is not None and schedule.kind == "inverse_sqrt":
            rate_name = "inverse_sqrt"
        elif degree == 1 and (schedule is None or schedule.kind == "constant"):
            rate_name = "inverse_log"
        else:
            raise ValueError(f"no rate is known for {type(optimizer).__name__} (homogeneity {degree}) with schedule "
                             f"{getattr(schedule, 'kind', schedule)!r}: pass rate= one of {', '.join(RATES)}")
    return schedule, rate(rate_name)


def envelope_growth(t: np.ndarray, g: np.ndarray, r: Callable[[float], float], T: int) -> float:
    """max_{T/10 < t ≤ T} g_t/r(t) over max_{T/100 ≤ t ≤ T/10} g_t/r(t): how much the gap, measured in units of
    the rate, grew over the last decade. A gap obeying g_t ≤ C·r(t) with C attained early gives ≤ 1; a
    plateau g_t → g∞ > 0 gives r(T/10)/r(T) (or more). Fluctuations below the envelope do not count."""
    rt = np.array([r(max(float(s), 2.0)) for s in t])
    late, early = t > T // 10, (t >= T // 100) & (t <= T // 10)
    return float(np.max(g[late] / rt[late]) / np.max(g[early] / rt[early]))


def steps_needed(t: np.ndarray, g: np.ndarray, r: Callable[[float], float], T: int, tol: float) -> float:
    """The step at which the envelope C·r(t) fitted over the last decade (C = max g_t/r(t) there) reaches
    `tol`: how long the run would have to be, at its measured pace, for its gap to be within the tolerance.
    inf beyond 10^300 steps."""
    late = t > T // 10
    C = float(np.max(g[late] / np.array([r(max(float(s), 2.0)) for s in t[late]])))
    lo, hi = math.log10(T), 300.0
    if C * r(10.0**hi) > tol:
        return math.inf
    for _ in range(100):  # r is decreasing for t ≥ e²: bisect on log10 t
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if C * r(10.0**mid) > tol else (lo, mid)
    return 10.0**hi
