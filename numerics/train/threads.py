"""Intra-op threads by problem size: one thread for small problems, the process's share of the cores above.

    with threads.for_size(threads.work(params, n)):
        ...  # torch and BLAS run with threads.choose(work) threads here; the previous settings return after

Intra-op threads (torch's `set_num_threads`, the BLAS pool through threadpoolctl) pay only when one operation
has enough to share: below that, a second thread costs a hand-off per operation and, once another process keeps
the other core busy, spin-waits for it (measured: a small NucGD template run, 60 points in d = 10, k = 4,
2·10⁴ steps, 3.4 s on one thread, 11.8 s on two beside one busy process, 372 s beside several). `THRESHOLD` is
the crossover measured by `benchmarks/threads.py`.

The size of a step is `work`: configurations × samples per step × parameters per configuration, the multiply-adds
of one forward pass of the suite's models (a linear model's n·k·d).

Threads above the threshold: the cores this process may use (its CPU affinity), divided among pytest-xdist's
workers (`PYTEST_XDIST_WORKER_COUNT`) so that parallel workers do not oversubscribe the machine.

Override: the environment variable ``IBS_THREADS=<n>`` (n ≥ 1) fixes the number of threads at every size and
wins over the policy (e.g. ``IBS_THREADS=1`` on a machine shared with other jobs, or ``IBS_THREADS=16`` on a large
idle one).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
from threadpoolctl import threadpool_limits

THRESHOLD = 10_000_000
"""Work per step (configurations × samples × parameters) from which a second thread is allowed. Measured by
`python benchmarks/threads.py` on this project's idle 2-core machine (NucGD and normalized GD, sizes 2.4·10³ to
1.6·10⁷): two threads were ≥ 1.1× faster for both optimizers at 1.28·10⁷ and 1.6·10⁷ (1.18–1.54×), not at 4·10⁶
(1.13× NucGD, 1.06× normalized GD) nor at any smaller size (0.69–1.30×, most below 1); 10⁷ lies between. On the
same machine shared with other CPU-bound work two threads were 5–8× *slower* at every size measured (2.4·10³ to
8·10⁵; the batched run of `benchmarks/optimizers.py` (a), 3.2·10⁶, took 100 s on two threads against 28 s on
one): there, ``IBS_THREADS=1``."""

OVERRIDE = "IBS_THREADS"


def work(params: Sequence[torch.Tensor], samples: int) -> int:
    """The size of one step: samples per step × the parameters' entries, every configuration's included."""
    return int(samples) * sum(p.numel() for p in params)


def available() -> int:
    """The threads this process may use: its CPU affinity's cores over the number of pytest-xdist workers."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, cores // max(1, workers))


def override() -> int | None:
    """The thread count fixed by ``IBS_THREADS``, or None where it is unset (empty counts as unset)."""
    value = os.environ.get(OVERRIDE, "").strip()
    if not value:
        return None
    try:
        count = int(value)
    except ValueError:
        raise ValueError(f"{OVERRIDE} must be a whole number of threads ≥ 1; got {value!r}") from None
    if count < 1:
        raise ValueError(f"{OVERRIDE} must be a whole number of threads ≥ 1; got {count}")
    return count


def choose(size: float) -> int:
    """Threads for a step of `size` (`work`): `IBS_THREADS` if set, else 1 below `THRESHOLD` and `available()`
    from it on."""
    fixed = override()
    if fixed is not None:
        return fixed
    return 1 if size < THRESHOLD else available()


def default() -> int:
    """Threads outside any sized block in a test process: `IBS_THREADS` if set, else 1 (the suite's problems are
    small, and pytest-xdist already gives every core a worker)."""
    fixed = override()
    return 1 if fixed is None else fixed


@contextmanager
def for_size(size: float) -> Iterator[int]:
    """Run the block with `choose(size)` intra-op threads for torch and for the BLAS libraries loaded in this
    process; restores both on exit (also on an exception). Yields the number chosen."""
    count = choose(size)
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        with threadpool_limits(limits=count, user_api="blas"):
            yield count
    finally:
        torch.set_num_threads(previous)
