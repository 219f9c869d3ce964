"""Data sets: generators are deterministic and keep their promises; bad input is named."""

import numpy as np
import pytest
from hypothesis import given

from numerics import data
from numerics.data import Dataset
from numerics.errors import InvalidDataError
from numerics.data.strategies import separable_datasets

GENERATORS = {
    "gaussian_binary": lambda seed: data.gaussian_binary(30, 5, seed=seed),
    "gaussian_binary_sparse": lambda seed: data.gaussian_binary(30, 8, sparsity=2, seed=seed),
    "gaussian_multiclass": lambda seed: data.gaussian_multiclass(40, 6, 4, seed=seed),
    "gaussian_multiclass_low_rank": lambda seed: data.gaussian_multiclass(40, 6, 5, rank=2, seed=seed),
    "gaussian_mixture": lambda seed: data.gaussian_mixture(3, 4, 5, seed=seed),
    "sparse_regression": lambda seed: data.sparse_regression(10, 20, 3, seed=seed),
    "xor": lambda seed: data.xor(4, seed=seed),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_are_deterministic_in_their_seed(name):
    a, b, c = GENERATORS[name](7), GENERATORS[name](7), GENERATORS[name](8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert a.seed == 7 and a.description


def test_gaussian_binary_keeps_its_teacher_margin_and_sparsity():
    ds = data.gaussian_binary(200, 10, margin=0.3, sparsity=3, seed=0)
    assert np.count_nonzero(ds.teacher) == 3
    assert np.linalg.norm(ds.teacher) == pytest.approx(1.0)
    assert (ds.y * (ds.X @ ds.teacher)).min() >= 0.3 - 1e-12
    assert set(data.gaussian_binary(2, 3, seed=1).y.tolist()) == {-1, 1}


def test_gaussian_multiclass_is_balanced_with_teacher_margin_and_rank():
    ds = data.gaussian_multiclass(50, 8, 5, margin=0.2, rank=3, seed=0)
    assert np.bincount(ds.y).tolist() == [10] * 5
    assert np.linalg.matrix_rank(ds.teacher) == 3
    scores = ds.X @ ds.teacher.T
    top2 = np.sort(scores, axis=1)[:, -2:]
    assert (scores.argmax(1) == ds.y).all()
    assert (top2[:, 1] - top2[:, 0]).min() >= 0.2
    with pytest.raises(ValueError, match="rank-1 teacher"):
        data.gaussian_multiclass(10, 5, 3, rank=1, seed=0)


def test_regression_and_paper_data_sets():
    ds = data.sparse_regression(40, 100, 5, seed=0)
    assert ds.task == "regression" and np.count_nonzero(ds.teacher) == 5
    np.testing.assert_allclose(ds.X @ ds.teacher, ds.y)
    five = data.cai2024_five_points()
    assert five.n == 5 and five.y.tolist() == [1, 1, -1, 1, 1]
    mix = data.gaussian_mixture(15, 25, 50, seed=0)
    assert (mix.n, mix.d, mix.num_classes) == (750, 25, 15)


def test_task_inference():
    assert Dataset([[1.0], [2.0]], [1, -1]).task == "binary"
    ds = Dataset([[1.0], [2.0], [3.0]], [0, 2, 1])
    assert (ds.task, ds.num_classes, ds.weight_shape) == ("multiclass", 3, (3, 1))
    assert Dataset([[1.0], [2.0]], [0, 1], num_classes=4).weight_shape == (4, 1)
    assert Dataset([[1.0], [2.0]], [0.5, 1.5], "regression").task == "regression"


@pytest.mark.parametrize("X, y, kwargs, message", [
    ([[np.nan, 1.0], [1.0, 1.0]], [1, -1], {}, "non-finite entries.*first at \\[0, 0\\]"),
    ([[np.inf, 1.0], [1.0, 1.0]], [1, -1], {}, "NaN or Inf"),
    ([[1.0, 1.0], [2.0, 1.0]], [1, np.nan], {}, "y has 1 non-finite"),
    ([1.0, 2.0], [1, -1], {}, "2-D array"),
    ([[1.0], [2.0]], [1, -1, 1], {}, "one entry per row"),
    ([[1.0], [2.0]], [1, 1], {}, "only one class"),
    ([[1.0], [2.0]], [0, 0], {}, "only one class"),
    ([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]], [1, 1, -1], {}, "points 0 and 2 are the same point with two labels"),
    ([[1.0], [2.0]], [0.5, 1.0], {}, "labels must be integers"),
    ([[1.0], [2.0]], [-1, 2], {}, "multiclass labels must be 0"),
    ([[1.0], [2.0]], [0, 5], {"num_classes": 3}, "out of range"),
    ([[1.0], [2.0]], [0, 1], {"task": "binary"}, "binary labels must be −1 or \\+1"),
    ([[1e200], [2.0]], [1, -1], {}, "largest entry is 1e\\+200"),
    ([[1e-200], [0.0]], [1, -1], {}, "over- or underflow"),
    (np.zeros((0, 2)), [], {}, "empty"),
    ([["a"], ["b"]], [1, -1], {}, "X must be numeric"),
    ([[1.0], [2.0]], ["a", "b"], {}, "labels must be integers"),
])
def test_bad_input_is_named(X, y, kwargs, message):
    with pytest.raises(InvalidDataError, match=message):
        Dataset(X, y, **kwargs)


@given(separable_datasets())
def test_strategies_make_valid_data_with_every_class(ds):
    assert ds.task in ("binary", "multiclass")
    assert len(np.unique(ds.y)) == ds.num_classes
    assert np.isfinite(ds.X).all()


def test_symmetrized_and_nearly_orthogonal_data():
    """Every point with its mirror image (labels flipped); Gaussian points in high dimension are nearly orthogonal
    (the ratio grows with d) and refuse multiclass symmetrization."""
    base = data.gaussian_binary(6, 3, margin=0.1, seed=0)
    both = data.symmetrized(base)
    np.testing.assert_array_equal(both.X[6:], -base.X)
    np.testing.assert_array_equal(both.y[6:], -base.y)
    assert data.near_orthogonality(data.nearly_orthogonal(8, 4000, seed=0)) > 3 > \
        data.near_orthogonality(data.nearly_orthogonal(8, 100, seed=0))
    with pytest.raises(ValueError, match="binary"):
        data.symmetrized(data.gaussian_mixture(3, 4, 2, seed=0))
