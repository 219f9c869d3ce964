"""SGD with label noise or Gaussian noise, the two noises of the quadratic-model paper (HaoChen et al. 2021).

Gaussian noise perturbs the step: θ ← θ − η(∇L_B(θ) + σξ), ξ ~ N(0, I). Label noise perturbs the targets:
each step trains on y + σξ (the loop asks the optimizer for them with `perturb(y)`), so the gradient noise is
−(σ/b)Σ_i ξ_i ∇f_i(θ) with covariance (σ²/b²) Σ_i ∇f_i∇f_iᵀ for squared loss: shaped by the model.
σ may be a tensor over the batch dimensions (a sweep of noise levels in one program).
"""

from __future__ import annotations

import torch

from numerics.optim import rules
from numerics.optim.optimizer import RuleOptimizer


class NoisySGD(RuleOptimizer, torch.optim.SGD):
    """`torch.optim.SGD` (dampening 0) plus Gaussian gradient noise (`gaussian_noise=σ`) and/or label noise
    (`label_noise=σ`, applied through `perturb`): the rule `numerics.optim.rules.sgd`. Seeded: its own generator
    draws every ξ."""

    homogeneity = 1
    """Linear in the gradient, as SGD (its noise aside)."""

    def __init__(self, params, lr, *, label_noise=0.0, gaussian_noise=0.0, batch_dims: int = 0, seed: int = 0,
                 **sgd_options):
        unsupported = {k: v for k, v in sgd_options.items() if k in ("dampening", "maximize") and v}
        if unsupported:
            raise ValueError(f"NoisySGD steps by the rule of SGD with dampening 0, minimizing; got {unsupported}")
        torch.optim.SGD.__init__(self, params, lr=lr, **sgd_options)
        self.label_noise, self.gaussian_noise, self._batch_dims = label_noise, gaussian_noise, batch_dims
        self.seed = seed

    def rule(self, group: dict, batch_dims: int) -> rules.Rule:
        return rules.sgd(momentum=group["momentum"], nesterov=group["nesterov"], weight_decay=group["weight_decay"],
                         gaussian_noise=self.gaussian_noise, label_noise=self.label_noise, batch_dims=batch_dims)

    def perturb(self, y: torch.Tensor) -> torch.Tensor:
        """The step's targets with label noise: y + σξ (y itself when label_noise = 0)."""
        if isinstance(self.label_noise, (int, float)) and self.label_noise == 0:
            return y
        return y + rules.per_configuration(self.label_noise, y, self._batch_dims) * self.noise(y)

    step = RuleOptimizer.step
