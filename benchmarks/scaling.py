"""Memory and time at scale: how the cost of a reference solve and of an engine step grows with the problem.

    python benchmarks/scaling.py [--quick] [--seed N] [--json PATH]

Each sweep grows one size with the others fixed and prints one row per size, then each cost's fitted power law:
the least-squares line through (log size, log cost), printed as "seconds ≈ c·n^p (n 250…8000)". To predict a
bigger study, read the cost at size s as c·s^p: inside the range it interpolates; beyond it, p is an estimate
(solvers change regime, arrays leave the caches), so extrapolate a decade, not three.

(1) Reference solves, `numerics.references.margins.max_margin` (certified cvxpy; a solve's seconds include cvxpy's
    compilation and the certificate): binary ℓ2, ℓ1, ℓ∞ on gaussian_binary(n, d, sparsity=5) as n grows (d = 50) and
    as d grows (n = 200); multiclass Frobenius, spectral, nuclear on gaussian_multiclass(n, d, k) as k grows (n = 200,
    d = 50). One solve per size; "rel gap" is its certificate.
(2) Engine steps, `numerics.train.run` of `numerics.models.Linear` under normalized steepest descent
    (`SteepestDescent(..., batch_dims=1)`, B step sizes log-spaced in [1e−3, 1] trained at once), cross-entropy
    on gaussian_multiclass(n, d, k): seconds per step as n, d, k grow (Frobenius, i.e. normalized GD, B = 16) and
    as B grows (Frobenius, and spectral, whose step is a batched SVD). Per step: the time of a run of S steps less
    that of a run of 0 steps (set-up and the two records), over S, each the least of 3 repeats; S is chosen from
    a 5-step probe so that the steps take about 0.5 s (0.1 s with --quick).
(3) Memory, for every point: each size runs in a fresh process (multiprocessing's forkserver: forked from a
    server that imported torch and cvxpy and ran nothing, so that the point's peak is its own and no thread pool is
    inherited), after a warm-up at a tiny size (solver libraries loaded, first calls paid). "Δ RSS" is the rise of
    the peak resident set (getrusage's ru_maxrss) over the measured work: everything, torch tensors and the
    solvers' own (Rust, C) allocations included. "traced" is the peak of Python and numpy allocations
    (tracemalloc) during a second, traced repeat of the work (the solve, or 2 steps), which torch tensors and
    the solvers' allocations do not enter. "peak RSS" is the process's whole peak (imports included, ~300 MiB).
    Memory laws are fitted over the sizes where that cost exceeds 1 MiB: smaller rises are page and allocator
    granularity.

The header gives the machine, the versions and the load average: on a machine shared with other jobs, times are
inflated and vary from run to run (the least of repeats damps that for steps, not for solves); exponents vary
less than times. The first point waits for the forkserver to import torch and cvxpy (seconds).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import resource
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass

import numpy as np
import torch

from numerics import data, norms
from numerics.references.margins import max_margin
from numerics.models import Linear
from numerics.optim import SteepestDescent
from numerics.provenance import describe_device, versions
from numerics.train import run

SPARSITY = 5
REPEATS, PROBE_STEPS, TRACED_STEPS, MAX_STEPS = 3, 5, 2, 10_000
MIN_MIB = 1.0
CONTEXT = multiprocessing.get_context("forkserver")
# torch and cvxpy imported once, not per point (torch._dynamo: torch.optim's first optimizer imports it, for 5 s)
CONTEXT.set_forkserver_preload(["numerics.references.margins", "numerics.train", "torch._dynamo"])
RSS_UNIT = 2**20 if sys.platform == "darwin" else 2**10  # ru_maxrss is in bytes on macOS, KiB on Linux
LABELS = {"solve": "reference solve", "step": "engine step"}


@dataclass(frozen=True)
class Sweep:
    """One problem size (`grown`: n, d, k or B) taken through `sizes`, the others fixed at `base`."""

    task: str  # "solve" (a max_margin reference) or "step" (an engine step)
    norm: str
    grown: str
    sizes: tuple[int, ...]
    base: dict[str, int]

    def shape(self, size: int) -> dict[str, int]:
        return {**self.base, self.grown: size}

    def title(self) -> str:
        fixed = ", ".join(f"{name} = {value}" for name, value in self.base.items() if name != self.grown)
        return f"{LABELS[self.task]}, {self.norm}, {fixed}; {self.grown} grows"


def grid(quick: bool) -> list[Sweep]:
    """The sweeps: the same fixed sizes in both grids; --quick grows them over fewer, smaller values."""
    binary, multiclass, engine = {"n": 200, "d": 50}, {"n": 200, "d": 50, "k": 2}, {"n": 200, "d": 50, "k": 5, "B": 16}
    if quick:
        n, d, k = (100, 200, 400), (25, 50, 100), (2, 3, 4)
        step_n, step_d, step_k, step_B = (250, 1000, 4000), (25, 100, 400), (2, 8, 32), (1, 16, 256)
    else:
        n, d, k = (250, 500, 1000, 2000, 4000, 8000), (50, 100, 200, 400, 800, 1600), (2, 4, 8, 12, 16)
        step_n, step_d = (250, 1000, 4000, 16_000, 64_000), (25, 100, 400, 1600, 6400)
        step_k, step_B = (2, 4, 8, 16, 32, 64), (1, 4, 16, 64, 256)
    return ([Sweep("solve", norm, "n", n, binary) for norm in ("l2", "l1", "linf")]
            + [Sweep("solve", norm, "d", d, binary) for norm in ("l2", "l1", "linf")]
            + [Sweep("solve", norm, "k", k, multiclass) for norm in ("fro", "spectral", "nuclear")]
            + [Sweep("step", "fro", grown, sizes, engine) for grown, sizes in (("n", step_n), ("d", step_d),
                                                                                ("k", step_k), ("B", step_B))]
            + [Sweep("step", "spectral", "B", step_B, engine)])


def dataset(norm: str, shape: dict[str, int], seed: int) -> data.Dataset:
    """Binary data for a vector norm, multiclass for a matrix norm."""
    if norms.get(norm).ndim == 1:
        return data.gaussian_binary(shape["n"], shape["d"], sparsity=min(SPARSITY, shape["d"]), seed=seed)
    return data.gaussian_multiclass(shape["n"], shape["d"], shape["k"], seed=seed)


def tiny(norm: str) -> data.Dataset:
    """The warm-up problem: the same kind of data, at a size that costs nothing."""
    return dataset(norm, {"n": 20, "d": 5, "k": 2}, seed=0)


# ------------------------------------------------------------------------------- one point, in its own process

def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT / 2**20


def traced_mib(work) -> float:
    """The peak of Python/numpy allocations while `work()` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure_solve(sweep: Sweep, size: int, ds: data.Dataset, budget: float) -> dict:
    """One certified solve, timed; then a traced repeat (`budget` is the steps')."""
    max_margin(tiny(sweep.norm), norm=sweep.norm)
    before = peak_rss_mib()
    start = time.perf_counter()
    ref = max_margin(ds, norm=sweep.norm)
    seconds = time.perf_counter() - start
    peak = peak_rss_mib()
    return {"seconds": seconds, "rss_mib": peak - before, "peak_rss_mib": peak,
            "traced_mib": traced_mib(lambda: max_margin(ds, norm=sweep.norm)),
            "solver": ref.solver, "rel_gap": ref.certificate.rel_gap}


