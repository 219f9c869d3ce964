"""`numerics.data.cyclic_shifts`: the cyclic data of the Fan, Schmidt, Thrampoulidis claims
(`verify/claims/fan2025.py`)."""

import numpy as np
import pytest

from numerics import data
from numerics.errors import InvalidDataError
from numerics.references.margins import max_margin

BASE = np.array([[1.0, -0.5, 0.25, 0.0], [0.3, 0.9, -0.2, -0.7]])


def test_class_c_holds_the_shifts_by_c_of_every_base_point():
    ds = data.cyclic_shifts(BASE)
    assert (ds.n, ds.d, ds.num_classes, ds.task) == (8, 4, 4, "multiclass")
    for c in range(4):
        np.testing.assert_array_equal(ds.X[ds.y == c], np.roll(BASE, c, axis=1))


def test_the_data_are_invariant_under_the_joint_shift():
    ds = data.cyclic_shifts(BASE)
    shifted = {(tuple(np.roll(x, 1)), (c + 1) % 4) for x, c in zip(ds.X, ds.y)}
    assert shifted == {(tuple(x), c) for x, c in zip(ds.X, ds.y)}


@pytest.mark.parametrize("norm", ["fro", "schatten:3", "entry_lp:1.5"])
def test_a_unique_max_margin_solution_is_circulant(norm):
    W = max_margin(data.cyclic_shifts(BASE), norm=norm).W
    S = np.roll(np.eye(4), 1, axis=0)
    # certified to 1e-6 in the margin, which a strictly convex ball turns into ≲ 1e-3 in W (measured: ≤ 1e-12)
    assert np.abs(S @ W @ S.T - W).max() <= 1e-3 * np.abs(W).max()


def test_a_base_that_is_not_a_matrix_of_points_is_named():
    with pytest.raises(InvalidDataError, match="M × K"):
        data.cyclic_shifts(np.ones((2, 2, 2)))
    with pytest.raises(InvalidDataError, match="M × K"):
        data.cyclic_shifts(np.ones((3, 1)))
