"""The `Norm` interface and the registry of norms by name.

A norm knows its value, its dual, its linear minimisation oracle (LMO)

    lmo(g) ∈ argmax_{‖d‖ ≤ 1} <g, d>,   so that   <g, lmo(g)> = ‖g‖_*   (Hölder, equality case),

its cvxpy atom, and which conic solvers handle that atom well. Normalized steepest descent under the norm
steps −η·lmo(∇L) (Gunasekar et al. 2018, eq. 4). All array methods act on the trailing `ndim` dimensions
(1 for vectors, 2 for matrices) and are batched over any leading ones. Values and LMOs are exact to rounding
for entries from 1e−300 to 1e300 (late-training gradients are of order e^{−margin}); subnormal entries carry
less than float64's relative precision.

The values and LMOs are written once against the array API standard (`namespace(x)` is the array library of x,
through `array-api-compat`): torch tensors in the eager optimizers, JAX arrays in the compiled training path
(`numerics.train.compiled`), numpy for the references — one source per rule.
"""

from __future__ import annotations

import abc
from typing import Any, Callable

import array_api_compat
import cvxpy as cp
import numpy as np
import torch

Array = Any
"""An array of any library the array API standard covers: torch, JAX, numpy."""


def namespace(*arrays):
    """The array API namespace of `arrays` (torch's, JAX's, numpy's): how a rule written once is run by each."""
    return array_api_compat.array_namespace(*arrays)


def constant(x):
    """x as a constant to automatic differentiation (`detach` in torch, `stop_gradient` in JAX, x itself elsewhere):
    for a shift whose gradient cancels exactly, e.g. the maximum in logsumexp, so that no work is spent on it."""
    if array_api_compat.is_torch_array(x):
        return x.detach()
    if array_api_compat.is_jax_array(x):
        import jax

        return jax.lax.stop_gradient(x)
    return x


def flatten_matrix(x):
    """x with its trailing two dimensions as one: (…, k, d) → (…, k·d), row-major."""
    return namespace(x).reshape(x, (*x.shape[:-2], x.shape[-2] * x.shape[-1]))


def one_hot(index, size: int, like):
    """1 at `index` (…,) along a new last axis of `size`, 0 elsewhere, in `like`'s dtype: the array API's scatter
    of one entry (exactly one 1 per row, the index an argmax gives: its lowest index at ties)."""
    xp = namespace(like)
    hit = xp.arange(size, device=array_api_compat.device(like)) == index[..., None]
    return xp.astype(hit, like.dtype)


