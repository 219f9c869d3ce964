"""Where claims and sweep points run: in this process, or as Ray tasks on a Ray cluster.

    with executor("ray", address="HOST:PORT") as ex:      # address None: a local Ray cluster on this machine
        for item, result in ex.map(function, items):      # results as they finish
            ...

`local` calls the function in this process, one item after another (`python -m verify` without `--executor`
keeps pytest-xdist for its parallelism). `ray` submits one task per item (one CPU each; Ray retries a task
whose worker died, up to `RETRIES` times) and yields results in the order they finish. Against an existing
cluster (`address`), the repository is shipped as the job's working directory (Ray's `runtime_env`), so the
cluster's workers need only the same Python packages installed, not this checkout; a local cluster runs in
this checkout. Ray is an optional extra (`pip install -e ".[ray]"`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
EXECUTORS = ("local", "ray")
RETRIES = 2
"""Ray re-runs a task whose worker process or node died this many times before reporting it failed."""
SHIPPED_EXCLUDES = [".git", ".venv", "report", "**/__pycache__", "*.pdf", "*.png"]


class LocalExecutor:
    """Items one after another in this process."""

    name = "local"

    def map(self, function: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        for item in items:
            yield item, function(item)


class RayExecutor:
    """One Ray task per item (see the module docstring)."""

    name = "ray"

    def __init__(self, ray_module, address: str | None):
        self.ray, self.address = ray_module, address

    def map(self, function: Callable, items: Iterable) -> Iterator[tuple[object, object]]:
        remote = self.ray.remote(num_cpus=1, max_retries=RETRIES)(_call)
        pending = {remote.remote(function, item): item for item in items}
        while pending:
            done, _ = self.ray.wait(list(pending), num_returns=1)
            item = pending.pop(done[0])
            try:
                yield item, self.ray.get(done[0])
            except self.ray.exceptions.RayError as error:
                yield item, TaskFailed(f"the Ray task failed: {type(error).__name__}: {str(error)[:500]}")


def _call(function: Callable, item):
    """The body of every Ray task (Ray wraps plain functions only; `function` may be a `functools.partial`). A task
    holds one CPU, so it trains on one intra-op thread unless `IBS_THREADS` says otherwise."""
    os.environ.setdefault("IBS_THREADS", "1")
    return function(item)


class TaskFailed:
    """What `map` yields for an item whose task failed for good (its worker kept dying or it raised)."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"TaskFailed({self.reason!r})"


def usable(name: str, address: str | None = None) -> None:
    """Raise ValueError naming the cause if the executor `name` cannot run here (unknown, or Ray missing)."""
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}: one of {', '.join(EXECUTORS)}")
    if name == "local" and address is not None:
        raise ValueError("an address needs the ray executor")
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError('the ray executor needs Ray, which is not installed: pip install -e ".[ray]"')


@contextmanager
def executor(name: str = "local", *, address: str | None = None):
    """The executor `name` ("local" or "ray"), shut down on exit (a Ray cluster this started is stopped)."""
    usable(name, address)
    if name == "local":
        yield LocalExecutor()
        return
    import ray

    runtime_env = {"working_dir": str(ROOT), "excludes": SHIPPED_EXCLUDES} if address else None
    ray.init(address=address, runtime_env=runtime_env, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        yield RayExecutor(ray, address)
    finally:
        ray.shutdown()


def run_pytest(nodeid: str, pytest_args: list[str], root: str | None = None, env: dict | None = None) -> dict:
    """Run pytest on one node in a fresh interpreter (one intra-op thread: a task holds one CPU; `env` added to
    the environment; the node's platform reference store unless `env` names another or none) and return
    {"code": exit status, "doc": the evidence document or None, "output": its last lines}. `root` is the checkout
    to run in (None: the current directory, where Ray puts the shipped working directory)."""
    from numerics.references import cache

    with tempfile.TemporaryDirectory(prefix="ibs-task-") as scratch:
        evidence = Path(scratch) / "evidence.json"
        env = {**os.environ, "IBS_THREADS": os.environ.get("IBS_THREADS", "1"), **(env or {})}
        if cache.ENV_DIR not in env and cache.ENV_OFF not in env:  # this node's own persistent store
            env[cache.ENV_DIR] = str(platformdirs.user_cache_dir("implicit-bias-suite"))
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *pytest_args,
                               "--evidence", str(evidence), nodeid],
                              cwd=root or os.getcwd(), env=env, capture_output=True, text=True)
        doc = json.loads(evidence.read_text()) if evidence.exists() else None
    return {"code": done.returncode, "doc": doc, "output": (done.stdout + done.stderr)[-3000:]}
