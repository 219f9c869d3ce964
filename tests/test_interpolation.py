"""Minimum-norm interpolation: closed forms, basis pursuit recovery, pseudo-inverse agreement, errors."""

import math

import numpy as np
import pytest

from numerics import data, norms
from numerics.errors import InvalidDataError, NotInterpolableError
from numerics.references.interpolation import min_norm_interpolant


# One equation w1 + w2 = 1: ℓ2 → (½, ½), norm 1/√2; ℓ∞ → (½, ½), norm ½; ℓ1 → norm 1 on the whole segment
# {w ≥ 0, w1 + w2 = 1} (not unique, so only the value is compared).
@pytest.mark.parametrize("norm, value", [("l2", 1 / math.sqrt(2)), ("linf", 0.5), ("l1", 1.0)])
def test_one_equation_closed_forms(norm, value):
    sol = min_norm_interpolant(np.array([[1.0, 1.0]]), np.array([1.0]), norm)
    assert sol.value == pytest.approx(value, rel=1e-7)
    assert sol.w.sum() == pytest.approx(1.0, rel=1e-9)
    assert sol.certificate.ok and sol.residual < 1e-9
    X = np.array([[1.0, 1.0]])
    assert float(norms.get(norm).dual_norm(X.T @ sol.nu)) == pytest.approx(1.0)  # ν is dual feasible
    assert float(sol.nu @ np.array([1.0])) == pytest.approx(value, rel=1e-6)  # and attains the bound


def test_l2_is_the_pseudo_inverse_solution():
    ds = data.sparse_regression(20, 50, 3, seed=1)
    sol = min_norm_interpolant(ds, norm="l2")
    np.testing.assert_allclose(sol.w, np.linalg.pinv(ds.X) @ ds.y, atol=1e-7)


def test_basis_pursuit_recovers_the_sparse_truth():
    """n = 40 Gaussian measurements of a 5-sparse w* in d = 100 (the quadratic-model set-up): ℓ1 minimisation
    recovers w* exactly with overwhelming probability (Candès–Tao), ℓ2 does not."""
    ds = data.sparse_regression(40, 100, 5, seed=0)
    l1, l2 = min_norm_interpolant(ds, norm="l1"), min_norm_interpolant(ds, norm="l2")
    np.testing.assert_allclose(l1.w, ds.teacher, atol=1e-6)
    assert np.abs(l2.w - ds.teacher).max() > 0.1
    assert l1.certificate.rel_gap < 1e-6


def test_errors_name_the_cause():
    rng = np.random.default_rng(0)
    with pytest.raises(NotInterpolableError, match="not in the range of X"):
        min_norm_interpolant(rng.standard_normal((10, 3)), rng.standard_normal(10), "l2")
    with pytest.raises(InvalidDataError, match="matrix norm"):
        min_norm_interpolant(np.eye(2), np.ones(2), "nuclear")
    with pytest.raises(InvalidDataError, match="non-finite"):
        min_norm_interpolant(np.eye(2), np.array([1.0, np.nan]), "l1")


def test_zero_targets_give_the_zero_solution():
    sol = min_norm_interpolant(np.eye(3), np.zeros(3), "l1")
    assert sol.value == 0.0 and not sol.w.any()


def test_the_hyperbolic_interpolant_is_certified_and_tends_to_the_l1_and_l2_ones():
    """Q_α's minimiser over Xw = y: certified (dual value against Q_α), its mirror point arcsinh(w/2α²) in the row
    space of X, and the min-ℓ1 (α → 0) and min-ℓ2 (α → ∞) interpolants at the two ends (Woodworth et al. 2020)."""
    from numerics.references.interpolation import hyperbolic_interpolant

    ds = data.sparse_regression(12, 30, 2, seed=1)
    rows, _ = np.linalg.qr(ds.X.T)
    for alpha2 in (1e-4, 1e-2, 1e2):  # (at α² = 1e−100 an entry off the support is rounding over 2α²)
        found = hyperbolic_interpolant(ds, alpha2=alpha2)
        assert found.certificate.ok and found.residual < 1e-9
        mirror = np.arcsinh(found.w / (2 * alpha2))
        assert np.linalg.norm(mirror - rows @ (rows.T @ mirror)) <= 1e-8 * np.linalg.norm(mirror)
    l1, l2 = (min_norm_interpolant(ds, norm=q).w for q in ("l1", "l2"))
    to_l1 = [np.linalg.norm(hyperbolic_interpolant(ds, alpha2=a).w - l1) for a in (1e-8, 1e-30, 1e-100)]
    assert to_l1[0] > to_l1[1] > to_l1[2] and to_l1[2] < 1e-2 * np.linalg.norm(l1)  # measured 0.21, 0.035, 5e-4
    large = hyperbolic_interpolant(ds, alpha2=1e2).w
    assert np.linalg.norm(large - l2) < 1e-3 * np.linalg.norm(l2)
