"""Steepest descent under a norm as a `torch.optim.Optimizer`.

    θ ← θ − η·lmo(m)            (normalized; Gunasekar et al. 2018, eq. 4)
    θ ← θ − η·‖m‖_*·lmo(m)      (unnormalized: the same as GD for ℓ2)

with m the gradient, or with momentum β the buffer m ← βm + ∇L (Nesterov: lmo(∇L + βm)). ℓ∞ gives sign
descent, ℓ1 greedy coordinate descent, spectral the orthogonalized step, nuclear the rank-one step of NucGD.
Decoupled weight decay λ first shrinks θ ← (1 − ηλ)θ, as torch's AdamW and Muon do: the normalized step is then
stationary only on the sphere ‖θ‖ = 1/λ (`numerics.constrained`).

Batched configurations: parameters whose first `batch_dims` dimensions index configurations get one LMO
per configuration, and `lr` may be a tensor over those dimensions (a step-size sweep in one program).
A vector norm acts on each parameter flattened (or, with `joint=True`, on all of a group's parameters
concatenated: steepest descent on θ as one vector); a matrix norm on each parameter's trailing two dims.
"""

from __future__ import annotations

import torch

from numerics import norms
from numerics.norms import Norm
from numerics.optim.lmo import newton_schulz, power_iteration

class SteepestDescent(torch.optim.Optimizer):
    """Normalized (or unnormalized) steepest descent under `norm`, with optional (Nesterov) momentum.

    `lmo_method`: "exact" (the norm's own LMO, by SVD for the Schatten norms), "newton_schulz" (spectral
    only, `lmo_iters` steps) or "power" (nuclear only, `lmo_iters` warm-started power iterations per step).
    After each step `last_orthogonality_error` holds the Newton–Schulz error when that method is used.
    """

    def __init__(self, params, lr, norm: str | Norm, *, momentum: float = 0.0, nesterov: bool = False,
                 normalized: bool = True, batch_dims: int = 0, joint: bool = False, lmo_method: str = "exact",
                 lmo_iters: int | None = None, weight_decay: float = 0.0, seed: int = 0):
        norm = norms.get(norm)
        if lmo_method not in norm.lmo_methods:
            raise ValueError(f"lmo_method {lmo_method!r} is not a way to compute the {norm.name} LMO; "
                             f"this norm has {norm.lmo_methods}")
        if joint and norm.ndim != 1:
            raise ValueError("joint=True concatenates parameters into one vector: it needs a vector norm")
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be ≥ 0; got {weight_decay}")
        defaults = dict(lr=lr, norm=norm, momentum=momentum, nesterov=nesterov, normalized=normalized,
                        weight_decay=weight_decay,
                        batch_dims=batch_dims, joint=joint, lmo_method=lmo_method,
                        lmo_iters=lmo_iters or (12 if lmo_method == "newton_schulz" else 1))
        super().__init__(params, defaults)
        self._generator = torch.Generator().manual_seed(seed)
        self.last_orthogonality_error: torch.Tensor | None = None

    @property
    def gradient_degree(self) -> int | None:
        """d with step(c·g) = c^d·step(g) for c > 0 when the step depends on the current gradient alone: 0 for
        normalized steps, 1 for unnormalized ones (‖cg‖_*·lmo(cg) = c‖g‖_*·lmo(g)); None with momentum (the
        buffer mixes gradients of different scales) or with unnormalized steps under weight decay (the decay
        does not scale with g). The engine uses it to train on ∇log L = ∇L/L exactly."""
        if any(g["momentum"] != 0 or (g["weight_decay"] != 0 and not g["normalized"]) for g in self.param_groups):
            return None
        kinds = {g["normalized"] for g in self.param_groups}
        return None if len(kinds) > 1 else (0 if kinds == {True} else 1)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            inputs = [self._momentum(p, group) for p in params]
            b = group["batch_dims"]
            if group["joint"]:
                flat = torch.cat([g.reshape(*g.shape[:b], -1) for g in inputs], dim=-1)
                d_flat, scale = self._direction(flat, group, self.state[params[0]])
                sizes = [g[(0,) * b].numel() if b else g.numel() for g in inputs]
                directions = [d.reshape(g.shape) for d, g in zip(d_flat.split(sizes, dim=-1), inputs)]
                scales = [scale] * len(params)
            else:
                pairs = [self._direction(self._as_norm_shape(g, group), group, self.state[p])
                         for g, p in zip(inputs, params)]
                directions = [d.reshape(g.shape) for (d, _), g in zip(pairs, inputs)]
                scales = [s for _, s in pairs]
            for p, d, s in zip(params, directions, scales):
                rate = self._broadcast(group["lr"], p, b)
                if group["weight_decay"]:
                    p.mul_(1 - rate * group["weight_decay"])
                if s is not None:
                    rate = rate * self._broadcast(s, p, b)
                if isinstance(rate, torch.Tensor):
                    p.addcmul_(rate, d, value=-1)
                else:
                    p.add_(d, alpha=-rate)
        return loss

    def _momentum(self, p, group) -> torch.Tensor:
        beta = group["momentum"]
        if beta == 0:
            return p.grad
        state = self.state[p]
        buf = state.get("momentum_buffer")
        buf = p.grad.clone() if buf is None else buf.mul_(beta).add_(p.grad)
        state["momentum_buffer"] = buf
        return p.grad + beta * buf if group["nesterov"] else buf

    @staticmethod
    def _as_norm_shape(g: torch.Tensor, group) -> torch.Tensor:
        b, ndim = group["batch_dims"], group["norm"].ndim
        rest = g.shape[b:]
        if ndim == 1:
            return g.reshape(*g.shape[:b], -1)
        if len(rest) == 1:  # a vector parameter under a matrix norm: a 1 × n matrix
            return g.reshape(*g.shape[:b], 1, -1)
        if len(rest) != 2:
            raise ValueError(f"the matrix norm {group['norm'].name!r} needs 2-D parameters; got shape {tuple(rest)}")
        return g

    def _direction(self, g: torch.Tensor, group, state: dict):
        norm, method = group["norm"], group["lmo_method"]
        if method == "newton_schulz":
            d, self.last_orthogonality_error = newton_schulz(g, group["lmo_iters"])
        elif method == "power":
            v = state.get("power_v")
            if v is None:
                v = torch.randn(g.shape[:-2] + g.shape[-1:], generator=self._generator, dtype=torch.float64)
                v = v.to(device=g.device, dtype=g.dtype)
            d, state["power_v"] = power_iteration(g, v, group["lmo_iters"])
        else:
            d = norm.lmo(g)
        return d, None if group["normalized"] else norm.dual_norm(g)

    @staticmethod
    def _broadcast(value, p: torch.Tensor, b: int):
        if not isinstance(value, torch.Tensor) or value.ndim == 0:
            return value
        return value.reshape(*value.shape[:b], *([1] * (p.ndim - b))).to(p)
