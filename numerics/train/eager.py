"""The eager path: any `torch.optim.Optimizer` (torch's, third-party, a user's) steps the batched parameters, one
Python iteration per step.

Every parameter has a leading batch dimension B; the objective is the sum over configurations of each one's mean
loss, so one backward pass gives every configuration its own gradient. Per step the Python work is constant (no loop
over configurations); metrics are computed only every `record_every` steps. Models that know their gradient
(`grad`, e.g. `Linear`) train without autograd through `Loss.value_and_grad` (about 2× fewer operations per step).
"""

from __future__ import annotations

import torch
from tqdm.auto import tqdm

from numerics.train import threads
from numerics.train.setup import Recorded, Setup


def train(s: Setup, *, progress: bool | None, autograd: bool, scheduler) -> Recorded:
    """Train `s` for `s.steps` steps with its optimizer's own `step`, recording every `s.record_every`."""
    optimizer, leaves, natural, loss = s.optimizer, s.leaves, s.natural, s.loss
    X, y, batch, n = s.X, s.y, s.batch, s.n
    lr_scheduler = scheduler(optimizer) if scheduler is not None else None
    base_lrs = [group["lr"] for group in optimizer.param_groups]  # η of a schedule that has none of its own
    perturb = getattr(optimizer, "perturb", None)
    analytic = hasattr(s.model, "grad") and not autograd
    outputs = getattr(s.model, "outputs", s.model.forward)  # in the layout `grad` takes without a copy (`Linear`)
    rows = torch.arange(batch, device=s.device)[:, None]
    recorded = Recorded(s)

    def record(step: int):
        with torch.no_grad():
            recorded.add(step, [p.detach() for p in s.batched()])

    show = progress if progress is not None else s.steps * batch >= 2_000_000
    with threads.for_size(threads.work(leaves, s.batch_size or n)) as intra_op_threads:
        # disable=None: a bar on a terminal only, none in a CI log or a captured stream
        for step in tqdm(range(s.steps), disable=None if show else True, desc="train", leave=False):
            if step % s.record_every == 0:
                if not _finite(leaves):
                    recorded.diverged_at = step
                    break
                record(step)
            if s.batch_size is None:
                Xb, yb = X, y
            else:
                idx = torch.rand(batch, n, generator=s.generator, device=s.device).argsort(dim=1)[:, :s.batch_size]
                Xb = X[rows, idx] if s.data_batched else X[idx]
                yb = y[rows, idx] if y.ndim == 2 else y[idx]
            if perturb is not None:
                yb = perturb(yb.expand(batch, *yb.shape) if yb.ndim == 1 else yb)
            if analytic:  # the model and the loss know their gradients: no autograd graph
                with torch.no_grad():
                    params = s.batched()
                    per_config, grad_out = loss.value_and_grad(outputs(params, Xb), yb, s.log_domain,
                                                               with_value=s.reads_loss)
                    for p, g in zip(leaves, s.model.grad(params, Xb, grad_out)):
                        p.grad = g[0] if natural else g
            else:
                optimizer.zero_grad(set_to_none=True)
                out = s.model(s.batched(), Xb)
                per_config = loss.log_mean(out, yb) if s.log_domain else loss.mean(out, yb)
                per_config.sum().backward()
            if s.schedule is not None:
                for group, base in zip(optimizer.param_groups, base_lrs):
                    group["lr"] = s.learning_rate(step, None if per_config is None else per_config.detach(), base)
                    if natural and isinstance(group["lr"], torch.Tensor):  # one configuration: a number
                        group["lr"] = float(group["lr"])
            try:
                optimizer.step()
            except RuntimeError:  # e.g. an SVD of a non-finite gradient: divergence, if that is what it met
                if _finite(leaves) and _finite([p.grad for p in leaves if p.grad is not None]):
                    raise
                recorded.diverged_at = step
                break
            if lr_scheduler is not None:
                lr_scheduler.step()
        if recorded.diverged_at is None:
            if _finite(leaves):
                record(s.steps)
            else:
                recorded.diverged_at = s.steps
    recorded.final = [p.detach().cpu().numpy() for p in s.batched()]
    recorded.config.update(analytic_gradient=analytic, threads=intra_op_threads,
                           lr_scheduler=None if lr_scheduler is None else type(lr_scheduler).__name__)
    return recorded


def _finite(tensors) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


__all__ = ["train"]
