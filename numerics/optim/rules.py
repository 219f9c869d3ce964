"""Update rules: what one optimizer group does to its parameters in a step, written once against the array API
and run by both training paths — eagerly on torch tensors by the suite's `torch.optim.Optimizer`s (`RuleOptimizer`),
and compiled on JAX arrays inside `jax.lax` loops by `numerics.train.compiled`.

    rule = steepest_descent("nuclear", momentum=0.9)
    state = rule.init(params)                                                  # a tuple of arrays
    params, state = rule.step(params, grads, state, lr, noise, rule.hyper)     # one step: θ ← θ − η·u

In the style of optax: a rule is a chain of small transforms with optax's `GradientTransformation` protocol
(`init(params) → state`, `update(updates, state, params) → (updates, state)`) — `trace` (momentum), `LmoStep`
(the norm's LMO, or ‖·‖_*·LMO), `add_decayed_weights` — followed by the descent θ ← θ − η·u. They are written here
rather than taken from optax because they must also run on torch tensors: optax's transforms are JAX-only.

Conventions: parameters are lists of arrays whose first `batch_dims` dimensions index configurations (0 in the
compiled path, where `jax.vmap` adds the configurations); `lr` and noise levels are numbers or arrays over those
dimensions. A state is a tuple of arrays: each either carries the batch dimensions (buffers) or is 0-d and shared
(step counters). `noise(like)` draws N(0, I) of `like`'s shape (a seeded generator in torch, a key in JAX).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from numerics import norms
from numerics.norms import Norm
from numerics.norms.base import namespace
from numerics.optim.lmo import newton_schulz, power_iteration

Params = list
State = tuple


class Transform(NamedTuple):
    """optax's `GradientTransformation` protocol: `init(params) → state`, `update(updates, state, params) →
    (updates, state)`."""

    init: Callable[[Params], State]
    update: Callable[[Params, State, Params], tuple[Params, State]]


def chain(*transforms: Transform) -> Transform:
    """The transforms applied in order (optax.chain); the state is the tuple of theirs."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params):
        states = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            states.append(s)
        return updates, tuple(states)

    return Transform(init, update)


def per_configuration(value, like, batch_dims: int):
    """A number, or an array over the configuration dimensions shaped to broadcast against `like`."""
    if not hasattr(value, "ndim") or value.ndim == 0:
        return value
    xp = namespace(like)
    value = xp.asarray(value, dtype=like.dtype, device=getattr(like, "device", None))
    return xp.reshape(value, (*value.shape[:batch_dims], *([1] * (like.ndim - batch_dims))))


def concat_flat(arrays, batch_dims: int):
    """The arrays flattened past their configuration dimensions and concatenated: θ as one vector (…, Σ sizes)."""
    xp = namespace(*arrays)
    return xp.concat([xp.reshape(a, (*a.shape[:batch_dims], -1)) for a in arrays], axis=-1)


def split_like(flat, arrays, batch_dims: int) -> list:
    """The inverse of `concat_flat`: `flat` cut into pieces of the arrays' shapes."""
    xp, out, start = namespace(flat), [], 0
    for a in arrays:
        size = math.prod(a.shape[batch_dims:])
        out.append(xp.reshape(flat[..., start:start + size], a.shape))
        start += size
    return out


def trace(beta: float, nesterov: bool = False) -> Transform:
    """Heavy-ball momentum as torch's SGD keeps it: m ← βm + u from m = 0 (so m₁ = u₁), then m, or u + βm with
    Nesterov (optax.trace)."""

    def init(params):
        return tuple(namespace(p).zeros_like(p) for p in params)

    def update(updates, state, params):
        buffers = tuple(beta * m + u for m, u in zip(state, updates))
        return [u + beta * m if nesterov else m for u, m in zip(updates, buffers)], buffers

    return Transform(init, update)


def add_decayed_weights(weight_decay: float) -> Transform:
    """u ← u + λθ (optax.add_decayed_weights): with the descent θ ← θ − η·u, the decoupled weight decay
    θ ← (1 − ηλ)θ − η·u of torch's AdamW and Muon."""

    def update(updates, state, params):
        return [u + weight_decay * p for u, p in zip(updates, params)], state

    return Transform(lambda params: (), update)


@dataclass(frozen=True)
class LmoStep:
    """u = lmo(m) (normalized) or ‖m‖_*·lmo(m) for each parameter under `norm` (vector norms on the parameter
    flattened, matrix norms on its trailing two dimensions, a vector parameter as a 1 × n matrix), or with
    `joint` on all of the group's parameters as one vector. `lmo_method`: "exact" (`Norm.lmo`), "newton_schulz"
    (`lmo_iters` steps) or "power" (`lmo_iters` warm-started power iterations; the state holds each v)."""

    norm: Norm
    normalized: bool
    batch_dims: int
    joint: bool = False
    lmo_method: str = "exact"
    lmo_iters: int = 1
    start: Callable | None = field(default=None, compare=False)
    """For "power": (shape, like) → the first v (the optimizer's seeded generator), in `like`'s dtype and device."""

    def shaped(self, g):
        """g as the norm takes it: (batch…, n) for a vector norm, (batch…, k, d) for a matrix norm."""
        xp, b, rest = namespace(g), self.batch_dims, g.shape[self.batch_dims:]
        if self.norm.ndim == 1:
            return xp.reshape(g, (*g.shape[:b], -1))
        if len(rest) == 1:
            return xp.reshape(g, (*g.shape[:b], 1, rest[0]))
        if len(rest) != 2:
            raise ValueError(f"the matrix norm {self.norm.name!r} needs 2-D parameters; got shape {tuple(rest)}")
        return g

    def init(self, params):
        if self.lmo_method != "power":
            return ()
        return tuple(self.start((*self.shaped(p).shape[:-2], self.shaped(p).shape[-1]), p) for p in params)

    def direction(self, g, v=None):
        """(lmo(g) or its SVD-free estimate, ‖g‖_* or None when normalized, the next power-iteration v)."""
        if self.lmo_method == "newton_schulz":
            d, _ = newton_schulz(g, self.lmo_iters)
        elif self.lmo_method == "power":
            d, v = power_iteration(g, v, self.lmo_iters)
        else:
            d = self.norm.lmo(g)
        return d, None if self.normalized else self.norm.dual_norm(g), v

    def update(self, updates, state, params):
        xp, b = namespace(*updates), self.batch_dims
        if self.joint:
            d, scale, _ = self.direction(concat_flat(updates, b))
            return split_like(d if scale is None else per_configuration(scale, d, b) * d, updates, b), state
        out, vs = [], []
        for i, u in enumerate(updates):
            d, scale, v = self.direction(self.shaped(u), state[i] if state else None)
            d = xp.reshape(d, u.shape)
            out.append(d if scale is None else per_configuration(scale, d, b) * d)
            vs.append(v)
        return out, tuple(vs) if state else state

    def transform(self) -> Transform:
        return Transform(self.init, self.update)


@dataclass(frozen=True)
class Rule:
    """One group's update rule: `init(params) → state`, `step(params, grads, state, lr, noise, hyper) → (params,
    state)`. `hyper` holds the hyperparameters that may differ between configurations (numbers, or arrays over the
    configuration dimensions: a sweep of noise levels), passed to `step` by the caller — as they are by the eager
    optimizer, one configuration's value each under the compiled path's `vmap`; `hyper["label_noise"]` is σ of
    the targets' noise y + σξ that the engine applies before the gradient. `gradient_degree` d has step(c·g) =
    c^d·step(g) (0 scale-free, 1 linear, None neither), as `numerics.optim.homogeneity` defines it; `random` says
    whether the step draws noise."""

    init: Callable[[Params], State]
    step: Callable[..., tuple[Params, State]]
    gradient_degree: int | None
    hyper: dict[str, Any] = field(default_factory=dict)
    random: bool = False
    """Whether `step` draws from `noise`."""

    @property
    def label_noise(self):
        """σ of the label noise, or None without it."""
        return self.hyper.get("label_noise")


def descend(transform: Transform, batch_dims: int) -> Callable:
    """The step θ ← θ − η·u with u the chain's output (η per configuration)."""

    def step(params, grads, state, lr, noise=None, hyper=None):
        updates, state = transform.update(list(grads), state, params)
        return [p - per_configuration(lr, p, batch_dims) * u for p, u in zip(params, updates)], state

    return step


def steepest_descent(norm: str | Norm, *, momentum: float = 0.0, nesterov: bool = False, normalized: bool = True,
                     weight_decay: float = 0.0, batch_dims: int = 0, joint: bool = False, lmo_method: str = "exact",
                     lmo_iters: int = 1, start: Callable | None = None) -> Rule:
    """θ ← θ − η·lmo(m) (normalized; Gunasekar et al. 2018, eq. 4) or θ − η·‖m‖_*·lmo(m), m the gradient or its
    (Nesterov) momentum, after the decoupled decay θ ← (1 − ηλ)θ: chain(trace, lmo_step, add_decayed_weights)."""
    norm = norms.get(norm)
    lmo = LmoStep(norm, normalized, batch_dims, joint, lmo_method, lmo_iters, start)
    parts = ([trace(momentum, nesterov)] if momentum else []) + [lmo.transform()]
    parts += [add_decayed_weights(weight_decay)] if weight_decay else []
    transform = chain(*parts)
    degree = None if momentum or (weight_decay and not normalized) else (0 if normalized else 1)
    return Rule(transform.init, descend(transform, batch_dims), degree)


def sgd(*, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0, gaussian_noise=0.0,
        label_noise=0.0, batch_dims: int = 0) -> Rule:
    """torch's SGD (dampening 0) with the noises of HaoChen et al. 2021: u = g + σ_g·ξ (Gaussian gradient noise,
    ξ ~ N(0, I) from `noise`) + λθ (coupled weight decay), then (Nesterov) momentum, θ ← θ − η·u; label noise σ
    perturbs the targets, y + σξ, before the gradient (the engine applies it: `Rule.label_noise`)."""
    parts = [add_decayed_weights(weight_decay)] if weight_decay else []
    transform = chain(*parts, *([trace(momentum, nesterov)] if momentum else []))
    hyper = {name: sigma for name, sigma in (("gaussian_noise", gaussian_noise), ("label_noise", label_noise))
             if _nonzero(sigma)}

    def step(params, grads, state, lr, noise=None, hyper=hyper):
        if "gaussian_noise" in hyper:
            grads = [g + per_configuration(hyper["gaussian_noise"], g, batch_dims) * noise(g) for g in grads]
        return descend(transform, batch_dims)(params, grads, state, lr)

    return Rule(transform.init, step, None, hyper, random="gaussian_noise" in hyper)


def counter(params):
    """A step counter t = 0, shared by the configurations (0-d, in the parameters' dtype: exact to 2⁵³)."""
    return namespace(*params).zeros((), dtype=params[0].dtype, device=getattr(params[0], "device", None))


def adam(*, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, batch_dims: int = 0) -> Rule:
    """Adam (Kingma & Ba 2015, Algorithm 1) in torch's order of operations (optax.scale_by_adam is the same
    update): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − (η/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε)."""
    beta1, beta2 = betas

    def init(params):
        zeros = tuple(namespace(p).zeros_like(p) for p in params)
        return counter(params), zeros, zeros

    def step(params, grads, state, lr, noise=None, hyper=None):
        t, m, v = state
        xp, t = namespace(*params), t + 1
        m = tuple(beta1 * mi + (1 - beta1) * g for mi, g in zip(m, grads))
        v = tuple(beta2 * vi + (1 - beta2) * g * g for vi, g in zip(v, grads))
        first, second = 1 - beta1 ** t, xp.sqrt(1 - beta2 ** t)
        return [p - per_configuration(lr, p, batch_dims) / first * mi / (xp.sqrt(vi) / second + eps)
                for p, mi, vi in zip(params, m, v)], (t, m, v)

    return Rule(init, step, None)


def _nonzero(sigma) -> bool:
    """Whether a noise level (a number or an array over configurations) is not identically 0."""
    if hasattr(sigma, "ndim"):
        return bool(namespace(sigma).any(sigma != 0))
    return sigma != 0


__all__ = ["LmoStep", "Rule", "Transform", "adam", "add_decayed_weights", "chain", "concat_flat", "counter", "descend",
           "per_configuration", "sgd", "split_like", "steepest_descent", "trace"]
