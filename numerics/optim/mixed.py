"""Several rule optimizers as one `RuleOptimizer`, each on its own parameters: Muon on the hidden matrices with Adam
(or Signum) on the head, as torch's Muon documentation recommends, in a form the compiled training path runs.

    Mixed([SteepestDescent(params[:-1], lrs, "spectral", momentum=0.9), Adam(params[-1:], lrs, eps=0.0)])

Its groups are the children's own group dicts, and each group steps by the rule of the child that owns it
(`RuleOptimizer.rule`), so `optimizer.step()` and the compiled path run the same rules. `numerics.optim.Composite`
does the same for any torch optimizers, eagerly.
"""

from __future__ import annotations

from numerics.optim.optimizer import RuleOptimizer
from numerics.optim.rules import Rule


class Mixed(RuleOptimizer):
    """`optimizers` (rule optimizers) stepped as one; a parameter may belong to one of them only."""

    def __init__(self, optimizers):
        self.optimizers = list(optimizers)
        if not self.optimizers or not all(isinstance(o, RuleOptimizer) for o in self.optimizers):
            raise ValueError("Mixed takes one or more rule optimizers (numerics.optim.RuleOptimizer); "
                             "numerics.optim.Composite takes any")
        params = [p for o in self.optimizers for group in o.param_groups for p in group["params"]]
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter is given to two of Mixed's optimizers")
        super().__init__(params, {k: v for o in self.optimizers for k, v in o.defaults.items()})
        self.param_groups = [group for o in self.optimizers for group in o.param_groups]
        self._owner = {id(group): o for o in self.optimizers for group in o.param_groups}

    def add_param_group(self, param_group: dict) -> None:
        if getattr(self, "param_groups", None):
            raise NotImplementedError("add the group to the child optimizer before mixing it")
        super().add_param_group(param_group)

    def rule(self, group: dict, batch_dims: int) -> Rule:
        return self._owner[id(group)].rule(group, batch_dims)

    def batch_dims(self, group: dict) -> int:
        return self._owner[id(group)].batch_dims(group)

    @property
    def homogeneity(self) -> int | None:
        kinds = {o.homogeneity for o in self.optimizers}
        return kinds.pop() if len(kinds) == 1 else None

    def __repr__(self) -> str:
        return "Mixed(" + ", ".join(type(o).__name__ for o in self.optimizers) + ")"


__all__ = ["Mixed"]
