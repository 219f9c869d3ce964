"""Every certified reference of one data set, computed once: max margins, optimal faces and the separations
between them (the hypotheses a claim is told apart from).

    refs = references(ds)                 # the same object for the same data (keyed by its bytes)
    refs.max_margin("nuclear"); refs.face("linf"); refs.separation(claim="l2", rival="linf").value

A claim, its template and its controls ask the one cache instead of solving again (one process; the
persistent, cross-process cache is a separate piece of work).
"""

from __future__ import annotations

import hashlib
from functools import cached_property

import numpy as np

from numerics import constrained as constrained_module, norms
from numerics.data import Dataset
from numerics.constrained import ConstrainedMinimum, ConstrainedSeparation
from numerics.margins import MaxMargin, OptimalFace, max_margin
from numerics.norms import Norm
from numerics.separation import Separation, separation

VECTOR_PANEL = ("l1", "lp:1.5", "l2", "lp:3", "linf")
MATRIX_PANEL = ("nuclear", "fro", "spectral", "entry_l1", "entry_linf")
"""The hypotheses a claim about one norm is judged against by default: the other norms of the same kind."""


def panel(norm: str | Norm) -> tuple[str, ...]:
    """The default panel of norms of the same kind as `norm` (vectors or matrices)."""
    return VECTOR_PANEL if norms.get(norm).ndim == 1 else MATRIX_PANEL


class References:
    """The certified references of one data set, each solved on first use and kept."""

    def __init__(self, ds: Dataset):
        self.data = ds
        self._margins: dict[str, MaxMargin] = {}
        self._faces: dict[str, OptimalFace] = {}
        self._separations: dict[tuple[str, str], Separation] = {}
        self._constrained: dict[tuple[str, float], ConstrainedMinimum] = {}

    def max_margin(self, norm: str | Norm) -> MaxMargin:
        name = norms.get(norm).name
        if name not in self._margins:
            self._margins[name] = max_margin(self.data, norm=name)
        return self._margins[name]

    def face(self, norm: str | Norm) -> OptimalFace:
        name = norms.get(norm).name
        if name not in self._faces:
            self._faces[name] = OptimalFace(self.data, norm=name, reference=self.max_margin(name))
        return self._faces[name]

    def separation(self, claim: str | Norm, rival: str | Norm) -> Separation:
        """s(rival → claim): the smallest relative claim-margin gap of any limit of the rival."""
        key = norms.get(claim).name, norms.get(rival).name
        if key not in self._separations:
            self._separations[key] = separation(self.data, self.max_margin(key[0]), self.max_margin(key[1]))
        return self._separations[key]

    def constrained(self, norm: str | Norm, radius: float) -> ConstrainedMinimum:
        """The certified minimiser of L over ‖W‖ ≤ radius (`numerics.constrained`)."""
        key = norms.get(norm).name, float(radius)
        if key not in self._constrained:
            self._constrained[key] = constrained_module.constrained_minimum(self.data, key[0], key[1])
        return self._constrained[key]

    def constrained_separation(self, claim: str | Norm, rival: str | Norm, radius: float) -> ConstrainedSeparation:
        """s(rival → claim) between the problems min L over the two balls of one radius: the least claim
        residual of any minimiser of the rival's."""
        return constrained_module.separation(self.data, self.constrained(claim, radius),
                                             self.constrained(rival, radius))

    @cached_property
    def key(self) -> str:
        return dataset_key(self.data)


def dataset_key(ds: Dataset) -> str:
    """A digest of the data's bytes and task: equal data sets share references whatever their Python identity."""
    digest = hashlib.sha256()
    for part in (np.ascontiguousarray(ds.X, dtype=np.float64), np.ascontiguousarray(ds.y)):
        digest.update(part.tobytes())
        digest.update(str(part.shape).encode())
    digest.update(f"{ds.task}:{ds.num_classes}".encode())
    return digest.hexdigest()


_CACHE: dict[str, References] = {}


def references(ds: Dataset) -> References:
    """The one `References` of this data set in this process."""
    key = dataset_key(ds)
    if key not in _CACHE:
        _CACHE[key] = References(ds)
    return _CACHE[key]


def forget() -> None:
    """Drop every cached reference (after the code that computes them was changed, e.g. by a mutant)."""
    _CACHE.clear()
