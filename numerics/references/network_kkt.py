"""A certified KKT residual of a homogeneous network's margin problem in parameter space, in any geometry.

For f(θ; x) positively homogeneous of degree L in θ and a norm ‖·‖ on the parameters
(`numerics.norms.parameters.ParameterNorm`), the margin problem

    min ‖θ‖  s.t.  q_i(θ) ≥ 1        (q_i = y_i f(θ; x_i); multiclass: f_{y_i} − f_j for every j ≠ y_i)

has the KKT conditions  g = Σ_i λ_i ∇q_i(θ),  g ∈ ∂‖θ‖ = {g : ‖g‖_* ≤ 1, ⟨g, θ⟩ = ‖θ‖},  λ ≥ 0,  λ_i(q_i − 1) = 0
(Lyu & Li 2020, arXiv 1906.05890, Def. C.1 for ℓ2; the subdifferential form of Tsilivis, Vardi, Kempe 2024,
arXiv 2410.22069v3, and Gronich & Vardi 2026 for non-smooth norms). At θ take the unit direction u = θ/‖θ‖, its
normalized margins q_i(u), γ = min_i q_i(u) > 0, and the scale-free data

    a_i = ∇q_i(u)/(L γ)   (so ⟨a_i, u⟩ = q_i(u)/γ by Euler's identity),     c_i = q_i(u)/γ − 1 ≥ 0.

The residual is the least total violation over multipliers ν ≥ 0 and a dual-ball element g (‖g‖_* ≤ 1):

    r(θ) = min  ε + δ + η,   ε = ‖g − Σ_i ν_i a_i‖_*  (stationarity),   δ = Σ_i ν_i c_i  (complementary slackness),
                             η = 1 − ⟨g, u⟩  (how far g is from ∂‖u‖: g is an η-subgradient).

r ∈ [0, 1] (ν = 0 and g ∈ ∂‖u‖ give 1) and r = 0 exactly at a KKT point of the margin problem (u rescaled to
margin 1), in every geometry, scale free. It is a convex program (an LP, SOCP or SDP with the norm), and weak
duality gives its dual in closed form (swap the min over (ν, g) with the max that defines ‖·‖_*):

    r(θ) = max { 1 − ‖w − u‖ :  ‖w‖ ≤ 1,  ⟨a_i, w⟩ ≤ c_i for all i }

— the point is far from KKT exactly when a short direction d = u − w raises every normalized margin at first order.
Both programs are solved; the bounds are recomputed in float64 from the returned points made feasible (ν clipped
at 0 and g scaled into the dual ball for the upper bound; w solved with constraints tightened by `TIGHTEN`, then
scaled toward 0, which is feasible, for the lower bound): lower ≤ r(θ) ≤ upper, whatever the solver reported.

What a residual near 0 certifies: θ's direction is an approximate KKT point of a non-convex problem — a stationary
point, not the global max margin; what a lower bound away from 0 certifies: θ's direction is not one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import torch

from numerics.errors import SolverError
from numerics.norms.parameters import ParameterNorm
from numerics.references.solve import SOLVER_OPTIONS

TIGHTEN = 1e-7
"""The dual program's constraints are tightened by this much (‖w‖ ≤ 1 − τ, ⟨a_i, w⟩ ≤ c_i − τ) so that a solver's
feasibility error (~1e-8 for Clarabel) does not force the scaling repair to 0; the lower bound loses O(τ)."""

ATOL = 1e-6
"""A residual is accepted when its certified bracket is this narrow (absolute: r is dimensionless, in [0, 1])."""


@dataclass(frozen=True)
class NetworkKKT:
    """lower ≤ r(θ) ≤ upper in `geometry`; ε, δ, η the parts of the upper bound; ν the normalized multipliers,
    γ the minimum normalized margin of θ's direction, `solver` the solvers that gave the two points."""

    geometry: str
    lower: float
    upper: float
    epsilon: float
    delta: float
    eta: float
    multipliers: np.ndarray
    margin: float
    solver: str

    @property
    def gap(self) -> float:
        return self.upper - self.lower


