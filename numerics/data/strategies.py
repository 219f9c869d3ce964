"""Hypothesis strategies for separable data sets, awkward ones included.

Each draws a seed and sizes, builds the set with a generator of `numerics.data`, and then, when asked, makes
it awkward in ways that keep it separable: exact duplicates (same point, same label), collinear points
(midpoints of two same-label points and positive multiples of a point), a global scale 10^e with
e ∈ [−6, 6], n ≪ d and n ≫ d, and many classes. Shrinking acts on these choices.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from numerics.data import Dataset, gaussian_binary, gaussian_multiclass


@st.composite
def _awkward(draw, ds: Dataset, *, awkward: bool) -> Dataset:
    if not awkward:
        return ds
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="awkward_seed"))
    X, y = ds.X, ds.y
    extra_X, extra_y = [], []
    for _ in range(draw(st.integers(0, 3), label="duplicates")):
        i = rng.integers(ds.n)
        extra_X.append(X[i]), extra_y.append(y[i])
    for _ in range(draw(st.integers(0, 3), label="collinear")):
        i = rng.integers(ds.n)
        same = np.flatnonzero(y == y[i])
        j = rng.choice(same)
        extra_X.append(0.5 * (X[i] + X[j]) if j != i else rng.uniform(0.5, 3.0) * X[i])
        extra_y.append(y[i])
    if extra_X:
        X, y = np.vstack([X, extra_X]), np.concatenate([y, extra_y])
    scale = 10.0 ** draw(st.integers(-6, 6), label="log10_scale")
    desc = f"{ds.description}, +{len(extra_X)} duplicate/collinear points, scale {scale:g}"
    return Dataset(X * scale, y, ds.task, ds.num_classes, desc, ds.seed, ds.teacher)


def _sizes(draw, min_n: int, min_d: int):
    shape = draw(st.sampled_from(["n<d", "n>>d", "any"]), label="shape")
    if shape == "n<d":
        d = draw(st.integers(max(4, min_d), 30), label="d")
        return draw(st.integers(min_n, max(min_n, d - 1)), label="n"), d
    if shape == "n>>d":
        d = draw(st.integers(min_d, 4), label="d")
        return draw(st.integers(max(min_n, 10 * d), 60), label="n"), d
    return draw(st.integers(min_n, 40), label="n"), draw(st.integers(min_d, 12), label="d")


@st.composite
def separable_binary(draw, *, awkward: bool = True) -> Dataset:
    """Separable binary data (labels ±1), possibly awkward (see module docstring)."""
    n, d = _sizes(draw, 2, 1)
    margin = draw(st.floats(0.05, 1.0), label="teacher_margin")
    sparsity = draw(st.none() | st.integers(1, d), label="sparsity")
    ds = gaussian_binary(n, d, margin=margin, sparsity=sparsity, seed=draw(st.integers(0, 2**32 - 1)))
    return draw(_awkward(ds, awkward=awkward))


@st.composite
def separable_multiclass(draw, *, max_classes: int = 10, awkward: bool = True) -> Dataset:
    """Separable multiclass data (labels 0..k−1, every class present), possibly awkward."""
    k = draw(st.integers(3, max_classes), label="k")
    n, d = _sizes(draw, k, 2)
    rank = draw(st.none() | st.integers(2, min(k, d)), label="rank")
    margin = draw(st.floats(0.01, 0.1), label="teacher_margin")
    ds = gaussian_multiclass(n, d, k, margin=margin, rank=rank, seed=draw(st.integers(0, 2**32 - 1)))
    return draw(_awkward(ds, awkward=awkward))


def separable_datasets(*, awkward: bool = True) -> st.SearchStrategy[Dataset]:
    """Binary or multiclass separable data sets."""
    return separable_binary(awkward=awkward) | separable_multiclass(awkward=awkward)
