"""The training engine against a plain baseline and against the compiled floor, measured in one run.

    python benchmarks/engine.py [--quick] [--json PATH]

(1) A peer's workload: a public numpy study of steepest-descent geometries (linear multiclass, k = 4, d = 24, n = 40,
    6 random data sets; normalized GD, sign descent, spectral descent, Muon with the exact polar factor and Nesterov
    momentum 0.95, Adam; cross-entropy, η/√(t+1)), re-implemented here as a plain numpy loop vectorized over the 6
    data sets — the baseline — against the engine with the 6 data sets as its batch dimension (X of shape
    (6, n, d)), on its default (compiled) path and on the eager path. Per optimizer: µs per optimizer·data-set·step.
    Done when the engine is ≥ 3× faster than numpy (goal ≥ 10×). Beside it, "numpy, exact": the same loop computing
    the engine's gradient (the rival logsumexp, ∇log L where the engine takes it), the same mathematics in numpy.
(2) The floor: normalized steepest descent under the Frobenius and the nuclear norm (60 points, d = 10, k = 4,
    cross-entropy, η/√(t+1)) as a bare hand-written `jax.lax.scan` of the update (`jax.vmap` over 64 step sizes for
    B = 64), against the engine at B = 1 and B = 64. Done when the engine is within 3× of the floor.
(3) What an exact loss costs: normalized GD on the peer workload as a bare `lax.scan` (vmapped over the data sets)
    with numpy's cross-entropy (logsumexp(s) − s_y, its softmax − one-hot gradient), with the suite's L (the rival
    logsumexp: exact where L is below machine epsilon) and with the suite's log L (what the engine differentiates
    where the step is scale-free, so that training goes on where L underflows). µs per data-set·step.

Per-step times are differences: (time of 2T steps − time of T steps)/T, the least of 3 repeats, so that set-up,
tracing and compiling (the first call's compile time is reported apart; JAX's persistent cache may serve it) are
out of them. Both sides record nothing in between (the engine records at
the start and the end only).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from numerics import data
from numerics.losses import Loss
from numerics.models import Linear
from numerics.optim import Adam, SteepestDescent, inverse_sqrt
from numerics.provenance import describe_device, versions
from numerics.train import compiled, run

ETA = 0.1
PEER = {  # name: (engine factory with per-configuration step sizes, numpy update)
    "normalized GD": lambda lr: SteepestDescent(lr[0], lr[1], "fro", batch_dims=1),
    "sign descent": lambda lr: SteepestDescent(lr[0], lr[1], "entry_linf", batch_dims=1),
    "spectral descent": lambda lr: SteepestDescent(lr[0], lr[1], "spectral", batch_dims=1),
    "Muon (exact polar, Nesterov 0.95)": lambda lr: SteepestDescent(lr[0], lr[1], "spectral", momentum=0.95,
                                                                    nesterov=True, batch_dims=1),
    "Adam": lambda lr: Adam(lr[0], lr[1], batch_dims=1),
}


def peer_data(sets: int = 6, k: int = 4, d: int = 24, per_class: int = 10):
    """The peer's experiment: `sets` random linear multiclass data sets, stacked (sets, n, d) and (sets, n)."""
    made = [data.gaussian_mixture(k, d, per_class, noise=1.0, seed=seed) for seed in range(sets)]
    return np.stack([m.X for m in made]), np.stack([m.y for m in made])


# ------------------------------------------------------------------------------------ (1) the numpy baseline

def numpy_gradient(W, X, y, onehot):
    """∇ of the mean cross-entropy for W (S, k, d) on X (S, n, d), stable softmax."""
    scores = X @ W.transpose(0, 2, 1)
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    return (p - onehot).transpose(0, 2, 1) @ X / X.shape[1]