def trainer(norm: str, ds: data.Dataset, batch: int):
    """steps -> seconds of one `run` of `batch` configurations (recording only at the start and the end)."""
    model = Linear(*reversed(ds.weight_shape))  # Linear(d) on binary data, Linear(d, k) on multiclass
    loss = "cross_entropy" if ds.task == "multiclass" else "logistic"
    lrs = torch.logspace(-3, 0, batch, dtype=torch.float64)

    def train(steps: int) -> float:
        start = time.perf_counter()
        run(model, ds.X, ds.y, loss, lambda ps: SteepestDescent(ps, lrs, norm, batch_dims=1),
            steps=steps, batch=batch, record_every=max(steps, 1), progress=False)
        return time.perf_counter() - start

    return train


def measure_step(sweep: Sweep, size: int, ds: data.Dataset, budget: float) -> dict:
    """Seconds per step: (least run of S steps − least run of 0 steps) / S, with S sized by a probe so that the
    steps take `budget` seconds and at least 10× the set-up (the difference then stands above its noise)."""
    trainer(sweep.norm, tiny(sweep.norm), 1)(PROBE_STEPS)
    train = trainer(sweep.norm, ds, sweep.shape(size)["B"])
    before = peak_rss_mib()
    setup = min(train(0) for _ in range(REPEATS))
    probe = (train(PROBE_STEPS) - setup) / PROBE_STEPS
    steps = int(np.clip(max(budget, 10 * setup) / max(probe, 1e-9), PROBE_STEPS, MAX_STEPS))
    seconds = (min(train(steps) for _ in range(REPEATS)) - setup) / steps
    peak = peak_rss_mib()
    return {"seconds": seconds, "rss_mib": peak - before, "peak_rss_mib": peak,
            "traced_mib": traced_mib(lambda: train(TRACED_STEPS)), "steps": steps}


