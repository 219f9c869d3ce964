"""Errors that name their cause. Each carries what was computed before it was raised."""

from __future__ import annotations


class InvalidDataError(ValueError):
    """The data cannot define the problem: NaN/Inf, wrong shapes, one class, conflicting duplicates, scale."""


class NotSeparableError(ValueError):
    """No weight separates the data: the best achievable margin is ≤ 0.

    Attributes:
        best_margin: the optimal value of max γ s.t. margins ≥ γ, ‖W‖ ≤ 1 (≤ 0 up to solver accuracy).
        witness: indices of the points whose convex combination certifies it (Gordan's alternative:
            Σ λ_i z_i = 0 with λ on the simplex, z_i the signed points).
        weights: the multipliers λ on those points.
    """

    def __init__(self, message: str, best_margin: float, witness=None, weights=None):
        super().__init__(message)
        self.best_margin = best_margin
        self.witness = witness
        self.weights = weights


class NotInterpolableError(InvalidDataError):
    """The targets are not in the range of X: no w solves Xw = t."""


class SolverError(RuntimeError):
    """Every solver tried failed or returned a solution whose certificate did not close.

    Attributes:
        attempts: one `numerics.references.solve.Attempt` per solver tried (solver, status, seconds, certificate).
    """

    def __init__(self, message: str, attempts):
        super().__init__(message)
        self.attempts = attempts

    @property
    def status(self) -> str:
        """Status of the last attempt."""
        return self.attempts[-1].status if self.attempts else "not run"


class OptimizerError(ValueError):
    """The optimizer cannot be built or run as given: a dotted path that does not resolve, an object that is
    not a `torch.optim.Optimizer` (or a factory of one), options it does not take, or parameters it rejects."""
