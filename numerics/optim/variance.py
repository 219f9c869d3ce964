"""Optimizers that choose their own samples: the per-sample order of incremental Adam and the variance-reduced
estimator of stochastic steepest descent.

The engine (`numerics.train`) hands an optimizer the gradient of the batch it drew, at random. These optimizers
are given the data at construction (`SampleGradient`) and put on each parameter, before their own step, the
gradient they need instead:

  IncrementalAdam   Inc-Adam (Baek, Song, Yun 2025, arXiv:2510.26303): torch's Adam on ∇f_{B_t}(θ_t), B_t the
                    t-th block of `batch_size` points in a fixed cyclic order (one sample per step by default);
  SVRG              stochastic steepest descent on the estimator of Johnson & Zhang (2013), as Li, Tang, Zou
                    (2026, arXiv:2602.11557) use it to recover the full-batch implicit bias at any batch size:
                        g_t = ∇f_{B_t}(θ_t) − ∇f_{B_t}(θ̃) + ∇F(θ̃),   θ ← θ − η_t·lmo(g_t),
                    B_t drawn at random, the snapshot θ̃ and its full gradient ∇F(θ̃) refreshed every epoch.

f_B = (1/|B|) Σ_{i∈B} ℓ(y_i, f_θ(x_i)) is the mean loss of the points B of a linear model (F = f_{all points}).
"""

from __future__ import annotations

import math

import torch

from numerics.data import Dataset
from numerics.losses import Loss
from numerics.models import Linear
from numerics.optim.steepest import SteepestDescent


class SampleGradient:
    """∇f_B(W) for the linear model of a data set (w ∈ R^d binary, W ∈ R^{k×d} multiclass) on its loss (default:
    logistic, or cross-entropy), by the model's and the loss's analytic gradients (`numerics.models.Linear.grad`,
    `numerics.losses.Loss.value_and_grad`: relatively exact at any margin)."""

    def __init__(self, ds: Dataset, loss: str | None = None):
        multiclass = ds.task == "multiclass"
        self.data = ds
        self.model = Linear(ds.d, ds.num_classes if multiclass else None)
        self.loss = Loss(loss or ("cross_entropy" if multiclass else "logistic"))
        self.X = torch.as_tensor(ds.X)
        self.y = torch.as_tensor(ds.y) if multiclass else torch.as_tensor(ds.y, dtype=torch.float64)

    @property
    def n(self) -> int:
        return self.data.n

    def configurations(self, W: torch.Tensor) -> int:
        """B: the configurations W holds (1 for weights of their natural shape, else its leading dimension)."""
        return 1 if tuple(W.shape) == self.data.weight_shape else W.shape[0]

    def __call__(self, W: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        """∇f_B(W) for W of the weights' shape or (B, *shape), with `index` (B, b) one mini-batch per configuration,
        or None for all n points (∇F)."""
        natural = tuple(W.shape) == self.data.weight_shape
        params = [W.detach()[None] if natural else W.detach()]
        X, y = self.X.to(W), self.y.to(W.device)
        if index is not None:
            index = index.to(W.device)
            X, y = X[index], y[index]
        _, grad_out = self.loss.value_and_grad(self.model(params, X), y)
        (G,) = self.model.grad(params, X, grad_out)
        return G[0] if natural else G


def cyclic(step: int, n: int, batch_size: int, configurations: int) -> torch.Tensor:
    """B_t = {(t·b + j) mod n : j < b}: the t-th block of the points in their fixed order, every configuration
    alike; an epoch is ⌈n/b⌉ steps (exactly one pass when b divides n)."""
    block = (step * batch_size + torch.arange(batch_size)) % n
    return block.expand(configurations, batch_size)


def evaluate(closure):
    """closure() with gradients enabled (None without one): the loss a `torch.optim.Optimizer.step` returns."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class IncrementalAdam(torch.optim.Adam):
    """Inc-Adam (Baek, Song, Yun 2025, Algorithm 1): torch's Adam, every option as torch takes it, stepping on
    ∇f_{B_t}(θ_t) with B_t the t-th block of the cyclic order (`cyclic`; b = 1: sample t mod n). Its second
    moment v_t = Σ_s β2^{t−s}(1 − β2) (∇f_{B_s})² tracks per-sample squared gradients, not the squared full
    gradient: on scaled Rademacher data (`numerics.data.scaled_rademacher`) each (∇ℓ_i)² is constant across
    coordinates, so v_t is, and Adam's preconditioner is a scalar — the source of its ℓ2 bias there (their
    Theorem 3.3), against full-batch Adam's ℓ∞ (Zhang, Zou, Cao 2024)."""

    def __init__(self, params, gradient: SampleGradient, *, batch_size: int = 1, **options):
        super().__init__(params, **options)
        self.gradient, self.batch_size, self.steps = gradient, batch_size, 0

    @torch.no_grad()
    def step(self, closure=None):
        """One Adam step on the block's gradient (a closure is evaluated first, and its gradient replaced)."""
        loss = evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                index = cyclic(self.steps, self.gradient.n, self.batch_size, self.gradient.configurations(p))
                p.grad = self.gradient(p, index)
        self.steps += 1
        super().step()
        return loss


class SVRG(SteepestDescent):
    """Stochastic steepest descent (`SteepestDescent`: any norm, momentum, batched configurations) on the
    variance-reduced estimator g_t = ∇f_{B_t}(θ_t) − ∇f_{B_t}(θ̃) + ∇F(θ̃) (Johnson & Zhang 2013; Li, Tang, Zou
    2026). B_t: `batch_size` points drawn without replacement, independently per configuration and step (as the
    engine draws them); θ̃ ← θ_t and ∇F(θ̃) every `epoch` steps (default ⌈n/b⌉, one pass over the data).
    E[g_t] = ∇F(θ_t), and g_t − ∇F(θ_t) → 0 as θ_t → θ̃: the noise that keeps a small-batch LMO off the full-batch
    direction vanishes between snapshots."""

    def __init__(self, params, lr, norm, *, gradient: SampleGradient, batch_size: int, epoch: int | None = None,
                 seed: int = 0, **options):
        super().__init__(params, lr, norm, seed=seed, **options)
        self.gradient, self.batch_size = gradient, batch_size
        self.epoch = epoch or math.ceil(gradient.n / batch_size)
        self.steps = 0
        self._sampler = torch.Generator().manual_seed(seed)

    @property
    def gradient_degree(self) -> None:
        """None: its step is not a function of the current gradient alone (it mixes raw gradients at θ_t and θ̃,
        which it computes itself), so the engine has no exact ∇log L form of it to train on."""
        return None

    @torch.no_grad()
    def step(self, closure=None):
        """One steepest-descent step on g_t (a closure is evaluated first, and its gradient replaced)."""
        loss = evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if self.steps % self.epoch == 0:
                    state["snapshot"] = p.detach().clone()
                    state["snapshot_gradient"] = self.gradient(state["snapshot"])
                configurations = self.gradient.configurations(p)
                index = torch.rand(configurations, self.gradient.n, generator=self._sampler).argsort(dim=1)
                index = index[:, :self.batch_size]
                p.grad = (self.gradient(p, index) - self.gradient(state["snapshot"], index)
                          + state["snapshot_gradient"])
        self.steps += 1
        super().step()
        return loss
