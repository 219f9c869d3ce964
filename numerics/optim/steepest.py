"""Steepest descent under a norm as a `torch.optim.Optimizer`.

    θ ← θ − η·lmo(m)            (normalized; Gunasekar et al. 2018, eq. 4)
    θ ← θ − η·‖m‖_*·lmo(m)      (unnormalized: the same as GD for ℓ2)

with m the gradient, or with momentum β the buffer m ← βm + ∇L (Nesterov: lmo(∇L + βm)). ℓ∞ gives sign
descent, ℓ1 greedy coordinate descent, spectral the orthogonalized step, nuclear the rank-one step of NucGD.
Decoupled weight decay λ first shrinks θ ← (1 − ηλ)θ, as torch's AdamW and Muon do: the normalized step is then
stationary only on the sphere ‖θ‖ = 1/λ (`numerics.references.constrained`).

Batched configurations: parameters whose first `batch_dims` dimensions index configurations get one LMO
per configuration, and `lr` may be a tensor over those dimensions (a step-size sweep in one program).
A vector norm acts on each parameter flattened (or, with `joint=True`, on all of a group's parameters
concatenated: steepest descent on θ as one vector); a matrix norm on each parameter's trailing two dims.
"""

from __future__ import annotations

import torch

from numerics import norms
from numerics.norms import Norm
from numerics.optim import rules
from numerics.optim.optimizer import RuleOptimizer


class SteepestDescent(RuleOptimizer):
    """Normalized (or unnormalized) steepest descent under `norm`, with optional (Nesterov) momentum: the rule
    `numerics.optim.rules.steepest_descent` as a `torch.optim.Optimizer`.

    `lmo_method`: "exact" (the norm's own LMO, by SVD for the Schatten norms), "newton_schulz" (spectral
    only, `lmo_iters` steps) or "power" (nuclear only, `lmo_iters` warm-started power iterations per step, from a
    random v drawn with `seed`).
    """

    def __init__(self, params, lr, norm: str | Norm, *, momentum: float = 0.0, nesterov: bool = False,
                 normalized: bool = True, batch_dims: int = 0, joint: bool = False, lmo_method: str = "exact",
                 lmo_iters: int | None = None, weight_decay: float = 0.0, seed: int = 0):
        norm = norms.get(norm)
        if lmo_method not in norm.lmo_methods:
            raise ValueError(f"lmo_method {lmo_method!r} is not a way to compute the {norm.name} LMO; "
                             f"this norm has {norm.lmo_methods}")
        if joint and norm.ndim != 1:
            raise ValueError("joint=True concatenates parameters into one vector: it needs a vector norm")
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be ≥ 0; got {weight_decay}")
        defaults = dict(lr=lr, norm=norm, momentum=momentum, nesterov=nesterov, normalized=normalized,
                        weight_decay=weight_decay,
                        batch_dims=batch_dims, joint=joint, lmo_method=lmo_method,
                        lmo_iters=lmo_iters or (12 if lmo_method == "newton_schulz" else 1))
        super().__init__(params, defaults)
        self.seed = seed
        self._start = torch.Generator().manual_seed(seed)

    @property
    def homogeneity(self) -> int | None:
        """0 when every group is normalized (scale-free), 1 when none is (linear), None for a mix."""
        kinds = {group["normalized"] for group in self.param_groups}
        return None if len(kinds) > 1 else (0 if kinds == {True} else 1)

    def rule(self, group: dict, batch_dims: int) -> rules.Rule:
        return rules.steepest_descent(group["norm"], momentum=group["momentum"], nesterov=group["nesterov"],
                                      normalized=group["normalized"], weight_decay=group["weight_decay"],
                                      batch_dims=batch_dims, joint=group["joint"], lmo_method=group["lmo_method"],
                                      lmo_iters=group["lmo_iters"], start=self._random_start)

    def _random_start(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        """The power iteration's first v: N(0, I) from this optimizer's seeded CPU generator."""
        return torch.randn(shape, generator=self._start, dtype=torch.float64).to(like)
