"""Adam as one of the suite's rule optimizers: the rule `numerics.optim.rules.adam`, so that it trains on the
compiled path. torch's own `torch.optim.Adam` (what the clients claims fingerprint) stays an eager optimizer; the two
take the same steps (tests/test_compiled.py)."""

from __future__ import annotations

from numerics.optim import rules
from numerics.optim.optimizer import RuleOptimizer


class Adam(RuleOptimizer):
    """Adam (Kingma & Ba 2015) with torch's defaults and order of operations; `lr` may be a tensor over the
    configurations (`batch_dims`)."""

    homogeneity = 0
    """Scale-free (while |g| ≫ ε): m/√v is unchanged when every gradient is multiplied by c > 0."""

    def __init__(self, params, lr=1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, *,
                 batch_dims: int = 0):
        if not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1:
            raise ValueError(f"Adam's betas must lie in [0, 1); got {betas}")
        if not eps >= 0:
            raise ValueError(f"Adam's eps must be ≥ 0; got {eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, batch_dims=batch_dims))

    def rule(self, group: dict, batch_dims: int) -> rules.Rule:
        return rules.adam(betas=group["betas"], eps=group["eps"], batch_dims=batch_dims)
