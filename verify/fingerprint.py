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

Why not, in numbers (`verify.diagnosis`; the table's `why:` line and notes, `cause` and `diagnoses` in the JSON).
The run's optimizer is watched through torch's step hooks (`StepRecorder`: its own steps Δ_t = θ_{t+1} − θ_t
at the recorded iterates, with the gradients it was given and its state), and the warnings raised while training
and judging are caught. Then: where ∇L underflowed to 0 (the exact step); whether the heading separates the data
where the iterate does; whether ε dominates the scale it competes with in the optimizer's denominator (Adam's √v̂_i
per coordinate, Muon's ‖M‖_F) — from then on the steps are GD-like, and the run is judged at GD's rate 1/log t
instead of the scale-free log t/√t; whether the steps follow the nearest norm's steepest-descent direction
−lmo(∇L) (`Norm.lmo`, cosines against every panel norm's); and for matrices, whether the steps' singular values
are the polar factor's (all 1) — torch's Muon's Newton–Schulz iteration returns them spread over 0.6–1.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field, replace
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
from numerics.optim.resolve import build, optimizer_factory, readable_name
from numerics.references import panel, references
from numerics.references.margins import margins
from verify import diagnosis
from verify.convergence import ConvergenceRun, converge, heading, judge
from verify.diagnosis import Diagnosis
from verify.kernel import Rivals
from verify.evidence import FAIL, INCONCLUSIVE, PASS, Evidence, plain
from verify.rates import rate as as_rate

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
class Steps:
    """The optimizer's own steps at recorded iterates: what the step diagnoses measure (`StepRecorder`)."""

    steps: np.ndarray
    """The step counts t (k,)."""
    gradients: np.ndarray
    """∇L(θ_t) as the optimizer was given it (k, *shape)."""
    deltas: np.ndarray
    """Δ_t = θ_{t+1} − θ_t, the step it took (k, *shape)."""
    lrs: np.ndarray
    """Its lr at that step (k,)."""
    exact: bool
    """True: recorded from the run itself (state and schedule included); False: one step of a fresh copy at the
    recorded θ_t (the compiled path steps no torch optimizer)."""

    def last(self, k: int) -> Steps:
        return Steps(self.steps[-k:], self.gradients[-k:], self.deltas[-k:], self.lrs[-k:], self.exact)


@dataclass
class Fingerprint:
    """The outcome: which panel norm's max margin the optimizer's heading tends to, judged per norm, and why not
    when none is named (`diagnoses`)."""

    optimizer: str
    options: dict
    kind: str
    run: ConvergenceRun
    judged: dict[str, Evidence]
    """Per panel norm c: the evidence for "the heading tends to c's max margin" at c's tolerance, at the run's
    rate."""
    iterate: dict[str, Evidence]
    """The same for the iterate θ_t itself."""
    tolerances: dict[str, float]
    separations: dict[str, dict[str, float]]
    """separations[c][r] = s(r → c): the least relative c-gap of any limit of r (certified)."""
    homogeneity: int | None
    gradient_norms: np.ndarray
    """‖∇L(θ_t)‖_F at every record: what the optimizer saw."""
    heading: ConvergenceRun = field(repr=False)
    """The run's heading (`verify.convergence.heading`): what is judged."""
    diagnoses: list[Diagnosis] = field(default_factory=list)
    """The run's diagnoses (`verify.diagnosis`); the step diagnoses of the answer's nearest norms join them here."""
    taken: Steps | None = field(default=None, repr=False)
    """The optimizer's steps at the recorded iterates (`StepRecorder`)."""
    at_gd_rate: tuple[dict[str, Evidence], dict[str, Evidence]] | None = field(default=None, repr=False)
    """(heading, iterate) judged again at GD's rate 1/log t, where ε made the steps GD-like (`diagnosis.eps`):
    those then decide."""
    verdict: str = field(init=False)
    geometry: str | None = field(init=False)
    reason: str = field(init=False)
    notes: list[str] = field(init=False)
    """The sentences of the diagnoses that hold (the cause's among them), and weight decay's."""
    cause: Diagnosis | None = field(init=False)
    """The first cause that holds (underflow, ε, the orthogonalization, the step's direction) when no norm is
    named."""

    CAUSES = ("underflow", "eps", "orthogonalization", "step_alignment")
    """The diagnoses that say why a limit is held back, in the order they explain one another."""

    def __post_init__(self):
        norms = list(self.judged)
        standing = [c for c in norms if self.verdict_of(c) != FAIL]
        gaps = {c: self.gap(c) for c in norms}
        rate = "" if self.at_gd_rate is None else (
            "judged at GD's rate 1/log t, as eps made the steps GD-like (below), not at the scale-free rate "
            f"{self.run.rate.name}: ")
        if len(standing) == 1 and self.verdict_of(standing[0]) == PASS:
            c = standing[0]
            self.verdict, self.geometry, nearest = PASS, c, [c]
            self.reason = rate + (f"{c}: the heading's {c}-gap {gaps[c]:.3g} ≤ tol {self.tolerances[c]:.3g} (< half "
                                  f"the least separation {4 * self.tolerances[c]:.3g}); every other panel norm "
                                  "excluded")
        elif not standing:
            self.verdict, self.geometry = FAIL, None
            finite = {c: g for c, g in gaps.items() if not np.isnan(g)}
            if finite:
                nearest = [min(finite, key=finite.get)]
                self.reason = rate + (f"none of the panel: every norm's claim fails; nearest {nearest[0]} with gap "
                                      f"{gaps[nearest[0]]:.3g} ({'; '.join(self.reasons_of(nearest[0]))})")
            else:  # a heading of 0: no direction to judge; the iterate's nearest norm is the one to diagnose
                iterate = {c: float(self.run.gap(c)[-1]) for c in norms}
                nearest = [min(iterate, key=lambda c: np.nan_to_num(iterate[c], nan=np.inf))]
                if not np.any(self.run.final != self.run.weights[0]):
                    self.reason = "none of the panel: did not move: θ_T = θ_0 (a zero learning rate or a zero step)"
                else:
                    self.reason = ("none of the panel: the heading θ_T − θ_{T/10} is zero — no step in the last "
                                   f"decade (the iterate's nearest norm: {nearest[0]}, gap "
                                   f"{iterate[nearest[0]]:.3g})")
        else:
            self.verdict, self.geometry = INCONCLUSIVE, None
            nearest = sorted(standing, key=lambda c: np.nan_to_num(gaps[c], nan=np.inf))
            self.reason = rate + f"still consistent with {', '.join(standing)}: " + "; ".join(
                f"{c}: {r}" for c in standing for r in self.reasons_of(c))
        self.diagnoses = [*self.diagnoses, *self._step_diagnoses(nearest[0])]
        holding = [d for d in self.diagnoses if d.holds and d.name != "heading_separation"]  # that one: the reason
        causes = sorted((d for d in holding if d.name in self.CAUSES), key=lambda d: self.CAUSES.index(d.name))
        self.cause = causes[0] if causes and self.verdict != PASS else None
        self.notes = [d.sentence for d in holding] + self._weight_decay_notes()

    def _step_diagnoses(self, norm: str) -> list[Diagnosis]:
        """The optimizer's steps at the last 10 records against `norm`'s steepest-descent direction −lmo(∇L)
        (cosines with every panel norm's), and, for matrices where that norm is spectral or the optimizer
        orthogonalizes by Newton–Schulz, the steps' singular values against the polar factor's."""
        if self.taken is None or not len(self.taken.steps):
            return []
        last = self.taken.last(10)
        flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
        moving = (np.all(np.isfinite(flat(last.deltas)), axis=1) & np.all(np.isfinite(flat(last.gradients)), axis=1)
                  & np.any(flat(last.deltas) != 0, axis=1) & np.any(flat(last.gradients) != 0, axis=1))
        if not moving.any():  # no step, or no gradient (underflow): nothing to compare
            return []
        last = Steps(last.steps[moving], last.gradients[moving], last.deltas[moving], last.lrs[moving], last.exact)
        found: list[Diagnosis] = []
        options = self.run.config.get("optimizer_options", {})
        if last.deltas.ndim == 3 and (norm == "spectral" or "ns_steps" in options):
            method = "its orthogonalization"
            if "ns_steps" in options:
                coefficients = options.get("ns_coefficients")
                method = (f"{self.optimizer}'s Newton–Schulz iteration ({options['ns_steps']} steps"
                          + (f" of the quintic {tuple(coefficients)}" if coefficients else "") + ")")
            found.append(diagnosis.orthogonalization(last.deltas, last.gradients, lrs=last.lrs, method=method))
        aligned = diagnosis.step_alignment(last.deltas, last.gradients, norm, tuple(self.judged))
        if not (found and found[0].holds and norm == "spectral"):  # else its cosine is in the orthogonalization's
            found.append(aligned)
        return found

    def _weight_decay_notes(self) -> list[str]:
        """Weight decay keeps ‖θ‖ bounded: the run has no max-margin direction to name."""
        decay = self.run.config.get("optimizer_options", {}).get("weight_decay")
        if not isinstance(decay, (int, float)) or decay <= 0:
            return []
        return [f"weight_decay = {decay:g} keeps ‖θ‖ bounded: the limit is a regularised or norm-constrained minimiser "
                f"(decoupled decay: argmin L s.t. ‖θ‖ ≤ 1/λ), not a max-margin direction — judge it with "
                "verify.constrained.judge_constrained, or pass weight_decay=0"]

    @property
    def deciding(self) -> tuple[dict[str, Evidence], dict[str, Evidence]]:
        """(heading, iterate) evidence that decides: at GD's rate where ε made the steps GD-like, else `judged`
        and `iterate`."""
        return self.at_gd_rate or (self.judged, self.iterate)

    def disagree(self, norm: str) -> bool:
        """Whether the iterate's and the heading's verdicts on `norm` contradict each other (PASS against FAIL)."""
        heading, iterate = self.deciding
        return {heading[norm].verdict, iterate[norm].verdict} == {PASS, FAIL}

    def verdict_of(self, norm: str) -> str:
        """The heading's verdict on `norm`, INCONCLUSIVE where the iterate's contradicts it."""
        return INCONCLUSIVE if self.disagree(norm) else self.deciding[0][norm].verdict

    def reasons_of(self, norm: str) -> list[str]:
        heading, iterate = self.deciding
        if self.disagree(norm):
            return [f"the iterate's verdict is {iterate[norm].verdict} (gap {self.run.gap(norm)[-1]:.3g}) but "
                    f"the heading's {heading[norm].verdict} (gap {self.gap(norm):.3g})"]
        separation = next((d for d in self.diagnoses if d.name == "heading_separation"), None)
        unseparated = {c.reason for c in heading[norm].failures if c.name == "min_i margin_i(θ_T)"}
        return [separation.sentence if separation is not None and r in unseparated else r
                for r in heading[norm].reasons]

    @property
    def call(self) -> str:
        """The optimizer as it was called, e.g. "torch.optim.SGD(lr=0.1, momentum=0.9)"."""
        return self.optimizer + "(" + ", ".join(f"{k}={v}" for k, v in self.options.items() if v is not None) + ")"

    def gap(self, norm: str) -> float:
        """The heading's relative margin gap in `norm` at T."""
        return float(self.heading.gap(norm)[-1])

    def table(self) -> str:
        """The terminal table: one row per panel norm, then the answer, why (when no norm is named) and notes."""
        rate = self.run.rate.name + ("" if self.at_gd_rate is None else ", judged at 1/log t (eps)")
        head = (f"{self.call} on {self.kind} panel data "
                f"({self.run.data.n} points, weights {'×'.join(map(str, self.run.data.weight_shape))}), "
                f"{self.run.budget} steps, rate {rate}, {self.run.seconds:.0f} s")
        norms = list(self.judged)
        rows = [f"{'norm':<11} {'gap(iterate)':>12} {'gap(heading)':>12} {'tol':>7} {'nearest rival':>18}  "
                f"{'iterate':<13}verdict"]
        for c in norms:
            nearest = min((r for r in norms if r != c), key=lambda r: self.separations[c][r])
            rows.append(f"{c:<11} {self.run.gap(c)[-1]:>12.4f} {self.gap(c):>12.4f} {self.tolerances[c]:>7.4f} "
                        f"{nearest + f' s={self.separations[c][nearest]:.3f}':>18}  {self.deciding[1][c].verdict:<13}"
                        f"{self.verdict_of(c)}")
        return "\n".join([head, *rows, f"geometry: {self.geometry or '—'} ({self.verdict}): {self.reason}",
                          *([f"why: {self.cause.sentence}"] if self.cause else []),
                          *(f"note: {n}" for n in self.notes if self.cause is None or n != self.cause.sentence)])

    def as_dict(self) -> dict:
        h = self.heading
        heading, iterate = self.deciding
        return plain({
            "optimizer": self.optimizer, "options": {k: repr(v) for k, v in self.options.items()}, "kind": self.kind,
            "verdict": self.verdict, "geometry": self.geometry, "reason": self.reason, "notes": self.notes,
            "cause": None if self.cause is None else self.cause.as_dict(),
            "diagnoses": [d.as_dict() for d in self.diagnoses],
            "judged_at": "1/log t (eps)" if self.at_gd_rate else self.run.rate.name,
            "homogeneity": self.homogeneity, "gradient_norms": self.gradient_norms,
            "steps": self.run.budget, "rate": self.run.rate.name, "seconds": self.run.seconds,
            "config": self.run.config,
            "tolerances": self.tolerances, "separations": self.separations,
            "gaps": {c: {"steps": self.run.steps, "iterate": self.run.gap(c), "heading": h.gap(c)}
                     for c in self.judged},
            "judged": {c: {"verdict": self.verdict_of(c), "reasons": self.reasons_of(c),
                           "heading": heading[c].verdict, "iterate": iterate[c].verdict,
                           **({"at the run's rate": self.judged[c].verdict} if self.at_gd_rate else {})}
                       for c in self.judged}})

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.as_dict(), indent=1))
        return path

    def figure(self, path: str | Path) -> Path:
        """Relative margin gap per panel norm against steps, log–log (iterate dashed; heading solid, from T/10
        where it spans a whole decade), with each norm's tolerance dotted ("c tol"); the legend outside the
        axes; the title the configuration (the call, kind, steps, seed) and the answer."""
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
            ax.axhline(self.tolerances[c], color=color, ls=":", lw=0.8, label=f"{c} tol")
        ax.set_xlabel("step t")
        ax.set_ylabel("relative margin gap 1 − γ(θ)/γ*")
        ax.set_title(f"{self.call}, {self.kind}, {self.run.budget} steps, seed {self.run.config.get('seed', 0)}\n"
                     f"{self.geometry or '—'} ({self.verdict})", fontsize=9)
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


