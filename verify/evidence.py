"""Evidence: what a claim measured, against what tolerance, and the verdict — as plain JSON-able data.

A `Check` is one comparison ``measured <op> bound`` with the reason for the bound; a check marked
`negative` is a control that must *fail* (its `passed` is true when the comparison does not hold). An
`Evidence` gathers checks, numbers and trajectories; its verdict is PASS only when every check holds and
there is at least one (no checks, no verdict).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import numpy as np

OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}


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


@dataclass
class Check:
    name: str
    measured: float
    op: str
    bound: float
    why: str
    negative: bool = False

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

    def as_dict(self) -> dict:
        return {"name": self.name, "measured": plain(self.measured), "op": self.op, "bound": plain(self.bound),
                "why": self.why, "negative": self.negative, "passed": self.passed}

    def __str__(self) -> str:
        kind = "control (must fail)" if self.negative else "check"
        return (f"{'ok  ' if self.passed else 'FAIL'} {kind} {self.name}: {float(self.measured):.4g} {self.op} "
                f"{float(self.bound):.4g} — {self.why}")


@dataclass
class Evidence:
    """Checks, measured numbers and trajectories of one claim (or one template call)."""

    claim: str
    checks: list[Check] = field(default_factory=list)
    measured: dict = field(default_factory=dict)
    trajectories: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    parts: list[dict] = field(default_factory=list)
    final: list | None = field(default=None, repr=False)
    """The final parameters (arrays) of a template's run, for further checks; not serialized."""

    def check(self, name: str, measured, op: str, bound, why: str, *, negative: bool = False) -> bool:
        """Record `measured op bound` (the reason `why` states where the bound comes from); return whether
        the check passed (for a negative control: whether the comparison failed, as it must)."""
        if op not in OPS:
            raise ValueError(f"op must be one of {sorted(OPS)}; got {op!r}")
        c = Check(name, float(measured), op, float(bound), why, negative)
        self.checks.append(c)
        return c.passed

    def control(self, name: str, measured, op: str, bound, why: str) -> bool:
        """A negative control: the comparison is what the claim would predict for the wrong optimizer or
        setting, and it must not hold."""
        return self.check(name, measured, op, bound, why, negative=True)

    def include(self, part: "Evidence", *, expect: str = "PASS", name: str | None = None) -> bool:
        """Record another evidence (a template's) as one check: its verdict must be `expect` (FAIL for a
        negative control)."""
        name = name or part.claim
        self.parts.append({"expect": expect, **part.as_dict()})
        passed = part.verdict == expect
        why = (f"template verdict {part.verdict}; expected {expect}"
               + ("" if passed else ": " + "; ".join(str(c) for c in part.failures or part.checks)))
        self.checks.append(Check(name, float(part.passed), "==", 1.0, why, negative=expect == "FAIL"))
        return passed

    def record(self, **values) -> None:
        self.measured.update(plain(values))

    def trajectory(self, name: str, steps, values) -> None:
        self.trajectories[name] = {"steps": plain(np.asarray(steps)), "values": plain(np.asarray(values))}

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def verdict(self) -> str:
        if not self.checks:
            return "NO VERDICT"
        return "PASS" if self.passed else "FAIL"

    def summary(self) -> str:
        return f"{self.claim}: {self.verdict}\n" + "\n".join(f"  {c}" for c in self.checks)

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verdict": self.verdict, "checks": [c.as_dict() for c in self.checks],
                "measured": plain(self.measured), "trajectories": self.trajectories, "config": plain(self.config),
                "parts": self.parts}
