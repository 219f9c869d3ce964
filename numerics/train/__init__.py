"""The training engine: B configurations (seeds, step sizes, noise levels, data sets) as one program.

    traj = run(model, X, y, "logistic", lambda ps: SteepestDescent(ps, lr, "linf", batch_dims=1),
               steps=10_000, batch=8, record_every=100, metrics={"margin": metrics.margin("linf")})

One front door, two paths:
- compiled (`numerics.train.compiled`): the suite's optimizers (`numerics.optim.RuleOptimizer`: steepest descent
  in every norm, NoisySGD, PRGD, dual acceleration) run their update rules as one JAX program between two records
  (`jax.lax` loops, `jax.vmap` over configurations and data sets, no per-step Python), the same rules their
  `step` runs on torch tensors;
- eager (`numerics.train.eager`): any other `torch.optim.Optimizer` — torch's, third-party, a user's, a subclass
  that overrides `step` — or a torch lr scheduler, one Python iteration per step.
`backend="auto"` (default) takes the compiled path whenever the optimizer has a compiled rule, `"torch"` forces the
eager path, `"compiled"` raises `NotCompilableError` naming why there is none. The trajectory's configuration says
which path ran (`backend`) and how long compiling took (`compile_seconds`).

Every parameter has a leading batch dimension B. X of shape (B, n, d) and y of shape (B, n) train configuration b on
its own data set (X (n, d) and y (n,) are shared by all); a run whose parameters turn non-finite stops: the
trajectory ends at the last finite record and `diverged_at` holds the step (never an exception from inside).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from numerics.errors import InvalidDataError
from numerics.losses import Loss
from numerics.models import Model
from numerics.provenance import usable as usable_device
from numerics.provenance import versions
from numerics.train import compiled, eager
from numerics.train.compiled import NotCompilableError
from numerics.train.setup import Metric, Setup
from numerics.train.spec import BACKENDS, RunSpec
ACCOUNT: Counter = Counter()
"""This process's training work: runs on each path ("compiled runs", "eager runs"), "compile seconds" and
"training seconds" (the checklist reports them per claim, beside the references' account)."""


@dataclass
class Trajectory:
    """What `run` recorded: `steps` (T,), `values[name]` (T, B), optionally `params` (each (T, B, ...)),
    the final parameters, and the configuration (seed, device, dtype, backend, versions, …) that reproduces it."""

    steps: np.ndarray
    values: dict[str, np.ndarray]
    final: list[np.ndarray]
    config: dict
    params: list[np.ndarray] | None = None
    seconds: float = 0.0
    diverged_at: int | None = None
    """The step at which a parameter first turned non-finite (the run stopped there), else None."""

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def run(model: Model, X, y, loss: str | Loss, make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
        spec: RunSpec | None = None, **options) -> Trajectory:
    """Train `batch` configurations of `model` on (X, y) for `steps` steps and record a trajectory. The options
    (`steps`, `batch`, `record_every`, `schedule`, …: `RunSpec`) come as a `spec`, as keywords, or both (the
    keywords replace the spec's).

    `make_optimizer(params)` builds the optimizer on the batched parameters (use `batch_dims=1` for
    `SteepestDescent`/`NoisySGD`). `batch_size` samples a mini-batch per configuration and step (without
    replacement); label noise is applied through the optimizer's rule or `perturb`. `init` overrides the model's
    initialisation (tensors of shape (B, ...)). A schedule without η of its own uses each group's lr as the
    optimizer was built. `natural=True` trains one configuration (`batch` 1) whose optimizer is given the
    parameters in the model's natural shape, without the batch dimension, as its users build it (e.g.
    `torch.optim.Muon` takes only 2-D parameters); the trajectory keeps the batch dimension of 1.
    `scheduler(optimizer)` attaches a `torch.optim.lr_scheduler` (stepped after every step; eager path) in place
    of a `schedule`. `autograd=True` makes the eager path differentiate with autograd where the model knows its
    gradient. Seeded and deterministic on CPU (each path with its own random streams: mini-batches and noise
    differ between the paths, not within one). `backend`: see the module docstring.
    """
    start = time.perf_counter()
    spec = RunSpec.of(spec, **options)
    batch, dtype, init, natural, seed = spec.batch, spec.dtype, spec.init, spec.natural, spec.seed
    device = usable_device(spec.device)
    loss = loss if isinstance(loss, Loss) else Loss(loss)
    generator = torch.Generator(device=device).manual_seed(seed)
    X = torch.as_tensor(np.asarray(X), dtype=dtype, device=device)
    y = torch.as_tensor(np.asarray(y), device=device)
    y = y.long() if loss.kind == "cross_entropy" else y.to(dtype)
    if init is None:
        params = model.init(batch, generator, dtype=dtype, device=device)
    else:
        params = [torch.as_tensor(p, dtype=dtype, device=device).detach().clone().requires_grad_() for p in init]
    _check_data_sets(X, y, len(params[0]))
    if natural:
        if len(params[0]) != 1:
            raise ValueError(f"natural=True trains one configuration; got batch = {len(params[0])}")
        leaves = [p.detach()[0].clone().requires_grad_() for p in params]
    else:
        leaves = params
    s = Setup(model, X, y, loss, make_optimizer(leaves), params, leaves, natural, spec.steps, spec.record_every,
              spec.schedule, spec.batch_size, seed, generator, device, dtype, dict(spec.metrics or {}),
              spec.record_params, spec.log_loss)
    why_not = compiled.unsupported(s, spec.scheduler) if spec.backend != "torch" else "backend='torch' was asked for"
    if spec.backend == "compiled" and why_not:
        raise NotCompilableError(f"no compiled path for this run: {why_not}")
    if why_not:
        recorded = eager.train(s, progress=spec.progress, autograd=spec.autograd, scheduler=spec.scheduler)
        path = {"backend": "torch", "compile_seconds": 0.0, "why_not_compiled": why_not}
    else:
        recorded = compiled.train(s, progress=spec.progress)
        path = {"backend": "compiled"}
    config = {**s.config(), **path, **recorded.config, "versions": versions()}
    snapshots = recorded.snapshots
    seconds = time.perf_counter() - start
    ACCOUNT.update({f"{'eager' if why_not else 'compiled'} runs": 1, "compile seconds": config["compile_seconds"],
                    "training seconds": seconds})
    return Trajectory(np.array(recorded.steps), {k: np.stack(v) for k, v in recorded.values.items()}, recorded.final,
                      config, [np.stack([snap[i] for snap in snapshots]) for i in range(len(params))]
                      if spec.record_params else None, seconds, recorded.diverged_at)


def _check_data_sets(X: torch.Tensor, y: torch.Tensor, batch: int) -> None:
    """X (n, d) or (B, n, d) and y (n,) or (B, n): one data set for all, or one per configuration."""
    if X.ndim == 3 and X.shape[0] != batch:
        raise InvalidDataError(f"X of shape {tuple(X.shape)} holds {X.shape[0]} data sets for {batch} configurations: "
                               "a batch of data sets needs one per configuration")
    if y.ndim == 2 and y.shape[0] != batch:
        raise InvalidDataError(f"y of shape {tuple(y.shape)} holds {y.shape[0]} label vectors for {batch} "
                               "configurations")
    if y.shape[-1] != X.shape[-2]:
        raise InvalidDataError(f"X has {X.shape[-2]} points and y {y.shape[-1]} labels")


__all__ = ["ACCOUNT", "BACKENDS", "Metric", "NotCompilableError", "RunSpec", "Trajectory", "run"]
