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


def _layout_like(mask: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """`mask` (…, n, k) with the memory order of `scores`' last two dimensions (class-major or sample-major)."""
    if scores.stride(-1) == 1 or mask.ndim < 2:
        return mask
    return mask.transpose(-1, -2).contiguous().transpose(-1, -2)


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
            return self._cross_entropy_value_and_grad(out, y, log_domain)
        if self.kind == "squared":
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
        return value, direction * weight

    @staticmethod
    def _cross_entropy_value_and_grad(scores: torch.Tensor, y: torch.Tensor, log_domain: bool):
        """`value_and_grad` for ℓ = softplus(z), z = logsumexp_{j≠y}(s_j − s_y): ∂ℓ_i/∂s_j = σ(z)·softmax_j over
        the rivals, −σ(z) at the own class. One exponential pass e = exp(s_j − s_y − m) (m the rivals' max)
        gives z = m + log Σe (as `torch.logsumexp` computes it) and the softmax e/Σe, with Σe ∈ [1, k − 1].
        Every full-size operation is in place or elementwise with operands in the layout of `scores` (the class
        masks are laid out like it: mixing layouts costs 3–5× here), so the result has that layout too
        (`Linear.outputs`)."""
        is_own = y[..., None] == torch.arange(scores.shape[-1], device=y.device)
        own_mask = _layout_like(is_own.to(scores.dtype), scores)  # 1 at the own class
        diff = scores - scores.gather(-1, y.expand(*scores.shape[:-2], -1)[..., None])
        diff.add_(_layout_like(torch.zeros_like(own_mask).masked_fill_(is_own, -torch.inf), scores))
        m = diff.amax(dim=-1, keepdim=True)
        m.masked_fill_(m.abs() == torch.inf, 0)
        e = diff.sub_(m).exp_()  # 0 at the own class
        total_e = e.sum(dim=-1)
        z = total_e.log().add_(m.squeeze(-1))
        log_slope = -F.softplus(-z)  # log ∂ℓ/∂z = log σ(z)
        n = y.shape[-1]
        if log_domain:
            total = torch.logsumexp(_log_softplus(z), dim=-1, keepdim=True)
            weight, value = torch.exp(log_slope - total), total.squeeze(-1) - math.log(n)
        else:
            weight, value = torch.exp(log_slope) / n, F.softplus(z).mean(dim=-1)
        grad = e.mul_((weight / total_e)[..., None])
        return value, grad.addcmul_(own_mask, weight[..., None], value=-1)

    def __repr__(self) -> str:
        return f"Loss({self.kind!r})"
