"""Data sets: a validated `Dataset` and seeded generators of the data the covered papers use.

Tasks and weight shapes:
  binary      y_i ∈ {−1, +1},      w ∈ R^d,       margin_i = y_i <w, x_i>;
  multiclass  y_i ∈ {0, …, k−1},   W ∈ R^{k×d},   margin_i = (Wx_i)_{y_i} − max_{j≠y_i} (Wx_i)_j;
  regression  y_i = t_i ∈ R,       w ∈ R^d,       interpolation Xw = t.
Every generator is deterministic given its seed; hypothesis strategies over them are in `numerics.data.strategies`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numerics.errors import InvalidDataError

TASKS = ("binary", "multiclass", "regression")
SCALE_LIMITS = (1e-150, 1e150)
"""Largest |x_ij| must lie here: beyond, squared norms under- or overflow in float64."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points X (n × d, float64) with labels or targets y, validated on construction.

    `task` is inferred when not given: labels in {−1, +1} are binary, other non-negative integers multiclass
    (with `num_classes` = max label + 1 unless given); pass ``task="regression"`` for real targets.
    """

    X: np.ndarray
    y: np.ndarray
    task: str | None = None
    num_classes: int | None = None
    description: str = ""
    seed: int | None = None
    teacher: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        X, y, task, k = validate(self.X, self.y, self.task, self.num_classes)
        for name, value in (("X", X), ("y", y), ("task", task), ("num_classes", k)):
            object.__setattr__(self, name, value)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape of the linear model's weights: (d,) or (k, d)."""
        return (self.num_classes, self.d) if self.task == "multiclass" else (self.d,)

    def scaled(self, factor: float) -> Dataset:
        """The same data set with X multiplied by `factor` (margins scale by `factor`)."""
        return Dataset(self.X * factor, self.y, self.task, self.num_classes,
                       f"{self.description} ×{factor:g}", self.seed, self.teacher)


