"""Norms: one object per norm (value, dual, LMO, cvxpy atom, solvers). ``get("lp:3")`` looks one up.

Adding a norm is adding one module here that subclasses `Norm` and calls `register` with its examples: the norm
checks (tests/test_norms.py) and the generic Hölder lemma of `theory.norms` then cover it with no other edit.
"""

from numerics.norms import fourier as _fourier, lp as _lp, operator as _operator, schatten as _schatten  # noqa: F401
from numerics.norms.base import Norm, available, examples, get, register

__all__ = ["Norm", "available", "examples", "get", "register"]
