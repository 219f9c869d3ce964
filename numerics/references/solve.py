"""Solve a cvxpy problem and accept the answer only if a certificate closes.

The certificate brackets the optimum, lower ≤ OPT ≤ upper, with both bounds recomputed in float64 from
the returned primal and dual points (weak duality), so a solver's "optimal" is never taken on its word.
Solvers are tried in the order the norm prefers; each try is recorded as an `Attempt`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import cvxpy as cp

from numerics.errors import SolverError

SOLVER_OPTIONS: dict[str, dict] = {
    "CLARABEL": {},  # interior point; its default gap tolerances are 1e-8
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}
SERIAL: dict[str, dict] = {"CLARABEL": {"max_threads": 1}}
"""Options over `SOLVER_OPTIONS` (`solve_certified`'s `extra`) that put Clarabel's factorisation on one thread.
Measured on 2 shared cores (spectral max margin, 750 points, k = 15, d = 25, 10 500 margin rows): 5.8 s on one
thread against 22 s on Clarabel's default two, with the same iterates. Not the default everywhere: on the thin
optimal-face projection (nuclear, (200, 50, 10)) the serial factorisation ended in Clarabel's NumericalError
where the threaded one converged."""


@dataclass(frozen=True)
class Certificate:
    """lower ≤ optimum ≤ upper, each recomputed from the returned points; accepted if rel_gap ≤ rtol."""

    lower: float
    upper: float
    rtol: float

    @property
    def gap(self) -> float:
        return self.upper - self.lower

    @property
    def rel_gap(self) -> float:
        scale = max(abs(self.lower), abs(self.upper))
        return abs(self.gap) / scale if scale > 0 else 0.0

    @property
    def ok(self) -> bool:
        return math.isfinite(self.lower) and math.isfinite(self.upper) and self.rel_gap <= self.rtol

    def __str__(self) -> str:
        return f"[{self.lower:.10g}, {self.upper:.10g}] rel. gap {self.rel_gap:.1e} (tol {self.rtol:.0e})"


@dataclass(frozen=True)
class Attempt:
    """One solver's try: its status, time, and the certificate of what it returned (None if it returned none)."""

    solver: str
    status: str
    seconds: float
    certificate: Certificate | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.certificate is not None and self.certificate.ok


def solve_certified(problem: cp.Problem, solvers: Sequence[str], certify: Callable[[], Certificate], what: str,
                    extra: Mapping[str, dict] | None = None) -> tuple[Attempt, tuple[Attempt, ...]]:
    """Try `solvers` in order on `problem` (each with its `SOLVER_OPTIONS`, updated by `extra`); return the
    first attempt whose `certify()` closes, with all tries.

    `certify` reads the variables' values after a solve; it may raise a domain error (e.g.
    `NotSeparableError`) that the certificate itself proves. Raises `SolverError` if no solver certifies.
    """
    attempts: list[Attempt] = []
    for solver in solvers:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():  # "may be inaccurate": the certificate below decides that
                warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                problem.solve(solver=solver, **{**SOLVER_OPTIONS.get(solver, {}), **(extra or {}).get(solver, {})})
        except cp.error.SolverError as exc:
            attempts.append(Attempt(solver, "error", time.perf_counter() - start, error=str(exc)))
            continue
        seconds = time.perf_counter() - start
        if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            attempts.append(Attempt(solver, problem.status, seconds))
            continue
        attempt = Attempt(solver, problem.status, seconds, certify())
        attempts.append(attempt)
        if attempt.accepted:
            return attempt, tuple(attempts)
    tried = "; ".join(f"{a.solver}: {a.status}" + (f", {a.certificate}" if a.certificate else "")
                      + (f" ({a.error})" if a.error else "") for a in attempts)
    raise SolverError(f"no solver certified {what}: {tried}", tuple(attempts))