MEASURE = {"solve": measure_solve, "step": measure_step}


def measure(sweep: Sweep, size: int, seed: int, budget: float) -> dict:
    """One size of a sweep in a fresh process. The data are made here and passed in, so that making them
    (rejection sampling allocates batches of 4096 points) does not raise that process's peak."""
    ds = dataset(sweep.norm, sweep.shape(size), seed)
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=CONTEXT) as pool:
        return {sweep.grown: size, **pool.submit(MEASURE[sweep.task], sweep, size, ds, budget).result()}


# ------------------------------------------------------------------------------------------- sweeps and laws

def power_law(sizes, costs, floor: float = 0.0) -> dict | None:
    """cost ≈ c·size^p by least squares in log–log over the costs above `floor`; None with < 2 sizes left."""
    kept = [(s, c) for s, c in zip(sizes, costs) if c > floor]
    if len(kept) < 2:
        return None
    x, y = np.log(np.array(kept, dtype=float)).T
    p, log_c = np.polyfit(x, y, 1)
    return {"c": float(np.exp(log_c)), "p": float(p), "sizes": [min(s for s, _ in kept), max(s for s, _ in kept)]}


def measure_sweep(sweep: Sweep, seed: int, budget: float) -> dict:
    """Every size of `sweep` measured (each in its own process), with the fitted law of each cost."""
    start = time.perf_counter()
    rows = [measure(sweep, size, seed, budget) for size in sweep.sizes]
    laws = {cost: power_law(sweep.sizes, [row[cost] for row in rows], floor)
            for cost, floor in (("seconds", 0.0), ("rss_mib", MIN_MIB), ("traced_mib", MIN_MIB))}
    return {"title": sweep.title(), **asdict(sweep), "rows": rows, "laws": laws,
            "wall_seconds": time.perf_counter() - start}


def show(result: dict) -> None:
    grown, step = result["grown"], result["task"] == "step"
    print(f"\n{result['title']} (measured in {result['wall_seconds']:.0f} s)")
    print(f"{grown:>7s} {'steps S' if step else 'solver':>9s} {'ms/step' if step else 'seconds':>9s} "
          f"{'Δ RSS MiB':>10s} {'traced MiB':>10s} {'peak RSS MiB':>12s}" + ("" if step else f" {'rel gap':>8s}"))
    for row in result["rows"]:
        time_ = 1e3 * row["seconds"] if step else row["seconds"]
        print(f"{row[grown]:7d} {row['steps'] if step else row['solver']:>9} {time_:9.3f} {row['rss_mib']:10.1f} "
              f"{row['traced_mib']:10.2f} {row['peak_rss_mib']:12.1f}" + ("" if step else f" {row['rel_gap']:8.1e}"))
    laws = [law_text(name, result["laws"][cost], grown)
            for cost, name in (("seconds", "s/step" if step else "seconds"), ("rss_mib", "Δ RSS MiB"),
                               ("traced_mib", "traced MiB"))]
    print("fit: " + " · ".join(laws))


def law_text(name: str, law: dict | None, grown: str) -> str:
    if law is None:
        return f"{name}: — (above {MIN_MIB:g} MiB at fewer than 2 sizes)"
    low, high = law["sizes"]
    return f"{name} ≈ {law['c']:.3g}·{grown}^{law['p']:.2f} ({grown} {low}…{high})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller sizes (about a minute)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="PATH", help="also write every row and fitted law here")
    args = parser.parse_args()
    budget = 0.1 if args.quick else 0.5
    v = versions()
    load = os.getloadavg()[0]
    header = {"device": describe_device(), "versions": v, "seed": args.seed, "quick": args.quick,
              "cores": os.cpu_count(), "load_average": load}
    print(f"seed {args.seed} · {header['device']} · python {v['python']} · numpy {v['numpy']} · torch {v['torch']} "
          f"· cvxpy {v['cvxpy']} · clarabel {v['clarabel']} · scs {v['scs']}")
    print(f"load average {load:.1f} on {os.cpu_count()} cores at the start"
          + (": a shared machine, times inflated and noisy" if load >= 1 else ""))
    results = []
    for sweep in grid(args.quick):
        results.append(measure_sweep(sweep, args.seed, budget))
        show(results[-1])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**header, "sweeps": results}, f, indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
