"""How an optimizer's steps scale with the gradient, which decides the rate its margin can converge at.

homogeneity(optimizer) = d with steps(c·∇L) = c^d·steps(∇L) for every c > 0, over a whole run:
  1  linear: SGD (with or without momentum, `NoisySGD` too), unnormalized steepest descent — GD's regime,
     direction at rate 1/log t with a constant step (Soudry et al. 2018);
  0  scale-free: normalized steepest descent, and (up to their ε, which bites once |∇L| ≲ ε) Adam, AdamW,
     Adamax, NAdam, RAdam, RMSprop, Adagrad, Adafactor, Rprop (sign-based), Muon (Frobenius-normalized) —
     margins at rate log t/√t with η/√(t+1) (Gunasekar et al. 2018);
  None unknown (the caller must say which rate it expects).
"""

from __future__ import annotations

import torch

LINEAR = ("SGD",)
SCALE_FREE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adafactor", "Rprop", "Muon")
KNOWN = {**{name: 1 for name in LINEAR}, **{name: 0 for name in SCALE_FREE}}
"""torch's own optimizers, which declare nothing: the suite's declare theirs (`homogeneity`, a property of
`numerics.optim.RuleOptimizer` and of each optimizer class of `numerics.optim`); a third-party class is measured
(`measured_homogeneity`)."""


def homogeneity(optimizer: torch.optim.Optimizer) -> int | None:
    """1 (linear in the gradient), 0 (scale-free) or None (unknown); see the module docstring. The optimizer's
    own declaration first (a `homogeneity` attribute), then torch's classes (`KNOWN`, through the class's bases)."""
    if hasattr(type(optimizer), "homogeneity"):
        return optimizer.homogeneity
    for cls in type(optimizer).__mro__:
        if cls.__module__.startswith("torch.optim") and cls.__name__ in KNOWN:
            return KNOWN[cls.__name__]
    return None


def measured_homogeneity(make_optimizer, shape, scale: float = 1 / 16, seed: int = 0) -> int | None:
    """d measured on one first step: two fresh optimizers from the same point, fed a random gradient g and
    scale·g; step sizes in the ratio 1 (to 1 %) give 0, in the ratio `scale` give 1, anything else None.
    For optimizers `homogeneity` does not know (third-party code); a first step is what every optimizer
    agrees on (Adam's is η·g/(|g| + ε), scale-free while |g| ≫ ε). `shape`: one parameter's shape, or a list of
    shapes (a network's layers: the step's size over all of them)."""
    shapes = [tuple(s) for s in shape] if shape and isinstance(shape[0], (tuple, list)) else [tuple(shape)]
    generator = torch.Generator().manual_seed(seed)
    g = [torch.randn(s, generator=generator, dtype=torch.float64) for s in shapes]
    sizes = []
    for c in (1.0, scale):
        params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
        optimizer = make_optimizer(params)
        for p, gp in zip(params, g):
            p.grad = c * gp
        optimizer.step()
        sizes.append(float(torch.cat([p.detach().reshape(-1) for p in params]).norm()))
    if sizes[0] == 0:
        return None
    ratio = sizes[1] / sizes[0]
    return 0 if abs(ratio - 1) < 0.01 else 1 if abs(ratio / scale - 1) < 0.01 else None