def numpy_exact_gradient(W, X, is_own, log_domain: bool):
    """The engine's gradient in numpy: ℓ = softplus(z), z = logsumexp_{j≠y}(s_j − s_y), exact where ℓ is below
    machine epsilon; ∇L, or ∇log L = Σ_i σ(z_i)/Σ_j ℓ_j (…) with log ℓ_i exact where ℓ_i underflows."""
    scores = X @ W.transpose(0, 2, 1)
    own = np.sum(np.where(is_own, scores, 0.0), axis=-1, keepdims=True)
    diff = np.where(is_own, -np.inf, scores - own)
    m = diff.max(axis=-1, keepdims=True)
    e = np.exp(diff - m)
    total_e = e.sum(axis=-1)
    z = np.log(total_e) + m[..., 0]
    log_sigmoid = -np.logaddexp(0.0, -z)
    if log_domain:
        log_loss = np.where(z < -30, z, np.log(np.logaddexp(0.0, np.maximum(z, -30))))
        top = log_loss.max(axis=-1, keepdims=True)
        weight = np.exp(log_sigmoid - top - np.log(np.exp(log_loss - top).sum(axis=-1, keepdims=True)))
    else:
        weight = np.exp(log_sigmoid) / X.shape[1]
    coefficients = e * (weight / total_e)[..., None] - np.where(is_own, weight[..., None], 0.0)
    return coefficients.transpose(0, 2, 1) @ X


def polar(G):
    u, _, vt = np.linalg.svd(G, full_matrices=False)
    return u @ vt


def numpy_run(name: str, X, y, steps: int, exact: bool | None = None) -> float:
    """Seconds of `steps` steps of the plain numpy loop of optimizer `name` over all data sets; with `exact` not
    None, on the engine's gradient (∇log L where `exact` is true, ∇L where false)."""
    S, n, d = X.shape
    k = int(y.max()) + 1
    onehot = np.eye(k)[y]
    is_own = onehot.astype(bool)
    W = np.zeros((S, k, d))
    m, v = np.zeros_like(W), np.zeros_like(W)
    start = time.perf_counter()
    for t in range(steps):
        G = numpy_gradient(W, X, y, onehot) if exact is None else numpy_exact_gradient(W, X, is_own, exact)
        eta = ETA / np.sqrt(t + 1)
        if name == "normalized GD":
            W -= eta * G / np.linalg.norm(G, axis=(1, 2), keepdims=True)
        elif name == "sign descent":
            W -= eta * np.sign(G)
        elif name == "spectral descent":
            W -= eta * polar(G)
        elif name.startswith("Muon"):
            m = 0.95 * m + G
            W -= eta * polar(G + 0.95 * m)
        else:
            m = 0.9 * m + 0.1 * G
            v = 0.999 * v + 0.001 * G * G
            W -= eta / (1 - 0.9 ** (t + 1)) * m / (np.sqrt(v) / np.sqrt(1 - 0.999 ** (t + 1)) + 1e-8)
    return time.perf_counter() - start


def engine_run(name: str, X, y, steps: int, backend: str = "auto") -> tuple[float, float, bool]:
    """(seconds, of which compiling, whether it differentiated log L) of `steps` steps of the engine on all data
    sets as its batch."""
    S, _, d = X.shape
    lrs = torch.full((S,), ETA, dtype=torch.float64)
    start = time.perf_counter()
    traj = run(Linear(d, int(y.max()) + 1), X, y, "cross_entropy", lambda ps: PEER[name]((ps, lrs)), steps=steps,
               batch=S, record_every=steps, schedule=inverse_sqrt(), backend=backend, progress=False)
    return time.perf_counter() - start, traj.config["compile_seconds"], traj.config["log_domain"]


def per_step(timer, steps: int, repeats: int = 3) -> float:
    """(least time of 2·steps − least time of steps)/steps: seconds per step without the fixed costs."""
    timer(steps)  # warm: imports, compiling, allocator pools
    once = min(timer(steps) for _ in range(repeats))
    twice = min(timer(2 * steps) for _ in range(repeats))
    return max(twice - once, 0.0) / steps


