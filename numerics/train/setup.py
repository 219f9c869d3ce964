"""What both training paths share: the run as set up (`Setup`: data, model, loss, optimizer, schedule, the choice
of ∇L or ∇log L) and what they record (`Recorded`).

Where it gives the same steps — a scale-free optimizer, or the schedule η/L with a step linear in the gradient and
no memory (`gradient_degree`) — the engine differentiates log L instead of L (full precision late in training;
`numerics.losses`). Momentum, noise and Adam always see ∇L.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from numerics.losses import Loss
from numerics.models import Model
from numerics.norms.base import namespace
from numerics.optim.schedules import Schedule

Metric = Callable[[list[torch.Tensor], torch.Tensor, torch.Tensor], torch.Tensor]
"""(params, X, y) → one number per configuration, shape (B,)."""


@dataclass
class Setup:
    """One run, set up: X (n, d) shared or (B, n, d) one data set per configuration, y (n,) or (B, n); the
    parameters (`params`, (B, …)) and the optimizer's `leaves` (the same, or their natural-shape copies)."""

    model: Model
    X: torch.Tensor
    y: torch.Tensor
    loss: Loss
    optimizer: torch.optim.Optimizer
    params: list[torch.Tensor]
    leaves: list[torch.Tensor]
    natural: bool
    steps: int
    record_every: int
    schedule: Schedule | None
    batch_size: int | None
    seed: int
    generator: torch.Generator
    device: torch.device
    dtype: torch.dtype
    metrics: dict[str, Metric]
    record_params: bool
    log_loss: bool | None = None
    """`RunSpec.log_loss`: None lets `log_domain` decide."""

    @property
    def batch(self) -> int:
        return self.params[0].shape[0]

    @property
    def n(self) -> int:
        return self.X.shape[-2]

    @property
    def data_batched(self) -> bool:
        """Whether configuration b trains on its own data set X[b]."""
        return self.X.ndim == 3

    @property
    def degree(self) -> int | None:
        return getattr(self.optimizer, "gradient_degree", None)

    @property
    def adaptive(self) -> bool:
        return self.schedule is not None and self.schedule.log_domain

    @property
    def reads_loss(self) -> bool:
        """Whether the schedule needs L at every step (η/L on ∇L; in the log domain log L comes with ∇log L)."""
        return self.adaptive

    @property
    def log_domain(self) -> bool:
        """∇log L = ∇L/L gives the same steps with full precision where L underflows when the step is scale free
        (degree 0), and, with lr η for the schedule η/L, when it is linear in the gradient (degree 1); or as the run
        was told (`log_loss`)."""
        if self.log_loss is not None:
            return self.log_loss
        return self.degree == 0 or (self.adaptive and self.degree == 1)

    def batched(self) -> list[torch.Tensor]:
        """The parameters as the model takes them, (B, ...): views of the optimizer's natural-shape leaves."""
        return [q.unsqueeze(0) for q in self.leaves] if self.natural else self.leaves

    def learning_rate(self, step, value, base):
        """η_t of the run's schedule (`learning_rate`)."""
        return learning_rate(self.schedule, self.adaptive, self.log_domain, self.degree, step, value, base)

    def config(self) -> dict:
        """The run's configuration (the engine adds its own: backend, threads, versions)."""
        return {"seed": self.seed, "steps": self.steps, "batch": self.batch, "batch_size": self.batch_size,
                "loss": self.loss.kind, "device": str(self.device), "dtype": str(self.dtype),
                "log_domain": self.log_domain, "schedule": None if self.schedule is None else self.schedule.kind,
                "natural_shape": self.natural, "data_sets": self.batch if self.data_batched else 1,
                "model": type(self.model).__name__, "optimizer": type(self.optimizer).__name__}


def learning_rate(schedule: Schedule, adaptive: bool, log_domain: bool, degree: int | None, step, value, base):
    """η_t of `schedule` at `step` with the objective's `value` per configuration (L, or log L in the log domain)
    and the group's own lr `base`; array API, so that both paths compute it with this code."""
    if adaptive and log_domain:  # η/L: η with ∇log L at degree 1, η·e^{−log L} at degree 0
        eta = schedule.eta(base)
        return eta if degree == 1 else eta * namespace(value).exp(-value)
    return schedule(step, value, base)


@dataclass
class Recorded:
    """The records of a run: the steps, the values per configuration (loss, log_loss, accuracy, the metrics),
    parameter snapshots when asked, the final parameters, where it diverged, and what the path adds to the
    configuration."""

    setup: Setup
    steps: list[int] = field(default_factory=list)
    values: dict[str, list] = field(default_factory=dict)
    snapshots: list[list[np.ndarray]] = field(default_factory=list)
    final: list[np.ndarray] = field(default_factory=list)
    diverged_at: int | None = None
    config: dict = field(default_factory=dict)

    def add(self, step: int, params: list[torch.Tensor] | None, values: dict[str, np.ndarray] | None = None):
        """Record `params` (B, …) at `step`: loss, log loss and accuracy over all the data (computed here unless
        `values` gives them), every metric, and a snapshot when asked (`params` may be None when neither metrics nor
        snapshots are asked and `values` are given)."""
        s = self.setup
        if values is None:
            out = s.model(params, s.X)
            values = {"loss": s.loss.mean(out, s.y), "log_loss": s.loss.log_mean(out, s.y),  # exact if L underflows
                      "accuracy": s.loss.accuracy(out, s.y)}
        for name, metric in s.metrics.items():
            values[name] = metric(params, s.X, s.y)
        self.steps.append(step)
        for name, value in values.items():
            value = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
            self.values.setdefault(name, []).append(value)
        if s.record_params:
            self.snapshots.append([p.detach().cpu().numpy().copy() for p in params])