def check_input(*, lr=None, steps=None, options: dict | None = None, lr_name: str = "lr") -> None:
    """Refuse, before anything is built or trained, what cannot train: a learning rate that is not a finite number
    > 0 (at 0 θ never moves; below 0 the steps ascend the loss), a budget that is not a positive number of steps, a
    numeric optimizer option (or a number inside a tuple option, e.g. betas) that is not finite. ValueError naming
    the cause."""
    if lr is not None:
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)):
            raise ValueError(f"{lr_name} = {lr!r} is not a number: a learning rate is a finite number > 0")
        if not math.isfinite(lr):
            raise ValueError(f"{lr_name} = {lr} is not finite: a learning rate is a finite number > 0")
        if lr <= 0:
            raise ValueError(f"{lr_name} = {lr:g} is not a learning rate: it must be a finite number > 0 ("
                             + ("at 0 θ never moves" if lr == 0 else "below 0 the steps ascend the loss") + ")")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0):
        raise ValueError(f"steps = {steps!r}: a budget is a positive number of steps")
    if steps is not None and steps < 100:
        raise ValueError(f"steps = {steps}: the heading is the last decade's displacement, recorded every T/100 "
                         "steps; a budget needs at least 100")
    for key, value in (options or {}).items():
        if not _finite(value):
            raise ValueError(f"{key} = {value!r} is not finite: a numeric optimizer option must be a finite number")


