"""The compiled path: the suite's optimizers as one JAX program between two records.

For an optimizer whose groups step by update rules (`numerics.optim.RuleOptimizer`: the same rules its `step` runs
on torch tensors), the steps run inside `jax.lax` loops with no per-step Python, one configuration's step written
once and `jax.vmap`ped over the B configurations (step sizes, noise levels, seeds) and, when X is (B, n, d), over
their data sets. The gradient is `jax.value_and_grad` of the model's `apply` and the loss's definitions (array API,
the eager path's own); ∇log L in the log domain, as the eager path decides (`Setup.log_domain`).

A call of the program runs `CHUNK` records: at each, the parameters, L, log L, the accuracy and whether every
parameter is finite are recorded, then the steps to the next record run (a dynamic count, so that one program
serves every `record_every` and budget). Between calls Python checks for divergence, advances the progress bar and
can be interrupted. A program is compiled once per process for what it computes (a digest of its traced jaxpr:
`_compiled`), and JAX's persistent compilation cache keeps it across processes (`IBS_CACHE_DIR`/jax).

Random streams are JAX's (threefry, from `seed`): mini-batches, label noise and gradient noise are reproducible
run to run but differ from the eager path's torch streams. Float64 unless the run asks float32.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import os
import time
from functools import partial

import numpy as np
import platformdirs
import torch
from tqdm.auto import tqdm

from numerics.train import threads
from numerics.models import Model
from numerics.optim.optimizer import RuleOptimizer
from numerics.train.setup import Recorded, Setup, learning_rate

CHUNK = 32
"""Records per call of a compiled program (the last call is padded with empty segments)."""

_PROGRAMS: dict[tuple, object] = {}
_JAX = None
_XLA_THREADS: int | None = None
"""1 where XLA was set to one intra-op thread, None where it keeps its own pool (set when JAX is configured)."""


class NotCompilableError(ValueError):
    """`backend="compiled"` was asked for a run the compiled path cannot take; the message says why."""


def jax():
    """The `jax` module, configured on first use: float64 on, XLA's intra-op threads by `numerics.train.threads` (one
    per process under pytest-xdist, `IBS_THREADS` to fix it), the persistent compilation cache under the suite's cache
    directory unless caching is off (`IBS_NO_CACHE`)."""
    global _JAX, _XLA_THREADS
    if _JAX is None:
        count = threads.override() or threads.available()
        if count == 1 and "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                       " intra_op_parallelism_threads=1").strip()
            _XLA_THREADS = 1
        import jax as module

        module.config.update("jax_enable_x64", True)
        if os.environ.get("IBS_NO_CACHE", "") in ("", "0"):
            root = os.environ.get("IBS_CACHE_DIR") or platformdirs.user_cache_dir("implicit-bias-suite")
            module.config.update("jax_compilation_cache_dir", os.path.join(root, "jax"))
            module.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        _JAX = module
    return _JAX


def unsupported(s: Setup, scheduler) -> str | None:
    """Why the compiled path cannot take this run, or None when it can."""
    optimizer = s.optimizer
    name = type(optimizer).__qualname__
    if not isinstance(optimizer, RuleOptimizer):
        return f"{name} is not one of the suite's rule optimizers (numerics.optim.RuleOptimizer)"
    if inspect.unwrap(type(optimizer).step) is not inspect.unwrap(RuleOptimizer.step):  # torch wraps step in hooks
        return f"{name} overrides step: what it does is its own"
    if optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks or _global_step_hooks():
        return "step hooks are registered (torch runs them around each eager step)"
    if scheduler is not None:
        return "a torch lr scheduler steps the learning rate eagerly"
    if s.dtype not in (torch.float64, torch.float32):
        return f"dtype {s.dtype} (the compiled path runs float64 or float32)"
    if type(s.model).apply is Model.apply:
        return f"{type(s.model).__name__} has no array-API `apply`"
    leaves = {id(p): i for i, p in enumerate(s.leaves)}
    seen = []
    for group in optimizer.param_groups:
        dims = optimizer.batch_dims(group)
        if dims != (0 if s.natural else 1) and not (s.batch == 1 and dims == 0):
            return f"a group with batch_dims = {dims} on parameters with {0 if s.natural else 1}"
        for p in group["params"]:
            if id(p) not in leaves:
                return "an optimizer group holds a tensor that is not one of the model's parameters"
            seen.append(leaves[id(p)])
        if np.asarray(_numpy(group["lr"])).size not in (1, s.batch):
            return f"an lr of shape {tuple(np.shape(_numpy(group['lr'])))} for {s.batch} configurations"
    if sorted(seen) != list(range(len(s.leaves))):
        return "the optimizer's groups do not hold every parameter exactly once"
    try:
        module = jax()
    except ImportError as error:
        return f"JAX is not installed ({error})"
    if s.device.type == "cuda" and not any(d.platform == "gpu" for d in module.devices()):
        return "the run is on CUDA but JAX sees no GPU (install the gpu extra)"
    try:
        rules = optimizer.rules(0)
    except NotImplementedError:
        return f"{name} defines no rule"
    noises = [r.label_noise for r in rules if r.label_noise is not None]
    if len(noises) > 1:
        return "label noise in more than one group"
    for name, value in ((k, v) for r in rules for k, v in r.hyper.items()):
        if np.asarray(_numpy(value)).size not in (1, s.batch):
            return f"a {name} of shape {tuple(np.shape(_numpy(value)))} for {s.batch} configurations"
    return None


def train(s: Setup, *, progress: bool | None) -> Recorded:
    """Train `s` on the compiled path (the module docstring); the records as the eager path keeps them."""
    jx = jax()
    jnp = jx.numpy
    device = _jax_device(jx, s.device)
    B, optimizer = s.batch, s.optimizer
    indices = [[next(i for i, q in enumerate(s.leaves) if q is p) for p in g["params"]] for g in optimizer.param_groups]
    rules = optimizer.rules(0)
    dtype = jnp.float64 if s.dtype == torch.float64 else jnp.float32

    def put(value, dtype=dtype):
        return jx.device_put(jnp.asarray(np.asarray(value), dtype=dtype), device)

    params = [put(_numpy(p)) for p in s.params]
    states = []
    for group, idx in zip(optimizer.param_groups, indices):
        state = optimizer.rule(group, optimizer.batch_dims(group)).init([s.leaves[i] for i in idx])
        states.append(jx.tree_util.tree_map(lambda leaf: put(_per_configuration_state(leaf, B, s.natural),
                                                             _numpy(leaf).dtype), state))
    bases = [put(np.broadcast_to(_numpy(g["lr"]), (B,))) for g in optimizer.param_groups]
    own_eta = s.schedule is not None and s.schedule.lr is not None
    etas = [put(np.broadcast_to(_numpy(s.schedule.lr), (B,))) for _ in bases] if own_eta else bases
    hypers = [{k: put(np.broadcast_to(_numpy(v), (B,))) for k, v in r.hyper.items()} for r in rules]
    noise = next((r.label_noise for r in rules if r.label_noise is not None), None)
    X = put(_numpy(s.X))
    y = put(_numpy(s.y), jnp.int64 if s.loss.kind == "cross_entropy" else dtype)
    keys = jx.device_put(jx.random.split(jx.random.PRNGKey(s.seed), B), device)
    carry = (params, states, keys)
    constants = (X, y, bases, etas, hypers)
    segments = (np.zeros(CHUNK, dtype=np.int64), np.zeros(CHUNK, dtype=np.int64))

    program, compile_seconds = _compiled(_program(s, rules, indices, noise is not None, own_eta),
                                         (carry, constants, segments), device)

    marks = list(range(0, s.steps, s.record_every)) + [s.steps]
    lengths = np.diff(marks + [s.steps])  # the steps after each record (0 after the last)
    recorded = Recorded(s)
    show = progress if progress is not None else s.steps * B >= 2_000_000
    bar = tqdm(total=s.steps, disable=None if show else True, desc="train", leave=False)
    snapshot_params = bool(s.record_params or s.metrics)
    for start in range(0, len(marks), CHUNK):
        chunk, first = np.zeros(CHUNK, dtype=np.int64), np.full(CHUNK, s.steps, dtype=np.int64)
        chunk[:len(lengths[start:start + CHUNK])] = lengths[start:start + CHUNK]
        first[:len(marks[start:start + CHUNK])] = marks[start:start + CHUNK]
        carry, (snaps, values, finite) = program(carry, constants, (chunk, first))
        finite = np.asarray(finite).all(axis=1)  # (CHUNK,): every configuration finite at the record
        count = min(CHUNK, len(marks) - start)
        stop = next((j for j in range(count) if not finite[j]), None)
        kept = count if stop is None else stop
        values = {k: np.asarray(v)[:kept] for k, v in values.items()}  # (records, B)
        snaps = [np.array(p[:kept]) for p in snaps] if snapshot_params else None  # writable: torch takes them
        for j in range(kept):
            recorded.add(marks[start + j], [torch.as_tensor(p[j]) for p in snaps] if snaps else None,
                         {k: v[j] for k, v in values.items()})
        bar.update(int(lengths[start:start + count].sum()))
        if stop is not None:
            recorded.diverged_at = marks[start + stop]
            break
    bar.close()
    recorded.final = [np.array(p) for p in carry[0]]
    recorded.config.update(compile_seconds=compile_seconds, threads=_XLA_THREADS or "XLA's own pool",
                           jax_device=str(device))
    return recorded


def _compiled(function, args, device) -> tuple[object, float]:
    """(the executable of `function` at `args`, seconds spent compiling it: 0 when this process had it). Programs
    are kept by what they compute — a digest of the traced program (its jaxpr, its constants, the argument shapes)
    — so that a change to any code the step runs (a rule, a norm's LMO, a model, a patched method) is a new
    program: no key can forget a piece of code. Tracing costs milliseconds; compiling, a fraction of a second."""
    jx = jax()
    closed = jx.make_jaxpr(function)(*args)
    digest = hashlib.sha256(str(closed.jaxpr).encode())
    for const in closed.consts:
        value = np.asarray(const)
        digest.update(f"{value.dtype}{value.shape}".encode() + value.tobytes())
    for leaf in jx.tree_util.tree_leaves(args):
        digest.update(f"{np.shape(leaf)}{getattr(leaf, 'dtype', type(leaf))}".encode())
    key = (digest.hexdigest(), str(device))
    if key in _PROGRAMS:
        return _PROGRAMS[key], 0.0
    tic = time.perf_counter()
    _PROGRAMS[key] = jx.jit(function).lower(*args).compile()
    return _PROGRAMS[key], time.perf_counter() - tic


def _program(s: Setup, rules, indices, label_noise: bool, own_eta: bool):
    """The compiled program: (carry, constants, segments) → (carry, (snapshots, values, finite)), every output
    with a leading configuration axis after the record axis. The segments are the steps after each record and the
    step each starts at ((CHUNK,) each, shared by the configurations: the step count t is not carried per
    configuration, which would cost a copy and a broadcast per step)."""
    jx = jax()
    jnp, lax = jx.numpy, jx.lax
    model, loss, n, batch_size, schedule = s.model, s.loss, s.n, s.batch_size, s.schedule
    log_domain, degree, adaptive = s.log_domain, s.degree, s.adaptive
    random = batch_size is not None or label_noise or any(r.random for r in rules)

    def objective(params, X, y):
        out = model.apply(params, X)
        return loss.log_mean(out, y) if log_domain else loss.mean(out, y)

    def step(carry, constants, t):
        params, states, key = carry
        X, y, bases, etas, hypers = constants
        if random:  # split only where something draws: a loop-carried split costs as much as a small step
            key, k_batch, k_label, k_noise = jx.random.split(key, 4)
        else:
            k_batch = k_label = k_noise = key
        if batch_size is not None:
            index = jx.random.permutation(k_batch, n)[:batch_size]
            X, y = X[index], y[index]
        if label_noise:
            sigma = next(h["label_noise"] for h in hypers if "label_noise" in h)
            y = y + sigma * jx.random.normal(k_label, y.shape, y.dtype)
        value, grads = jx.value_and_grad(objective)(params, X, y)
        params, states, draws = list(params), list(states), _KeyNoise(jx, k_noise)
        for g, (rule, idx) in enumerate(zip(rules, indices)):
            if schedule is None:
                lr = bases[g]
            else:
                this = dataclasses.replace(schedule, lr=etas[g]) if own_eta else schedule
                lr = learning_rate(this, adaptive, log_domain, degree, t, value, bases[g])
            new, states[g] = rule.step([params[i] for i in idx], [grads[i] for i in idx], states[g], lr, draws,
                                       hypers[g])
            for i, p in zip(idx, new):
                params[i] = p
        return (params, states, key)

    def record(carry, segment, constants):
        params = carry[0]
        X, y = constants[0], constants[1]
        out = model.apply(params, X)
        values = {"loss": loss.mean(out, y), "log_loss": loss.log_mean(out, y), "accuracy": loss.accuracy(out, y)}
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in params]))
        length, first = segment
        carry = lax.fori_loop(first, first + length, lambda t, c: step(c, constants, t), carry)
        return carry, (params, values, finite)

    def one_configuration(carry, constants, segments):
        return lax.scan(partial(_swap, record, constants), carry, segments)

    axes = (0, (0 if s.data_batched else None, 0 if s.y.ndim == 2 else None, 0, 0, 0))
    batched = jx.vmap(one_configuration, in_axes=(*axes, None), out_axes=(0, 1))
    return batched


def _swap(record, constants, carry, segment):
    return record(carry, segment, constants)


class _KeyNoise:
    """N(0, I) draws for a rule's step from one key: the i-th draw of the step uses fold_in(key, i)."""

    def __init__(self, jx, key):
        self.jx, self.key, self.count = jx, key, 0

    def __call__(self, like):
        self.count += 1
        return self.jx.random.normal(self.jx.random.fold_in(self.key, self.count), like.shape, like.dtype)


def _per_configuration_state(leaf, batch: int, natural: bool) -> np.ndarray:
    """A rule's state leaf as (B, …): a 0-d leaf (a shared counter) repeated, a natural-shape leaf given its batch
    axis of 1, a batched leaf as it is."""
    value = _numpy(leaf)
    if value.ndim == 0:
        return np.broadcast_to(value, (batch,))
    return value[None] if natural else value


def _global_step_hooks() -> bool:
    """Whether hooks registered with `torch.optim.optimizer.register_optimizer_step_{pre,post}_hook` exist."""
    from torch.optim import optimizer as module

    return bool(module._global_optimizer_pre_hooks or module._global_optimizer_post_hooks)


def _numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _jax_device(jx, device: torch.device):
    if device.type == "cuda":
        return jx.devices("gpu")[device.index or 0]
    return jx.devices("cpu")[0]


__all__ = ["CHUNK", "NotCompilableError", "jax", "train", "unsupported"]
