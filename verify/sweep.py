"""Sweeps: a grid of data seeds × optimizers × hyperparameters, each point judged as a claim, as one table.

    from verify.sweep import grid, sweep
    points = grid(optimizers={"sign": "numerics.optim.SignDescent", "gd": "torch.optim.SGD"}, norm="linf",
                  data="gaussian_binary", data_options={"n": 20, "d": 50, "sparsity": 2}, seeds=[0, 1, 2],
                  steps=10_000, lr=[0.1, 1.0])
    table = sweep(points, executor="ray")            # or "local"; address="HOST:PORT" for an existing cluster
    print(table.text()); table.save("sweep.json")

Each point trains the linear model of `numerics.data.<data>(**data_options, seed=seed)` from zero with the
optimizer (a `torch.optim.Optimizer` class by dotted path, given its weights in their natural shape, built with
the point's hyperparameters) and judges the run against `norm`'s max margin with the rivals and tolerance of the
checklist (`verify.convergence.judge` at `decisive_tolerance`): its row is the verdict, its reasons and the
measured numbers. Points run through `verify.executor` — one Ray task each with `executor="ray"` — and the
certified references of each data set are shared through the persistent store (`numerics.references.cache`).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from verify.executor import executor as make_executor

MEASURED = ("final_gap", "tol", "least_separation", "nearest_rival", "gamma_star", "face_distance")
"""The numbers of a point's judgement its row carries (the full evidence stays in `Row.evidence`)."""


@dataclass(frozen=True)
class Point:
    """One configuration: optimizer (dotted path) with `options`, data generator with `data_options`, seed."""

    name: str
    optimizer: str
    options: dict
    data: str
    data_options: dict
    seed: int
    norm: str
    steps: int
    schedule: str = "auto"
    rate: str = "auto"


@dataclass
class Row:
    point: Point
    verdict: str
    reasons: list[str]
    measured: dict
    seconds: float
    evidence: dict = field(default_factory=dict, repr=False)


def grid(*, optimizers: dict[str, str | tuple[str, dict]], norm: str, data: str, data_options: dict, seeds,
         steps: int, schedule: str = "auto", rate: str = "auto", **hyperparameters) -> list[Point]:
    """Every combination of optimizer × seed × hyperparameter values (each keyword a list of values, or one
    value), in that order. An optimizer is a dotted path, or (dotted path, options it alone takes)."""
    names = sorted(hyperparameters)
    values = [v if isinstance(v, (list, tuple)) else [v] for v in (hyperparameters[n] for n in names)]
    specs = {label: (spec, {}) if isinstance(spec, str) else spec for label, spec in optimizers.items()}
    return [Point(label, path, {**own, **dict(zip(names, combination))}, data, dict(data_options), int(seed), norm,
                  int(steps), schedule, rate)
            for (label, (path, own)), seed, combination in itertools.product(specs.items(), seeds,
                                                                             itertools.product(*values))]


def evaluate(point: Point) -> Row:
    """Train and judge one point (see the module docstring); a run that diverges or never moves is a FAIL row
    with that reason (the judge's own soundness checks), never an exception."""
    from numerics import data as datasets
    from numerics.optim.resolve import optimizer_factory
    from numerics.references import references
    from verify.convergence import converge, decisive_tolerance, judge

    start = time.perf_counter()
    ds = getattr(datasets, point.data)(**point.data_options, seed=point.seed)
    options = dict(point.options)
    make, label = optimizer_factory(point.optimizer, options.pop("lr", None), **options)
    run = converge(make, ds, steps=point.steps, schedule=point.schedule, rate=point.rate, seed=point.seed,
                   natural=True)
    ev = judge(run, point.norm, tol=decisive_tolerance(references(ds), point.norm),
               name=f"{point.name} {point.options} seed {point.seed} → {point.norm} max margin")
    measured = {k: ev.measured[k] for k in MEASURED if k in ev.measured}
    return Row(point, ev.verdict, ev.reasons, measured, time.perf_counter() - start, ev.as_dict())


@dataclass
class Table:
    rows: list[Row]

    def text(self) -> str:
        """One line per point: name, hyperparameters, seed, verdict, the measured numbers."""
        head = f"{'optimizer':14s} {'hyperparameters':24s} {'seed':>4s} {'verdict':13s} " + " ".join(
            f"{m:>16s}" for m in MEASURED[:4])
        lines = [head]
        for r in self.rows:
            numbers = " ".join(f"{_number(r.measured.get(m)):>16s}" for m in MEASURED[:4])
            options = ", ".join(f"{k}={v}" for k, v in r.point.options.items())
            lines.append(f"{r.point.name:14s} {options:24s} {r.point.seed:4d} {r.verdict:13s} {numbers}")
        return "\n".join(lines)

    def save(self, path: str | Path) -> Path:
        """The table as JSON: each row's point, verdict, reasons, measured numbers and seconds."""
        rows = [{"point": asdict(r.point), "verdict": r.verdict, "reasons": r.reasons, "measured": r.measured,
                 "seconds": r.seconds} for r in self.rows]
        Path(path).write_text(json.dumps(rows, indent=1, allow_nan=True))
        return Path(path)


def sweep(points: list[Point], *, executor: str = "local", address: str | None = None) -> Table:
    """Evaluate every point with the executor; rows in the order of `points`. A point whose task failed for good
    (e.g. its Ray worker kept dying) is an ERROR row naming why."""
    rows: dict[int, Row] = {}
    with make_executor(executor, address=address) as ex:
        for index, result in ex.map(_indexed, list(enumerate(points))):
            rows[index[0]] = (result if isinstance(result, Row) else
                              Row(points[index[0]], "ERROR", [getattr(result, "reason", repr(result))], {}, 0.0))
    return Table([rows[i] for i in range(len(points))])


def _indexed(item: tuple[int, Point]) -> Row:
    return evaluate(item[1])


def _number(value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)