def margins(model, params: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """q_i(θ): y_i f(θ; x_i) for one output, f_{y_i} − f_j for j ≠ y_i (n(k − 1) of them) for scores."""
    out = model([p[None] for p in params], X)[0]
    if out.ndim == 1:
        if not bool(((y == 1) | (y == -1)).all()):
            raise ValueError("binary labels must be ±1 for a network with one output")
        return y.to(out.dtype) * out
    k = out.shape[-1]
    if not 0 <= int(y.min()) <= int(y.max()) < k:
        raise ValueError(f"labels {int(y.min())}…{int(y.max())} for a network with {k} outputs")
    own = out.gather(1, y.long()[:, None])
    others = ~torch.nn.functional.one_hot(y.long(), k).bool()
    return (own - out)[others]


def alignment(model, params, X, y, norm: ParameterNorm) -> float:
    """a(θ) = ⟨−∇L(θ), θ⟩ / (‖∇L(θ)‖_* ‖θ‖) ∈ [−1, 1] in `norm`'s pairing (Hölder), L the exponential loss of a
    one-output network, computed from ∇log L (the same direction; no underflow). Ji & Telgarsky 2020 (arXiv
    2006.06657v2) prove a → 1 in ℓ2 along gradient flow on homogeneous networks with locally Lipschitz gradients. In
    any geometry, −∇L = Σ_i e^{−q_i}∇q_i/n is a positive combination of the margins' gradients; where it tends to the
    multiplier combination Σλ_i∇q_i of a KKT point, which lies in ∂‖θ‖, a → ⟨g, θ⟩/‖θ‖ = 1 in that pairing."""
    theta = [torch.as_tensor(np.asarray(p), dtype=torch.float64).clone().requires_grad_() for p in params]
    q = margins(model, theta, torch.as_tensor(np.asarray(X), dtype=torch.float64), torch.as_tensor(np.asarray(y)))
    if q.shape[0] != len(X):
        raise ValueError("the alignment is taken on the exponential loss of a one-output network")
    grad = torch.autograd.grad(torch.logsumexp(-q, 0), theta)
    inner = -sum(float((g * p.detach()).sum()) for g, p in zip(grad, theta))
    scale = norm.dual.value([g.detach() for g in grad]) * norm.value([p.detach() for p in theta])
    if not scale > 0:
        raise ValueError("θ = 0 or ∇L = 0: no alignment")
    return inner / scale


def problem_data(model, params, X, y, norm: ParameterNorm):
    """u (layers of θ/‖θ‖), γ, a (one (m, *shape) array per layer) and c of the module docstring, in float64."""
    if not model.degree:
        raise ValueError(f"{model!r} is not positively homogeneous (no degree): no scale-free KKT residual")
    theta = [torch.as_tensor(np.asarray(p), dtype=torch.float64) for p in params]
    X = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(y))
    size = norm.value(theta)
    if not size > 0:
        raise ValueError("θ = 0 has no direction: no KKT residual")
    u = [p / size for p in theta]
    q = margins(model, u, X, y).detach()
    gamma = float(q.min())
    if not gamma > 0:
        raise ValueError(f"θ does not separate the data (least normalized margin {gamma:.3g} ≤ 0): no KKT residual")
    jac = torch.autograd.functional.jacobian(lambda *layers: margins(model, list(layers), X, y), tuple(u))
    a = [np.asarray(J, dtype=np.float64) / (model.degree * gamma) for J in jac]
    c = np.asarray(q, dtype=np.float64) / gamma - 1.0
    return [np.asarray(p, dtype=np.float64) for p in u], gamma, a, c


def _pair(a: list[np.ndarray], layers: list) -> np.ndarray | cp.Expression:
    """Σ_l ⟨a_{i,l}, W_l⟩ for every i: (m,)."""
    return sum(A.reshape(len(A), -1) @ (cp.reshape(W, (A[0].size,), order="C") if isinstance(W, cp.Expression)
                                         else np.ravel(W)) for A, W in zip(a, layers))