def _finite(value) -> bool:
    """Whether every number in `value` (a number, or a tuple or list of them) is finite; other values pass."""
    if isinstance(value, (tuple, list)):
        return all(_finite(v) for v in value)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return math.isfinite(value)
    return True


class StepRecorder:
    """A factory params → Optimizer (around `make`) whose optimizer is instrumented by torch's step hooks —
    nothing in its arithmetic changes: at every `every`-th step t (where the engine records θ_t) the gradient g_t
    it was given, its step Δ_t = θ_{t+1} − θ_t, its lr, and the scale its ε competes with after the step
    (`diagnosis.denominator_scale`); and, watched at every step, the first step whose gradient is exactly 0. The
    last optimizer it built is the run's (the engine builds a probe first)."""

    def __init__(self, make, every: int):
        self.make, self.every = make, every
        self._reset()

    def _reset(self) -> None:
        self.count, self.first_zero, self.zero_theta, self.scale_name, self._before = 0, None, None, None, None
        self.every_step = True
        """Whether every step's gradient was watched (on the CPU): then `first_zero` is exact."""
        self.steps, self.gradients, self.deltas, self.lrs, self.scales = [], [], [], [], []

    def __call__(self, params):
        optimizer = self.make(params)
        self._reset()
        if isinstance(optimizer, torch.optim.Optimizer):
            optimizer.register_step_pre_hook(self._pre)
            optimizer.register_step_post_hook(self._post)
        return optimizer

    @staticmethod
    def _param(optimizer) -> torch.Tensor:
        return optimizer.param_groups[0]["params"][0]  # the linear model's one weight tensor

    def _pre(self, optimizer, args, kwargs) -> None:
        p = self._param(optimizer)
        recorded = self.count % self.every == 0
        # the exact first zero gradient on the CPU; on an accelerator only at recorded steps (no sync every step)
        self.every_step &= p.grad is None or p.grad.device.type == "cpu"
        if p.grad is not None and self.first_zero is None and (recorded or p.grad.device.type == "cpu") and not bool(
                p.grad.any()):
            self.first_zero, self.zero_theta = self.count, p.detach().cpu().clone()
        if recorded and p.grad is not None:
            self._before = (p.detach().cpu().clone(), p.grad.detach().clone())

    def _post(self, optimizer, args, kwargs) -> None:
        if self._before is not None:
            p, (theta, g) = self._param(optimizer), self._before
            group = optimizer.param_groups[0]
            self.scale_name, scale = diagnosis.denominator_scale(optimizer.state.get(p, {}), group, g)
            self.steps.append(self.count)
            self.gradients.append(g.cpu().numpy())
            self.deltas.append((p.detach().cpu() - theta).numpy())
            self.lrs.append(float(group["lr"]))
            self.scales.append(scale.detach().cpu().numpy().copy())
            self._before = None
        self.count += 1

    def taken(self) -> Steps | None:
        """What it recorded (None when the run stepped no torch optimizer: the compiled path)."""
        if not self.steps:
            return None
        return Steps(np.array(self.steps), np.stack(self.gradients), np.stack(self.deltas), np.array(self.lrs), True)


