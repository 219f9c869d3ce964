"""Every certified reference of one data set, computed once: max margins, optimal faces and the separations
between them (the hypotheses a claim is told apart from).

    refs = references(ds)                 # the same object for the same data (keyed by its bytes)
    refs.max_margin("nuclear"); refs.face("linf"); refs.separation(claim="l2", rival="linf").value

A claim, its template and its controls ask the one object instead of solving again. Across processes and runs
the answers persist in `numerics.references.cache` (xdist workers, Ray tasks and the next run share them): an entry is
used only after its certificate is recomputed here from the stored points and closes as a fresh solve's must
(max margins: the normalized margin of W and the dual norm of Σλz; separations: the c-margin of the closest
point and the weak-duality bound from the stored λ, μ, h; constrained minima: the Frank–Wolfe bracket at W).
An entry that does not re-certify is solved again and overwritten. `ACCOUNT` counts, per process, the seconds
spent solving and how many answers were solved, loaded or rejected.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from functools import cached_property
from typing import Callable

import numpy as np

from numerics import norms
from numerics.data import Dataset
from numerics.norms import Norm
from numerics.references import cache, constrained as constrained_module, separation as separation_module
from numerics.references.constrained import ConstrainedMinimum, ConstrainedSeparation
from numerics.references.margins import (CERTIFICATE_RTOL, SUPPORT_TOL, FaceDistance, MaxMargin, OptimalFace,
                                         max_margin, normalized_margin, signed_points)
from numerics.references.separation import SEPARATION_ACCEPT, SEPARATION_RTOL, Separation
from numerics.references.solve import Attempt, Certificate

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
            self._margins[name] = self._persisted(
                "max_margin", {"norm": name}, lambda: max_margin(self.data, norm=name), _margin_entry,
                lambda meta, arrays: _margin_from_entry(self.data, name, meta, arrays))
        return self._margins[name]

    def face(self, norm: str | Norm) -> OptimalFace:
        name = norms.get(norm).name
        if name not in self._faces:
            self._faces[name] = OptimalFace(self.data, norm=name, reference=self.max_margin(name))
        return self._faces[name]

    def face_bounds(self, norm: str | Norm, W) -> FaceDistance | None:
        """Bounds on the distance from W/‖W‖ to the optimal face (`OptimalFace.bounds`: one convex projection),
        kept by W's bytes; a stored point of the face is re-checked to lie in it (`OptimalFace.bounds_at`)."""
        face, W = self.face(norm), np.ascontiguousarray(W, dtype=np.float64)
        direction = hashlib.sha256(W.tobytes() + str(W.shape).encode()).hexdigest()
        return self._persisted("face", {"norm": face.norm.name, "W": direction}, lambda: face.bounds(W),
                               lambda b: ({"projected": b.projected}, {"point": b.point}),
                               lambda meta, arrays: face.bounds_at(W, arrays["point"], meta["projected"]),
                               store=lambda b: b is not None and b.point is not None)

    def separation(self, claim: str | Norm, rival: str | Norm) -> Separation:
        """s(rival → claim): the smallest relative claim-margin gap of any limit of the rival."""
        key = norms.get(claim).name, norms.get(rival).name
        if key not in self._separations:
            c, r = self.max_margin(key[0]), self.max_margin(key[1])
            self._separations[key] = self._persisted(
                "separation", {"claim": key[0], "rival": key[1]}, lambda: separation_module.separation(self.data, c, r),
                _separation_entry, lambda meta, arrays: separation_module.recertify(
                    self.data, c, r, arrays["closest"], *(arrays[part] for part in ("lam", "mu", "h")),
                    solver=meta["solver"], seconds=meta["seconds"], rtol=meta.get("rtol", SEPARATION_RTOL)),
                store=_accepted)  # a bracket looser than SEPARATION_ACCEPT is solved again
        return self._separations[key]

    def constrained(self, norm: str | Norm, radius: float) -> ConstrainedMinimum:
        """The certified minimiser of L over ‖W‖ ≤ radius (`numerics.references.constrained`)."""
        key = norms.get(norm).name, float(radius)
        if key not in self._constrained:
            self._constrained[key] = self._persisted(
                "constrained", {"norm": key[0], "radius": key[1]},
                lambda: constrained_module.constrained_minimum(self.data, key[0], key[1]), _constrained_entry,
                lambda meta, arrays: constrained_module.recertify(
                    self.data, arrays["W"], norm=key[0], radius=key[1], loss=constrained_module.default_loss(self.data),
                    solver=meta["solver"], seconds=meta["seconds"]))
        return self._constrained[key]

    def constrained_separation(self, claim: str | Norm, rival: str | Norm, radius: float) -> ConstrainedSeparation:
        """s(rival → claim) between the problems min L over the two balls of one radius: the least claim
        residual of any minimiser of the rival's."""
        return constrained_module.separation(self.data, self.constrained(claim, radius),
                                             self.constrained(rival, radius))

    @cached_property
    def key(self) -> str:
        return dataset_key(self.data)

    def _persisted(self, kind: str, arguments: dict, solve: Callable, entry: Callable, from_entry: Callable,
                   store: Callable = lambda answer: True):
        """`solve()`, or the stored answer of the same question if it re-certifies (`from_entry` returns None
        when it does not); a solved answer is stored as `entry(answer)` = (meta, arrays) where `store(answer)`."""
        disk = cache.store()
        name = cache.key(kind, self.key, **arguments) if disk else None
        if disk and (stored := disk.load(name)) is not None:
            try:
                answer = from_entry(*stored)
            except (KeyError, IndexError, ValueError, TypeError):  # an entry of another layout: not this answer
                answer = None
            if answer is not None:
                ACCOUNT["loaded"] += 1
                return answer
            ACCOUNT["rejected"] += 1
        start = time.perf_counter()
        answer = solve()
        ACCOUNT["solving seconds"] += time.perf_counter() - start
        ACCOUNT["solved"] += 1
        if disk and store(answer):
            disk.save(name, *entry(answer))
        return answer