def _combination(a: list[np.ndarray], nu) -> list:
    """Σ_i ν_i a_i, per layer."""
    if isinstance(nu, cp.Expression):
        return [cp.reshape(A.reshape(len(A), -1).T @ nu, A.shape[1:], order="C") for A in a]
    return [np.tensordot(nu, A, axes=1) for A in a]


def kkt_residual(model, params, X, y, norm: ParameterNorm) -> NetworkKKT:
    """The certified residual r(θ) of the module docstring for `model` at `params` (one configuration's layers in
    their natural shapes) on (X, y), in the geometry `norm`. Each of the norm's solvers is tried on both programs in
    turn (with the suite's `SOLVER_OPTIONS`) until the bracket closes to `ATOL`. Raises ValueError if θ does not
    separate the data, `SolverError` if no solver closes the bracket."""
    u, gamma, a, c = problem_data(model, params, X, y, norm)
    m, shapes = len(c), [p.shape for p in u]
    nu, g = cp.Variable(m, nonneg=True), [cp.Variable(s) for s in shapes]
    stationarity = norm.dual.cvxpy([gl - sl for gl, sl in zip(g, _combination(a, nu))])
    alignment = sum(cp.sum(cp.multiply(gl, ul)) for gl, ul in zip(g, u))
    primal = cp.Problem(cp.Minimize(stationarity + c @ nu + 1 - alignment), [norm.dual.cvxpy(g) <= 1])
    w = [cp.Variable(s) for s in shapes]
    dual = cp.Problem(cp.Maximize(1 - norm.cvxpy([wl - ul for wl, ul in zip(w, u)])),
                      [norm.cvxpy(w) <= 1 - TIGHTEN, _pair(a, w) <= c - TIGHTEN])
    tried = []
    for solver in norm.solvers:
        try:
            with warnings.catch_warnings():  # "may be inaccurate": the bracket below decides that
                warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                for problem in (primal, dual):
                    problem.solve(solver=solver, **SOLVER_OPTIONS.get(solver, {}))
        except cp.error.SolverError as exc:
            tried.append(f"{solver}: {exc}")
            continue
        if nu.value is None or any(v.value is None for v in (*g, *w)):
            tried.append(f"{solver}: {primal.status}/{dual.status}")
            continue
        found = _bracket(norm, u, a, c, nu.value, [gl.value for gl in g], [wl.value for wl in w], gamma, solver)
        if found.upper - found.lower <= ATOL:
            return found
        tried.append(f"{solver}: bracket [{found.lower:.3g}, {found.upper:.3g}]")
    raise SolverError(f"no solver closed the {norm.name} KKT residual's bracket to {ATOL:g}: {'; '.join(tried)}", ())


def _bracket(norm, u, a, c, nu, g, w, gamma, solver) -> NetworkKKT:
    """lower ≤ r ≤ upper recomputed in float64 from the returned points made feasible (module docstring)."""
    nu_v = np.maximum(np.asarray(nu, dtype=np.float64), 0.0)
    g_v = [np.asarray(gl, dtype=np.float64) for gl in g]
    g_v = [gl / max(1.0, norm.dual.value(g_v)) for gl in g_v]
    epsilon = norm.dual.value([gl - sl for gl, sl in zip(g_v, _combination(a, nu_v))])
    delta = float(nu_v @ c)
    eta = 1.0 - float(sum(np.vdot(gl, ul) for gl, ul in zip(g_v, u)))
    w_v = [np.asarray(wl, dtype=np.float64) for wl in w]
    rise = _pair(a, w_v)
    over = rise > c
    scale = min([1.0, 1.0 / max(norm.value(w_v), 1e-300)] + list(c[over] / rise[over]))
    lower = max(0.0, 1.0 - norm.value([scale * wl - ul for wl, ul in zip(w_v, u)]))
    upper = epsilon + delta + eta
    if not np.isfinite(upper):
        upper = np.inf
    return NetworkKKT(norm.name, lower, upper, epsilon, delta, eta, nu_v, gamma, solver)
