"""Metrics along a trajectory: each `name(...)` returns a function (params, X, y) → (B,) for `train.run`,
batched over configurations; the plain functions under them act on arrays.

- margin(norm): min_i y_i f(x_i) / ‖θ‖^L (L the model's homogeneity; multiclass: the score margin), the
  normalized margin of `numerics.references.margins` for linear models;
- soft_margin(model, loss, norm): −log L/‖θ‖^L, the smoothed margin (Lyu & Li 2020);
- cosine(ref) / distance(ref): between θ/‖θ‖₂ and ref/‖ref‖₂;
- stable_rank ‖W‖_F²/‖W‖₂², effective_rank exp(H(σ/Σσ)) (Roy & Vetterli 2007);
- network_kkt_residual: the (ε, δ)-KKT residual of Lyu & Li 2020 (`numerics.references.kkt.epsilon_kkt`) for any
  homogeneous binary model (per-point gradients by autograd);
- noether: the quantity gradient flow conserves — Σ_i u_i v_i for the quadratic model w = u⊙u − v⊙v (its
  symmetry (u, v) → (u cosh λ + v sinh λ, u sinh λ + v cosh λ) keeps w), tr(UᵀU − WWᵀ) = ‖U‖² − ‖W‖² for the
  two-layer linear net (u² − w² for f = u·w·x: lemmas noether.flow.scalar/matrix).
"""

from __future__ import annotations

import numpy as np
import torch

from numerics import norms
from numerics.references.kkt import epsilon_kkt
from numerics.references.margins import score_margins
from numerics.norms import Norm


def _flat(params: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([p.reshape(p.shape[0], -1) for p in params], dim=1)


def model_margins(model, params, X, y) -> torch.Tensor:
    """Per-point margins (B, n): y f(x) for binary outputs, the score margin for multiclass scores."""
    out = model(params, X)
    return score_margins(out, y.long()) if out.ndim == 3 else y * out


def margin(model, norm: str | Norm) -> "callable":
    """min_i margin_i / ‖θ‖^L. A matrix norm needs a single matrix parameter (linear multiclass); a vector
    norm is taken over all parameters concatenated."""
    norm = norms.get(norm)
    if model.degree is None:
        raise ValueError(f"{type(model).__name__} is not positively homogeneous: its normalized margin is undefined")
    degree = model.degree

    def metric(params, X, y):
        if norm.ndim == 2:
            if len(params) != 1 or params[0].ndim != 3:
                raise ValueError(f"the matrix norm {norm.name!r} needs one (B, k, d) parameter; got "
                                 f"{[tuple(p.shape) for p in params]}")
            size = norm.value(params[0])
        else:
            size = norm.value(_flat(params))
        return model_margins(model, params, X, y).amin(-1) / size**degree

    return metric


def soft_margin(model, loss, norm: str | Norm) -> "callable":
    """The smoothed normalized margin −log L(θ)/‖θ‖^L (Lyu & Li 2020; in the algorithm's norm: Tsilivis et al.
    2024), a lower bound on the margin that the flow increases once L < 1/n. log L is computed exactly
    (`Loss.log_mean`), so it stays finite where L underflows."""
    from numerics.losses import Loss

    norm, loss = norms.get(norm), (loss if isinstance(loss, Loss) else Loss(loss))
    if model.degree is None or norm.ndim != 1:
        raise ValueError("the soft margin needs a homogeneous model and a vector norm over all parameters")

    def metric(params, X, y):
        return -loss.log_mean(model(params, X), y) / norm.value(_flat(params)) ** model.degree

    return metric


def cosine(reference) -> "callable":
    ref = torch.as_tensor(np.asarray(reference, dtype=np.float64)).ravel()

    def metric(params, X, y):
        flat = _flat(params)
        r = ref.to(flat)
        size = torch.linalg.vector_norm(flat, dim=1)
        cos = (flat @ r) / (size * torch.linalg.vector_norm(r))
        return torch.where(size > 0, cos, torch.nan)  # θ = 0 has no direction

    return metric


def distance(reference) -> "callable":
    ref = torch.as_tensor(np.asarray(reference, dtype=np.float64)).ravel()

    def metric(params, X, y):
        flat = _flat(params)
        size = torch.linalg.vector_norm(flat, dim=1, keepdim=True)
        r = ref.to(flat)
        gap = torch.linalg.vector_norm(flat / size - r / torch.linalg.vector_norm(r), dim=1)
        return torch.where(size.squeeze(1) > 0, gap, torch.nan)  # θ = 0 has no direction

    return metric


def stable_rank(W: torch.Tensor) -> torch.Tensor:
    """‖W‖_F² / ‖W‖₂², batched over leading dimensions."""
    return torch.linalg.matrix_norm(W, "fro") ** 2 / torch.linalg.matrix_norm(W, 2).clamp_min(1e-300) ** 2


def effective_rank(W: torch.Tensor) -> torch.Tensor:
    """exp of the entropy of σ/Σσ (Roy & Vetterli 2007), batched."""
    s = torch.linalg.svdvals(W)
    p = s / s.sum(-1, keepdim=True).clamp_min(1e-300)
    return torch.exp(-(torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))).sum(-1))


def network_kkt_residual(model) -> "callable":
    """ε of the (ε, δ)-KKT residual of min ½‖θ‖² s.t. y_i f(x_i; θ) ≥ 1 at θ/‖θ‖ for a positively homogeneous
    binary model (Lyu & Li 2020, Def. of (ε, δ)-KKT), with ∇_θ y_i f(x_i; θ) by `torch.func.jacrev`; NaN
    where θ does not separate the data."""
    if model.degree is None:
        raise ValueError(f"{type(model).__name__} is not positively homogeneous: no KKT residual")

    def metric(params, X, y):
        shapes = [p.shape[1:] for p in params]
        sizes = [int(np.prod(s)) for s in shapes]
        out = []
        for b in range(params[0].shape[0]):
            flat = torch.cat([p[b].reshape(-1) for p in params])

            def q(theta):
                parts = [t.reshape(1, *s) for t, s in zip(theta.split(sizes), shapes)]
                return y * model(parts, X)[0]

            margins = q(flat)
            if not margins.min() > 0:
                out.append(np.nan)
                continue
            grads = torch.func.jacrev(q)(flat)
            out.append(epsilon_kkt(flat.cpu().numpy(), margins.cpu().numpy(), grads.cpu().numpy(),
                                   model.degree).epsilon)
        return torch.tensor(out, dtype=torch.float64)

    return metric


def noether(params, X=None, y=None) -> torch.Tensor:
    """The conserved quantity of gradient flow (see the module docstring), one number per configuration:
    Σ u⊙v for the quadratic model (two (B, d) vectors), ‖U‖_F² − ‖W‖_F² for the two-layer linear net."""
    a, b = params
    if a.ndim == 2 and b.ndim == 2:
        return (a * b).sum(-1)
    return (a**2).sum((-2, -1)) - (b**2).sum((-2, -1))


__all__ = ["margin", "soft_margin", "cosine", "distance", "stable_rank", "effective_rank", "network_kkt_residual",
           "noether", "model_margins"]
