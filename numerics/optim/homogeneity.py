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

from numerics.optim.noisy import NoisySGD
from numerics.optim.steepest import SteepestDescent

LINEAR = (torch.optim.SGD, NoisySGD)
SCALE_FREE = tuple(getattr(torch.optim, name) for name in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop",
                                                            "Adagrad", "Adafactor", "Rprop", "Muon")
                   if hasattr(torch.optim, name))


def homogeneity(optimizer: torch.optim.Optimizer) -> int | None:
    """1 (linear in the gradient), 0 (scale-free) or None (unknown); see the module docstring."""
    if isinstance(optimizer, SteepestDescent):
        kinds = {group["normalized"] for group in optimizer.param_groups}
        return None if len(kinds) > 1 else (0 if kinds == {True} else 1)
    if isinstance(optimizer, LINEAR):
        return 1
    if isinstance(optimizer, SCALE_FREE):
        return 0
    return None
