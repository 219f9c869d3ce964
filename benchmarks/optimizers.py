"""Optimizer and engine speed, printed as ratios measured in one run.

    python benchmarks/optimizers.py [--quick]

(a) B = 64 configurations (step sizes) of normalized GD on linear multiclass data (n = 200, d = 50, k = 5,
    cross-entropy, 2 000 steps) as one batched program (compiled, the default; and on the eager path), against
    the same 64 run one after another in a plain per-step Python loop with the same optimizer and loss, each with
    the intra-op threads `numerics.train.threads` gives its size; after a warm-up of all, in 4 alternating rounds (the
    batched runs' means against the loop's total). Target ≥ 20×.
(b) the nuclear-norm step u₁v₁ᵀ of a drifting 512 × 512 gradient by one warm power iteration per step,
    against a full SVD per step; with the cosine to the exact step. Target ≥ 3× at cosine ≥ 0.999.
(c) steps for GD on logistic loss to reach a 1 % gap to the exact ℓ2 max margin: loss-adaptive η/L
    against constant steps (the best of η ∈ {0.1, 1, 10, 100}, batched).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from numerics import data
from numerics.train import metrics, threads
from numerics.losses import Loss
from numerics.references.margins import max_margin
from numerics.models import Linear
from numerics.optim import SteepestDescent, loss_adaptive
from numerics.optim.lmo import power_iteration
from numerics.provenance import describe_device
from numerics.train import run


def batched_vs_loop(steps: int, B: int = 64, rounds: int = 4) -> None:
    ds = data.gaussian_multiclass(200, 50, 5, seed=0)
    lrs = torch.logspace(-3, 0, B, dtype=torch.float64)
    model, loss = Linear(50, 5), Loss("cross_entropy")
    X, y = torch.as_tensor(ds.X), torch.as_tensor(ds.y)

    def batched(steps: int, backend: str = "auto") -> float:
        start = time.perf_counter()
        run(model, ds.X, ds.y, loss, lambda ps: SteepestDescent(ps, lrs, "fro", batch_dims=1, momentum=0.9),
            steps=steps, batch=B, record_every=steps, progress=False, backend=backend)
        return time.perf_counter() - start

    def loop(rates: list[float], steps: int) -> float:
        start = time.perf_counter()
        with threads.for_size(X.shape[0] * 5 * 50):  # the threads the policy gives one configuration
            for lr in rates:
                W = torch.zeros(5, 50, dtype=torch.float64, requires_grad=True)
                opt = SteepestDescent([W], lr, "fro", momentum=0.9)
                for _ in range(steps):
                    opt.zero_grad()
                    loss.mean(X @ W.T, y).backward()
                    opt.step()
        return time.perf_counter() - start

    batched(10), batched(10, "torch"), loop(lrs[:1].tolist(), 10)  # one-time costs out of the timings (tracing,
    # compiling; torch imports its compiler
    # stack on the first optimizer, the allocator grows its pools)
    # rounds alternate a batched run of all B configurations with a plain loop over B/rounds of them, so that
    # both sides see the same drift in the machine's speed; the loop's chunks together cover all B
    chunks = lrs.tensor_split(rounds)
    times = [(batched(steps), batched(steps, "torch"), loop(chunk.tolist(), steps)) for chunk in chunks]
    compiled_mean, eager_mean = (sum(t[i] for t in times) / rounds for i in (0, 1))
    loop_total = sum(t[2] for t in times)
    ratio = loop_total / compiled_mean
    print(f"(a) {B} configs × {steps} steps: batched {compiled_mean:.2f} s compiled, {eager_mean:.2f} s eager "
          f"({threads.choose(B * 200 * 5 * 50)} thread(s)) (means of {rounds}), plain loop {loop_total:.2f} s "
          f"({threads.choose(200 * 5 * 50)} thread(s)); throughput ratio {ratio:.1f}× compiled, "
          f"{loop_total / eager_mean:.1f}× eager (target ≥ 20×: {'met' if ratio >= 20 else 'NOT met'})")


def power_vs_svd(steps: int = 30, size: int = 512) -> None:
    rng = np.random.default_rng(0)
    # a gradient with a spectral gap (σ = 400, 200, 100 over Gaussian noise of top singular value ≈ 2√512 ≈ 45),
    # drifting slowly as training gradients do
    U, _ = np.linalg.qr(rng.standard_normal((size, 3)))
    V, _ = np.linalg.qr(rng.standard_normal((size, 3)))
    base = torch.as_tensor(U @ np.diag([400.0, 200.0, 100.0]) @ V.T + rng.standard_normal((size, size)))
    drift = torch.as_tensor(rng.standard_normal((size, size)))
    gradients = [base + 0.5 * np.sin(t / 5) * drift for t in range(steps)]
    v = torch.as_tensor(rng.standard_normal(size))
    start = time.perf_counter()
    steps_power = []
    for G in gradients:
        D, v = power_iteration(G, v, iters=1)
        steps_power.append(D)
    power = time.perf_counter() - start
    start = time.perf_counter()
    steps_svd = []
    for G in gradients:
        U, S, Vh = torch.linalg.svd(G)
        steps_svd.append(torch.outer(U[:, 0], Vh[0]))
    svd = time.perf_counter() - start
    cosines = [float((a * b).sum()) for a, b in zip(steps_power[3:], steps_svd[3:])]
    print(f"(b) {size}×{size} nuclear step, {steps} drifting gradients: "
          f"warm power iteration {1e3 * power / steps:.2f} ms, "
          f"SVD {1e3 * svd / steps:.1f} ms per step, speed-up {svd / power:.0f}× (target ≥ 3×); "
          f"min cosine after 3 warm-up steps {min(cosines):.6f} (target ≥ 0.999)")


def steps_to_one_percent(budget: int) -> None:
    ds = data.gaussian_binary(100, 10, margin=0.3, seed=0)
    gamma = max_margin(ds, norm="l2").margin
    model, every = Linear(10), 10
    gd = lambda ps: SteepestDescent(ps, torch.tensor([0.1, 1.0, 10.0, 100.0], dtype=torch.float64), "l2",
                                    normalized=False, batch_dims=1)
    constant = run(model, ds.X, ds.y, "logistic", gd, steps=budget, batch=4, record_every=every,
                   metrics={"m": metrics.margin(model, "l2")})
    adaptive = run(model, ds.X, ds.y, "logistic",
                   lambda ps: SteepestDescent(ps, 1.0, "l2", normalized=False, batch_dims=1),
                   schedule=loss_adaptive(1.0), steps=budget, record_every=every,
                   metrics={"m": metrics.margin(model, "l2")})

    def first(traj, col):
        gap = (gamma - traj["m"][:, col]) / gamma
        hit = np.flatnonzero(gap < 0.01)
        return (int(traj.steps[hit[0]]), gap[-1]) if hit.size else (None, gap[-1])

    a_steps, a_gap = first(adaptive, 0)
    if a_steps is None:
        print(f"(c) loss-adaptive GD did not reach a 1 % gap in {budget} steps (gap {100 * a_gap:.2f} %)")
        return
    best = [first(constant, c) for c in range(4)]
    reached = [s for s, _ in best if s is not None]
    gaps = ", ".join(f"η={eta:g}: {100 * g:.1f} %" for eta, (_, g) in zip((0.1, 1, 10, 100), best))
    if reached:
        print(f"(c) steps to a 1 % ℓ2 margin gap: loss-adaptive {a_steps}, best constant step {min(reached)}, "
              f"ratio {min(reached) / a_steps:.0f}×")
    else:
        print(f"(c) steps to a 1 % ℓ2 margin gap: loss-adaptive {a_steps}; constant steps did not reach it in "
              f"{budget} (gaps at the end: {gaps}), so the ratio is > {budget / a_steps:.0f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="(a) with 200 steps, (c) with a 5 000-step budget")
    quick = parser.parse_args().quick
    torch.manual_seed(0)
    print(f"{describe_device()} · torch {torch.__version__}\n")
    batched_vs_loop(200 if quick else 2000)
    power_vs_svd()
    steps_to_one_percent(5_000 if quick else 50_000)


if __name__ == "__main__":
    main()
