"""The training engine: B configurations (seeds, step sizes, noise levels) as one tensor program.

    traj = run(model, X, y, "logistic", lambda ps: SteepestDescent(ps, lr, "linf", batch_dims=1),
               steps=10_000, batch=8, record_every=100, metrics={"margin": metrics.margin("linf")})

Every parameter has a leading batch dimension B; the objective is the sum over configurations of each one's
mean loss, so one backward pass gives every configuration its own gradient. Per step the Python work is
constant (no loop over configurations); metrics are computed only every `record_every` steps. Where it
gives the same steps — a scale-free optimizer, or the schedule η/L with a step linear in the gradient and
no memory (`gradient_degree`) — the engine differentiates log L instead of L (full precision late in
training; `numerics.losses`). Momentum, noise and Adam always see ∇L.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from numerics import threads
from numerics.losses import Loss
from numerics.models import Model
from numerics.optim.schedules import Schedule
from numerics.provenance import usable as usable_device
from numerics.provenance import versions

Metric = Callable[[list[torch.Tensor], torch.Tensor, torch.Tensor], torch.Tensor]
"""(params, X, y) → one number per configuration, shape (B,)."""


@dataclass
class Trajectory:
    """What `run` recorded: `steps` (T,), `values[name]` (T, B), optionally `params` (each (T, B, ...)),
    the final parameters, and the configuration (seed, device, dtype, versions, …) that reproduces it."""

    steps: np.ndarray
    values: dict[str, np.ndarray]
    final: list[np.ndarray]
    config: dict
    params: list[np.ndarray] | None = None
    seconds: float = 0.0
    diverged_at: int | None = None
    """The step at which a parameter or gradient first turned non-finite (the run stopped there), else None."""

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def run(model: Model, X, y, loss: str | Loss, make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
        *, steps: int, batch: int = 1, record_every: int = 100, schedule: Schedule | None = None,
        batch_size: int | None = None, metrics: dict[str, Metric] | None = None, seed: int = 0,
        device: torch.device | str | None = None, dtype: torch.dtype = torch.float64, record_params: bool = False,
        init: list[torch.Tensor] | None = None, progress: bool | None = None, autograd: bool = False,
        natural: bool = False, scheduler: Callable[[torch.optim.Optimizer], object] | None = None) -> Trajectory:
    """Train `batch` configurations of `model` on (X, y) for `steps` steps and record a trajectory.

    `make_optimizer(params)` builds the optimizer on the batched parameters (use `batch_dims=1` for
    `SteepestDescent`/`NoisySGD`). `batch_size` samples a mini-batch per configuration and step (without
    replacement); label noise is applied through the optimizer's `perturb` when it has one. `init` overrides
    the model's initialisation (tensors of shape (B, ...)). A schedule without η of its own uses each group's
    lr as the optimizer was built. A run whose parameters (or gradients) turn non-finite stops: the
    trajectory ends at the last record and `diverged_at` holds the step (never an exception from inside).
    `natural=True` trains one configuration (`batch` 1) whose optimizer is given the parameters in the model's
    natural shape, without the batch dimension, as its users build it (e.g. `torch.optim.Muon` takes only
    2-D parameters); the trajectory keeps the batch dimension of 1. `scheduler(optimizer)` attaches a
    `torch.optim.lr_scheduler` (stepped after every step) in place of a `schedule`.
    Models that know their gradient (`grad`, e.g. `Linear`) train without autograd through
    `Loss.value_and_grad` (about 2× fewer operations per step); `autograd=True` forces autograd. Seeded and
    deterministic on CPU. The steps and records run with the intra-op threads `numerics.threads` chooses for
    the size of a step (one for small problems; ``IBS_THREADS`` overrides).
    """
    start = time.perf_counter()
    device = usable_device(device)
    loss = loss if isinstance(loss, Loss) else Loss(loss)
    generator = torch.Generator(device=device).manual_seed(seed)
    X = torch.as_tensor(np.asarray(X), dtype=dtype, device=device)
    y = torch.as_tensor(np.asarray(y), device=device)
    y = y.long() if loss.kind == "cross_entropy" else y.to(dtype)
    if init is None:
        params = model.init(batch, generator, dtype=dtype, device=device)
    else:
        params = [torch.as_tensor(p, dtype=dtype, device=device).detach().clone().requires_grad_() for p in init]
    if natural:
        if len(params[0]) != 1:
            raise ValueError(f"natural=True trains one configuration; got batch = {len(params[0])}")
        if schedule is not None and scheduler is not None:
            raise ValueError("pass a schedule or a torch lr scheduler, not both")
        leaves = [p.detach()[0].clone().requires_grad_() for p in params]
    else:
        leaves = params

    def batched() -> list[torch.Tensor]:
        """The parameters as the model takes them, (B, ...): views of the optimizer's natural-shape leaves."""
        return [q.unsqueeze(0) for q in leaves] if natural else leaves

    optimizer = make_optimizer(leaves)
    lr_scheduler = scheduler(optimizer) if scheduler is not None else None
    base_lrs = [group["lr"] for group in optimizer.param_groups]  # η of a schedule that has none of its own
    # ∇log L = ∇L/L gives the same steps with full precision where L underflows when the step is scale free
    # (degree 0), and, with lr η for the schedule η/L, when it is linear in the gradient (degree 1).
    degree = getattr(optimizer, "gradient_degree", None)
    adaptive = schedule is not None and schedule.log_domain
    log_domain = degree == 0 or (adaptive and degree == 1)
    perturb = getattr(optimizer, "perturb", None)
    metrics = dict(metrics or {})
    n = X.shape[0]
    analytic = hasattr(model, "grad") and not autograd
    outputs = getattr(model, "outputs", model.forward)  # in the layout `grad` takes without a copy (`Linear`)

    recorded_steps, values, snapshots = [], {name: [] for name in ("loss", "log_loss", "accuracy", *metrics)}, []

    def record(step: int):
        with torch.no_grad():
            params = batched()
            out = model(params, X)
            recorded_steps.append(step)
            values["loss"].append(loss.mean(out, y).cpu().numpy())
            values["log_loss"].append(loss.log_mean(out, y).cpu().numpy())  # exact where the loss underflows
            values["accuracy"].append(_accuracy(out, y, loss.kind).cpu().numpy())
            for name, metric in metrics.items():
                values[name].append(np.asarray(torch.as_tensor(metric([p.detach() for p in params], X, y)).cpu()))
            if record_params:
                snapshots.append([p.detach().cpu().numpy().copy() for p in params])

    show = progress if progress is not None else steps * batch >= 2_000_000
    diverged_at = None
    with threads.for_size(threads.work(leaves, batch_size or n)) as intra_op_threads:
        # disable=None: a bar on a terminal only, none in a CI log or a captured stream
        for step in tqdm(range(steps), disable=None if show else True, desc="train", leave=False):
            if step % record_every == 0:
                if not _finite(leaves):
                    diverged_at = step
                    break
                record(step)
            if batch_size is None:
                Xb, yb = X, y
            else:
                idx = torch.rand(batch, n, generator=generator, device=device).argsort(dim=1)[:, :batch_size]
                Xb, yb = X[idx], y[idx]
            if perturb is not None:
                yb = perturb(yb.expand(batch, *yb.shape) if yb.ndim == 1 else yb)
            if analytic:  # the model and the loss know their gradients: no autograd graph
                with torch.no_grad():
                    params = batched()
                    per_config, grad_out = loss.value_and_grad(outputs(params, Xb), yb, log_domain,
                                                               with_value=schedule is not None)
                    for p, g in zip(leaves, model.grad(params, Xb, grad_out)):
                        p.grad = g[0] if natural else g
            else:
                optimizer.zero_grad(set_to_none=True)
                out = model(batched(), Xb)
                per_config = loss.log_mean(out, yb) if log_domain else loss.mean(out, yb)
                per_config.sum().backward()
            if schedule is not None:
                for group, base in zip(optimizer.param_groups, base_lrs):
                    if adaptive and log_domain:  # η/L: η with ∇log L at degree 1, η·e^{−log L} at degree 0
                        eta = schedule.eta(base)
                        group["lr"] = eta if degree == 1 else eta * torch.exp(-per_config.detach())
                    else:
                        group["lr"] = schedule(step, per_config.detach(), base)
                    if natural and isinstance(group["lr"], torch.Tensor):  # one configuration: a number
                        group["lr"] = float(group["lr"])
            try:
                optimizer.step()
            except RuntimeError:  # e.g. an SVD of a non-finite gradient: divergence, if that is what it met
                if _finite(leaves) and _finite([p.grad for p in leaves if p.grad is not None]):
                    raise
                diverged_at = step
                break
            if lr_scheduler is not None:
                lr_scheduler.step()
        if diverged_at is None:
            if _finite(leaves):
                record(steps)
            else:
                diverged_at = steps

    config = {"seed": seed, "steps": steps, "batch": batch, "batch_size": batch_size, "loss": loss.kind,
              "device": str(device), "dtype": str(dtype), "log_domain": log_domain, "analytic_gradient": analytic,
              "schedule": None if schedule is None else schedule.kind, "natural_shape": natural,
              "lr_scheduler": None if lr_scheduler is None else type(lr_scheduler).__name__,
              "model": type(model).__name__, "threads": intra_op_threads,
              "optimizer": type(optimizer).__name__, "versions": versions()}
    return Trajectory(np.array(recorded_steps), {k: np.stack(v) for k, v in values.items()},
                      [p.detach().cpu().numpy() for p in batched()], config,
                      [np.stack([s[i] for s in snapshots]) for i in range(len(params))] if record_params else None,
                      time.perf_counter() - start, diverged_at)


def _finite(tensors) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def _accuracy(out: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "cross_entropy":
        return (out.argmax(-1) == y).to(out.dtype).mean(-1)
    if kind == "squared":
        return torch.full(out.shape[:-1], float("nan"), dtype=out.dtype, device=out.device)
    return (torch.sign(out) == y).to(out.dtype).mean(-1)
