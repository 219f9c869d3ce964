"""Max-margin references: closed forms derived by hand, an independent ℓ2 solver, properties on fuzzed data,
the optimal face for non-unique maximisers, and errors that name their cause."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from numerics import data, norms
from numerics.errors import InvalidDataError, NotSeparableError, SolverError
from numerics.references.margins import (OptimalFace, margins, max_margin, normalized_margin, optimal_face_distance,
                                         signed_points)
from numerics.references.separation import SEPARATION_RTOL, separation
from numerics.data.strategies import separable_datasets
from numerics.references.svm import hard_margin_svm
from numerics.references import solve

BINARY_NORMS = ["l1", "l2", "linf", "lp:3"]
MULTICLASS_NORMS = ["fro", "spectral", "nuclear", "entry_l1", "entry_linf"]


# ------------------------------------------------------------------------------------------ closed forms

# One signed point z = (2, 1) (x = ±(2, 1), y = ±1). Then γ* = max_{‖w‖≤1} <z, w> = ‖z‖_*, attained at lmo(z):
# ℓ2: √5 at z/√5; ℓ1: ‖z‖_∞ = 2 at e1 (unique, z1 > z2); ℓ∞: ‖z‖_1 = 3 at (1, 1) (unique, z has no zero).
ONE_POINT = (np.array([[2.0, 1.0], [-2.0, -1.0]]), np.array([1, -1]))

# Three signed points z = (1, 0), (0, 1), (1, 1). γ* = min over their convex hull of ‖·‖_*:
# ℓ2: the hull's min-norm point (½, ½), γ* = 1/√2 at w = (1, 1)/√2, supported by points 0 and 1 only;
# ℓ1: min ‖·‖_∞ = ½ at (½, ½); w = (½, ½) is the only w with ‖w‖₁ ≤ 1 and min(w1, w2) = ½;
# ℓ∞: min ‖·‖₁ = 1 on the segment [(1,0), (0,1)]; w = (1, 1) is the only w with |w_i| ≤ 1 and w_i ≥ 1.
THREE_POINTS = (np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]), np.array([1, 1, -1]))


@pytest.mark.parametrize("dataset, norm, gamma, w", [
    (ONE_POINT, "l2", math.sqrt(5), [2 / math.sqrt(5), 1 / math.sqrt(5)]),
    (ONE_POINT, "l1", 2.0, [1.0, 0.0]),
    (ONE_POINT, "linf", 3.0, [1.0, 1.0]),
    (THREE_POINTS, "l2", 1 / math.sqrt(2), [1 / math.sqrt(2), 1 / math.sqrt(2)]),
    (THREE_POINTS, "l1", 0.5, [0.5, 0.5]),
    (THREE_POINTS, "linf", 1.0, [1.0, 1.0]),
])
def test_binary_closed_forms(dataset, norm, gamma, w):
    ref = max_margin(*dataset, norm)
    assert ref.margin == pytest.approx(gamma, rel=1e-7)
    np.testing.assert_allclose(ref.W, w, atol=1e-6)
    assert ref.certificate.ok and ref.certificate.lower <= ref.certificate.upper
    assert ref.duals.sum() == pytest.approx(1.0)


def test_support_vectors_of_the_three_point_example():
    ref = max_margin(*THREE_POINTS, "l2")
    assert ref.support.tolist() == [0, 1]
    np.testing.assert_allclose(ref.duals, [0.5, 0.5, 0.0], atol=1e-7)


# Multiclass: x_i = e_i with label i (d = k = 3). The problem and every norm below are invariant under
# W ↦ PWPᵀ for permutations P, so averaging a maximiser over them gives one of the form W = aI + bJ (J = 11ᵀ),
# whose margins all equal a. Minimising ‖aI + bJ‖ over b at a = 1 (eigenvalues a, a, a + 3b):
#   fro:        3(a+b)² + 6b² → b = −a/3, ‖W‖ = √2·a   → γ* = 1/√2
#   spectral:   max(|a|, |a+3b|) → a                    → γ* = 1   (any b ∈ [−2a/3, 0]: not unique)
#   nuclear:    2|a| + |a+3b| → 2a                       → γ* = 1/2
#   entry_linf: max(|a+b|, |b|) → b = −a/2, a/2          → γ* = 2
#   entry_l1:   3|a+b| + 6|b| → b = 0, 3a                → γ* = 1/3
#   schatten:p: (2|a|^p + |a+3b|^p)^{1/p} → b = −a/3, 2^{1/p}a → γ* = 2^{−1/p}  (p = 1, 2, ∞ as above)
#   op_linf, op_l1 (max row / column sum): |a+b| + 2|b| → b = 0, a            → γ* = 1
#   row_linf_sum, col_linf_sum: 3 max(|a+b|, |b|) → b = −a/2, 3a/2                → γ* = 2/3
# so γ_nuc ≤ γ_F ≤ γ_spec ≤ γ_max, the ordering NucGD's paper states.
SIMPLEX = (np.eye(3), np.arange(3))


@pytest.mark.parametrize("norm, gamma", [
    ("fro", 1 / math.sqrt(2)), ("spectral", 1.0), ("nuclear", 0.5), ("entry_linf", 2.0), ("entry_l1", 1 / 3),
    ("schatten:3", 2 ** (-1 / 3)), ("schatten:1.5", 2 ** (-2 / 3)), ("op_linf", 1.0), ("op_l1", 1.0),
    ("row_linf_sum", 2 / 3), ("col_linf_sum", 2 / 3),
])
def test_multiclass_closed_forms(norm, gamma):
    ref = max_margin(*SIMPLEX, norm)
    assert ref.margin == pytest.approx(gamma, rel=1e-6)
    assert ref.W.shape == (3, 3) and ref.certificate.ok
    assert ref.duals.shape == (3, 3) and np.all(ref.duals[np.arange(3), np.arange(3)] == 0)


def test_multiclass_spectral_face_holds_every_maximiser():
    """I and I − J/3 both have spectral norm 1 and margin 1: both lie on the (non-unique) optimal face."""
    face = OptimalFace(*SIMPLEX, "spectral")
    assert face.distance(np.eye(3)) < 1e-5
    assert face.distance(np.eye(3) - np.ones((3, 3)) / 3) < 1e-5
    assert face.distance(np.eye(3) + np.ones((3, 3))) > 0.1  # margin 1 but norm 4: direction not optimal


def test_op_linf_and_entry_linf_max_margins_differ():
    """On SIMPLEX (x_i = e_i, label i, k = d = 3) the induced ‖W‖_{∞→∞} (max row sum) max margin is 1 and the
    entrywise max|W_ij| one is 2 (closed forms above). The entry_linf maximiser is forced, 2I − J (margins
    W_ii − W_ji ≥ 2 with |W_ij| ≤ 1 need W_ii = 1, W_ji = −1), and its rows sum to 3: its induced-norm margin
    2/3 falls 1/3 short of that max margin. So a published code that computes one while meaning
    the other — cp.norm(W, "inf") or np.linalg.norm(W, np.inf) is the max row sum, not the max entry — reports
    a margin off by a factor 2 and steers towards a direction a third below the maximum."""
    induced, entrywise = max_margin(*SIMPLEX, "op_linf"), max_margin(*SIMPLEX, "entry_linf")
    assert induced.certificate.ok and entrywise.certificate.ok
    assert induced.certificate.upper < 0.51 * entrywise.certificate.lower  # certified: 1 against 2
    np.testing.assert_allclose(entrywise.W, 2 * np.eye(3) - 1, atol=1e-6)
    shortfall = 1 - normalized_margin(*SIMPLEX, entrywise.W, "op_linf") / induced.certificate.upper
    assert shortfall == pytest.approx(1 / 3, abs=1e-6)


def test_schatten3_reference_is_certified_its_lmo_and_between_fro_and_spectral():
    """The S3 maximiser is unique (strictly convex ball) and is the LMO of the dual optimum Σλ_i z_i (Hölder's
    equality case); since ‖·‖_{S∞} ≤ ‖·‖_{S3} ≤ ‖·‖_{S2}, γ_F ≤ γ_{S3} ≤ γ_spec (and γ_nuc ≤ γ_{S3/2} ≤ γ_F)."""
    ds = data.gaussian_multiclass(24, 4, 3, rank=2, seed=1)
    ref = max_margin(ds, norm="schatten:3")
    assert ref.certificate.ok and ref.certificate.rtol == 1e-6
    assert float(norms.get("schatten:3").value(ref.W)) == pytest.approx(1.0, rel=1e-12)
    Z, point, rival = signed_points(ds)
    G = (Z.T @ ref.duals[point, rival]).reshape(ref.W.shape)
    assert float(norms.get("schatten:1.5").value(G)) == pytest.approx(ref.margin, rel=1e-6)
    np.testing.assert_allclose(norms.get("schatten:3").lmo(torch.as_tensor(G)).numpy(), ref.W, atol=1e-5)
    gammas = [max_margin(ds, norm=n).margin for n in ("nuclear", "schatten:1.5", "fro", "schatten:3", "spectral")]
    assert gammas == sorted(gammas) and gammas[2] < 0.95 * gammas[3]  # (strictly, on this data)
    assert OptimalFace(ds, norm="schatten:3", reference=ref).distance(ref.W) < 1e-6


def test_schatten3_and_fro_separations():
    """SIMPLEX: both maximisers are I − J/3 (b = −a/3 above for every p), the faces touch: s = 0 both ways.
    On a small Gaussian set both faces are single points (strictly convex balls, up to the reference's 1e-6
    slack), so s is the gap of the rival's maximiser, understated by at most the certificate's precision."""
    simplex = data.Dataset(*SIMPLEX)
    refs = {n: max_margin(simplex, norm=n) for n in ("schatten:3", "fro")}
    assert separation(simplex, refs["schatten:3"], refs["fro"]).value == pytest.approx(0, abs=1e-6)
    assert separation(simplex, refs["fro"], refs["schatten:3"]).value == pytest.approx(0, abs=1e-6)
    ds = data.gaussian_multiclass(6, 5, 3, seed=0)
    refs = {n: max_margin(ds, norm=n) for n in ("schatten:3", "fro")}
    for claim, rival in [("schatten:3", "fro"), ("fro", "schatten:3")]:
        s = separation(ds, refs[claim], refs[rival])
        gap = 1 - normalized_margin(ds.X, ds.y, refs[rival].W, claim) / refs[claim].margin
        assert s.certificate.ok and gap > 2 * SEPARATION_RTOL
        assert gap - 2 * SEPARATION_RTOL <= s.value <= gap + 1e-9


def test_linf_face_is_an_edge_and_distance_is_euclidean():
    """One signed point z = (1, 0) under ℓ∞: γ* = 1 and the maximisers are the edge {w1 = 1, |w2| ≤ 1}."""
    X, y = np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1, -1])
    face = OptimalFace(X, y, "linf")
    assert face.reference.margin == pytest.approx(1.0)
    for w in ([1.0, 0.5], [1.0, -1.0], [1.0, 0.0]):
        assert face.distance(np.array(w)) < 1e-6
    assert face.distance(np.array([0.5, 1.0])) == pytest.approx(0.5, abs=1e-6)  # nearest: (1, 1)


def test_cai2024_five_points_max_margin_is_e1_with_margin_five_hundredths():
    ds = data.cai2024_five_points()
    ref = max_margin(ds, norm="l2")
    assert ref.margin == pytest.approx(0.05, rel=1e-6)
    np.testing.assert_allclose(ref.W, [1.0, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l2_binary_agrees_with_an_independent_svm_solve(seed):
    ds = data.gaussian_binary(120, 8, margin=0.05, seed=seed)
    w_svm, gamma_svm = hard_margin_svm(ds.X, ds.y)
    ref = max_margin(ds, norm="l2")
    assert ref.margin == pytest.approx(gamma_svm, rel=1e-6)
    np.testing.assert_allclose(ref.W, w_svm, atol=1e-5)


# ------------------------------------------------------------------------------- properties (fuzzed data)

@given(ds=separable_datasets(), data_=st.data())
def test_reference_dominates_teacher_and_random_directions_and_face_distance_is_consistent(ds, data_):
    norm = norms.get(data_.draw(st.sampled_from(BINARY_NORMS if ds.task == "binary" else MULTICLASS_NORMS)))
    ref = max_margin(ds, norm=norm)
    c = ref.certificate
    assert c.ok and c.lower <= c.upper * (1 + 1e-12)
    assert ref.margin > 0 and ref.support.size >= 1
    assert float(norm.value(ref.W)) == pytest.approx(1.0, rel=1e-9)
    assert ref.duals.sum() == pytest.approx(1.0)
    tol = 1e-6 * ref.margin
    assert normalized_margin(ds.X, ds.y, ds.teacher, norm) <= ref.margin + tol
    rng = np.random.default_rng(0)
    random_W = rng.standard_normal((5, *ds.weight_shape))
    assert np.all(normalized_margin(ds.X, ds.y, random_W, norm) <= ref.margin + tol)

    face = OptimalFace(ds, norm=norm, reference=ref)
    assert face.distance(ref.W) <= 1e-4
    # margins are Lipschitz in the Euclidean norm with constant L = max_i ‖z_i‖₂, so a direction whose margin
    # falls short of γ* by δ is at distance ≥ δ/L from every maximiser: the projection must respect it.
    Z, _, _ = signed_points(ds)
    L = np.sqrt(np.asarray(Z.multiply(Z).sum(1)).max() if ds.task == "multiclass" else (Z**2).sum(1).max())
    p = random_W[0] / norm.value(random_W[0])
    shortfall = ref.margin - float(normalized_margin(ds.X, ds.y, p, norm))
    lower, upper = face.bounds(p)[:2]
    assert lower == pytest.approx(max(0.0, face.floor - (ref.margin - shortfall)) / L, rel=1e-9, abs=1e-15)
    assert lower <= upper <= np.linalg.norm(p - ref.W) + 1e-12
    if shortfall > 1e-5 * ref.margin:  # (in d = 1 a random direction is the maximiser half the time)
        assert upper > 0


@pytest.mark.parametrize("factor", [1e-6, 1e6])
def test_scaling_the_data_scales_the_margin_and_keeps_the_direction(factor):
    ds = data.gaussian_multiclass(30, 5, 3, seed=4)
    for norm in ("fro", "nuclear"):
        ref, scaled = max_margin(ds, norm=norm), max_margin(ds.scaled(factor), norm=norm)
        assert scaled.margin == pytest.approx(factor * ref.margin, rel=1e-6)
    ref, scaled = max_margin(ds, norm="fro"), max_margin(ds.scaled(factor), norm="fro")
    np.testing.assert_allclose(scaled.W, ref.W, atol=1e-5)  # unique maximiser under a strictly convex norm


# ---------------------------------------------------------------------------------- normalized margin

def test_normalized_margin_batched_numpy_torch_and_by_hand():
    ds = data.gaussian_multiclass(12, 4, 3, seed=5)
    W = np.random.default_rng(6).standard_normal((2, 3, 3, 4))
    batched = normalized_margin(ds.X, ds.y, W, "nuclear")
    assert batched.shape == (2, 3)
    by_hand = np.empty((2, 3))
    for a in range(2):
        for b in range(3):
            S = W[a, b] @ ds.X.T
            m = [S[ds.y[i], i] - max(S[j, i] for j in range(3) if j != ds.y[i]) for i in range(ds.n)]
            by_hand[a, b] = min(m) / np.linalg.norm(W[a, b], "nuc")
    np.testing.assert_allclose(batched, by_hand, rtol=1e-12)
    as_torch = normalized_margin(torch.as_tensor(ds.X), torch.as_tensor(ds.y), torch.as_tensor(W), "nuclear")
    np.testing.assert_allclose(as_torch.numpy(), batched, rtol=1e-15)
    np.testing.assert_allclose(normalized_margin(ds.X, ds.y, 7.0 * W, "nuclear"), batched, rtol=1e-12)


def test_normalized_margin_binary_and_edge_cases():
    X, y = THREE_POINTS
    assert normalized_margin(X, y, np.array([1.0, 1.0]), "l2") == pytest.approx(1 / math.sqrt(2))
    assert np.isnan(normalized_margin(X, y, np.zeros(2), "l2"))
    assert margins(torch.as_tensor(X), torch.as_tensor(y, dtype=torch.float64), torch.ones(2, dtype=torch.float64),
                   multiclass=False).tolist() == [1.0, 1.0, 2.0]
    with pytest.raises(InvalidDataError, match="labels must be ±1"):
        normalized_margin(X, np.array([0, 1, 0]), np.ones(2), "l2")
    with pytest.raises(InvalidDataError, match="shapes do not fit"):
        normalized_margin(X, y, np.ones(3), "l2")


# --------------------------------------------------------------------------------------------- errors

def test_xor_is_not_separable_and_the_error_names_the_witness():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    with pytest.raises(NotSeparableError, match="not separable under l2") as info:
        max_margin(X, np.array([1, 1, -1, -1]), "l2")
    assert info.value.best_margin <= 1e-6
    assert len(info.value.witness) >= 2
    assert np.all(np.asarray(info.value.weights) >= 0)


@pytest.mark.parametrize("norm", ["l1", "linf", "l2"])
def test_a_point_at_the_origin_makes_any_data_non_separable(norm):
    X, y = THREE_POINTS
    with pytest.raises(NotSeparableError, match="points \\[3\\]"):
        max_margin(np.vstack([X, [0.0, 0.0]]), np.append(y, 1), norm)


def test_multiclass_non_separable():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])  # class 1 lies between classes 0 and 2 on a ray
    with pytest.raises(NotSeparableError) as info:
        max_margin(X, np.array([0, 1, 0]), "fro")
    assert info.value.weights.shape == info.value.witness.shape
    assert info.value.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("y, norm, message", [
    ([0, 1, 0], "l2", "norm 'l2' does not fit a multiclass problem.*labels in \\{−1, \\+1\\} are read as binary"),
    ([1, 1, -1], "spectral", "norm 'spectral' does not fit a binary problem: binary weights are vectors"),
])
def test_norm_must_fit_the_task(y, norm, message):
    with pytest.raises(InvalidDataError, match=message):
        max_margin(THREE_POINTS[0], np.array(y), norm)


def test_regression_targets_are_refused_and_bad_data_is_named():
    with pytest.raises(InvalidDataError, match="needs class labels"):
        max_margin(data.sparse_regression(5, 3, 1, seed=0), norm="l2")
    with pytest.raises(InvalidDataError, match="non-finite"):
        max_margin(np.array([[np.nan], [1.0]]), np.array([1, -1]), "l2")


def test_solver_failure_is_reported_with_its_status_and_the_fallback_recovers(monkeypatch):
    ds = data.gaussian_multiclass(40, 6, 4, seed=3)
    monkeypatch.setitem(solve.SOLVER_OPTIONS, "SCS", {"max_iters": 3, "eps_abs": 1e-9, "eps_rel": 1e-9})
    with pytest.raises(SolverError, match="no solver certified the nuclear max margin: SCS") as info:
        max_margin(ds, norm="nuclear", solvers=("SCS",))
    assert info.value.attempts[0].solver == "SCS" and not info.value.attempts[0].accepted
    assert info.value.status == info.value.attempts[-1].status
    ref = max_margin(ds, norm="fro", solvers=("SCS", "CLARABEL"))
    assert ref.solver == "CLARABEL" and len(ref.attempts) == 2 and not ref.attempts[0].accepted


def test_a_nan_bound_never_certifies():
    from numerics.references.solve import Certificate
    assert not Certificate(float("nan"), 1.0, 1e-6).ok and not Certificate(1.0, float("nan"), 1e-6).ok
    assert not Certificate(float("inf"), float("inf"), 1e-6).ok and Certificate(1.0, 1.0 + 1e-9, 1e-6).ok


def test_optimal_face_distance_function_and_shape_check():
    X, y = THREE_POINTS
    assert optimal_face_distance(X, y, np.array([2.0, 2.0]), "l2") < 1e-6
    assert optimal_face_distance(X, y, np.array([1.0, 0.0]), "l2") == pytest.approx(
        np.linalg.norm(np.array([1.0, 0.0]) - np.array([1.0, 1.0]) / math.sqrt(2)), abs=1e-6)
    with pytest.raises(InvalidDataError, match="W has shape"):
        optimal_face_distance(X, y, np.ones(3), "l2")
