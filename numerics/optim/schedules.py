"""Step-size schedules η_t: constant, η/√(t+1) (NucGD's schedule), and the loss-adaptive η/L(θ_t), under which
GD's margin converges fast (Nacson et al. 2019; Ji & Telgarsky 2021).

A schedule maps (step, loss per configuration) to the learning rate and `apply`s it to an optimizer's
groups. η may be left out (`inverse_sqrt()`): then it is each group's own learning rate when the run starts,
so a schedule can be attached to an optimizer built as its users build it. `log_domain` marks η/L: its step
η∇L/L is η∇log L, which the engine computes as the gradient of log L (`numerics.losses`), exact where L
itself underflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from numerics.norms.base import namespace


@dataclass(frozen=True)
class Schedule:
    kind: str
    lr: float | torch.Tensor | None = None
    """η; None: the optimizer's own learning rate (`base`)."""

    @property
    def log_domain(self) -> bool:
        return self.kind == "loss_adaptive"

    def eta(self, base=None):
        """η: this schedule's, or the optimizer's `base` lr when the schedule has none."""
        if self.lr is not None:
            return self.lr
        if base is None:
            raise ValueError(f"the {self.kind} schedule has no η of its own: it needs the optimizer's lr")
        return base

    def __call__(self, step, loss=None, base=None):
        """η_t at `step` (an int, or an array in the compiled path) given the loss per configuration."""
        eta = self.eta(base)
        if self.kind == "constant":
            return eta
        if self.kind == "inverse_sqrt":
            return eta / (math.sqrt(step + 1) if isinstance(step, int) else namespace(step).sqrt(step + 1.0))
        if loss is None:
            raise ValueError("the loss-adaptive schedule η/L needs the loss")
        return eta / loss

    def apply(self, optimizer: torch.optim.Optimizer, step: int, loss: torch.Tensor | None = None) -> None:
        """Set every group's lr to η_t (a tensor over configurations when η or the loss is one); groups keep
        their starting lr (`initial_lr`) as η when the schedule has none."""
        for group in optimizer.param_groups:
            group["lr"] = self(step, loss, group.setdefault("initial_lr", group["lr"]))


def constant(lr=None) -> Schedule:
    return Schedule("constant", lr)


def inverse_sqrt(lr=None) -> Schedule:
    return Schedule("inverse_sqrt", lr)


def loss_adaptive(lr=None) -> Schedule:
    return Schedule("loss_adaptive", lr)