def dataset_key(ds: Dataset) -> str:
    """A digest of the data's bytes and task: equal data sets share references whatever their Python identity."""
    digest = hashlib.sha256()
    for part in (np.ascontiguousarray(ds.X, dtype=np.float64), np.ascontiguousarray(ds.y)):
        digest.update(part.tobytes())
        digest.update(str(part.shape).encode())
    digest.update(f"{ds.task}:{ds.num_classes}".encode())
    return digest.hexdigest()


_CACHE: dict[str, References] = {}
ACCOUNT: Counter = Counter()
"""This process's reference work: "solved", "loaded", "rejected" (entries that did not re-certify) and
"solving seconds"."""


def references(ds: Dataset) -> References:
    """The one `References` of this data set in this process."""
    key = dataset_key(ds)
    if key not in _CACHE:
        _CACHE[key] = References(ds)
    return _CACHE[key]


def forget() -> None:
    """Drop every cached reference (after the code that computes them was changed, e.g. by a mutant)."""
    _CACHE.clear()


def margin_certificate(ds: Dataset, W: np.ndarray, duals: np.ndarray, norm: str | Norm,
                       rtol: float = CERTIFICATE_RTOL) -> Certificate:
    """The max margin's bracket from a point and multipliers alone: γ(W/‖W‖) ≤ γ* ≤ ‖Σ_r λ_r z_r‖_* with λ the
    multipliers (per point binary, per (point, rival class) multiclass) clipped and normalised onto the simplex
    (weak duality: γ ≤ λᵀZw ≤ ‖Zᵀλ‖_*‖w‖ for ‖w‖ ≤ 1)."""
    norm = norms.get(norm)
    Z, point, rival = signed_points(ds)
    lam = np.clip(duals[point] if ds.task == "binary" else duals[point, rival], 0, None)
    if not lam.sum() > 0:
        return Certificate(np.nan, np.nan, rtol)
    upper = float(norm.dual_norm(np.asarray(Z.T @ (lam / lam.sum())).reshape(ds.weight_shape)))
    return Certificate(float(normalized_margin(ds.X, ds.y, W, norm)), upper, rtol)


def _margin_entry(m: MaxMargin) -> tuple[dict, dict]:
    return ({"norm": m.norm, "solver": m.solver, "status": m.status, "seconds": m.seconds},
            {"W": m.W, "duals": m.duals})


def _margin_from_entry(ds: Dataset, name: str, meta: dict, arrays: dict) -> MaxMargin | None:
    norm = norms.get(name)
    W, duals = np.asarray(arrays["W"], dtype=np.float64), np.asarray(arrays["duals"], dtype=np.float64)
    if W.shape != ds.weight_shape or duals.shape[0] != ds.n or not np.all(np.isfinite(W)):
        return None
    certificate = margin_certificate(ds, W, duals, norm)
    if not certificate.ok:
        return None
    per_point = duals if duals.ndim == 1 else duals.sum(1)
    return MaxMargin(W / norm.value(W), certificate.lower, duals, np.flatnonzero(per_point > SUPPORT_TOL), norm.name,
                     ds.task, meta["solver"], meta["status"], certificate,
                     (Attempt(meta["solver"], "loaded from the cache", 0.0, certificate),), meta["seconds"])


def _accepted(s: Separation) -> bool:
    """Whether a separation's bracket is one `separation` accepts (within `SEPARATION_ACCEPT`): worth storing."""
    return bool(np.isfinite(s.certificate.upper)) and s.certificate.rel_gap <= SEPARATION_ACCEPT


def _separation_entry(s: Separation) -> tuple[dict, dict]:
    lam, mu, h = s.multipliers
    rtol = SEPARATION_RTOL if s.certificate.rel_gap <= SEPARATION_RTOL else SEPARATION_ACCEPT  # recertified at it
    return ({"solver": s.solver, "seconds": s.seconds, "rtol": rtol},
            {"closest": s.closest, "lam": lam, "mu": mu, "h": h})


def _constrained_entry(m: ConstrainedMinimum) -> tuple[dict, dict]:
    return ({"norm": m.norm, "radius": m.radius, "loss": m.loss, "solver": m.solver, "seconds": m.seconds},
            {"W": m.W})
