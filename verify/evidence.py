"""Evidence: what a claim measured, against what bound, and the verdict — as plain JSON-able data.

A `Check` is one comparison ``measured <op> bound`` with the reason for the bound and what its failure means:
`severity` FAIL (positive evidence against the claim: a plateau above the tolerance, a run that ends at a
rival's limit, a control that holds, measurements that contradict each other) or INCONCLUSIVE (the data or the
budget cannot tell: the rivals are too close, the gap is still shrinking at its rate). A check marked
`negative` is a control that must *fail* (its `passed` is true when the comparison does not hold).

The verdict of an `Evidence`:
  FAIL          some check with severity FAIL did not pass (its `failure` says why, with the numbers);
  INCONCLUSIVE  otherwise, some check with severity INCONCLUSIVE did not pass;
  PASS          every check passed, and there is at least one (no checks, no verdict).
"""

from __future__ import annotations

import math
import operator
import os
from dataclasses import dataclass, field

import numpy as np

OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}
PASS, FAIL, INCONCLUSIVE = "PASS", "FAIL", "INCONCLUSIVE"
SEVERITIES = (FAIL, INCONCLUSIVE)


def plain(value):
    """numpy / torch scalars and arrays → Python floats, ints and lists (xdist and JSON carry only these)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()] if value.ndim else plain(value.item())
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


TRAJECTORY_POINTS = 32
"""Records a trajectory keeps in the evidence, log-uniform in the record index, its values to 6 significant
digits (the checks read the full run at full precision; this is what the figures and a script see). With
IBS_FULL_EVIDENCE=1 every record is kept at full precision, and every check of an included part (`include`)."""


def full_evidence() -> bool:
    return os.environ.get("IBS_FULL_EVIDENCE", "") not in ("", "0")


def thinned(records: int, points: int = TRAJECTORY_POINTS) -> np.ndarray:
    """Indices 0, …, records − 1 thinned to ≲ `points` spaced log-uniformly (0 and the last always kept)."""
    if records <= points or full_evidence():
        return np.arange(records)
    grid = np.unique(np.rint(np.geomspace(1, records - 1, points - 1)).astype(int))
    return np.concatenate([[0], grid])


@dataclass
class Check:
    name: str
    measured: float
    op: str
    bound: float
    why: str
    negative: bool = False
    severity: str = FAIL
    """What it means when this check does not pass: FAIL or INCONCLUSIVE."""
    failure: str = ""
    """The sentence the verdict gives when this check does not pass (defaults to the comparison itself)."""

    @property
    def holds(self) -> bool:
        """Whether `measured op bound`; NaN never holds."""
        m, b = float(self.measured), float(self.bound)
        return not (math.isnan(m) or math.isnan(b)) and OPS[self.op](m, b)

    @property
    def passed(self) -> bool:
        """A positive check passes when it holds, a negative control when it does not (NaN: never)."""
        if math.isnan(float(self.measured)):
            return False
        return self.holds != self.negative

    @property
    def reason(self) -> str:
        """Why this check, failing, decides the verdict."""
        return self.failure or f"{self.name}: {float(self.measured):.4g} {self.op} {float(self.bound):.4g} " + (
            "holds, but this control must fail" if self.negative else "does not hold")

    def as_dict(self) -> dict:
        return {"name": self.name, "measured": plain(self.measured), "op": self.op, "bound": plain(self.bound),
                "why": self.why, "negative": self.negative, "severity": self.severity, "passed": self.passed,
                **({"failure": self.reason} if not self.passed else {})}

    def __str__(self) -> str:
        kind = "control (must fail)" if self.negative else "check"
        mark = "ok  " if self.passed else self.severity[:4]
        return f"{mark} {kind} {self.name}: {float(self.measured):.4g} {self.op} {float(self.bound):.4g} — {self.why}"


@dataclass
class Evidence:
    """Checks, measured numbers and trajectories of one claim (or one template call)."""

    claim: str
    checks: list[Check] = field(default_factory=list)
    measured: dict = field(default_factory=dict)
    trajectories: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    parts: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Plain statements that inform without deciding (e.g. why a check was not applicable)."""

    def check(self, name: str, measured, op: str, bound, why: str, *, negative: bool = False,
              severity: str = FAIL, failure: str = "") -> bool:
        """Record `measured op bound` (the reason `why` states where the bound comes from); return whether
        the check passed (for a negative control: whether the comparison failed, as it must). `severity` says
        what a failure means (FAIL or INCONCLUSIVE), `failure` the sentence the verdict then gives."""
        if op not in OPS:
            raise ValueError(f"op must be one of {sorted(OPS)}; got {op!r}")
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}; got {severity!r}")
        c = Check(name, float(measured), op, float(bound), why, negative, severity, failure)
        self.checks.append(c)
        return c.passed

    def control(self, name: str, measured, op: str, bound, why: str, *, failure: str = "") -> bool:
        """A negative control: the comparison is what the claim would predict for the wrong optimizer or
        setting, and it must not hold (if it does, the claim cannot tell them apart: FAIL)."""
        return self.check(name, measured, op, bound, why, negative=True, failure=failure)

    def include(self, part: Evidence, *, expect: str = PASS, name: str | None = None) -> bool:
        """Record another evidence (a template's) as one check: its verdict must be `expect` (FAIL for a
        negative control). The opposite decisive verdict fails this evidence; an INCONCLUSIVE part leaves it
        INCONCLUSIVE (a control that cannot be decided shows nothing). The part is stored with its failed checks
        and the number of passed ones (every check with IBS_FULL_EVIDENCE=1)."""
        name = name or part.claim
        stored = part.as_dict()
        if not full_evidence():  # the part's verdict stands on its failed checks; the passed ones are counted
            stored["checks_passed"] = sum(c["passed"] for c in stored["checks"])
            stored["checks"] = [c for c in stored["checks"] if not c["passed"]]
            stored["config"] = {k: v for k, v in stored["config"].items() if k != "versions"}  # the claim's own
        self.parts.append({"expect": expect, **stored, "claim": name})  # the name the claim gives it, in its words
        verdict = part.verdict
        passed = verdict == expect
        why = f"{'control: ' if expect == FAIL else ''}template verdict {verdict}; expected {expect}"
        reason = f"{name}: {verdict}, expected {expect}" + ("" if passed else ": " + "; ".join(part.reasons))
        self.checks.append(Check(name, float(passed), "==", 1.0, why, severity=INCONCLUSIVE if verdict ==
                                 INCONCLUSIVE else FAIL, failure=reason))
        return passed

    def note(self, text: str) -> None:
        self.notes.append(text)

    def record(self, **values) -> None:
        self.measured.update(plain(values))

    def trajectory(self, name: str, steps, values) -> None:
        """Record values over steps, thinned to about `TRAJECTORY_POINTS` log-uniform records (the first and last
        kept; all with IBS_FULL_EVIDENCE=1); `recorded` says how many there were."""
        steps, values = np.asarray(steps), np.asarray(values)
        keep = thinned(len(steps))
        values = values[keep]
        if not full_evidence() and values.dtype.kind == "f":
            values = np.asarray([float(f"{v:.6g}") for v in values.ravel()]).reshape(values.shape)
        self.trajectories[name] = {"steps": plain(steps[keep]), "values": plain(values), "recorded": len(steps)}

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def verdict(self) -> str:
        if not self.checks:
            return "NO VERDICT"
        severities = {c.severity for c in self.failures}
        return FAIL if FAIL in severities else INCONCLUSIVE if severities else PASS

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    @property
    def reasons(self) -> list[str]:
        """The sentences behind the verdict: the failed checks of the deciding severity."""
        verdict = self.verdict
        return [c.reason for c in self.failures if c.severity == verdict]

    def summary(self) -> str:
        head = f"{self.claim}: {self.verdict}" + (f" — {'; '.join(self.reasons)}" if self.reasons else "")
        return "\n".join([head, *(f"  {c}" for c in self.checks), *(f"  note: {n}" for n in self.notes)])

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verdict": self.verdict, "reasons": self.reasons,
                "checks": [c.as_dict() for c in self.checks], "notes": self.notes,
                "measured": plain(self.measured), "trajectories": self.trajectories, "config": plain(self.config),
                "parts": self.parts}


