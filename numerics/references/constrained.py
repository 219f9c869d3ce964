"""Norm-constrained minimisers of the training loss, certified: where optimizers with decoupled weight decay go.

Steepest descent under ‖·‖ with decoupled weight decay λ, θ ← (1 − ηλ)θ − η·lmo(m), is stationary only where
λθ = −lmo(m), on the sphere ‖θ‖ = R = 1/λ; with η_t → 0 its limit points are KKT points of

    min L(θ)   s.t.   ‖θ‖ ≤ R                                                          (P_R)

(AdamW and ℓ∞: Xie & Li 2024, ICML, Thm. 1.1; Muon and the spectral norm: Chen, Li, Liu 2025, arXiv:2506.15054,
through Lion-K). For a linear model L is convex, so its KKT points are the minimisers, the set S_R.

Certificate. For a feasible θ, convexity and Hölder give the Frank–Wolfe gap

    L(θ) − L*  ≤  <∇L(θ), θ − θ*>  ≤  φ(θ) = <∇L(θ), θ> + R‖∇L(θ)‖_*,

so [L(θ) − φ(θ), L(θ)] brackets L*, both ends in float64 from the returned point (scaled into the ball). A
solution is accepted when the bracket closes to `CERTIFICATE_RTOL` relative.

Judging a point θ against (P_R) by the relative residual

    e(θ) = max( (L(θ) − L*)/L*,  ‖θ‖/R − 1 )                                            (0 exactly on S_R)

— within e of the optimal value and of the ball. Every minimiser θ_r of a rival problem (P'), min L over
‖θ‖_r ≤ R_r, has e(θ_r) ≥ s(r → c) = max(u, v) (`ConstrainedSeparation`):
  u = (L*_r − L*)/L*, since L(θ_r) = L*_r on the rival's whole solution set;
  v = ‖θ_r‖/R − 1 bounded below for the whole solution set: with θ₀ the rival's certified point and
      g = ∇L(θ₀), convexity gives <g, θ − θ₀> ≤ L(θ) − L(θ₀) ≤ L*_r,upper − L(θ₀) on it, and Hölder
      <−g, θ> ≤ ‖g‖_*‖θ‖, so ‖θ‖ ≥ (<−g, θ₀> − (L*_r,upper − L(θ₀)))/‖g‖_* (at a KKT point of the rival,
      <−g, θ₀> = R_r‖g‖_{r*}: the bound is R_r‖g‖_{r*}/‖g‖_*, the ratio of the two dual norms of the gradient).
Both from certified bounds and float64 evaluations only, so the separation is, if anything, understated.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import torch

from numerics import norms
from numerics.data import Dataset
from numerics.errors import InvalidDataError, SolverError
from numerics.losses import Loss
from numerics.models import Linear
from numerics.norms import Norm
from numerics.references.solve import Attempt, Certificate, solve_certified

SOLVERS = ("CLARABEL", "SCS")
"""Interior point first: the exponential cones of the loss with the norm's cone (an LMI for spectral and nuclear)."""
CERTIFICATE_RTOL = 1e-6
"""Relative width of the bracket [L(θ) − φ(θ), L(θ)] at which a constrained minimum is accepted."""