def probed(make, run: ConvergenceRun, records: int = 10) -> Steps:
    """One step of a fresh optimizer (`make`, at its own lr, without state) at each of the last `records` recorded
    θ_t and its gradient: the steps of a run whose optimizer was not stepped by torch (the compiled path)."""
    grads = gradients(run)[-records:]
    deltas, lrs = [], []
    for theta, g in zip(run.weights[-records:], grads):
        p = torch.as_tensor(theta).clone().requires_grad_()
        optimizer = make([p])
        p.grad = torch.as_tensor(g)
        optimizer.step()
        deltas.append((p.detach() - torch.as_tensor(theta)).numpy())
        lrs.append(float(optimizer.param_groups[0]["lr"]))
    return Steps(run.steps[-records:], grads, np.stack(deltas), np.array(lrs), False)


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
    separates them from it by more than 0.098: `verify/claims/fan2025.py`). Bad input (`check_input`: an lr that
    is not finite and > 0, steps ≤ 0, a non-finite option) raises ValueError, and an optimizer that cannot be
    built `OptimizerError`, each naming the cause, before any training.

    The run's optimizer is watched by `StepRecorder`, and warnings raised while training and judging are caught:
    the diagnoses (`verify.diagnosis`) say why no norm is named — ∇L underflowed, ε made the steps GD-like (the
    run is then judged at GD's rate 1/log t), the step is not the nearest norm's steepest-descent direction, or
    an orthogonalization is not the polar factor — and what numpy or torch warned."""
    check_input(lr=lr, steps=steps, options=options)
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
    name = readable_name(name, probe)
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
    recorder = StepRecorder(make, max(1, steps // 100))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = converge(recorder, ds, steps=steps, schedule=schedule, rate=rate, seed=seed, device=device,
                       natural=True, scheduler=scheduler, record_every=recorder.every)
        refs, h = references(ds), heading(run)
        rivals = {c: Rivals.of(c, norms, lambda a, b: refs.separation(a, b).value) for c in norms}
        tolerances = {c: rivals[c].tolerance for c in norms}
        separations = {c: dict(rivals[c].separation) for c in norms}

        def judged_at(rate_name=None) -> tuple[dict, dict]:
            at = (lambda r: r) if rate_name is None else (lambda r: replace(r, rate=as_rate(rate_name)))
            suffix = "" if rate_name is None else f" (at {as_rate(rate_name).name})"
            return ({c: judge(at(h), c, rivals=rivals[c], tol=tolerances[c],
                              name=f"{name} heading → {c} max margin{suffix}") for c in norms},
                    {c: judge(at(run), c, rivals=rivals[c], tol=tolerances[c], name=f"{name} → {c} max margin{suffix}")
                     for c in norms})

        judged, iterate = judged_at()
        norms_at = gradient_norms(run)
        taken = recorder.taken()
        if taken is None and run.diverged_at is None:
            taken = probed(make, run)
        found = _run_diagnoses(run, h, recorder, norms_at)
        eps = next((d for d in found if d.name == "eps"), None)
        at_gd_rate = judged_at("inverse_log") if eps is not None and eps.holds and run.rate.name != "1/log t" else None
    found.append(diagnosis.run_warnings(caught))
    return Fingerprint(name, {"lr": lr, **options}, kind, run, judged, iterate, tolerances, separations, degree,
                       norms_at, h, found, taken, at_gd_rate)


def _run_diagnoses(run: ConvergenceRun, h: ConvergenceRun, recorder: StepRecorder,
                   norms_at: np.ndarray) -> list[Diagnosis]:
    """The diagnoses of the run as a whole: underflow, whether the heading and the iterate separate, ε."""
    ds, multiclass = run.data, run.data.task == "multiclass"
    found: list[Diagnosis] = []
    zero = recorder.first_zero if recorder.steps and recorder.every_step else None  # else: "by step t", from records
    theta = recorder.zero_theta if zero is not None else None
    if theta is None and np.any(norms_at == 0):
        theta = run.weights[np.flatnonzero(norms_at == 0)[0]]
    least = None if theta is None else float(margins(torch.as_tensor(ds.X), torch.as_tensor(ds.y),
                                                     torch.as_tensor(theta), multiclass=multiclass).min())
    heading_zero = bool(np.all(np.nan_to_num(h.final) == 0)) if run.diverged_at is None else False
    found.append(diagnosis.underflow(run.steps, norms_at, first_zero=zero, least_margin=least,
                                     heading_zero=heading_zero))
    if run.diverged_at is None and np.all(np.isfinite(run.final)):
        found.append(diagnosis.heading_separation(ds.X, ds.y, h.final, run.final, multiclass=multiclass))
    eps = run.config.get("optimizer_options", {}).get("eps")
    if isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0:
        if recorder.steps:
            found.append(diagnosis.eps_dominance(np.array(recorder.steps), np.stack(recorder.scales), float(eps),
                                                 of=recorder.scale_name))
        else:
            found.append(diagnosis.eps_dominance(run.steps, np.abs(gradients(run)).reshape(len(run.steps), -1),
                                                 float(eps)))
    return found


def gradients(run: ConvergenceRun) -> np.ndarray:
    """∇L(θ_t) at every recorded θ_t, (records, *weight shape), by the suite's stable loss (relatively exact at
    any margin)."""
    ds = run.data
    W = torch.as_tensor(run.weights)
    X = torch.as_tensor(ds.X, dtype=W.dtype)
    multiclass = ds.task == "multiclass"
    model = Linear(ds.d, ds.num_classes if multiclass else None)
    y = torch.as_tensor(ds.y) if multiclass else torch.as_tensor(ds.y, dtype=W.dtype)
    _, grad_out = Loss(run.config["loss"]).value_and_grad(model([W], X), y)
    (G,) = model.grad([W], X, grad_out)
    return G.numpy()


def gradient_norms(run: ConvergenceRun) -> np.ndarray:
    """‖∇L(θ_t)‖_F at every recorded θ_t, by the suite's stable loss (relatively exact at any margin)."""
    G = torch.as_tensor(gradients(run))
    return G.reshape(len(G), -1).norm(dim=1).numpy()


__all__ = ["Fingerprint", "KINDS", "SCHEDULES", "STEPS", "StepRecorder", "Steps", "check_input", "fingerprint",
           "gradients", "panel_data", "save_figure"]
