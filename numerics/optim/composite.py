"""Several optimizers as one `torch.optim.Optimizer`, each on its own parameters — how Muon is used: torch's Muon
documentation recommends it for the hidden weight matrices only, with AdamW (or another optimizer) on the rest.

    Composite([torch.optim.Muon(params[:-1], lr=0.02), torch.optim.AdamW(params[-1:], lr=1e-3)])

Its `param_groups` are the children's own group dicts, so a learning-rate scheduler or schedule that sets
`group["lr"]` reaches the child that owns the group. Its homogeneity (how its steps scale with the gradient,
`numerics.optim.homogeneity`) is the children's when they agree, None when they differ.
"""

from __future__ import annotations

import torch

from numerics.optim.homogeneity import homogeneity as homogeneity_of


class Composite(torch.optim.Optimizer):
    """`optimizers` stepped together; a parameter may belong to one of them only."""

    def __init__(self, optimizers):
        self.optimizers = list(optimizers)
        if not self.optimizers:
            raise ValueError("a Composite needs at least one optimizer")
        params = [p for o in self.optimizers for group in o.param_groups for p in group["params"]]
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter is given to two of the Composite's optimizers")
        super().__init__(params, {k: v for o in self.optimizers for k, v in o.defaults.items()})
        self.param_groups = [group for o in self.optimizers for group in o.param_groups]

    def add_param_group(self, param_group: dict) -> None:
        if hasattr(self, "optimizers") and getattr(self, "param_groups", None) is not None and self.param_groups:
            raise NotImplementedError("add the group to the child optimizer that should step it")
        super().add_param_group(param_group)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for optimizer in self.optimizers:
            optimizer.step()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return {"optimizers": [o.state_dict() for o in self.optimizers]}

    def load_state_dict(self, state_dict: dict) -> None:
        for optimizer, state in zip(self.optimizers, state_dict["optimizers"], strict=True):
            optimizer.load_state_dict(state)

    @property
    def homogeneity(self) -> int | None:
        kinds = {homogeneity_of(o) for o in self.optimizers}
        return kinds.pop() if len(kinds) == 1 else None

    def __repr__(self) -> str:
        return "Composite(" + ", ".join(type(o).__name__ for o in self.optimizers) + ")"
