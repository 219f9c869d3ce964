"""`RuleOptimizer`: the `torch.optim.Optimizer` face of an update rule (`numerics.optim.rules`).

Each group steps by the `Rule` that `rule(group, batch_dims)` builds from the group's hyperparameters, on torch
tensors; the compiled training path (`numerics.train.compiled`) asks the same optimizer for the same rules and runs
them on JAX arrays. One source per rule: what a user's `optimizer.step()` does is what the compiled path compiles.
"""

from __future__ import annotations

import torch

from numerics.optim.rules import Rule


class RuleOptimizer(torch.optim.Optimizer):
    """A `torch.optim.Optimizer` whose every group steps by its `Rule`. Subclasses define `rule(group, batch_dims)`;
    the rule's state lives in `self.state[first parameter of the group]["rule"]`. `seed` seeds the generator of
    the rule's noise and random starts (one per device)."""

    seed: int = 0

    def rule(self, group: dict, batch_dims: int) -> Rule:
        """The group's rule for parameters with `batch_dims` leading configuration dimensions."""
        raise NotImplementedError

    def batch_dims(self, group: dict) -> int:
        """The leading configuration dimensions of the group's parameters (the group's `batch_dims`, or the
        optimizer's)."""
        return group.get("batch_dims", getattr(self, "_batch_dims", 0))

    def rules(self, batch_dims: int | None = None) -> list[Rule]:
        """Every group's rule (with the group's own `batch_dims`, or the one given: 0 for the compiled path, where
        `jax.vmap` adds the configurations)."""
        return [self.rule(g, self.batch_dims(g) if batch_dims is None else batch_dims) for g in self.param_groups]

    @property
    def homogeneity(self) -> int | None:
        """d with steps(c·∇L) = c^d·steps(∇L) over a whole run (`numerics.optim.homogeneity`): 1 linear, 0
        scale-free, None unknown. By default the rules' common `gradient_degree`; optimizers whose state (a momentum
        buffer) keeps the degree without being a function of the current gradient alone declare their own."""
        return self.gradient_degree

    @property
    def gradient_degree(self) -> int | None:
        """d with step(c·g) = c^d·step(g) for c > 0 when every group's step depends on the current gradient alone
        (the same d for all), else None: the engine then may train on ∇log L = ∇L/L (`numerics.train`)."""
        degrees = {rule.gradient_degree for rule in self.rules(0)}
        return degrees.pop() if len(degrees) == 1 else None

    def generator(self, device: torch.device) -> torch.Generator:
        """The seeded generator of this optimizer on `device` (made on first use)."""
        generators = self.__dict__.setdefault("_generators", {})
        if device not in generators:
            generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return generators[device]

    def noise(self, like: torch.Tensor) -> torch.Tensor:
        """ξ ~ N(0, I) of `like`'s shape, drawn on its device by the seeded generator."""
        return torch.randn(like.shape, generator=self.generator(like.device), dtype=like.dtype, device=like.device)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            rule = self.rule(group, self.batch_dims(group))
            state = self.state[params[0]]
            if "rule" not in state:
                state["rule"] = rule.init(params)
            new, state["rule"] = rule.step(params, [p.grad for p in params], state["rule"], group["lr"], self.noise,
                                           rule.hyper)
            for p, q in zip(params, new):
                p.copy_(q)
        return loss
