"""Losses, stable at any margin: L = mean_i ℓ_i and log L computed without forming L.

  logistic     ℓ = log(1 + e^{−m}),  m = y f            (binary)
  exponential  ℓ = e^{−m}                               (binary)
  cross_entropy ℓ = log(1 + Σ_{j≠y} e^{s_j − s_y})      (multiclass, = softplus(logsumexp_{j≠y}(s_j − s_y)))
  squared      ℓ = ½ (f − y)²                            (regression)

Cross-entropy is written through logsumexp over the rival classes, never as softmax − one-hot, whose
1 − p_y loses all precision once the loss is below machine epsilon. `log_mean` (= log L through logsumexp of
log ℓ_i) has gradient ∇L/L: the same direction as ∇L with full precision even where L underflows, which is
what normalized steepest descent needs late in training (Soudry et al. 2018: L ~ 1/t).

The definitions (`per_sample`, `log_per_sample`, `mean`, `log_mean`) are written once against the array API: torch
tensors in the eager path and its autograd, JAX arrays in the compiled path (differentiated by `jax.grad`).
`value_and_grad` is the eager path's analytic gradient, torch only, tested against autograd of the definitions.
"""

from __future__ import annotations

import math

import array_api_compat
import torch
import torch.nn.functional as F

from numerics.norms.base import constant, namespace

KINDS = ("logistic", "exponential", "cross_entropy", "squared")


def softplus(z):
    """log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}), exact at every z (as logaddexp(0, z) computes it). Written with
    `where`, its autodiff is elementwise and fuses (logaddexp's costs 8% more per compiled normalized GD step on the
    peer workload), and its gradient is σ(z) at every z, ½ at 0 (no tie of a maximum or kink of |z| is
    differentiated)."""
    xp = namespace(z)
    positive = z > 0
    return xp.where(positive, z, 0.0) + xp.log1p(xp.exp(xp.where(positive, -z, z)))