def validate(X, y, task: str | None = None, num_classes: int | None = None):
    """Check (X, y) and return them as float64/int64 arrays with the task and class count.

    Raises `InvalidDataError` naming the cause: shapes, NaN/Inf, extreme scale, non-integer or out-of-range
    labels, a single class, or the same point with two labels.
    """
    try:
        X = np.array(X, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"X must be numeric: {exc}") from None
    y = np.array(y, copy=True)
    if X.ndim != 2:
        raise InvalidDataError(f"X must be a 2-D array (n points × d features); got shape {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise InvalidDataError(f"y must be 1-D with one entry per row of X {X.shape}; got shape {y.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InvalidDataError(f"X is empty: shape {X.shape}")
    _check_finite("X", X)
    scale = np.abs(X).max()
    if scale > 0 and not SCALE_LIMITS[0] <= scale <= SCALE_LIMITS[1]:
        raise InvalidDataError(
            f"X's largest entry is {scale:.3g}, outside [{SCALE_LIMITS[0]:g}, {SCALE_LIMITS[1]:g}] where "
            "squared norms over- or underflow in float64; rescale X")
    if task not in (None, *TASKS):
        raise InvalidDataError(f"unknown task {task!r}; one of {TASKS}")
    if task == "regression":
        y = y.astype(np.float64)
        _check_finite("y", y)
        return X, y, task, None
    y = _integer_labels(y)
    labels = np.unique(y)
    if task is None:
        task = "binary" if set(labels.tolist()) <= {-1, 1} else "multiclass"
    if task == "binary":
        if not set(labels.tolist()) <= {-1, 1}:
            raise InvalidDataError(f"binary labels must be −1 or +1; got {labels.tolist()}")
        k = 2
    else:
        if labels.min() < 0:
            raise InvalidDataError(f"multiclass labels must be 0, …, k−1; got {labels.min()}")
        k = int(labels.max()) + 1 if num_classes is None else int(num_classes)
        if labels.max() >= k:
            raise InvalidDataError(f"label {labels.max()} is out of range for num_classes = {k}")
    if labels.size < 2:
        raise InvalidDataError(f"only one class (label {labels[0]}) is present; a margin needs two classes")
    _check_conflicts(X, y)
    return X, y, task, k


def _check_finite(name: str, a: np.ndarray) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        first = np.argwhere(bad)[0].tolist()
        raise InvalidDataError(f"{name} has {int(bad.sum())} non-finite entries (NaN or Inf), first at {first}")


def _integer_labels(y: np.ndarray) -> np.ndarray:
    try:
        yf = y.astype(np.float64)
    except (TypeError, ValueError):
        raise InvalidDataError(f"labels must be integers; got dtype {y.dtype}") from None
    _check_finite("y", yf)
    frac = yf != np.round(yf)
    if frac.any():
        i = int(np.argmax(frac))
        raise InvalidDataError(f"labels must be integers (binary ±1, multiclass 0..k−1); got {yf[i]} at index {i}")
    return yf.astype(np.int64)


def _check_conflicts(X: np.ndarray, y: np.ndarray) -> None:
    _, group = np.unique(X, axis=0, return_inverse=True)
    group = group.ravel()
    order = np.lexsort((y, group))
    g, lab = group[order], y[order]
    clash = (g[1:] == g[:-1]) & (lab[1:] != lab[:-1])
    if clash.any():
        a, b = order[np.argmax(clash)], order[np.argmax(clash) + 1]
        i, j = sorted((int(a), int(b)))
        raise InvalidDataError(f"points {i} and {j} are the same point with two labels ({y[i]} and {y[j]}); "
                               "no classifier separates them")


# ----------------------------------------------------------------------------------------------- generators

def gaussian_binary(n: int, d: int, *, margin: float = 0.1, sparsity: int | None = None, seed: int) -> Dataset:
    """x ~ N(0, I_d) labelled by a unit-ℓ2 teacher w* (s-sparse if `sparsity`), then pushed off the
    hyperplane by `margin`: x ← x + y·margin·w*, so that y<w*, x> ≥ margin for every point."""
    rng = np.random.default_rng(seed)
    w = np.zeros(d)
    support = rng.choice(d, size=sparsity, replace=False) if sparsity else np.arange(d)
    w[support] = rng.standard_normal(support.size)
    w /= np.linalg.norm(w)
    X = rng.standard_normal((n, d))
    X[:2] *= (np.sign(X[:2] @ w) * [1, -1])[:, None]  # reflect: point 0 on the + side, point 1 on the − side
    y = np.where(X @ w >= 0, 1, -1)
    X += (margin * y)[:, None] * w
    kind = f"{sparsity}-sparse" if sparsity else "dense"
    return Dataset(X, y, "binary", description=f"Gaussian binary, {kind} teacher, margin {margin:g}",
                   seed=seed, teacher=w)


def gaussian_multiclass(n: int, d: int, k: int, *, margin: float = 0.1, rank: int | None = None,
                        seed: int) -> Dataset:
    """x ~ N(0, I_d) labelled by argmax of a teacher W* = A·B ∈ R^{k×d} of rank r = min(rank or k, d), B with
    orthonormal rows and A with unit rows (equally spaced on the circle when r = 2, so that no class is
    crowded out), keeping only points whose teacher margin is ≥ `margin`; classes balanced (n ≥ k)."""
    if n < k:
        raise ValueError(f"need n ≥ k to place a point in every class; got n = {n}, k = {k}")
    r = min(rank or k, d)
    if k > 2 and r < 2:
        raise ValueError(f"a rank-1 teacher with unit rows has at most two distinct rows ±b, so only two of "
                         f"the k = {k} classes can win; use rank ≥ 2 and d ≥ 2")
    rng = np.random.default_rng(seed)
    if r == 2:
        angle = 2 * np.pi * np.arange(k) / k + rng.uniform(0, 2 * np.pi)
        A = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:
        A = rng.standard_normal((k, r))
        A /= np.linalg.norm(A, axis=1, keepdims=True)
    B = np.linalg.qr(rng.standard_normal((d, r)))[0].T
    W = A @ B
    want = np.full(k, n // k) + (np.arange(k) < n % k)
    X, y = _rejection_sample(rng, W, want, margin)
    kind = f"rank-{rank}" if rank else "dense"
    return Dataset(X, y, "multiclass", k, f"Gaussian {k}-class, {kind} teacher, margin {margin:g}", seed, W)


def _rejection_sample(rng, W, want, margin, batch: int = 4096, max_batches: int = 500):
    k, d = W.shape
    got: list[list[np.ndarray]] = [[] for _ in range(k)]
    count = np.zeros(k, dtype=int)
    for _ in range(max_batches):
        Z = rng.standard_normal((batch, d))
        S = Z @ W.T
        top2 = np.sort(S, axis=1)[:, -2:]
        label, ok = S.argmax(axis=1), top2[:, 1] - top2[:, 0] >= margin
        for c in range(k):
            take = Z[ok & (label == c)][: want[c] - count[c]]
            got[c].append(take)
            count[c] += len(take)
        if (count == want).all():
            X = np.concatenate([np.concatenate(g) for g in got])
            y = np.repeat(np.arange(k), want)
            perm = rng.permutation(len(y))
            return X[perm], y[perm]
    raise ValueError(f"teacher margin {margin} is too large to sample {want.tolist()} points per class "
                     f"in {max_batches} batches of {batch}; lower the margin")


def gaussian_mixture(k: int, d: int, per_class: int, *, noise: float = 0.1, seed: int) -> Dataset:
    """Class means μ_c ~ N(0, I_d), points μ_c + noise·N(0, I_d): the multiclass set-up of NucGD
    (Xie et al. 2026, code: k = 15, d = 25, 50 per class, noise 0.1). Separable with overwhelming
    probability when noise·√d ≪ the distance between means; the reference solve certifies it."""
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((k, d))
    y = np.repeat(np.arange(k), per_class)
    X = means[y] + noise * rng.standard_normal((k * per_class, d))
    return Dataset(X, y, "multiclass", k, f"Gaussian mixture, {k} classes, noise {noise:g}", seed, means)


def sparse_regression(n: int, d: int, sparsity: int, *, seed: int) -> Dataset:
    """x ~ N(0, I_d), noiseless targets t = <w*, x> for an s-sparse w* with entries 1 on a random support:
    the sparse-recovery set-up of the quadratic model (HaoChen et al. 2021: n = 40, d = 100, s = 5).
    Non-negative so that w = v⊙v can represent it."""
    rng = np.random.default_rng(seed)
    w = np.zeros(d)
    w[rng.choice(d, size=sparsity, replace=False)] = 1.0
    X = rng.standard_normal((n, d))
    return Dataset(X, X @ w, "regression", description=f"sparse regression, s = {sparsity}", seed=seed, teacher=w)


def completion(target, observed, description: str = "") -> Dataset:
    """Matrix completion as regression: one point per observed entry (i, j) of `target` (m × k), x = vec(e_i e_jᵀ)
    (row-major, the layout of `numerics.models.DeepFactorization`) and y = target[i, j]."""
    target = np.asarray(target, dtype=np.float64)
    X = np.zeros((len(observed), target.size))
    for row, (i, j) in enumerate(observed):
        X[row, i * target.shape[1] + j] = 1.0
    return Dataset(X, np.array([target[i, j] for i, j in observed]), "regression",
                   description=description or f"{len(observed)} entries of a {'×'.join(map(str, target.shape))} matrix",
                   teacher=target)


def razin2020_completion() -> Dataset:
    """Razin & Cohen 2020's 2×2 completion: w₁₂ = w₂₁ = 1 and w₂₂ = 0 observed, w₁₁ not. Every completion has
    det W = −w₁₂w₂₁ + w₁₁w₂₂ = −1 (their code: `completion_2x2_w_1_1_0`)."""
    return completion([[0.0, 1.0], [1.0, 0.0]], [(0, 1), (1, 0), (1, 1)], "Razin & Cohen 2020's 2×2 completion")


def cai2024_five_points() -> Dataset:
    """The five-point data set of Cai et al. (2024, large-stepsize GD): its ℓ2 max-margin direction is
    (1, 0, 0) with margin 0.05 (the four positives have x₁ = 0.05, the negative x₁ = −1)."""
    X = [[0.05, 1, 2], [0.05, -2, 1], [-1, 0, 2], [0.05, -2, -2], [0.05, 1, -2]]
    y = [1, 1, -1, 1, 1]
    return Dataset(np.array(X, dtype=np.float64), np.array(y), "binary",
                   description="Cai et al. 2024 five points", teacher=np.array([1.0, 0.0, 0.0]))


def touching_faces() -> Dataset:
    """Two points whose signed points are z₁ = (1, 0), z₂ = (1, ½): the ℓ∞ max-margin face is the segment
    {(1, t) : t ∈ [0, 1]} (margin 1), which holds the ℓ2 max-margin solution (1, 0) at its end, so no run can tell
    ℓ2 from ℓ∞ here (s(ℓ∞ → ℓ2) = 0), while an interior-point solver returns the segment's centre, ℓ2-margin gap
    1 − 1/√1.25 ≈ 0.106 from (1, 0): data on which a separation taken from the solver's point is wrong."""
    return Dataset(np.array([[1.0, 0.0], [-1.0, -0.5]]), np.array([1, -1]), description="touching ℓ2/ℓ∞ faces")


def nearly_orthogonal(n: int, d: int, *, seed: int) -> Dataset:
    """n points x_i ~ N(0, I_d/d) with alternating labels ±1 (Frei et al. 2023's high-dimensional data: for d ≫ n²
    log n, ‖x_i‖² ≈ 1 dominates n·max_{i≠j}|⟨x_i, x_j⟩| ≈ n√(log n/d)); the ratio is `near_orthogonality`."""
    rng = np.random.default_rng(seed)
    return Dataset(rng.standard_normal((n, d)) / np.sqrt(d), np.where(np.arange(n) % 2 == 0, 1, -1), "binary",
                   description=f"nearly orthogonal, n = {n}, d = {d}", seed=seed)


def near_orthogonality(ds: Dataset) -> float:
    """min_i ‖x_i‖² / (n·max_{i≠j}|⟨x_i, x_j⟩|): Frei et al. 2023 assume it is at least a large constant C."""
    G = ds.X @ ds.X.T
    off = np.abs(G - np.diag(np.diag(G))).max()
    return float(np.diag(G).min() / (len(G) * off))


def symmetrized(ds: Dataset) -> Dataset:
    """`ds` with every point's mirror image: (x, y) and (−x, −y) (Lyu, Li, Wang, Arora 2021's symmetric data, on
    which a two-layer leaky-ReLU network's global max margin is attained by a linear function)."""
    if ds.task != "binary":
        raise ValueError("symmetric data are binary: (−x, −y) needs labels ±1")
    return Dataset(np.vstack([ds.X, -ds.X]), np.concatenate([ds.y, -ds.y]), "binary",
                   description=f"{ds.description}, symmetrized", seed=ds.seed, teacher=ds.teacher)


def symmetric_axis() -> Dataset:
    """Symmetric data (Lyu, Li, Wang, Arora 2021: every (x, y) comes with (−x, −y)) whose ℓ2 max-margin direction is
    e₁ with margin 1 in closed form: the positive points (1, ±1, 0), (1, 0, ±1) are the support vectors (e₁ is their
    mean's direction, so KKT holds with equal multipliers), (2, 0.3, 0.5) and (1.5, −1, 2) lie beyond. On it the
    leaky-ReLU network W₁ = (e₁; −e₁), W₂ = (1, −1) computes (1 + α)x₁ and is a KKT point of the parameter-space ℓ2
    margin problem (`numerics.references.network_kkt`)."""
    P = np.array([[1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1], [2, 0.3, 0.5], [1.5, -1, 2]], dtype=np.float64)
    return Dataset(np.vstack([P, -P]), np.repeat([1, -1], len(P)), "binary", description="symmetric, ℓ2 max margin e₁",
                   teacher=np.eye(3)[0])


def xor(per_cluster: int, *, noise: float = 0.1, seed: int) -> Dataset:
    """Four Gaussian clusters at (±1, ±1) labelled y = sign(x₁x₂): separable by a two-layer network,
    not by a linear one."""
    rng = np.random.default_rng(seed)
    centres = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float64)
    labels = np.array([1, 1, -1, -1])
    X = np.repeat(centres, per_cluster, axis=0) + noise * rng.standard_normal((4 * per_cluster, 2))
    return Dataset(X, np.repeat(labels, per_cluster), "binary", description=f"XOR, noise {noise:g}", seed=seed)


def scaled_rademacher(n: int, d: int, *, low: float = 0.5, high: float = 1.5, seed: int) -> Dataset:
    """Scaled Rademacher data (Baek, Song, Yun 2025, §3; their example x = (a, ±a, ±a, ±a)): every coordinate of
    a point has the same magnitude, y_i x_i = a_i·(1, s_i) with s_i uniform on {±1}^{d−1}, a_i ~ U[low, high] (the
    law of a_i is ours: the family fixes only the structure), labels uniform ±1 (point 0 positive, point 1
    negative). Separable: e_1 has margin min_i a_i. A linear model's per-sample gradient −ℓ'(y_i<w, x_i>)·y_i x_i
    then has all |coordinates| equal, so per-sample Adam's second moment is constant across coordinates
    (`numerics.optim.variance.IncrementalAdam`). With n ≥ d e_1 is often every norm's max-margin direction (the
    norms' solutions coincide); with n < d they are typically apart (certify with `numerics.references`)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, n)
    signs = np.concatenate([np.ones((n, 1)), rng.choice([-1.0, 1.0], size=(n, d - 1))], axis=1)
    y = rng.choice([-1, 1], size=n)
    y[:2] = [1, -1]
    return Dataset((y * a)[:, None] * signs, y, "binary", description=f"scaled Rademacher, a ~ U[{low:g}, {high:g}]",
                   seed=seed, teacher=np.eye(d)[0])


def cyclic_shifts(base, description: str = "") -> Dataset:
    """K classes from M base points b_m ∈ R^K: class c holds the cyclic shifts S^c b_m (S e_i = e_{i+1 mod K}),
    n = MK points. The data are invariant under the joint shift (x, c) → (Sx, c + 1), and every norm here is
    invariant under W → SWS⁻¹ (Schatten norms: S is orthogonal; entrywise norms: S permutes entries), so a unique
    max-margin solution is circulant, W = Σ_t w_t S^t: its singular values are the moduli of the DFT of w and its
    entries the w_t, each K times (Fan, Schmidt, Thrampoulidis 2025 claims, `verify/claims/fan2025.py`)."""
    base = np.atleast_2d(np.asarray(base, dtype=np.float64))
    if base.ndim != 2 or base.shape[1] < 2:
        raise InvalidDataError(f"base points must form an M × K array with K ≥ 2 classes; got shape {base.shape}")
    M, K = base.shape
    X = np.concatenate([np.roll(base, c, axis=1) for c in range(K)])
    return Dataset(X, np.repeat(np.arange(K), M), "multiclass", K,
                   description or f"cyclic shifts of {M} base point{'s' * (M > 1)}, {K} classes")


def load(path: str | Path, labels: str | Path | None = None) -> Dataset:
    """A data set from disk: an ``.npz`` with arrays ``X`` and ``y``; an ``.npy`` of X with `labels` the ``.npy``
    of y; or a CSV of numbers whose last column is the label (a first row that is not numbers is a header).
    Labels ±1 make a binary problem, 0..k−1 a multiclass one (`Dataset`)."""
    path = Path(path)
    if not path.exists():
        raise InvalidDataError(f"no data file {path}")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path) as archive:
            missing = {"X", "y"} - set(archive.files)
            if missing:
                raise InvalidDataError(f"{path} lacks the arrays {sorted(missing)} (it has {sorted(archive.files)}); "
                                       "save it as np.savez(path, X=X, y=y)")
            return Dataset(archive["X"], archive["y"], description=path.name)
    if suffix == ".npy":
        if labels is None:
            raise InvalidDataError(f"{path} holds X only: give the labels' .npy as well")
        return Dataset(np.load(path), np.load(labels), description=path.name)
    if suffix in (".csv", ".txt"):
        rows = np.genfromtxt(path, delimiter=",", dtype=np.float64)
        rows = rows[1:] if rows.ndim == 2 and np.isnan(rows[0]).all() else rows
        if rows.ndim != 2 or rows.shape[1] < 2:
            raise InvalidDataError(f"{path}: a CSV needs rows of features followed by the label")
        return Dataset(rows[:, :-1], rows[:, -1], description=path.name)
    raise InvalidDataError(f"{path}: unknown data format {suffix!r}; use .npz (X, y), .npy (with the labels' .npy) or "
                           ".csv (label last)")
