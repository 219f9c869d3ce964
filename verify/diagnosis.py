"""Why a fingerprint names no norm, in numbers: named diagnoses of a run.

Each diagnosis is a function of what the run measured — its gradients, the optimizer's own steps at the recorded
iterates, its state — returning a typed result: the numbers, whether the cause `holds`, and one `sentence` that
says so with them. `verify.fingerprint` runs them and reports those that hold (its `notes`; the first cause that
holds is its `cause`).

  underflow           ∇L = 0 exactly in float64: the logistic and cross-entropy gradients carry e^{−q} for the
                      least margin q, which is 0 in float64 once q passes ≈ 745 (e^{−745} < 2^{−1074}); from there
                      the gradient gives no direction, and a stateless optimizer stops.
  heading_separation  the heading θ_T − θ_{T/10} (what the fingerprint judges) does not separate the data while
                      the iterate θ_T does: min_i margin_i of each.
  eps_dominance       ε against the scale it competes with in the optimizer's denominator (per coordinate:
                      Adam's √v̂_i in η·m̂_i/(√v̂_i + ε), Adamax's u_i − ε in η·m̂_i/u_i with u_i = max(β₂u_i,
                      |g_i| + ε); for Muon ‖M‖_F in M/max(‖M‖_F, ε)). Where ε exceeds that scale the step is
                      ≈ η·m̂/ε: linear in ∇L (GD-like, homogeneity 1), no longer scale-free (homogeneity 0) — its
                      direction moves at GD's rate 1/log t, not at the log t/√t of normalized steps.
  orthogonalization   the step's singular values against the polar factor's: spectral steepest descent steps
                      −η·UVᵀ for ∇L = UΣVᵀ (`numerics.norms` spectral LMO), every singular value 1 on ∇L's rank; an
                      approximate orthogonalization (torch's Newton–Schulz quintic) returns U S' Vᵀ with S' ≠ I.
  step_alignment      the step against the steepest-descent direction −lmo_c(∇L) of a norm c (`Norm.lmo`):
                      cos = <−Δ, lmo_c(∇L)>/(‖Δ‖_F‖lmo_c(∇L)‖_F), 1 exactly for c's normalized steepest descent.
  run_warnings        numpy/torch warnings raised while training and judging, as one sentence.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import torch

from numerics.norms import get as get_norm
from verify.evidence import plain

UNDERFLOW_MARGIN = 745.0
"""The least margin past which e^{−q} is 0 in float64 (the least subnormal is 2^{−1074} = e^{−744.4})."""
ALIGNED = 0.99
"""cos(step, −lmo_c(∇L)) below which a step is not c's steepest descent: 8° off; momentum on a gradient whose
direction has settled stays far closer (measured: torch's SGD at cos 1 to rounding, exact sign descent 1)."""
SPREAD = 0.05
"""1 − σ_min/σ_max of a step (over the gradient's rank) above which it is not a polar factor: the exact polar
factor's is 0 to rounding (≤ 1e-12); torch's bfloat16 Newton–Schulz rounds at 2^{−8} = 0.004 relative."""


class Diagnosis:
    """A diagnosis's result: its numbers (the dataclass fields), whether its cause `holds`, one `sentence`."""

    name: ClassVar[str]

    @property
    def holds(self) -> bool:
        raise NotImplementedError

    @property
    def sentence(self) -> str:
        raise NotImplementedError

    def as_dict(self) -> dict:
        return plain({"name": self.name, "holds": self.holds, "sentence": self.sentence, **asdict(self)})


@dataclass(frozen=True)
class Underflow(Diagnosis):
    """The first step at which ∇L was exactly 0."""

    name: ClassVar[str] = "underflow"
    step: int | None
    """The first step whose gradient is exactly 0 (None: never)."""
    exact: bool
    """Whether every step was watched (then `step` is exact); else it is the first record at 0, and the
    gradient underflowed after the record before it."""
    least_margin: float | None
    """min_i margin_i(θ) at that step."""
    heading_zero: bool
    """Whether the last decade's displacement θ_T − θ_{T/10} is exactly 0."""

    @property
    def holds(self) -> bool:
        return self.step is not None

    @property
    def sentence(self) -> str:
        if not self.holds:
            return "∇L never underflowed to 0"
        where = f"at step {self.step}" if self.exact else f"by step {self.step} (the first record at 0)"
        then = ("so the heading of the last decade, θ_T − θ_{T/10}, is zero" if self.heading_zero else
                "and what moved θ since is the optimizer's state, not a gradient")
        if self.least_margin is not None and self.least_margin < UNDERFLOW_MARGIN:
            return (f"∇L is exactly 0 {where} at least margin {self.least_margin:.3g}, short of float64's "
                    f"underflow (≈ {UNDERFLOW_MARGIN:g}): a loss or model that stops giving gradients; {then}")
        margin = "" if self.least_margin is None else f"least margin {self.least_margin:.3g} > ≈ {UNDERFLOW_MARGIN:g}, "
        return (f"∇L underflowed to 0 in float64 {where} ({margin}where e^−q = 0): no optimizer gets a direction "
                f"from there, {then}")


def underflow(steps, gradient_norms, *, first_zero: int | None = None, least_margin: float | None = None,
              heading_zero: bool = False) -> Underflow:
    """Where ∇L underflowed to 0: `first_zero` when every step was watched (`verify.fingerprint.StepRecorder`),
    else the first of the recorded `steps` whose ‖∇L‖ (`gradient_norms`) is exactly 0."""
    if first_zero is not None:
        return Underflow(int(first_zero), True, least_margin, heading_zero)
    zero = np.flatnonzero(np.asarray(gradient_norms) == 0)
    step = int(np.asarray(steps)[zero[0]]) if len(zero) else None
    return Underflow(step, False, least_margin if step is not None else None, heading_zero)


@dataclass(frozen=True)
class HeadingSeparation(Diagnosis):
    """Whether the heading and the iterate separate the data."""

    name: ClassVar[str] = "heading_separation"
    heading_margin: float
    """min_i margin_i(θ_T − θ_{T/10})."""
    iterate_margin: float
    """min_i margin_i(θ_T)."""

    @property
    def holds(self) -> bool:
        return not self.heading_margin > 0

    @property
    def sentence(self) -> str:
        if not self.holds:
            return (f"the heading and the iterate separate the data (least margins {self.heading_margin:.3g} and "
                    f"{self.iterate_margin:.3g})")
        heading = (f"the heading — the last decade's displacement θ_T − θ_{{T/10}} — does not separate the data "
                   f"(least margin {self.heading_margin:.3g})")
        if self.iterate_margin > 0:
            return f"{heading}, while the iterate θ_T does (least margin {self.iterate_margin:.3g})"
        return f"{heading}, nor does the iterate θ_T (least margin {self.iterate_margin:.3g})"


def heading_separation(X, y, heading, iterate, *, multiclass: bool) -> HeadingSeparation:
    """min_i margin_i of the heading and of the iterate (unnormalized: only their signs are compared)."""
    from numerics.references.margins import margins

    least = [float(margins(torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor(W), multiclass=multiclass).min())
             for W in (heading, iterate)]
    return HeadingSeparation(*least)


@dataclass(frozen=True)
class EpsDominance(Diagnosis):
    """ε against the scale it competes with in the optimizer's denominator."""

    name: ClassVar[str] = "eps"
    eps: float
    scale: str
    """What ε is compared with, e.g. "√v̂_i" (per coordinate) or "‖M‖_F" (one number)."""
    since: int | None
    """The first recorded step from which the median scale/ε stays below 1 at every later record."""
    ratio: float
    """median_i scale_i/ε at T."""
    below: int
    """Coordinates with scale_i < ε at T."""
    coordinates: int

    @property
    def holds(self) -> bool:
        return self.ratio < 1

    @property
    def sentence(self) -> str:
        at_T = (f"{self.scale} = {self.ratio:.2g}·eps at T" if self.coordinates == 1 else
                f"at T the median {self.scale} is {self.ratio:.2g}·eps, {self.below} of {self.coordinates} "
                "coordinates below eps")
        if not self.holds:
            return f"eps = {self.eps:g} stays below {self.scale} ({at_T}): the step stays scale-free"
        return (f"eps = {self.eps:g} dominates the step's denominator: {self.scale} fell below the optimizer's eps "
                f"from step ≈ {self.since} ({at_T}), so the step ≈ η·m/eps is linear in ∇L (GD-like), not "
                "scale-free: the scale-free rate log t/√t no longer applies")


def eps_dominance(steps, scale, eps: float, *, of: str = "|∇L_i|") -> EpsDominance:
    """ε against `scale` ((records, m): at each recorded step, the per-coordinate scale ε competes with in the
    optimizer's denominator — `denominator_scale` — or (records, 1) for one number such as Muon's ‖M‖_F).
    ε dominates a coordinate when scale_i < ε (then its denominator is within a factor 2 of ε); the diagnosis
    holds when it dominates the median coordinate at T."""
    scale = np.asarray(scale, dtype=np.float64).reshape(len(steps), -1)
    ratios = np.median(scale, axis=1) / eps
    above = np.flatnonzero(~(ratios < 1))
    since = None if not ratios[-1] < 1 else int(np.asarray(steps)[above[-1] + 1 if len(above) else 0])
    last = scale[-1]
    return EpsDominance(float(eps), of, since, float(ratios[-1]), int(np.sum(last < eps)), int(last.size))


SECOND_MOMENTS = {
    "exp_avg_sq": ("√v̂_i", lambda v, state, group: (v / (1 - group["betas"][1] ** _count(state))).sqrt()),
    "exp_inf": ("u_i − eps", lambda u, state, group: (u - group["eps"]).clamp(min=0)),
    "square_avg": ("√v_i", lambda v, state, group: v.sqrt()),
    "sum": ("√(Σg²)_i", lambda s, state, group: s.sqrt()),
}
"""The per-coordinate scale ε competes with in a denominator, by the state key that holds it: Adam, AdamW, NAdam,
RAdam √v̂ = √(v/(1 − β₂^t)) in m̂/(√v̂ + ε); Adamax u − ε in m̂/u, u = max(β₂u, |g| + ε) (u ≥ ε always: u − ε is
the gradient's share); RMSprop √v in g/(√v + ε); Adagrad √Σg² in g/(√Σg² + ε)."""


def _count(state) -> float:
    step = state.get("step", 1)
    return float(step.item() if isinstance(step, torch.Tensor) else step)


def denominator_scale(state: dict, group: dict, gradient: torch.Tensor) -> tuple[str, torch.Tensor]:
    """(its name, the scale) ε competes with after one step, from the optimizer's `state` of one parameter and
    its param `group`: a known second moment (`SECOND_MOMENTS`), Muon's ‖M‖_F (M = the Nesterov or heavy-ball
    momentum it orthogonalizes, where the group has `ns_steps`), else |g_i|."""
    if "ns_steps" in group and "momentum_buffer" in state:
        buf, m = state["momentum_buffer"], group.get("momentum", 0.0)
        M = gradient.lerp(buf, m) if group.get("nesterov") else buf
        return "‖M‖_F (Muon's Newton–Schulz input)", torch.linalg.vector_norm(M).reshape(1)
    for key, (what, scale) in SECOND_MOMENTS.items():
        if key in state and isinstance(state[key], torch.Tensor) and state[key].shape == gradient.shape:
            try:
                return what, scale(state[key], state, group).reshape(-1)
            except (KeyError, TypeError, IndexError):
                continue
    return "|∇L_i|", gradient.abs().reshape(-1)


@dataclass(frozen=True)
class Orthogonalization(Diagnosis):
    """The step's singular values against the polar factor's (all 1 on the gradient's rank)."""

    name: ClassVar[str] = "orthogonalization"
    spread: float
    """Median over the records of 1 − σ_r/σ_1 of the step, r the rank of ∇L's polar factor."""
    polar_spread: float
    """The same for the exact polar factor lmo_spectral(∇L) (0 to rounding)."""
    low: float
    """Median over the records of σ_r/σ_1 of the step (1 − its spread)."""
    cosine: float
    """Median cos(step, −UVᵀ) with ∇L = UΣVᵀ."""
    rank: int
    scale: tuple[float, float] | None
    """(σ_r, σ_1) of the step over its lr at the last record: the orthogonalization's own singular values."""
    method: str
    records: int

    @property
    def holds(self) -> bool:
        return self.spread > max(SPREAD, self.polar_spread + SPREAD)

    @property
    def sentence(self) -> str:
        values = "" if self.scale is None else f"; σ_i/η from {self.scale[0]:.2f} to {self.scale[1]:.2f}"
        numbers = (f"its {self.rank} singular values span {self.low:.2f}–1 of its largest (spread 1 − σ_min/σ_max = "
                   f"{self.spread:.2f}{values}), where the polar factor −UVᵀ has all 1 (spread "
                   f"{self.polar_spread:.0e}); cos(step, −UVᵀ) = {self.cosine:.3f} at the last {self.records} records")
        if not self.holds:
            return f"the step is the polar factor of its input: {numbers}"
        return f"{self.method} holds it back: the step is not the polar factor (spectral steepest descent): {numbers}"


def orthogonalization(steps, gradients, *, lrs=None, method: str = "its orthogonalization") -> Orthogonalization:
    """The steps Δ_t ((k, m, n)) against the polar factors UVᵀ of the gradients ((k, m, n)) they were taken at
    (`Norm.lmo` of spectral: the exact LMO). Its rank r (the pairs the LMO keeps: ‖UVᵀ‖_F² = r) bounds the
    singular values compared: a multiclass gradient has rank ≤ k − 1 (its rows sum to 0), and so has every
    step built from gradients. `lrs` (k,) give σ_i(Δ)/η_t, the orthogonalization's own singular values."""
    steps, gradients = torch.as_tensor(np.asarray(steps)), torch.as_tensor(np.asarray(gradients))
    polar = get_norm("spectral").lmo(gradients)
    ranks = torch.linalg.matrix_norm(polar).square().round().long()
    sigma, exact = torch.linalg.svdvals(steps), torch.linalg.svdvals(polar)
    spread, polar_spread = [], []
    for s, p, r in zip(sigma, exact, ranks):
        r = max(int(r), 1)
        spread.append(float(1 - s[r - 1] / s[0]) if s[0] > 0 else math.nan)
        polar_spread.append(float(1 - p[r - 1] / p[0]))
    cos = _cosines(-steps, polar)
    r = max(int(ranks[-1]), 1)
    scale = None
    if lrs is not None and float(lrs[-1]) > 0:
        scale = (float(sigma[-1, r - 1]) / float(lrs[-1]), float(sigma[-1, 0]) / float(lrs[-1]))
    median = float(np.nanmedian(spread))
    return Orthogonalization(median, float(np.median(polar_spread)), 1 - median,
                             float(np.median(cos)), r, scale, method, len(steps))


@dataclass(frozen=True)
class StepAlignment(Diagnosis):
    """The step against a norm's steepest-descent direction −lmo_c(∇L)."""

    name: ClassVar[str] = "step_alignment"
    norm: str
    cosine: float
    """Median over the records of cos(Δ_t, −lmo_c(∇L_t))."""
    least: float
    cosines: dict[str, float]
    """The median cosine against each norm of the panel."""
    records: int

    @property
    def holds(self) -> bool:
        return not self.cosine >= ALIGNED

    @property
    def sentence(self) -> str:
        best = max(self.cosines, key=self.cosines.get) if self.cosines else self.norm
        nearest = "" if best == self.norm else f"; of the panel it is nearest {best}'s (cos {self.cosines[best]:.3f})"
        verb = "is not" if self.holds else "is"
        return (f"the optimizer's step {verb} {self.norm}'s steepest-descent direction −lmo(∇L): cos "
                f"{self.cosine:.3f} (least {self.least:.3f}) at the last {self.records} records{nearest}")


def step_alignment(steps, gradients, norm: str, panel=()) -> StepAlignment:
    """cos(Δ_t, −lmo_c(∇L_t)) for c = `norm` at each of the k recorded steps ((k, …)) and gradients, and the
    median against each norm of `panel` (`Norm.lmo`: the exact LMO)."""
    steps, gradients = torch.as_tensor(np.asarray(steps)), torch.as_tensor(np.asarray(gradients))
    cos = {c: _cosines(-steps, get_norm(c).lmo(gradients)) for c in dict.fromkeys((norm, *panel))}
    return StepAlignment(get_norm(norm).name, float(np.median(cos[norm])), float(np.min(cos[norm])),
                         {c: float(np.median(v)) for c, v in cos.items()}, len(steps))


def _cosines(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Euclidean cosine of each pair a_t, b_t (k, …), NaN where either is 0."""
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    scale = torch.linalg.vector_norm(a, dim=1) * torch.linalg.vector_norm(b, dim=1)
    # each unit vector first: products of entries near 1e±300 would leave float64's range
    au = a / torch.linalg.vector_norm(a, dim=1, keepdim=True)
    bu = b / torch.linalg.vector_norm(b, dim=1, keepdim=True)
    return torch.where(scale > 0, (au * bu).sum(dim=1), torch.nan).numpy()


@dataclass(frozen=True)
class RunWarnings(Diagnosis):
    """Warnings raised while training and judging."""

    name: ClassVar[str] = "warnings"
    warnings: tuple[tuple[str, str, str, int], ...]
    """(category, message, where, count) of each distinct warning."""

    @property
    def holds(self) -> bool:
        return bool(self.warnings)

    @property
    def sentence(self) -> str:
        if not self.holds:
            return "nothing warned while training and judging"
        said = "; ".join(f"{category}: {message} ({count}×, {where})"
                         for category, message, where, count in self.warnings)
        overflow = any("overflow" in message for _, message, _, _ in self.warnings)
        why = (": the iterate's entries neared float64's limit 1.8e308, where its norms and margins overflow"
               if overflow else "")
        return f"warned while training and judging — {said}{why}"


def run_warnings(caught: list[warnings.WarningMessage]) -> RunWarnings:
    """The distinct warnings `caught` (by `warnings.catch_warnings(record=True)`), counted, each with the package
    that raised it."""
    counts: dict[tuple[str, str, str], int] = {}
    for w in caught:
        path = str(w.filename).replace("\\", "/")
        where = next((p for p in ("numpy", "torch", "scipy", "cvxpy") if f"/{p}/" in path), path.rsplit("/", 1)[-1])
        key = (w.category.__name__, (str(w.message).splitlines() or [""])[0], where)
        counts[key] = counts.get(key, 0) + 1
    return RunWarnings(tuple((*key, n) for key, n in counts.items()))


__all__ = ["ALIGNED", "Diagnosis", "EpsDominance", "HeadingSeparation", "Orthogonalization", "RunWarnings",
           "SECOND_MOMENTS", "SPREAD", "StepAlignment", "UNDERFLOW_MARGIN", "Underflow", "denominator_scale",
           "eps_dominance", "heading_separation", "orthogonalization", "run_warnings", "step_alignment", "underflow"]
