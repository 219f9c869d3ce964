"""Intra-op threads against problem size: where a second thread starts to pay, and the policy under load.

    python benchmarks/threads.py [--steps 200] [--repeats 3]     the sweep: 1 vs 2 threads over sizes
    python benchmarks/threads.py --under-load                     the template run idle and beside 2 busy processes

The sweep trains batched linear multiclass models (cross-entropy, NucGD and normalized GD, i.e. normalized
steepest descent under the nuclear and Frobenius norms) on the engine's eager path (`numerics.train.run(...,
backend="torch")`, whose intra-op threads `numerics.train.threads` chooses by size) with the thread count fixed
by ``IBS_THREADS`` (1, then 2), for sizes `numerics.train.threads.work` from 2.4·10³ to 1.6·10⁷, and prints ms per
step (the minimum over repeats, the two counts interleaved) with the ratio; the threshold printed is the smallest size
from which two threads are ≥ 1.1× faster at every larger size measured (`numerics.train.threads.THRESHOLD`).

`--under-load` times the small template run (NucGD, η/√(t+1), on the NucGD mixture with k = 4 classes, d = 10,
15 points per class, 2·10⁴ steps, as `verify.convergence.converge` runs it: on the compiled path, whose XLA
threads are set once per process) under the default policy on an idle machine, then while two CPU-bound processes
run; acceptance: ≤ 2× the idle time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from contextlib import contextmanager

import torch

from numerics import data
from numerics.train import threads
from numerics.losses import Loss
from numerics.models import Linear
from numerics.optim import SteepestDescent
from numerics.provenance import describe_device
from numerics.train import run

SIZES = [  # (data set, batch B): work = B · n · k · d
    ("mixture", 1), ("mixture", 16), ("mixture", 64), ("mixture", 256),
    ("multiclass", 4), ("multiclass", 16), ("multiclass", 64), ("multiclass", 256),
    ("large", 4), ("large", 16),
]


def dataset(name: str):
    if name == "mixture":  # the template's data: n = 60, d = 10, k = 4
        return data.gaussian_mixture(4, 10, 15, seed=0)
    if name == "multiclass":  # benchmarks/optimizers.py (a): n = 200, d = 50, k = 5
        return data.gaussian_multiclass(200, 50, 5, seed=0)
    return data.gaussian_multiclass(1000, 100, 10, seed=0)


@contextmanager
def fixed_threads(count: int | None):
    """`IBS_THREADS` set to `count` (None: unset, the policy decides) for the block."""
    previous = os.environ.pop(threads.OVERRIDE, None)
    if count is not None:
        os.environ[threads.OVERRIDE] = str(count)
    try:
        yield
    finally:
        os.environ.pop(threads.OVERRIDE, None)
        if previous is not None:
            os.environ[threads.OVERRIDE] = previous


def train(ds, norm: str, batch: int, steps: int) -> float:
    """Seconds per step of normalized steepest descent under `norm`, `batch` configurations."""
    model = Linear(ds.d, ds.num_classes)
    start = time.perf_counter()
    run(model, ds.X, ds.y, Loss("cross_entropy"), lambda ps: SteepestDescent(ps, 0.1, norm, batch_dims=1),
        steps=steps, batch=batch, record_every=steps, progress=False, backend="torch")
    return (time.perf_counter() - start) / steps


def sweep(steps: int, repeats: int) -> None:
    print(f"{'norm':>8} {'n':>5} {'d':>4} {'k':>3} {'B':>4} {'work':>10} {'1 thread':>10} {'2 threads':>10} "
          f"{'ratio':>6}")
    rows = []
    for norm in ("nuclear", "fro"):
        for name, batch in SIZES:
            ds = dataset(name)
            size = batch * ds.X.shape[0] * ds.num_classes * ds.d
            times = {1: [], 2: []}
            for _ in range(repeats):
                for count in (1, 2):
                    with fixed_threads(count):
                        times[count].append(train(ds, norm, batch, steps))
            one, two = min(times[1]), min(times[2])
            rows.append((size, one / two))
            print(f"{norm:>8} {ds.X.shape[0]:>5} {ds.d:>4} {ds.num_classes:>3} {batch:>4} {size:>10.3g} "
                  f"{1e3 * one:>8.3f}ms {1e3 * two:>8.3f}ms {one / two:>5.2f}×")
    sizes = sorted({size for size, _ in rows})  # both norms at a size must pay, not either
    paying = [s for s in sizes if all(r >= 1.1 for size, r in rows if size >= s)]
    crossover = f"{paying[0]:.3g}" if paying else "none measured"
    print(f"\nsmallest size from which 2 threads are ≥ 1.1× faster at every larger size: {crossover}; "
          f"numerics.train.threads.THRESHOLD = {threads.THRESHOLD:.3g}")


def template_run(steps: int = 20_000) -> float:
    """Seconds of the small template run (the converge call of the README's NucGD template, engine only)."""
    from verify.convergence import converge

    ds = data.gaussian_mixture(4, 10, 15, seed=0)
    start = time.perf_counter()
    converge(lambda ps: SteepestDescent(ps, lr=1.0, norm="nuclear", batch_dims=1), ds, steps=steps)
    return time.perf_counter() - start


def _busy() -> None:
    while True:
        pass


def under_load(repeats: int) -> None:
    with fixed_threads(None):
        idle = min(template_run() for _ in range(repeats))
        print(f"template run (NucGD, n = 60, d = 10, k = 4, 2·10⁴ steps), policy: {threads.choose(2400)} "
              f"thread(s); idle {idle:.2f} s")
        busy = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(2)]
        for p in busy:
            p.start()
        try:
            loaded = min(template_run() for _ in range(repeats))
        finally:
            for p in busy:
                p.terminate()
                p.join()
    print(f"beside 2 busy processes {loaded:.2f} s: {loaded / idle:.2f}× the idle time (acceptance ≤ 2×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--under-load", action="store_true", help="the template run idle and beside 2 busy processes")
    parser.add_argument("--steps", type=int, default=200, help="steps per timing in the sweep")
    parser.add_argument("--repeats", type=int, default=3, help="timings per entry (the minimum is kept)")
    args = parser.parse_args()
    print(f"{describe_device()} · torch {torch.__version__} · {os.cpu_count()} cores\n")
    if args.under_load:
        under_load(args.repeats)
    else:
        sweep(args.steps, args.repeats)


if __name__ == "__main__":
    main()