class ClaimFailed(AssertionError):
    """A claim's verdict is FAIL (positive evidence against it, or a cited lemma's check failed)."""


class ClaimInconclusive(AssertionError):
    """A claim's verdict is INCONCLUSIVE: its data or budget cannot tell (the reasons say which)."""


LEMMA_OK = ("passed", "undecided")
"""Lemma check statuses that do not fail a claim: undecided means the algebra cannot settle the statement
(it says why) and leaves the numeric check to decide; failed and error do fail it."""
_LEMMA_RESULTS: dict[tuple[str, str], tuple] = {}


def lemma_checks(lemma_id: str) -> tuple:
    """The symbolic and numeric check of one lemma, run once per statement in this process."""
    import sympy

    from theory import lemmas

    lemma = lemmas.get(lemma_id)
    key = lemma_id, sympy.srepr(lemma.statement)
    if key not in _LEMMA_RESULTS:
        _LEMMA_RESULTS[key] = lemma.check_symbolic(), lemma.check_numeric()
    return _LEMMA_RESULTS[key]


def forget_lemma_checks() -> None:
    """Drop the remembered lemma checks (after code they exercise was changed, e.g. by a mutant)."""
    _LEMMA_RESULTS.clear()


class ClaimEvidence(Evidence):
    """The evidence of one checklist claim, tied to the lemmas it cites. `conclude()` adds each lemma's check
    results (a failing lemma fails the claim) and raises unless the verdict is PASS."""

    def __init__(self, claim: str, lemmas: list[str] | tuple[str, ...] = ()):
        super().__init__(claim)
        self.lemmas = list(lemmas)
        self.concluded = False

    def conclude(self) -> None:
        self.concluded = True
        for lemma_id in self.lemmas:
            for result in lemma_checks(lemma_id):
                self.check(f"lemma {lemma_id}: {result.kind} check", float(result.status in LEMMA_OK), "==", 1.0,
                           f"{result.status}: residual {result.residual}" + (f" ({result.detail})" if result.detail
                                                                            else ""),
                           failure=f"lemma {lemma_id}'s {result.kind} check {result.status} (residual "
                                   f"{result.residual}): the claim stands on it")
        if self.verdict == INCONCLUSIVE:
            raise ClaimInconclusive(self.summary())
        if self.verdict != PASS:
            raise ClaimFailed(self.summary())
