"""SGD with label noise or Gaussian noise, the two noises of the quadratic-model paper (HaoChen et al. 2021).

Gaussian noise perturbs the step: θ ← θ − η(∇L_B(θ) + σξ), ξ ~ N(0, I). Label noise perturbs the targets:
each step trains on y + σξ (the loop asks the optimizer for them with `perturb(y)`), so the gradient noise is
−(σ/b)Σ_i ξ_i ∇f_i(θ) with covariance (σ²/b²) Σ_i ∇f_i∇f_iᵀ for squared loss: shaped by the model.
σ may be a tensor over the batch dimensions (a sweep of noise levels in one program).
"""

from __future__ import annotations

import torch


class NoisySGD(torch.optim.SGD):
    """`torch.optim.SGD` plus Gaussian gradient noise (`gaussian_noise=σ`) and/or label noise
    (`label_noise=σ`, applied through `perturb`). Seeded: its own generator draws every ξ."""

    def __init__(self, params, lr, *, label_noise=0.0, gaussian_noise=0.0, batch_dims: int = 0, seed: int = 0,
                 **sgd_options):
        super().__init__(params, lr=lr, **sgd_options)
        self.label_noise, self.gaussian_noise, self.batch_dims = label_noise, gaussian_noise, batch_dims
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def _noise(self, like: torch.Tensor) -> torch.Tensor:
        """ξ ~ N(0, I) drawn on `like`'s device (one seeded generator per device: no host transfer per step)."""
        generator = self._generators.get(like.device)
        if generator is None:
            generator = self._generators[like.device] = torch.Generator(device=like.device).manual_seed(self.seed)
        return torch.randn(like.shape, generator=generator, dtype=like.dtype, device=like.device)

    def _sigma(self, sigma, like: torch.Tensor):
        if isinstance(sigma, torch.Tensor) and sigma.ndim > 0:
            b = self.batch_dims
            return sigma.reshape(*sigma.shape[:b], *([1] * (like.ndim - b))).to(like)
        return sigma

    def perturb(self, y: torch.Tensor) -> torch.Tensor:
        """The step's targets with label noise: y + σξ (y itself when label_noise = 0)."""
        if isinstance(self.label_noise, (int, float)) and self.label_noise == 0:
            return y
        return y + self._sigma(self.label_noise, y) * self._noise(y)

    @torch.no_grad()
    def step(self, closure=None):
        if not (isinstance(self.gaussian_noise, (int, float)) and self.gaussian_noise == 0):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.add_(self._sigma(self.gaussian_noise, p) * self._noise(p))
        return super().step(closure)
