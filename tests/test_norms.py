"""Norms: Hölder's equality case for every LMO, duality checked against cvxpy, documented tie-breaking."""

import math

import cvxpy as cp
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from numerics import norms
from numerics.norms import Norm

ALL = norms.examples()
"""Every norm the registered families declare: a newly registered norm is checked with no edit here."""


@st.composite
def gradients(draw, ndim: int):
    """Batched gradients with entries spanning several scales, zeros and ties included."""
    batch = draw(st.integers(1, 3))
    shape = (batch, draw(st.integers(1, 6))) + ((draw(st.integers(1, 6)),) if ndim == 2 else ())
    normal = st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) > 1e-100)  # no subnormals after scaling
    base = draw(arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, -1.0, 2.5]) | normal))
    return torch.as_tensor(base * 10.0 ** draw(st.integers(-6, 6)))


@given(data=st.data())
def check_lmo_attains_the_dual_norm_inside_the_unit_ball(name, data):
    norm = norms.get(name)
    g = data.draw(gradients(norm.ndim))
    d = norm.lmo(g)
    assert d.shape == g.shape
    inner = (g * d).flatten(1).sum(1)
    scale = g.abs().flatten(1).sum(1)  # ≥ every dual norm here, up to √(size)
    np.testing.assert_allclose(inner, norm.dual_norm(g), rtol=1e-12, atol=1e-12 * float(scale.max()))
    assert bool((norm.value(d) <= 1 + 1e-12).all())


def check_dual_norm_is_the_support_function_of_the_cvxpy_ball(name):
    """‖g‖_* = max{<g, d> : ‖d‖ ≤ 1} solved by cvxpy on the norm's own atom: checks dual map and atom together."""
    norm = norms.get(name)
    g = np.random.default_rng(0).standard_normal((3, 4) if norm.ndim == 2 else (5,))
    d = cp.Variable(g.shape)
    problem = cp.Problem(cp.Maximize(cp.sum(cp.multiply(g, d))), [norm.cvxpy(d) <= 1])
    problem.solve(solver=norm.solvers[0])
    assert problem.status == cp.OPTIMAL
    assert problem.value == pytest.approx(float(norm.dual_norm(g)), rel=1e-6)
    assert float(norm.cvxpy(cp.Constant(g)).value) == pytest.approx(float(norm.value(g)), rel=1e-12)


def check_dual_of_dual_is_itself_names_round_trip_and_numpy_agrees_with_torch(name):
    norm = norms.get(name)
    assert norm.dual.dual is norm
    assert norms.get(norm.name) is norm and norms.get(norm.dual.name) is norm.dual
    g = np.random.default_rng(1).standard_normal((2, 3, 4) if norm.ndim == 2 else (2, 5))
    np.testing.assert_allclose(norm.value(g), norm.value(torch.as_tensor(g)).numpy(), rtol=1e-15)
    assert isinstance(norm.value(g[0]), float | np.floating)


@pytest.mark.parametrize("name, reference", [
    ("l1", lambda x: np.linalg.norm(x, 1)), ("l2", np.linalg.norm), ("linf", lambda x: np.linalg.norm(x, np.inf)),
    ("lp:3", lambda x: np.sum(np.abs(x) ** 3) ** (1 / 3)), ("fro", lambda x: np.linalg.norm(x, "fro")),
    ("spectral", lambda x: np.linalg.norm(x, 2)), ("nuclear", lambda x: np.linalg.norm(x, "nuc")),
    ("entry_l1", lambda x: np.abs(x).sum()), ("entry_linf", lambda x: np.abs(x).max()),
    ("schatten:3", lambda x: np.sum(np.linalg.svd(x, compute_uv=False) ** 3) ** (1 / 3)),
    ("schatten:1.5", lambda x: np.sum(np.linalg.svd(x, compute_uv=False) ** 1.5) ** (1 / 1.5)),
    ("op_linf", lambda x: np.abs(x).sum(1).max()), ("op_l1", lambda x: np.abs(x).sum(0).max()),
    ("row_linf_sum", lambda x: np.abs(x).max(1).sum()), ("col_linf_sum", lambda x: np.abs(x).max(0).sum()),
])
def test_value_matches_numpy(name, reference):
    norm = norms.get(name)
    x = np.random.default_rng(2).standard_normal((4, 6) if norm.ndim == 2 else (6,))
    assert norm.value(x) == pytest.approx(reference(x), rel=1e-13)