def peer_table(steps: int) -> list[dict]:
    X, y = peer_data()
    S = len(X)
    rows = []
    for name in PEER:
        _, compile_s, log_domain = engine_run(name, X, y, 10)  # the process's first: tracing, compiling (or loading)
        numpy_us = per_step(lambda T: numpy_run(name, X, y, T), steps) / S * 1e6
        exact_us = per_step(lambda T: numpy_run(name, X, y, T, exact=log_domain), steps) / S * 1e6
        engine_us = per_step(lambda T: engine_run(name, X, y, T)[0], 10 * steps) / S * 1e6
        eager_us = per_step(lambda T: engine_run(name, X, y, T, "torch")[0], max(steps // 4, 10)) / S * 1e6
        rows.append({"optimizer": name, "numpy_us": numpy_us, "numpy_exact_us": exact_us, "engine_us": engine_us,
                     "eager_us": eager_us, "speedup": numpy_us / engine_us, "exact_speedup": exact_us / engine_us,
                     "compile_s": compile_s})
    return rows


# ------------------------------------------------------------------------------------------- (2) the floor

def floor_program(norm: str, X, y, steps: int, batch: int):
    """The bare update, hand-written in JAX: W ← W − η_b/√(t+1)·lmo(∇L(W)) as one `lax.scan`, vmapped over the
    step sizes η_b; compiled once. Returns a function running it."""
    jx = compiled.jax()
    jnp = jx.numpy
    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    k = int(y.max()) + 1

    def loss(W):
        scores = Xj @ W.T
        own = jnp.take_along_axis(scores, yj[:, None], axis=1)
        rivals = jnp.where(jnp.arange(k) == yj[:, None], -jnp.inf, scores - own)
        return jnp.mean(jnp.logaddexp(0.0, jx.nn.logsumexp(rivals, axis=1)))

    def lmo(G):
        if norm == "fro":
            return G / jnp.linalg.norm(G)
        u, _, vt = jnp.linalg.svd(G, full_matrices=False)
        return u[:, :1] @ vt[:1]

    def train(eta):
        def step(W, t):
            return W - eta / jnp.sqrt(t + 1.0) * lmo(jx.grad(loss)(W)), None

        return jx.lax.scan(step, jnp.zeros((k, X.shape[1])), jnp.arange(steps, dtype=jnp.float64))[0]

    program = jx.jit(jx.vmap(train))
    etas = jnp.full((batch,), ETA)
    program(etas).block_until_ready()
    return lambda: program(etas).block_until_ready()


def floor_table(steps: int) -> list[dict]:
    ds = data.gaussian_mixture(4, 10, 15, noise=1.0, seed=0)
    rows = []
    for norm in ("fro", "nuclear"):
        for batch in (1, 64):
            def floor(T):
                program = floor_program(norm, ds.X, ds.y, T, batch)
                start = time.perf_counter()
                program()
                return time.perf_counter() - start

            def engine(T):
                lrs = torch.full((batch,), ETA, dtype=torch.float64)
                start = time.perf_counter()
                run(Linear(10, 4), ds.X, ds.y, "cross_entropy", lambda ps: SteepestDescent(ps, lrs, norm, batch_dims=1),
                    steps=T, batch=batch, record_every=T, schedule=inverse_sqrt(), progress=False)
                return time.perf_counter() - start

            floor_us = per_step(floor, steps) / batch * 1e6
            engine_us = per_step(engine, steps) / batch * 1e6
            rows.append({"norm": norm, "B": batch, "floor_us": floor_us, "engine_us": engine_us,
                         "ratio": engine_us / floor_us})
    return rows


# --------------------------------------------------------------------------------- (3) what the loss costs

def loss_table(steps: int) -> list[dict]:
    jx = compiled.jax()
    jnp = jx.numpy
    X, y = peer_data()
    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    k, loss = int(y.max()) + 1, Loss("cross_entropy")

    def numpy_cross_entropy(scores, labels):
        own = jnp.sum(jnp.where(jnp.arange(k) == labels[:, None], scores, 0.0), axis=-1)
        return jnp.mean(jx.nn.logsumexp(scores, axis=-1) - own)

    objectives = {"softmax − one-hot (numpy's)": numpy_cross_entropy, "rival logsumexp (the suite's L)": loss.mean,
                  "log L (the suite's, scale-free steps)": loss.log_mean}
    rows = []
    for name, objective in objectives.items():
        def train(Xs, ys, T, objective=objective):
            def step(W, t):
                G = jx.grad(lambda W: objective(Xs @ W.T, ys))(W)
                return W - ETA / jnp.sqrt(t + 1.0) * G / jnp.linalg.norm(G), None

            return jx.lax.scan(step, jnp.zeros((k, Xs.shape[1])), jnp.arange(T, dtype=jnp.float64))[0]

        def timer(T, train=train):
            program = jx.jit(jx.vmap(lambda Xs, ys: train(Xs, ys, T)))
            program(Xj, yj).block_until_ready()
            start = time.perf_counter()
            program(Xj, yj).block_until_ready()
            return time.perf_counter() - start

        rows.append({"objective": name, "us": per_step(timer, steps) / len(X) * 1e6})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke test)")
    parser.add_argument("--json", help="write the tables here")
    args = parser.parse_args()
    steps = 200 if args.quick else 2000
    print(f"device: {describe_device()}; jax {versions()['jax']}, torch {versions()['torch']}")
    peer = peer_table(steps)
    print(f"\n(1) peer workload (k = 4, d = 24, n = 40, 6 data sets), µs per optimizer·data-set·step")
    print(f"{'optimizer':34s} {'numpy':>7s} {'exact':>7s} {'engine':>7s} {'eager':>7s} {'numpy/engine':>13s} "
          f"{'exact/engine':>13s} {'compile s':>10s}")
    for r in peer:
        print(f"{r['optimizer']:34s} {r['numpy_us']:7.2f} {r['numpy_exact_us']:7.2f} {r['engine_us']:7.2f} "
              f"{r['eager_us']:7.2f} {r['speedup']:12.1f}× {r['exact_speedup']:12.1f}× {r['compile_s']:10.2f}")
    total = sum(r["numpy_us"] for r in peer) / sum(r["engine_us"] for r in peer)
    exact = sum(r["numpy_exact_us"] for r in peer) / sum(r["engine_us"] for r in peer)
    print(f"{'whole workload':34s} {'':7s} {'':7s} {'':7s} {'':7s} {total:12.1f}× {exact:12.1f}×   "
          f"(target ≥ 3×, goal ≥ 10×)")
    print("(numpy: the peer's loop; exact: the same loop on the engine's gradient, the rival logsumexp and ∇log L)")
    floor = floor_table(10 * steps)
    print(f"\n(2) the compiled floor (60 points, d = 10, k = 4), µs per configuration·step")
    print(f"{'norm':8s} {'B':>4s} {'floor':>8s} {'engine':>8s} {'engine/floor':>13s}")
    for r in floor:
        print(f"{r['norm']:8s} {r['B']:4d} {r['floor_us']:8.2f} {r['engine_us']:8.2f} {r['ratio']:12.2f}×")
    print("(target: engine within 3× of the floor)")
    losses = loss_table(10 * steps)
    print(f"\n(3) normalized GD on the peer workload as a bare scan, by loss: µs per data-set·step")
    for r in losses:
        print(f"{r['objective']:40s} {r['us']:8.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": describe_device(), "versions": versions(), "peer": peer, "floor": floor,
                       "losses": losses, "peer_speedup": total, "peer_speedup_exact": exact}, f, indent=1)


if __name__ == "__main__":
    main()
