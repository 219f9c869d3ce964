"""Norms on a network's parameters θ = (W_1, …, W_L): a norm per layer, combined over the layers.

    ‖θ‖ = combine_l ‖W_l‖_l,   combine ∈ {max, l2, sum},   dual  ‖G‖_* = combine*_l ‖G_l‖_{l,*}

with combine* the dual combination (max ↔ sum, l2 ↔ l2): the dual of a max of norms on a product space is the sum
of the duals, and the ℓ2 combination is self-dual. The geometries of a network's optimizers, by name
(`geometry(name, depth)`):

- "l2": ‖θ‖₂ over all parameters (the l2 combination of Frobenius norms) — gradient descent (Lyu & Li 2020);
- "linf", "l1": ‖θ‖_∞ and ‖θ‖₁ over all parameters (max of entrywise ℓ∞, sum of entrywise ℓ1) — sign and
  coordinate descent (Tsilivis, Vardi, Kempe 2024, arXiv 2410.22069v3);
- "spectral": max_l ‖W_l‖_op — Muon's geometry: steepest descent under a max over layers takes each layer's own
  LMO, here each layer's polar factor (the modular norm of Large et al. 2024, arXiv 2405.14813, with unit layer
  scalings; Bernstein & Newhouse 2024, arXiv 2409.20325);
- "spectral+linf": max(max_{l<L} ‖W_l‖_op, ‖W_L‖_∞) — Muon on the hidden matrices and Signum (or Adam) on the head,
  the hybrid geometry of mixed optimizers (Gronich & Vardi 2026, arXiv 2602.16340), with unit scalings.

A layer of shape (1, h) (a binary head) is a matrix: its spectral norm is the ℓ2 norm of the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import torch

from numerics.norms.base import Norm, get

COMBINE = {"max": "sum", "sum": "max", "l2": "l2"}
"""Each combination of the layers' norms and the combination of their duals that is its dual norm."""


def _combine(how: str, values):
    if how == "max":
        return max(values)
    if how == "sum":
        return sum(values)
    return sum(v * v for v in values) ** 0.5


def _combine_cvxpy(how: str, values: list[cp.Expression]) -> cp.Expression:
    stacked = cp.hstack(values)
    return {"max": cp.max, "sum": cp.sum, "l2": lambda v: cp.norm(v, 2)}[how](stacked)


@dataclass(frozen=True)
class ParameterNorm:
    """‖θ‖ = combine_l ‖W_l‖_l over a network's layers (module docstring); `layers[l]` is W_l's norm."""

    name: str
    layers: tuple[Norm, ...]
    combine: str

    def __post_init__(self):
        if self.combine not in COMBINE:
            raise ValueError(f"combine must be one of {sorted(COMBINE)}; got {self.combine!r}")

    @property
    def dual(self) -> ParameterNorm:
        return ParameterNorm(f"({self.name})*", tuple(n.dual for n in self.layers), COMBINE[self.combine])

    def value(self, params) -> float:
        """‖θ‖ in float64 (numpy or torch layers, natural shapes; the layers' own `value`: torch's SVD)."""
        self._check(params)
        return float(_combine(self.combine, [float(n.value(np.asarray(torch.as_tensor(W).detach(), dtype=np.float64)))
                                             for n, W in zip(self.layers, params)]))

    def cvxpy(self, params: list[cp.Expression]) -> cp.Expression:
        self._check(params)
        return _combine_cvxpy(self.combine, [n.cvxpy(W) for n, W in zip(self.layers, params)])

    @property
    def solvers(self) -> tuple[str, ...]:
        """The layers' solvers, in the order of the first layer that names each."""
        return tuple(dict.fromkeys(s for n in self.layers for s in n.solvers))

    def _check(self, params) -> None:
        if len(params) != len(self.layers):
            raise ValueError(f"{self.name} is a norm on {len(self.layers)} layers; got {len(params)} parameters")


GEOMETRIES = ("l2", "linf", "l1", "spectral", "spectral+linf")
"""The network panel: the parameter-space geometries the fingerprint and the network claims tell apart."""


def geometry(name: str, depth: int) -> ParameterNorm:
    """The named geometry (module docstring) on a network of `depth` weight matrices."""
    layers = {"l2": ("fro", "l2"), "linf": ("entry_linf", "max"), "l1": ("entry_l1", "sum"),
              "spectral": ("spectral", "max")}
    if name in layers:
        layer, how = layers[name]
        return ParameterNorm(name, (get(layer),) * depth, how)
    if name == "spectral+linf":
        if depth < 2:
            raise ValueError("the spectral+linf hybrid needs hidden layers and a head: depth ≥ 2")
        return ParameterNorm(name, (get("spectral"),) * (depth - 1) + (get("entry_linf"),), "max")
    raise ValueError(f"unknown network geometry {name!r}; known: {GEOMETRIES}")