def check_lmo_of_zero_is_zero(name):
    norm = norms.get(name)
    g = torch.zeros((2, 3, 4) if norm.ndim == 2 else (2, 5), dtype=torch.float64)
    assert bool((norm.lmo(g) == 0).all())


def test_documented_choices_at_ties():
    g = torch.tensor([3.0, -3.0, 1.0, 0.0], dtype=torch.float64)
    assert norms.get("l1").lmo(g).tolist() == [1.0, 0.0, 0.0, 0.0]  # lowest index among the ties
    assert norms.get("linf").lmo(g).tolist() == [1.0, -1.0, 1.0, 0.0]  # sign(0) = 0
    G = torch.tensor([[3.0, 3.0], [1.0, -1.0]], dtype=torch.float64)
    assert norms.get("entry_l1").lmo(G).tolist() == [[1.0, 0.0], [0.0, 0.0]]
    G = torch.tensor([[3.0, -3.0, 1.0], [0.0, 0.0, 0.0], [-1.0, 2.0, -2.0]], dtype=torch.float64)
    assert norms.get("op_linf").lmo(G).tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert norms.get("op_l1").lmo(G).tolist() == [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
    assert norms.get("row_linf_sum").lmo(G).tolist() == [[1.0, -1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert norms.get("col_linf_sum").lmo(G).tolist() == [[0.0, -1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_cvxpy_and_numpy_matrix_norms_inf_and_1_are_the_induced_norms_not_the_entrywise_ones():
    """The trap `op_linf` exists for: cp.norm(W, "inf") and np.linalg.norm(W, np.inf) are max row sums."""
    W = np.random.default_rng(4).standard_normal((3, 4))
    for name, order in [("op_linf", "inf"), ("op_l1", 1)]:
        assert float(cp.norm(cp.Constant(W), order).value) == pytest.approx(float(norms.get(name).value(W)), rel=1e-14)
        assert np.linalg.norm(W, np.inf if order == "inf" else 1) == pytest.approx(float(norms.get(name).value(W)))
    assert float(norms.get("op_linf").value(W)) > float(norms.get("entry_linf").value(W))


def test_schatten_lmo_is_the_singular_value_formula_and_drops_the_null_pairs():
    """lmo(G) = U diag(σ^{q−1}) Vᵀ/‖σ‖_q^{q−1}; for rank-1 G = 5uvᵀ it is uvᵀ, not a rank-3 completion."""
    rng = np.random.default_rng(5)
    G = rng.standard_normal((3, 5))
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    for p, q in [(3.0, 1.5), (1.5, 3.0)]:
        expected = U @ np.diag(s ** (q - 1) / np.sum(s**q) ** ((q - 1) / q)) @ Vt
        np.testing.assert_allclose(norms.get(f"schatten:{p:g}").lmo(torch.as_tensor(G)).numpy(), expected, atol=1e-14)
    u, v = U[:, 0], Vt[0]
    D = norms.get("schatten:3").lmo(torch.as_tensor(5.0 * np.outer(u, v))).numpy()
    np.testing.assert_allclose(D, np.outer(u, v), atol=1e-14)


def test_spectral_lmo_drops_the_null_singular_pairs():
    """For rank-1 G = σ u vᵀ the polar factor is u vᵀ (rank 1), not U Vᵀ over a completed basis (rank 3)."""
    rng = np.random.default_rng(3)
    u, v = rng.standard_normal(3), rng.standard_normal(4)
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    D = norms.get("spectral").lmo(torch.as_tensor(5.0 * np.outer(u, v)))
    np.testing.assert_allclose(D.numpy(), np.outer(u, v), atol=1e-14)
    assert np.linalg.matrix_rank(D.numpy()) == 1


@pytest.mark.parametrize("name, gain", [("spectral", 1e8), ("schatten:3", 1e4), ("nuclear", 1.0), ("fro", 1.0)])
def test_lmo_rounding_gain_bounds_how_far_a_rounding_perturbation_moves_the_lmo(name, gain):
    """G = U diag(1, 0.5, 1e−8) Vᵀ with 1ᵀG = 0; a perturbation E = eps·1wᵀ (‖E‖ ~ rounding) moves lmo(G) along
    1 by ≲ eps·gain, gain = σ₁/σ_r for the polar factor, (σ₁/σ_r)^{2−q} for S_3 (q = 3/2), 1 for the top pair and
    for scaling; the spectral one really moves that far (the bound is not loose by orders)."""
    rng = np.random.default_rng(7)
    k, d, eps = 4, 6, np.finfo(float).eps
    one = np.ones(k) / 2
    U = np.linalg.qr(np.column_stack([one, rng.standard_normal((k, 3))]))[0][:, 1:]  # ⊥ 1
    V = np.linalg.qr(rng.standard_normal((d, 3)))[0]
    G = torch.as_tensor(U @ np.diag([1.0, 0.5, 1e-8]) @ V.T)
    norm = norms.get(name)
    assert float(norm.lmo_rounding_gain(G)) == pytest.approx(gain, rel=1e-6)
    worst = 0.0
    for _ in range(20):
        w = rng.standard_normal(d)
        E = torch.as_tensor(eps * np.outer(one, w / np.linalg.norm(w)))  # ‖E‖ = eps·σ₁
        D = norm.lmo(G + E)
        worst = max(worst, float(D.sum(-2).norm() / D.norm()))
    assert worst <= max(k, d) * eps * gain
    if name == "spectral":
        assert worst >= 0.01 * eps * gain


def test_nuclear_lmo_is_the_top_singular_pair():
    G = torch.tensor([[1.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    assert norms.get("nuclear").lmo(G).tolist() == [[0.0, 0.0], [0.0, 1.0]]


def check_no_under_or_overflow_at_extreme_scales(name):
    """Late in training gradients are of order e^{−margin}: value, dual and LMO must stay exact there."""
    norm = norms.get(name)
    g = torch.tensor([[1.0, 2.0, 0.0], [3.0, -4.0, 0.5]] if norm.ndim == 2 else [1.0, 2.0, -3.0, 0.0],
                     dtype=torch.float64)
    for scale in (1e-300, 1e300):
        d = norm.lmo(g * scale)
        np.testing.assert_allclose(d.numpy(), norm.lmo(g).numpy(), rtol=1e-12, atol=1e-15)
        assert float(norm.value(g * scale)) == pytest.approx(scale * float(norm.value(g)), rel=1e-12)
        assert float(norm.dual_norm(g * scale)) == pytest.approx(scale * float(norm.dual_norm(g)), rel=1e-12)


def test_registry_names_and_errors():
    assert norms.get("lp:2") is norms.get("l2")
    assert norms.get("lp:inf") is norms.get("linf")
    assert norms.get("lp:3").dual.name == "lp:1.5"
    assert norms.get("entry_lp:2").dual.name == "entry_lp:2"
    assert norms.get("entry_l1").dual is norms.get("entry_linf")
    assert norms.get("spectral").dual is norms.get("nuclear")
    assert math.isinf(norms.get("l1").q)
    assert norms.get("schatten:1") is norms.get("nuclear") and norms.get("schatten:2") is norms.get("fro")
    assert norms.get("schatten:inf") is norms.get("spectral") and norms.get("schatten:3").dual.name == "schatten:1.5"
    four = norms.get("schatten:4")  # 4 → 4/3 → 4.000000000000001 in floating point: the pair is made together
    assert four.dual.dual is four and norms.get(four.dual.name) is four.dual
    with pytest.raises(KeyError, match="unknown norm 'l7'.*known"):
        norms.get("l7")
    with pytest.raises(KeyError, match="needs an exponent"):
        norms.get("lp")
    with pytest.raises(ValueError, match="p ≥ 1"):
        norms.get("lp:0.5")
    with pytest.raises(ValueError, match="Schatten-p is a norm only for p ≥ 1; got p = 0.5"):
        norms.get("schatten:0.5")
    with pytest.raises(ValueError, match="Schatten-p needs a number p ≥ 1 \\(or inf\\); got 'three'"):
        norms.get("schatten:three")
    with pytest.raises(KeyError, match="needs an exponent"):
        norms.get("schatten")
    with pytest.raises(ValueError, match="acts on matrices"):
        norms.get("spectral").value(np.ones(3))


def check_direction_error_bounds_the_distance_to_the_maximiser(name):
    """The modulus-of-convexity bound: for unit W, W* with ‖(W + W*)/2‖ measured, δ(‖W − W*‖) ≤ 1 − ‖(W+W*)/2‖
    must hold with the bound inverted; checked on random unit pairs: ‖W − W*‖₂ ≤ direction_error(2(1 − ‖mid‖))."""
    norm = norms.get(name)
    rng = np.random.default_rng(3)
    shape = (3, 4) if norm.ndim == 2 else (6,)
    numel = int(np.prod(shape))
    if not norm.strongly_convex:
        assert norm.direction_error(0.01, numel) is None
        return
    for _ in range(200):
        a, b = rng.standard_normal((2, *shape))
        b = a + rng.uniform(0.01, 2) * b  # near and far pairs
        a, b = a / norm.value(a), b / norm.value(b)
        gap = 2 * (1 - float(norm.value((a + b) / 2)))  # the gap at which the midpoint argument bites
        assert np.linalg.norm(a - b) <= norm.direction_error(gap, numel) * (1 + 1e-9)


NORM_CHECKS = (check_lmo_attains_the_dual_norm_inside_the_unit_ball,
               check_dual_norm_is_the_support_function_of_the_cvxpy_ball,
               check_dual_of_dual_is_itself_names_round_trip_and_numpy_agrees_with_torch, check_lmo_of_zero_is_zero,
               check_no_under_or_overflow_at_extreme_scales, check_direction_error_bounds_the_distance_to_the_maximiser)
"""What every norm must satisfy, as named checks of a norm name (scikit-learn's `parametrize_with_checks` style)."""


@pytest.mark.parametrize("check", NORM_CHECKS, ids=[c.__name__.removeprefix("check_") for c in NORM_CHECKS])
@pytest.mark.parametrize("name", ALL)
def test_every_registered_norm_passes_every_check(name, check):
    check(name)


class ScaledL2(Norm):
    """c‖x‖₂, a throwaway norm (its dual is ‖x‖₂/c): what a user's new norm module declares, no more."""

    ndim, solvers = 1, ("CLARABEL",)

    def __init__(self, c: float, name: str):
        self.c, self.name, self.symbol = c, name, rf"{c:g}\|\cdot\|_2"

    @property
    def dual(self) -> Norm:
        return norms.get("half_l2" if self.c == 2 else "double_l2")

    def _value(self, x):
        return self.c * norms.get("l2")._value(x)

    def lmo(self, g):
        return norms.get("l2").lmo(g) / self.c

    def cvxpy(self, expr):
        return self.c * cp.norm2(expr)


def test_a_norm_registered_at_runtime_is_checked_and_gets_a_lemma(monkeypatch):
    """Registering a norm is the only edit: the norm checks run on it and `theory` lists its Hölder lemma, whose
    numeric check passes (and fails for a wrong LMO)."""
    from numerics.norms import base
    from theory import lemma as lemma_module, lemmas

    monkeypatch.setattr(lemma_module, "_REGISTRY", dict(lemma_module._REGISTRY))
    for prefix, c in (("double_l2", 2.0), ("half_l2", 0.5)):
        monkeypatch.setitem(base._FAMILIES, prefix, lambda _, norm=ScaledL2(c, prefix): norm)
        monkeypatch.setitem(base._EXAMPLES, prefix, (prefix,))
    assert {"double_l2", "half_l2"} <= set(norms.examples(1))
    for check in NORM_CHECKS:
        check("double_l2")
    lemma = lemmas.get("lmo.double_l2")
    assert lemma.check_numeric().status == "passed"
    monkeypatch.setattr(ScaledL2, "lmo", lambda self, g: norms.get("l2").lmo(g))  # off the ball's surface
    assert lemma.check_numeric().status == "failed"
