"""Losses, stable at any margin: L = mean_i ℓ_i and log L computed without forming L.

  logistic     ℓ = log(1 + e^{−m}),  m = y f            (binary)
  exponential  ℓ = e^{−m}                               (binary)
  cross_entropy ℓ = log(1 + Σ_{j≠y} e^{s_j − s_y})      (multiclass, = softplus(logsumexp_{j≠y}(s_j − s_y)))
  squared      ℓ = ½ (f − y)²                            (regression)

Cross-entropy is written through logsumexp over the rival classes, never as softmax − one-hot, whose
1 − p_y loses all precision once the loss is below machine epsilon. `log_mean` (= log L through logsumexp of
log ℓ_i) has gradient ∇L/L: the same direction as ∇L with full precision even where L underflows, which is
what normalized steepest descent needs late in training (Soudry et al. 2018: L ~ 1/t).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

KINDS = ("logistic", "exponential", "cross_entropy", "squared")


def _log_softplus(z: torch.Tensor) -> torch.Tensor:
    """log(log(1 + e^z)), exact for z → −∞ (≈ z) without NaN gradients from the unused branch."""
    small = z < -30
    safe = torch.where(small, torch.zeros_like(z), z)
    return torch.where(small, z, torch.log(F.softplus(safe)))


def _rival_lse(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """logsumexp_{j≠y}(s_j − s_y) for scores (..., n, k), labels (n,)."""
    is_own = y[..., None] == torch.arange(scores.shape[-1], device=y.device)
    own = scores.gather(-1, y.expand(*scores.shape[:-2], -1)[..., None])
    return torch.logsumexp((scores - own).masked_fill(is_own, -torch.inf), dim=-1)


class Loss:
    """One loss: `per_sample(out, y)`, `log_per_sample`, `mean` (L) and `log_mean` (log L), batched over
    leading dimensions of `out` ((..., n) outputs, or (..., n, k) scores for cross-entropy)."""

    def __init__(self, kind: str):
        if kind not in KINDS:
            raise KeyError(f"unknown loss {kind!r}; one of {KINDS}")
        self.kind = kind

    def log_per_sample(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.kind == "logistic":
            return _log_softplus(-y * out)
        if self.kind == "exponential":
            return -y * out
        if self.kind == "cross_entropy":
            return _log_softplus(_rival_lse(out, y))
        return torch.log(0.5 * (out - y) ** 2)

    def per_sample(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.kind == "logistic":
            return F.softplus(-y * out)
        if self.kind == "exponential":
            return torch.exp(-y * out)
        if self.kind == "cross_entropy":
            return F.softplus(_rival_lse(out, y))
        return 0.5 * (out - y) ** 2

    def mean(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.per_sample(out, y).mean(dim=-1)

    def log_mean(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(self.log_per_sample(out, y), dim=-1) - math.log(y.shape[-1])

    def __repr__(self) -> str:
        return f"Loss({self.kind!r})"