def loss_and_gradient(ds: Dataset, W, loss: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(L(W), ∇L(W)) of the linear model in float64 by the suite's stable loss, batched over W's leading
    dimensions: W of shape (..., *ds.weight_shape) gives L of shape (...)."""
    loss = Loss(loss or default_loss(ds))
    W = torch.as_tensor(np.asarray(W, dtype=np.float64))
    lead = W.shape[: W.ndim - len(ds.weight_shape)]
    Wb = W.reshape(-1, *ds.weight_shape)
    multiclass = ds.task == "multiclass"
    model = Linear(ds.d, ds.num_classes if multiclass else None)
    X = torch.as_tensor(ds.X)
    y = torch.as_tensor(ds.y) if multiclass else torch.as_tensor(ds.y, dtype=torch.float64)
    value, grad_out = loss.value_and_grad(model([Wb], X), y)
    (G,) = model.grad([Wb], X, grad_out)
    return value.reshape(lead).numpy(), G.reshape(W.shape).numpy()


def default_loss(ds: Dataset) -> str:
    return "cross_entropy" if ds.task == "multiclass" else "logistic"


@dataclass(frozen=True)
class ConstrainedMinimum:
    """A certified minimiser W of L over ‖W‖ ≤ radius; `value` = L(W) (the bracket's upper end)."""

    norm: str
    radius: float
    loss: str
    W: np.ndarray
    certificate: Certificate
    solver: str
    attempts: tuple[Attempt, ...]
    seconds: float

    @property
    def value(self) -> float:
        return self.certificate.upper

    def residual(self, ds: Dataset, W) -> np.ndarray:
        """e(W) = max((L(W) − L*)/L*, ‖W‖/R − 1), batched over W's leading dimensions, against the certified
        lower bound of L* (so it overstates the residual, never understates it)."""
        value, _ = loss_and_gradient(ds, W, self.loss)
        size = np.asarray(norms.get(self.norm).value(np.asarray(W, dtype=np.float64)))
        lower = self.certificate.lower
        return np.maximum((value - lower) / lower, size / self.radius - 1)

    def summary(self) -> dict:
        c = self.certificate
        return {"norm": self.norm, "radius": self.radius, "loss": self.loss, "value": c.upper, "lower": c.lower,
                "rel_gap": c.rel_gap, "solver": self.solver, "seconds": self.seconds}


def constrained_minimum(ds: Dataset, norm: str | Norm, radius: float, *, loss: str | None = None,
                        rtol: float = CERTIFICATE_RTOL) -> ConstrainedMinimum:
    """Solve (P_R) for the linear model of `ds` under `norm` with R = `radius` and certify it (module
    docstring). Raises `InvalidDataError` for a norm that does not fit the task or a radius that is not
    positive, `SolverError` when no solver's point certifies."""
    start = time.perf_counter()
    norm = norms.get(norm)
    loss = loss or default_loss(ds)
    if not radius > 0 or not math.isfinite(radius):
        raise InvalidDataError(f"the constraint radius must be positive and finite; got {radius}")
    if norm.ndim != len(ds.weight_shape):
        raise InvalidDataError(f"norm {norm.name!r} does not fit the {ds.task} weights of shape {ds.weight_shape}")
    W = cp.Variable(ds.weight_shape)
    scale = cp.Parameter(nonneg=True, value=1.0)
    problem = cp.Problem(cp.Minimize(scale * _objective(ds, W, loss)), [norm.cvxpy(W) <= radius])

    def certify() -> Certificate:
        if W.value is None:
            return Certificate(math.nan, math.nan, rtol)
        V = _into_ball(np.asarray(W.value, dtype=np.float64), norm, radius)
        points.append(V)
        return frank_wolfe_certificate(ds, V, norm, radius, loss, rtol)

    points: list[np.ndarray] = []
    what = f"min L s.t. ‖W‖_{norm.name} ≤ {radius:g}"
    try:
        attempt, attempts = solve_certified(problem, SOLVERS, certify, what)
    except SolverError as error:
        # Solvers stop at an absolute gap (~1e-8): where L* is small that is a large relative one. Solve again
        # with the objective scaled by 1/L(W) of the best point so far: its absolute gap is then relative.
        bounded = [a.certificate for a in error.attempts if a.certificate is not None
                   and math.isfinite(a.certificate.upper) and a.certificate.upper > 0]
        if not bounded:
            raise
        scale.value = 1 / min(c.upper for c in bounded)
        attempt, more = solve_certified(problem, SOLVERS, certify, f"{what} (objective rescaled)")
        attempts = error.attempts + more
    return ConstrainedMinimum(norm.name, float(radius), loss, points[-1], attempt.certificate, attempt.solver,
                              attempts, time.perf_counter() - start)


def frank_wolfe_certificate(ds: Dataset, V: np.ndarray, norm: Norm, radius: float, loss: str,
                            rtol: float = CERTIFICATE_RTOL) -> Certificate:
    """[L(V) − g, L(V)] for V in the ball, g = <∇L(V), V> + R‖∇L(V)‖_* ≥ L(V) − L* (convexity: L* ≥ L(V) +
    min_{‖U‖≤R} <∇L(V), U − V>), in float64."""
    value, G = loss_and_gradient(ds, V, loss)
    gap = float((G * V).sum() + radius * norm.dual_norm(G))
    return Certificate(float(value) - max(gap, 0.0), float(value), rtol)


def recertify(ds: Dataset, W, *, norm: str, radius: float, loss: str, solver: str,
              seconds: float) -> ConstrainedMinimum | None:
    """The constrained minimum at a stored point W, its Frank–Wolfe bracket recomputed; None if W is not in the
    ball or the bracket no longer closes."""
    norm = norms.get(norm)
    W = np.asarray(W, dtype=np.float64)
    if W.shape != ds.weight_shape or not np.all(np.isfinite(W)) or norm.value(W) > radius * (1 + 1e-12):
        return None
    certificate = frank_wolfe_certificate(ds, W, norm, radius, loss)
    if not certificate.ok:
        return None
    return ConstrainedMinimum(norm.name, float(radius), loss, W, certificate, solver,
                              (Attempt(solver, "loaded from the cache", 0.0, certificate),), seconds)


def _objective(ds: Dataset, W: cp.Variable, loss: str) -> cp.Expression:
    """L(W) as a cvxpy expression (the same loss as `numerics.losses`)."""
    if loss == "logistic":
        return cp.sum(cp.logistic(-cp.multiply(ds.y, ds.X @ W))) / ds.n
    if loss == "exponential":
        return cp.sum(cp.exp(-cp.multiply(ds.y, ds.X @ W))) / ds.n
    if loss == "cross_entropy":
        S = ds.X @ W.T
        own = cp.sum(cp.multiply(S, np.eye(ds.num_classes)[ds.y]), axis=1)
        return cp.sum(cp.log_sum_exp(S, axis=1) - own) / ds.n
    raise InvalidDataError(f"no constrained minimum for the {loss!r} loss; one of logistic, exponential, "
                           "cross_entropy")


def _into_ball(W: np.ndarray, norm: Norm, radius: float) -> np.ndarray:
    size = float(norm.value(W))
    return W * (radius / size) if size > radius else W


@dataclass(frozen=True)
class ConstrainedSeparation:
    """s(rival → claim) = max(u, v) (module docstring): every minimiser of the rival problem has a claim
    residual of at least `value`. `u` from the two certified minima (relative loss), `v` from the rival's
    gradient (relative size in the claim's norm)."""

    claim: str
    rival: str
    value: float
    u: float
    v: float


def separation(ds: Dataset, claim: ConstrainedMinimum, rival: ConstrainedMinimum) -> ConstrainedSeparation:
    """s(rival → claim) from certified bounds only (module docstring)."""
    u = (rival.certificate.lower - claim.certificate.upper) / claim.certificate.upper
    value, g = loss_and_gradient(ds, rival.W, rival.loss)
    dual = float(norms.get(claim.norm).dual_norm(g))
    least = (float(-(g * rival.W).sum()) - (rival.certificate.upper - float(value))) / dual if dual > 0 else 0.0
    v = least / claim.radius - 1
    return ConstrainedSeparation(claim.norm, rival.norm, max(u, v, 0.0), u, v)


__all__ = ["CERTIFICATE_RTOL", "ConstrainedMinimum", "ConstrainedSeparation", "constrained_minimum",
           "loss_and_gradient", "separation"]
