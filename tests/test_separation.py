"""Certified separations between hypotheses: closed forms by hand, touching faces give 0 even when the
solver's maximiser does not touch, the value never overstates, and one cache per data set."""

import math

import numpy as np
import pytest

from numerics import data
from numerics.references.margins import max_margin, normalized_margin
from numerics.references import references
from numerics.references.separation import SEPARATION_RTOL, separation

# One signed point z = (2, 1): every face is one point — ℓ2: (2, 1)/√5 (γ* = √5), ℓ1: e1 (γ* = 2), ℓ∞: (1, 1)
# (γ* = 3). The ℓ2 margin of e1 is 2, of (1, 1) is 3/√2; the ℓ1 margin of (2, 1) is 5/3.
ONE_POINT = (np.array([[2.0, 1.0], [-2.0, -1.0]]), np.array([1, -1]))


@pytest.mark.parametrize("claim, rival, value", [
    ("l2", "l1", 1 - 2 / math.sqrt(5)),
    ("l2", "linf", 1 - (3 / math.sqrt(2)) / math.sqrt(5)),
    ("l1", "l2", 1 - (5 / 3) / 2),
])
def test_closed_forms_on_one_point(claim, rival, value):
    ds = data.Dataset(*ONE_POINT)
    s = separation(ds, max_margin(ds, norm=claim), max_margin(ds, norm=rival))
    assert value - SEPARATION_RTOL <= s.value <= value + 1e-9  # certified to rtol on M, never overstated
    assert s.certificate.ok and s.certificate.lower <= s.certificate.upper


def test_touching_faces_give_zero_whatever_point_the_solver_returns():
    """`data.touching_faces`: the ℓ∞ face is the segment {(1, t) : t ∈ [0, 1]}, which holds the ℓ2 maximiser (1, 0)
    at its end, while the solver returns a point inside it whose ℓ2 gap is ≈ 0.11. The separation is the face's,
    so it is 0 both ways; one taken from the solver's point (a mutant in the table) would be 0.11."""
    ds = data.touching_faces()
    refs = references(ds)
    assert refs.separation("l2", "linf").value == pytest.approx(0, abs=1e-6)
    assert refs.separation("linf", "l2").value == pytest.approx(0, abs=1e-6)
    solver_point = refs.max_margin("linf").W
    assert 1 - normalized_margin(ds.X, ds.y, solver_point, "l2") / refs.max_margin("l2").margin > 0.1


def test_the_separation_is_at_most_the_rival_maximisers_gap():
    ds = data.gaussian_binary(20, 30, margin=0.1, sparsity=2, seed=0)
    refs = references(ds)
    for claim, rival in [("l2", "l1"), ("l2", "linf"), ("linf", "lp:3"), ("l1", "l2")]:
        s = refs.separation(claim, rival)
        point_gap = 1 - normalized_margin(ds.X, ds.y, refs.max_margin(rival).W, claim) / refs.max_margin(claim).margin
        assert 0 <= s.value <= point_gap + 1e-6
        closest = normalized_margin(ds.X, ds.y, s.closest, rival)
        assert closest >= refs.max_margin(rival).margin * (1 - 2e-3)  # the closest point lies on the rival's face


def test_matrix_separations_and_one_cache_per_data_set():
    ds = data.gaussian_multiclass(24, 4, 3, rank=2, seed=1)
    refs = references(ds)
    assert references(data.gaussian_multiclass(24, 4, 3, rank=2, seed=1)) is refs  # keyed by the data, not the object
    s = refs.separation("nuclear", "fro")
    assert refs.separation("nuclear", "fro") is s and 0 <= s.value < 1
    with pytest.raises(ValueError, match="different shapes"):
        separation(ds, refs.max_margin("nuclear"), max_margin(data.gaussian_binary(10, 4, seed=0), norm="l2"))


def test_without_a_tight_bracket_the_least_upper_bound_still_bounds_the_separation_from_below():
    ds = data.gaussian_binary(20, 30, margin=0.1, sparsity=2, seed=0)
    refs = references(ds)
    loose = separation(ds, refs.max_margin("l2"), refs.max_margin("linf"), rtol=1e-16)  # no solver gets there
    assert not loose.certificate.ok and loose.value <= refs.separation("l2", "linf").value + SEPARATION_RTOL


def test_a_bracket_within_the_acceptance_is_stored_and_recertified_at_it():
    """A separation whose bracket closes only to SEPARATION_ACCEPT (a large SDP's interior-point stop) is stored, with
    the precision it is re-certified at on load, so that it is not solved again in every process; a looser one is
    not stored."""
    import dataclasses

    from numerics.references import _accepted, _separation_entry
    from numerics.references.separation import SEPARATION_ACCEPT, recertify
    from numerics.references.solve import Certificate

    ds = data.gaussian_binary(20, 30, margin=0.1, sparsity=2, seed=1)
    refs = references(ds)
    tight = refs.separation("l2", "linf")
    c = tight.certificate
    loose = dataclasses.replace(tight, certificate=Certificate(c.lower, c.lower * (1 + 5e-3), c.rtol))
    assert _accepted(tight) and _separation_entry(tight)[0]["rtol"] == SEPARATION_RTOL
    assert _accepted(loose) and _separation_entry(loose)[0]["rtol"] == SEPARATION_ACCEPT
    too_loose = dataclasses.replace(tight, certificate=Certificate(c.lower, c.lower * 1.05, c.rtol))
    assert not _accepted(too_loose)
    again = recertify(ds, refs.max_margin("l2"), refs.max_margin("linf"), tight.closest, *tight.multipliers,
                      solver=tight.solver, seconds=0.0, rtol=SEPARATION_ACCEPT)
    assert again is not None and again.value == pytest.approx(tight.value, abs=1e-12)
