"""Claim templates anyone can call with their own optimizer: run it, measure it against certified references
and the rival hypotheses, and get `Evidence` with a verdict — PASS, FAIL or INCONCLUSIVE — and its reasons.

    from verify.templates import margin_convergence
    ev = margin_convergence(lambda ps: MyOptimizer(ps, lr=0.1), ds, norm="linf", steps=20_000)
    print(ev.summary())

`margin_convergence` is `judge(converge(...))` (`verify.convergence`, where the verdict rules are stated);
call the two yourself to judge one run against several claims (e.g. `run.margin("l1")` for a margin table).
Defaults follow the optimizer (`verify.rates`): η/√(t+1) and rate log t/√t for scale-free steps, a constant
step and 1/log t for SGD-like ones, 1/t under `loss_adaptive`.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from numerics.data import Dataset
from numerics.references.margins import MaxMargin, problem
from numerics.optim import Schedule
from verify.convergence import ConvergenceRun, as_dataset, converge, dual_radius, judge
from verify.evidence import Evidence
from verify.rates import RATES, Rate


def margin_convergence(make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer], X, y=None,
                       norm: str = "l2", steps: int = 10_000, *, rivals: tuple[str, ...] | None = None,
                       tol: float | None = None, loss: str | None = None, schedule: Schedule | None | str = "auto",
                       rate: str | Rate = "auto", bound: np.ndarray | None = None, seed: int = 0, device=None,
                       batch_size: int | None = None, record_every: int | None = None, track: dict | None = None,
                       name: str | None = None) -> Evidence:
    """Does this optimizer's normalized margin in `norm` tend to the max margin, excluding the rival norms'
    limits? See `verify.convergence` for the verdict rules and `converge`/`judge` for the arguments. Data that
    `norm` does not fit is refused before any training."""
    ds = problem(as_dataset(X, y), None, norm)
    run = converge(make_optimizer, ds, None, steps, loss=loss, schedule=schedule, rate=rate, seed=seed, device=device,
                   batch_size=batch_size, record_every=record_every, track=track)
    return judge(run, norm, rivals=rivals, tol=tol, bound=bound, name=name)


def exponential_loss_bound(ds: Dataset, norm: str, lrs: np.ndarray, reference: MaxMargin) -> np.ndarray:
    """The guarantee for normalized steepest descent from θ_0 = 0 on the exponential loss, relative gap after
    each step: g_t ≤ (log n + ½B² Σ_{s<t} η_s² e^{η_s B}) / (γ* Σ_{s<t} η_s), B = max_i ‖z_i‖_*.

    Proof (in the style of Gunasekar et al. 2018): ‖∇L‖_* ≥ γ*L, and along a unit step the Hessian term is at
    most B²e^{ηB}L, so log L_t ≤ −γ*Ση_s + ½B²Ση_s²e^{η_sB}; then min margin ≥ −log(nL_t) and ‖θ_t‖ ≤ Ση_s.
    """
    B = dual_radius(ds, norm)
    lrs = np.asarray(lrs, dtype=np.float64)
    curvature = np.cumsum(0.5 * B**2 * lrs**2 * np.exp(lrs * B))
    return (math.log(ds.n) + curvature) / (reference.margin * np.cumsum(lrs))


__all__ = ["ConvergenceRun", "RATES", "Rate", "as_dataset", "converge", "exponential_loss_bound", "judge",
           "margin_convergence"]
