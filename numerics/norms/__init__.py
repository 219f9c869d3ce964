"""Norms: one object per norm (value, dual, LMO, cvxpy atom, solvers). ``get("lp:3")`` looks one up.

Adding a norm is adding one module here that subclasses `Norm` and calls `register`.
"""

from numerics.norms import lp as _lp, operator as _operator, schatten as _schatten  # noqa: F401  (registration)
from numerics.norms.base import Norm, available, get

__all__ = ["Norm", "available", "get"]