class Norm(abc.ABC):
    """One norm: value, dual, LMO (any array library, batched), cvxpy expression, preferred solvers."""

    name: str
    """Registry name, e.g. ``"l1"``, ``"lp:3"``, ``"nuclear"``."""
    symbol: str
    """LaTeX for ‖·‖, e.g. ``r"\\|\\cdot\\|_1"``."""
    ndim: int
    """1 for a norm on vectors, 2 for a norm on matrices."""
    solvers: tuple[str, ...]
    """cvxpy solvers in the order to try them for problems built on this norm's atom."""
    strongly_convex: bool = False
    """Whether the unit ball is uniformly convex (ℓp, entrywise ℓp and Schatten-p for 1 < p < ∞): then a small
    margin gap pins the direction to the unique maximiser (`direction_error`); polyhedral (ℓ1, ℓ∞) and
    spectral/nuclear balls have faces, so their max-margin solution may be a set and no such bound holds."""
    unique_lmo: bool = False
    """Whether argmax_{‖d‖≤1} <g, d> is one point for every g ≠ 0 (strictly convex ball); otherwise `lmo`
    returns one documented element (sign(0) = 0, lowest index, the SVD's top pair, the polar factor)."""
    lmo_methods: tuple[str, ...] = ("exact",)
    """How steepest descent may compute the LMO: "exact" (`lmo`) and the norm's SVD-free methods
    ("newton_schulz" for spectral, "power" for nuclear; `numerics.optim.lmo`)."""

    @property
    @abc.abstractmethod
    def dual(self) -> Norm:
        """The dual norm ‖g‖_* = max_{‖d‖ ≤ 1} <g, d>."""

    @abc.abstractmethod
    def _value(self, x: Array) -> Array:
        """‖x‖ over the trailing `ndim` dimensions (any array API library)."""

    @abc.abstractmethod
    def lmo(self, g: Array) -> Array:
        """An element of argmax_{‖d‖ ≤ 1} <g, d>, batched over leading dimensions; 0 where g = 0. Written against
        the array API: torch in, torch out; JAX in (traced or not), JAX out."""

    @abc.abstractmethod
    def cvxpy(self, expr: cp.Expression) -> cp.Expression:
        """The norm of a cvxpy expression of shape (d,) or (k, d)."""

    def value(self, x: Array) -> Array:
        """‖x‖ over the trailing `ndim` dimensions; numpy (or a list) in, numpy out; torch in, torch out; JAX in,
        JAX out. numpy goes through torch, whose SVD the references were certified with."""
        if array_api_compat.is_array_api_obj(x) and not isinstance(x, np.ndarray):
            self._check_shape(x)
            return self._value(x)
        t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        self._check_shape(t)
        return self._value(t).numpy()[()]

    def lmo_rounding_gain(self, g: Array) -> Array:
        """How much `lmo` amplifies a rounding-level perturbation of g, relative to its output: a component of g
        of relative size u along a direction g does not span moves lmo(g) by ≲ u·gain along it. 1 for LMOs
        Lipschitz at the scale of rounding around g (scaling, the top singular pair, signs of entries not at
        rounding level); Schatten LMOs that give small singular pairs a large weight override it. Batched."""
        self._check_shape(g)
        return namespace(g).ones(g.shape[:g.ndim - self.ndim], dtype=g.dtype, device=array_api_compat.device(g))

    def direction_error(self, gap: float, numel: int) -> float | None:
        """An upper bound on the Euclidean distance ‖W − W*‖₂ between a unit-norm W whose normalized margin is
        within the relative `gap` of the maximum and the maximiser W* (`numel` entries), from the modulus of
        convexity δ of the unit ball: the midpoint of W and W* has margin ≥ γ*(1 − gap/2) and norm ≤ 1 − δ(‖W −
        W*‖), so δ(‖W − W*‖) ≤ gap/2. None where the ball is not uniformly convex (no such bound exists)."""
        return None

    def dual_norm(self, g: Array) -> Array:
        """‖g‖_*, the value of the dual norm."""
        return self.dual.value(g)

    def _check_shape(self, x: Array) -> None:
        if x.ndim < self.ndim:
            kind = "vectors" if self.ndim == 1 else "matrices"
            raise ValueError(f"norm {self.name!r} acts on {kind}; got an array of shape {tuple(x.shape)}")

    def __repr__(self) -> str:
        return f"Norm({self.name!r})"


_FAMILIES: dict[str, Callable[[str | None], Norm]] = {}
_EXAMPLES: dict[str, tuple[str, ...]] = {}


def register(prefix: str, *, examples: tuple[str, ...] | None = None):
    """Register a family of norms: ``get("prefix")`` or ``get("prefix:arg")`` calls ``factory(arg)``. `examples`
    are the concrete names every norm check runs on (`examples()`: the norm tests, the generic lemmas of `theory`);
    by default the prefix itself, for a family that takes no argument."""

    def deco(factory: Callable[[str | None], Norm]):
        _FAMILIES[prefix] = factory
        _EXAMPLES[prefix] = (prefix,) if examples is None else tuple(examples)
        return factory

    return deco


def get(norm: str | Norm) -> Norm:
    """The norm named `norm` (``"l1"``, ``"l2"``, ``"linf"``, ``"lp:<p>"``, ``"fro"``, ``"spectral"``,
    ``"nuclear"``, ``"schatten:<p>"``, ``"entry_l1"``, ``"entry_linf"``, ``"entry_lp:<p>"``, ``"op_linf"``,
    ``"op_l1"``, ``"row_linf_sum"``, ``"col_linf_sum"``); a `Norm` is returned as is."""
    if isinstance(norm, Norm):
        return norm
    prefix, _, arg = str(norm).partition(":")
    if prefix not in _FAMILIES:
        raise KeyError(f"unknown norm {norm!r}; known: {', '.join(available())}")
    return _FAMILIES[prefix](arg or None)


def available() -> list[str]:
    """Registered names (families taking an argument, those whose examples carry one, as ``prefix:<p>``)."""
    return sorted(prefix + (":<p>" if any(":" in name for name in _EXAMPLES[prefix]) else "") for prefix in _FAMILIES)


def examples(ndim: int | None = None) -> list[str]:
    """The concrete norms the registered families declare (in registration order), those acting on `ndim`
    dimensions if given: what the norm checks run on, so that a newly registered norm is checked with no other
    edit."""
    names = dict.fromkeys(get(name).name for prefix in _FAMILIES for name in _EXAMPLES[prefix])
    return [name for name in names if ndim is None or get(name).ndim == ndim]
