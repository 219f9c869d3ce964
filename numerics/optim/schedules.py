"""Step-size schedules η_t: constant, η/√(t+1) (NucGD's schedule), and the loss-adaptive η/L(θ_t), under which
GD's margin converges fast (Nacson et al. 2019; Ji & Telgarsky 2021).

A schedule maps (step, loss per configuration) to the learning rate and `apply`s it to an optimizer's
groups. `log_domain` marks η/L: its step η∇L/L is η∇log L, which the engine computes as the gradient of
log L (`numerics.losses`), exact where L itself underflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Schedule:
    kind: str
    lr: float | torch.Tensor

    @property
    def log_domain(self) -> bool:
        return self.kind == "loss_adaptive"

    def __call__(self, step: int, loss: torch.Tensor | None = None):
        if self.kind == "constant":
            return self.lr
        if self.kind == "inverse_sqrt":
            return self.lr / math.sqrt(step + 1)
        if loss is None:
            raise ValueError("the loss-adaptive schedule η/L needs the loss")
        return self.lr / loss

    def apply(self, optimizer: torch.optim.Optimizer, step: int, loss: torch.Tensor | None = None) -> None:
        """Set every group's lr to η_t (a tensor over configurations when η or the loss is one)."""
        lr = self(step, loss)
        for group in optimizer.param_groups:
            group["lr"] = lr


def constant(lr) -> Schedule:
    return Schedule("constant", lr)


def inverse_sqrt(lr) -> Schedule:
    return Schedule("inverse_sqrt", lr)


def loss_adaptive(lr) -> Schedule:
    return Schedule("loss_adaptive", lr)
