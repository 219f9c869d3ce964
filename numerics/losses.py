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


def _rival_differences(scores: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(s_j − s_y with −∞ at j = y, the mask j = y) for scores (..., n, k) and labels (n,) or (..., n)."""
    is_own = y[..., None] == torch.arange(scores.shape[-1], device=y.device)
    own = scores.gather(-1, y.expand(*scores.shape[:-2], -1)[..., None])
    return (scores - own).masked_fill(is_own, -torch.inf), is_own


def _rival_lse(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """logsumexp_{j≠y}(s_j − s_y)."""
    return torch.logsumexp(_rival_differences(scores, y)[0], dim=-1)


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
        return 2 * torch.log((out - y).abs()) - math.log(2)  # not log(½r²): r² underflows at |r| < 1e-162

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

    def value_and_grad(self, out: torch.Tensor, y: torch.Tensor, log_domain: bool = False):
        """(objective per configuration, ∂Σ objective/∂out) without autograd: the objective is mean_i ℓ_i, or
        log of it when `log_domain`. Each ∂ℓ_i/∂out_i is formed from its logarithm, so that in the log domain
        the weights ∂ℓ_i/∂out_i / Σℓ stay exact where ℓ_i underflows."""
        if self.kind == "cross_entropy":
            diff, is_own = _rival_differences(out, y)
            z = torch.logsumexp(diff, dim=-1)  # ℓ = softplus(z)
            log_slope = -F.softplus(-z)  # log ∂ℓ/∂z = log σ(z)
            # ∂z/∂s: softmax over the rivals (from z: torch.softmax is slow over a few classes), −1 at the own class
            direction = torch.exp(diff - z[..., None]) - is_own.to(out.dtype)
            log_l, l = (_log_softplus(z), None) if log_domain else (None, F.softplus(z))
        elif self.kind == "squared":
            residual = out - y
            log_slope, direction = torch.log(residual.abs()), torch.sign(residual)
            log_l, l = (2 * log_slope - math.log(2), None) if log_domain else (None, 0.5 * residual**2)
        else:
            m = y * out
            log_slope = -F.softplus(m) if self.kind == "logistic" else -m  # log |∂ℓ/∂m|
            direction = -y
            log_l, l = (self.log_per_sample(out, y), None) if log_domain else (None, self.per_sample(out, y))
        if log_domain:
            total = torch.logsumexp(log_l, dim=-1, keepdim=True)
            weight = torch.exp(log_slope - total)
            value = total.squeeze(-1) - math.log(y.shape[-1])
        else:
            weight = torch.exp(log_slope) / y.shape[-1]
            value = l.mean(dim=-1)
        grad = direction * (weight[..., None] if self.kind == "cross_entropy" else weight)
        return value, grad

    def __repr__(self) -> str:
        return f"Loss({self.kind!r})"