def logsumexp(a, axis: int = -1):
    """log Σ e^{a_i} along `axis`, shifted by the maximum (−∞ entries are 0 terms; all −∞ gives −∞). The shift is a
    constant to autodiff: its gradient cancels exactly (∂/∂m [m + log Σ e^{a_i − m}] = 0), and tracing it through
    the maximum costs two reductions per call (measured: 6% of a compiled normalized GD step on
    `benchmarks/engine.py`'s peer workload)."""
    xp = namespace(a)
    m = constant(xp.max(a, axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, 0.0)
    return xp.squeeze(m, axis=axis) + xp.log(xp.sum(xp.exp(a - m), axis=axis))


def _log_softplus(z):
    """log(log(1 + e^z)), exact for z → −∞ (≈ z) without NaN gradients from the unused branch."""
    xp = namespace(z)
    small = z < -30
    safe = xp.where(small, 0.0, z)
    return xp.where(small, z, xp.log(softplus(safe)))


def _rival_lse(scores, y):
    """logsumexp_{j≠y}(s_j − s_y) for scores (..., n, k) and labels (n,) or (..., n)."""
    xp = namespace(scores)
    labels = xp.broadcast_to(y, scores.shape[:-1])[..., None]
    is_own = labels == xp.arange(scores.shape[-1], device=array_api_compat.device(scores))
    own = xp.sum(xp.where(is_own, scores, 0.0), axis=-1, keepdims=True)  # exact; its gradient needs no scatter
    return logsumexp(xp.where(is_own, -math.inf, scores - own))


def _mean_and_weights(n: int, log_domain: bool, with_value: bool, log_loss, loss, log_slope, slope):
    """(L = mean_i ℓ_i, ℓ_i'/n), or in the log domain (log L, ℓ_i'/Σ_j ℓ_j), ℓ_i' = ∂ℓ_i/∂m_i the slope: the
    second from log ℓ_i' − logsumexp_j log ℓ_j, exact where ℓ_i underflows. The arguments are thunks giving
    log ℓ_i, ℓ_i, log ℓ_i' and ℓ_i', so that each domain forms only what it needs (L not at all when
    `with_value` is false: None in its place)."""
    if log_domain:
        total = torch.logsumexp(log_loss(), dim=-1, keepdim=True)
        return total.squeeze(-1) - math.log(n), torch.exp(log_slope() - total)
    return loss().mean(dim=-1) if with_value else None, slope() / n


class Loss:
    """One loss: `per_sample(out, y)`, `log_per_sample`, `mean` (L) and `log_mean` (log L), batched over
    leading dimensions of `out` ((..., n) outputs, or (..., n, k) scores for cross-entropy)."""

    def __init__(self, kind: str):
        if kind not in KINDS:
            raise KeyError(f"unknown loss {kind!r}; one of {KINDS}")
        self.kind = kind

    def log_per_sample(self, out, y):
        xp = namespace(out)
        if self.kind == "logistic":
            return _log_softplus(-y * out)
        if self.kind == "exponential":
            return -y * out
        if self.kind == "cross_entropy":
            return _log_softplus(_rival_lse(out, y))
        return 2 * xp.log(xp.abs(out - y)) - math.log(2)  # not log(½r²): r² underflows at |r| < 1e-162

    def per_sample(self, out, y):
        xp = namespace(out)
        if self.kind == "logistic":
            return softplus(-y * out)
        if self.kind == "exponential":
            return xp.exp(-y * out)
        if self.kind == "cross_entropy":
            return softplus(_rival_lse(out, y))
        return 0.5 * (out - y) ** 2

    def mean(self, out, y):
        return namespace(out).mean(self.per_sample(out, y), axis=-1)

    def log_mean(self, out, y):
        return logsumexp(self.log_per_sample(out, y)) - math.log(y.shape[-1])

    def accuracy(self, out, y):
        """The share of points classified right (argmax score, or the sign of the output); NaN for regression."""
        xp = namespace(out)
        if self.kind == "cross_entropy":
            right = xp.argmax(out, axis=-1) == y
        elif self.kind == "squared":
            return xp.full(out.shape[:-1], math.nan, dtype=out.dtype, device=array_api_compat.device(out))
        else:
            right = xp.sign(out) == y
        return xp.mean(xp.astype(right, out.dtype), axis=-1)

    def value_and_grad(self, out: torch.Tensor, y: torch.Tensor, log_domain: bool = False, *,
                       with_value: bool = True):
        """(objective per configuration, ∂Σ objective/∂out) without autograd: the objective is mean_i ℓ_i, or
        log of it when `log_domain`. ∂ℓ_i/∂out_i = ℓ_i'·(direction), with the slope ℓ_i' = ∂ℓ_i/∂m_i formed from
        its logarithm where that keeps the log-domain weights ℓ_i'/Σℓ exact while ℓ_i underflows.
        `with_value=False` skips mean_i ℓ_i where the gradient does not need it (None in its place; the log
        domain's log L comes with its weights)."""
        if self.kind == "cross_entropy":
            return self._cross_entropy_value_and_grad(out, y, log_domain, with_value)
        if self.kind == "squared":
            residual = out - y
            log_slope, direction = torch.log(residual.abs()), torch.sign(residual)
        else:
            m = y * out
            log_slope = -F.softplus(m) if self.kind == "logistic" else -m  # log |∂ℓ/∂m|
            direction = -y
        value, weight = _mean_and_weights(y.shape[-1], log_domain, with_value, lambda: self.log_per_sample(out, y),
                                          lambda: self.per_sample(out, y), lambda: log_slope, lambda: log_slope.exp())
        return value, direction * weight

    @staticmethod
    def _cross_entropy_value_and_grad(scores: torch.Tensor, y: torch.Tensor, log_domain: bool, with_value: bool):
        """`value_and_grad` for ℓ = softplus(z), z = logsumexp_{j≠y}(s_j − s_y): ∂ℓ_i/∂s_j = σ(z)·softmax_j over
        the rivals, −σ(z) at the own class. One exponential pass e = exp(s_j − s_y − m) (m the rivals' max)
        gives z = m + log Σe (as `torch.logsumexp` computes it) and the softmax e/Σe, with Σe ∈ [1, k − 1].
        The work is done on the class-major layout (…, k, n): `Linear.outputs` gives scores in it (the GEMM's
        layout) and other scores are copied into it once (mixing layouts in the elementwise operations costs
        3–5×). The own scores are one gather of contiguous rows, and the class masks are (k, n) tensors added
        or multiplied in (a scatter per call costs 3× more). The gradient comes back as an (…, n, k) view of
        that layout, which `Linear.grad` multiplies without a copy."""
        T, labels = scores.transpose(-1, -2).contiguous(), y.unsqueeze(-2)  # (…, k, n), (…, 1, n)
        is_own = labels == torch.arange(T.shape[-2], device=y.device)[:, None]
        own_mask = is_own.to(T.dtype)  # 1 at j = y
        diff = T - T.gather(-2, labels.expand(*T.shape[:-2], 1, -1))
        diff.add_(torch.zeros_like(own_mask).masked_fill_(is_own, -torch.inf))  # −∞ at j = y
        m = diff.amax(dim=-2, keepdim=True)
        m.masked_fill_(m.abs() == torch.inf, 0)
        e = diff.sub_(m).exp_()  # 0 at the own class
        total_e = e.sum(dim=-2)
        z = total_e.log().add_(m.squeeze(-2))
        value, weight = _mean_and_weights(y.shape[-1], log_domain, with_value, lambda: _log_softplus(z),
                                          lambda: F.softplus(z), lambda: -F.softplus(-z),
                                          lambda: torch.sigmoid(z))  # ∂ℓ/∂z = σ(z)
        grad = e.mul_((weight / total_e).unsqueeze(-2)).addcmul_(own_mask, weight.unsqueeze(-2), value=-1)
        return value, grad.transpose(-1, -2)

    def __repr__(self) -> str:
        return f"Loss({self.kind!r})"
