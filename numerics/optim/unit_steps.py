"""An optimizer's steps rescaled to a given length: its directions, on the clock of normalized steepest descent.

    UnitSteps(torch.optim.SGD(params, lr=0.1))       # normalized GD: θ_{t+1} = θ_t − η_t ∇L/‖∇L‖₂

Each step of the wrapped optimizer moves a group's parameters by Δ_t; `UnitSteps` moves them by η_t Δ_t/‖Δ_t‖₂
instead (η_t the group's current lr; Δ_t = 0 stays 0). The direction of every step is the wrapped optimizer's own,
and its state (momentum, …) evolves as it would, since it does not depend on where the step lands for the
optimizers whose steps are linear in the gradient (`homogeneity` 1: SGD, heavy ball, Nesterov). Their length
then no longer shrinks with the loss: on the exponential loss a constant-step GD direction converges to its limit
at the rate 1/log t (Soudry et al. 2018; Lyu & Li 2020 for homogeneous networks), normalized GD with η/√(t+1) at a
power of t (Nacson et al. 2019, arXiv 1803.01905, Thm. 5; Gronich & Vardi 2026, arXiv 2602.16340v3, Thm. 4.2, whose
normalized ℓ2 steepest descent is this wrapper around SGD) — and for SGD both limits are KKT points of the ℓ2
margin problem. The wrapper is scale free (homogeneity 0).
"""

from __future__ import annotations

import torch


class UnitSteps(torch.optim.Optimizer):
    """`optimizer`'s steps, each group's rescaled to Euclidean length `lr`. Shares the wrapped optimizer's groups,
    so a learning-rate scheduler on it sets η_t."""

    homogeneity = 0

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        super().__init__([p for g in optimizer.param_groups for p in g["params"]], dict(optimizer.defaults))
        self.param_groups = optimizer.param_groups
        self.state = optimizer.state

    def add_param_group(self, param_group: dict) -> None:
        if getattr(self, "param_groups", None):
            raise NotImplementedError("add the group to the wrapped optimizer before wrapping it")
        super().add_param_group(param_group)

    @torch.no_grad()
    def step(self, closure=None):
        before = [[p.detach().clone() for p in g["params"]] for g in self.param_groups]
        loss = self.optimizer.step(closure)
        for group, old in zip(self.param_groups, before):
            steps = [p - q for p, q in zip(group["params"], old)]
            length = torch.sqrt(sum((s * s).sum() for s in steps))
            if float(length) > 0:
                for p, q, s in zip(group["params"], old, steps):
                    p.copy_(q + s * (group["lr"] / length))
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return f"UnitSteps({type(self.optimizer).__name__})"


class RelativeSteps:
    """A learning-rate scheduler for `UnitSteps`: each group's step length c‖θ_t‖₂, c the relative resolution.
    Normalized steps trace gradient flow's trajectory (dθ/dτ = −∇L/‖∇L‖ is a time change of dθ/dt = −∇L); at lengths
    proportional to ‖θ_t‖ the discretization is the same at every scale, from a small initialization (where the flow
    moves in a ball of radius ~ the initialization's) to the late phase, where ‖θ_t‖ then grows geometrically."""

    def __init__(self, optimizer: torch.optim.Optimizer, c: float):
        if not c > 0:
            raise ValueError(f"the relative step c must be positive; got {c}")
        self.optimizer, self.c = optimizer, c
        self.step()

    def step(self) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.c * float(torch.sqrt(sum((p.detach() ** 2).sum() for p in group["params"])))


__all__ = ["RelativeSteps", "UnitSteps"]
