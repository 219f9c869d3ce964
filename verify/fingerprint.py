"""Which max-margin problem does this optimizer solve? Its fingerprint against the panel of norms.

    fp = fingerprint("torch.optim.SGD", lr=0.1)                    # or a class, or a factory params → Optimizer
    print(fp.table()); fp.figure("sgd.png"); fp.as_dict()
    python -m verify fingerprint torch.optim.Muon --lr 0.02 --kind multiclass --weight_decay 0

The optimizer trains the linear model of a built-in panel data set as its users call it (parameters in their
natural shape: a vector w ∈ R^d for `binary`, a matrix W ∈ R^{k×d} for `multiclass`), on the suite's stable
loss (its `.grad` is relatively exact at any margin), from zero, with the schedule its homogeneity calls for
(`verify.rates`; measured on a first step for optimizers the suite does not know). The data sets are those of
the checklist, where the panel norms' max-margin solutions are pairwise separated by certified margins (binary:
20 points in R^50 from a 2-sparse teacher, least separation 0.051; multiclass: the NucGD mixture, 10 classes in
R^10, least separation 0.082).

The run's heading (the last decade's displacement, `verify.convergence.heading`) is judged against each panel
norm c as a claim "→ c's max margin" at c's decisive tolerance s_min(c)/4 (`judge`), and so is the iterate. The
heading decides (its direction has the iterate's limit when it has one, and gets there sooner), unless the two
contradict each other — one PASS, the other FAIL: that norm is then INCONCLUSIVE (the converse of Stolz–Cesàro
does not hold, so a heading can wander while the iterate converges). The fingerprint names

  c                    (PASS) when c's claim PASSes and every other panel norm's FAILs: the heading reached c's
                       max margin and excludes every other panel norm by its certified separation;
  "none of the panel"  (FAIL) when every panel norm's claim FAILs (the nearest norm and its gap are given);
  INCONCLUSIVE         otherwise: the norms still consistent with the run, each with why it is undecided (e.g.
                       the steps its gap needs at the run's pace).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from numerics import data
from numerics.norms import get as get_norm
from numerics.data import Dataset
from numerics.errors import OptimizerError
from numerics.losses import Loss
from numerics.models import Linear
from numerics.optim import homogeneity, inverse_sqrt, measured_homogeneity
from numerics.optim.resolve import build, optimizer_factory
from numerics.references import panel, references
from verify.convergence import ConvergenceRun, converge, heading, judge
from verify.kernel import Rivals
from verify.evidence import FAIL, INCONCLUSIVE, PASS, Evidence, plain

KINDS = ("binary", "multiclass")
SCHEDULES = {"inverse_sqrt": {"rate": "inverse_sqrt", "scheduler": lambda optimizer: torch.optim.lr_scheduler.LambdaLR(
                 optimizer, lambda t: (t + 1) ** -0.5)},
             "constant": {"rate": "inverse_log"}}
"""Named schedules for an optimizer of unknown homogeneity (`--schedule`): fingerprint options — a torch scheduler
and the rate it calls for (`verify.rates`)."""
STEPS = {"binary": 100_000, "multiclass": 50_000}
"""Default budgets: under a minute of training each on 2 CPU cores (the optimizer's own Python step dominates)."""


def panel_data(kind: str, seed: int = 0) -> Dataset:
    """The built-in data of `kind`, on which the panel norms' max margins are pairwise separated (module
    docstring; the same data as the checklist's classics and NucGD claims)."""
    if kind == "binary":
        return data.gaussian_binary(20, 50, margin=0.1, sparsity=2, seed=seed)
    if kind == "multiclass":
        return data.gaussian_mixture(10, 10, 10, noise=0.1, seed=seed)
    raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")


@dataclass
class Fingerprint:
    """The outcome: which panel norm's max margin the optimizer's heading tends to, judged per norm."""

    optimizer: str
    options: dict
    kind: str
    run: ConvergenceRun
    judged: dict[str, Evidence]
    """Per panel norm c: the evidence for "the heading tends to c's max margin" at c's tolerance."""
    iterate: dict[str, Evidence]
    """The same for the iterate θ_t itself."""
    tolerances: dict[str, float]
    separations: dict[str, dict[str, float]]
    """separations[c][r] = s(r → c): the least relative c-gap of any limit of r (certified)."""
    homogeneity: int | None
    gradient_norms: np.ndarray
    """‖∇L(θ_t)‖_F at every record: what the optimizer saw (an ε in its denominator bites once this is below it)."""
    heading: ConvergenceRun = field(repr=False)
    """The run's heading (`verify.convergence.heading`): what is judged."""
    verdict: str = field(init=False)
    geometry: str | None = field(init=False)
    reason: str = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self):
        norms = list(self.judged)
        standing = [c for c in norms if self.verdict_of(c) != FAIL]
        gaps = {c: self.gap(c) for c in norms}
        if len(standing) == 1 and self.verdict_of(standing[0]) == PASS:
            c = standing[0]
            self.verdict, self.geometry = PASS, c
            self.reason = (f"{c}: the heading's {c}-gap {gaps[c]:.3g} ≤ tol {self.tolerances[c]:.3g} (< half the least "
                           f"separation {4 * self.tolerances[c]:.3g}); every other panel norm excluded")
        elif not standing:
            nearest = min(gaps, key=lambda c: np.nan_to_num(gaps[c], nan=np.inf))  # NaN: a heading of 0
            self.verdict, self.geometry = FAIL, None
            self.reason = (f"none of the panel: every norm's claim fails; nearest {nearest} with gap "
                           f"{gaps[nearest]:.3g}"
                           f" ({'; '.join(self.judged[nearest].reasons)})")
        else:
            self.verdict, self.geometry = INCONCLUSIVE, None
            self.reason = f"still consistent with {', '.join(standing)}: " + "; ".join(
                f"{c}: {r}" for c in standing for r in self.reasons_of(c))
        self.notes = self._gradient_notes() + self._weight_decay_notes()

    def _gradient_notes(self) -> list[str]:
        """Where the gradient underflowed to 0 (no optimizer moves on from there), or fell below the optimizer's
        ε (from there its step is no longer scale-free)."""
        zero = np.flatnonzero(self.gradient_norms == 0)
        if len(zero):
            return [f"∇L underflowed to 0 in float64 at step ≈ {int(self.run.steps[zero[0]])}: the steps grew the "
                    "margins past e^-745, where every optimizer stops"]
        eps = self.run.config.get("optimizer_options", {}).get("eps")
        if not isinstance(eps, float) or eps <= 0:
            return []
        below = np.flatnonzero(self.gradient_norms < eps)
        if not len(below):
            return []
        t = int(self.run.steps[below[0]])
        return [f"‖∇L‖_F fell below the optimizer's eps = {eps:g} at step ≈ {t} (to {self.gradient_norms[-1]:.2g} at "
                f"T): from there its step shrinks with the gradient instead of being scale-free"]

    def _weight_decay_notes(self) -> list[str]:
        """Weight decay keeps ‖θ‖ bounded: the run has no max-margin direction to name."""
        decay = self.run.config.get("optimizer_options", {}).get("weight_decay")
        if not isinstance(decay, (int, float)) or decay <= 0:
            return []
        return [f"weight_decay = {decay:g} keeps ‖θ‖ bounded: the limit is a regularised or norm-constrained minimiser "
                f"(decoupled decay: argmin L s.t. ‖θ‖ ≤ 1/λ), not a max-margin direction — judge it with "
                "verify.constrained.judge_constrained, or pass weight_decay=0"]

    def disagree(self, norm: str) -> bool:
        """Whether the iterate's and the heading's verdicts on `norm` contradict each other (PASS against FAIL)."""
        return {self.judged[norm].verdict, self.iterate[norm].verdict} == {PASS, FAIL}

    def verdict_of(self, norm: str) -> str:
        """The heading's verdict on `norm`, INCONCLUSIVE where the iterate's contradicts it."""
        return INCONCLUSIVE if self.disagree(norm) else self.judged[norm].verdict

    def reasons_of(self, norm: str) -> list[str]:
        if self.disagree(norm):
            return [f"the iterate's verdict is {self.iterate[norm].verdict} (gap {self.run.gap(norm)[-1]:.3g}) but "
                    f"the heading's {self.judged[norm].verdict} (gap {self.gap(norm):.3g})"]
        return self.judged[norm].reasons

    @property
    def call(self) -> str:
        """The optimizer as it was called, e.g. "torch.optim.SGD(lr=0.1, momentum=0.9)"."""
        return self.optimizer + "(" + ", ".join(f"{k}={v}" for k, v in self.options.items() if v is not None) + ")"

    def gap(self, norm: str) -> float:
        """The heading's relative margin gap in `norm` at T."""
        return float(self.heading.gap(norm)[-1])

    def table(self) -> str:
        """The terminal table: one row per panel norm, then the answer."""
        head = (f"{self.call} on {self.kind} panel data "
                f"({self.run.data.n} points, weights {'×'.join(map(str, self.run.data.weight_shape))}), "
                f"{self.run.budget} steps, rate {self.run.rate.name}, {self.run.seconds:.0f} s")
        norms = list(self.judged)
        rows = [f"{'norm':<11} {'gap(iterate)':>12} {'gap(heading)':>12} {'tol':>7} {'nearest rival':>18}  "
                f"{'iterate':<13}verdict"]
        for c in norms:
            nearest = min((r for r in norms if r != c), key=lambda r: self.separations[c][r])
            rows.append(f"{c:<11} {self.run.gap(c)[-1]:>12.4f} {self.gap(c):>12.4f} {self.tolerances[c]:>7.4f} "
                        f"{nearest + f' s={self.separations[c][nearest]:.3f}':>18}  {self.iterate[c].verdict:<13}"
                        f"{self.verdict_of(c)}")
        return "\n".join([head, *rows, f"geometry: {self.geometry or '—'} ({self.verdict}): {self.reason}",
                          *(f"note: {n}" for n in self.notes)])

    def as_dict(self) -> dict:
        h = self.heading
        return plain({
            "optimizer": self.optimizer, "options": {k: repr(v) for k, v in self.options.items()}, "kind": self.kind,
            "verdict": self.verdict, "geometry": self.geometry, "reason": self.reason, "notes": self.notes,
            "homogeneity": self.homogeneity, "gradient_norms": self.gradient_norms,
            "steps": self.run.budget, "rate": self.run.rate.name, "seconds": self.run.seconds,
            "config": self.run.config,
            "tolerances": self.tolerances, "separations": self.separations,
            "gaps": {c: {"steps": self.run.steps, "iterate": self.run.gap(c), "heading": h.gap(c)}
                     for c in self.judged},
            "judged": {c: {"verdict": self.verdict_of(c), "reasons": self.reasons_of(c),
                           "heading": self.judged[c].verdict, "iterate": self.iterate[c].verdict}
                       for c in self.judged}})

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.as_dict(), indent=1))
        return path

    def figure(self, path: str | Path) -> Path:
        """Relative margin gap per panel norm against steps, log–log (iterate dashed; heading solid, from T/10
        where it spans a whole decade), with each norm's tolerance dotted; the legend outside the axes."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        h = self.heading
        t = self.run.steps
        keep, whole = t > 0, t >= self.run.budget // 10
        fig, ax = plt.subplots(figsize=(7.5, 4))
        for i, c in enumerate(self.judged):
            color = f"C{i}"
            ax.loglog(t[whole], np.maximum(h.gap(c)[whole], 1e-6), color=color, label=f"{c} (heading)")
            ax.loglog(t[keep], np.maximum(self.run.gap(c)[keep], 1e-6), color=color, ls="--", lw=0.8,
                      label=f"{c} (iterate)")
            ax.axhline(self.tolerances[c], color=color, ls=":", lw=0.8)
        ax.set_xlabel("step t")
        ax.set_ylabel("relative margin gap 1 − γ(θ)/γ*")
        ax.set_title(f"{self.optimizer}: {self.geometry or self.verdict}", fontsize=10)
        return save_figure(fig, ax, path)


def save_figure(fig, ax, path: str | Path) -> Path:
    """A fingerprint's figure written to `path`: the legend outside the axes (none when nothing was drawn)."""
    import matplotlib.pyplot as plt

    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def fingerprint(optimizer, kind: str = "binary", *, steps: int | None = None, lr: float | None = None, seed: int = 0,
                device=None, scheduler=None, rate: str = "auto", norms: tuple[str, ...] | None = None,
                **options) -> Fingerprint:
    """Train `optimizer` (a `torch.optim.Optimizer` class, its dotted path, or a factory params → Optimizer;
    `lr` and `options` go to the class) on the `kind` panel data for `steps` (default `STEPS`) and judge its
    heading against every panel norm (module docstring). `scheduler(optimizer)` attaches a
    `torch.optim.lr_scheduler` in place of the default schedule (then pass `rate`, one of `verify.rates.RATES`).
    `norms` replaces the panel (each norm then judged against the others): e.g. adding `schatten:1.5` and
    `schatten:3` to the multiclass panel — not the default, because on this data they sit within 0.009–0.012 of
    Frobenius (certified), which would cut Frobenius' decisive tolerance to ~0.002 (no data with ≤ 10 classes
    separates them from it by more than 0.098: `verify/claims/fan2025.py`). Bad input raises `OptimizerError` naming the
    cause."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
    norms = tuple(panel("l2" if kind == "binary" else "nuclear") if norms is None else
                  dict.fromkeys(get_norm(c).name for c in norms))
    wrong = [c for c in norms if get_norm(c).ndim != (1 if kind == "binary" else 2)]
    if wrong or len(norms) < 2:
        raise ValueError(f"the {kind} kind needs at least two {'vector' if kind == 'binary' else 'matrix'} norms; "
                         f"got {', '.join(norms)}")
    make, name = optimizer_factory(optimizer, lr, **options)
    ds = panel_data(kind, seed)
    shape = ds.weight_shape
    model = "a vector w ∈ R^{}".format(shape[0]) if kind == "binary" else "a matrix W ∈ R^{}×{}".format(*shape)
    hint = " (the multiclass kind trains a matrix)" if kind == "binary" else ""
    probe = build(make, [torch.zeros(shape, dtype=torch.float64, requires_grad=True)], name, f"{model}{hint}")
    degree = homogeneity(probe)
    if degree is None:
        degree = measured_homogeneity(make, shape, seed=seed)
    if scheduler is None and rate == "auto":
        if degree is None:
            raise OptimizerError(f"{name}'s steps are neither linear in the gradient nor scale-free on a first step: "
                                 "pass rate= (and a scheduler) for it; on the command line, --schedule inverse_sqrt "
                                 "or --schedule constant")
        schedule, rate = (inverse_sqrt(), "inverse_sqrt") if degree == 0 else (None, "inverse_log")
    else:
        schedule = None
    steps = steps or STEPS[kind]
    run = converge(make, ds, steps=steps, schedule=schedule, rate=rate, seed=seed, device=device, natural=True,
                   scheduler=scheduler)
    refs, h = references(ds), heading(run)
    rivals = {c: Rivals.of(c, norms, lambda a, b: refs.separation(a, b).value) for c in norms}
    tolerances = {c: rivals[c].tolerance for c in norms}
    separations = {c: dict(rivals[c].separation) for c in norms}
    judged = {c: judge(h, c, rivals=rivals[c], tol=tolerances[c], name=f"{name} heading → {c} max margin")
              for c in norms}
    iterate = {c: judge(run, c, rivals=rivals[c], tol=tolerances[c], name=f"{name} → {c} max margin") for c in norms}
    return Fingerprint(name, {"lr": lr, **options}, kind, run, judged, iterate, tolerances, separations, degree,
                       gradient_norms(run), h)


def gradient_norms(run: ConvergenceRun) -> np.ndarray:
    """‖∇L(θ_t)‖_F at every recorded θ_t, by the suite's stable loss (relatively exact at any margin)."""
    ds = run.data
    W = torch.as_tensor(run.weights)
    X = torch.as_tensor(ds.X, dtype=W.dtype)
    multiclass = ds.task == "multiclass"
    model = Linear(ds.d, ds.num_classes if multiclass else None)
    y = torch.as_tensor(ds.y) if multiclass else torch.as_tensor(ds.y, dtype=W.dtype)
    _, grad_out = Loss(run.config["loss"]).value_and_grad(model([W], X), y)
    (G,) = model.grad([W], X, grad_out)
    return G.reshape(len(W), -1).norm(dim=1).numpy()


__all__ = ["Fingerprint", "KINDS", "SCHEDULES", "STEPS", "fingerprint", "panel_data", "save_figure"]
