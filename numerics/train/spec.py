"""How a run trains, as one object: every option of `numerics.train.run` but the model, the data, the loss and the
optimizer. Callers build it once and pass it down (`verify.convergence` does); `run(..., spec, **options)` replaces
the options given."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping, Sequence

import torch

from numerics.optim.schedules import Schedule

BACKENDS = ("auto", "torch", "compiled")


@dataclass(frozen=True, eq=False)
class RunSpec:
    """`steps` for `batch` configurations, recording every `record_every` (and the parameters if `record_params`),
    with `schedule` (or a torch lr `scheduler`, eager path), mini-batches of `batch_size`, `metrics` recorded beside
    the loss, `seed`, `device`, `dtype`, an `init` overriding the model's, `natural`-shape parameters for the
    optimizer (one configuration), `autograd` on the eager path, a `progress` bar, the `backend` (auto, torch,
    compiled: `numerics.train`), and whether to differentiate `log_loss`."""

    steps: int
    batch: int = 1
    record_every: int = 100
    schedule: Schedule | None = None
    batch_size: int | None = None
    metrics: Mapping[str, Callable] | None = None
    seed: int = 0
    device: Any = None
    dtype: torch.dtype = torch.float64
    record_params: bool = False
    init: Sequence[torch.Tensor] | None = None
    progress: bool | None = None
    autograd: bool = False
    natural: bool = False
    scheduler: Callable[[torch.optim.Optimizer], object] | None = None
    backend: str = "auto"
    log_loss: bool | None = None
    """Differentiate log L in place of L: None where it gives the same steps (`Setup.log_domain`); True for any
    optimizer — exact range where L underflows, and the same steps for one whose step depends on the current
    gradient's direction only, while one with memory (momentum, Adam's averages) then averages ∇L_s/L_s, each past
    gradient weighted by 1/L_s; False never."""

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise ValueError(f"backend {self.backend!r} is not one of {BACKENDS}")
        if self.schedule is not None and self.scheduler is not None:
            raise ValueError("pass a schedule or a torch lr scheduler, not both")
        if self.log_loss is not None and self.schedule is not None and self.schedule.log_domain:
            raise ValueError("the η/L schedule decides itself where it differentiates log L: leave log_loss=None")

    @classmethod
    def of(cls, spec: RunSpec | None, **options) -> RunSpec:
        """`spec` with `options` replaced (a new one from `options` without it); an unknown option is a TypeError
        naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown run options {unknown}; a run takes {sorted(known)}")
        base = {} if spec is None else {f.name: getattr(spec, f.name) for f in fields(cls)}
        return cls(**{**base, **options})
