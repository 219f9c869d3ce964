"""The fingerprint's diagnoses (`verify.diagnosis`): each on synthetic gradients and steps where its answer is known,
and on short runs where the cause is put in on purpose."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.optim._muon import DEFAULT_A, DEFAULT_B, DEFAULT_C, _zeropower_via_newtonschulz

from numerics.norms import get as get_norm
from verify import diagnosis
from verify.fingerprint import fingerprint


def _gradient(seed: int = 0) -> torch.Tensor:
    """A multiclass-like gradient: 10×10 with rows summing to 0 (rank 9), singular values over three decades."""
    g = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(10, 10, generator=g, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(10, 10, generator=g, dtype=torch.float64))
    G = U @ torch.diag(torch.logspace(0, -3, 10, dtype=torch.float64)) @ V.T
    return G - G.mean(dim=0, keepdim=True)


def test_newton_schulz_is_named_where_its_step_is_not_the_polar_factor():
    """torch's Muon orthogonalizes by 5 quintic Newton–Schulz steps in bfloat16: its singular values spread
    (measured 0.6–1 of the largest on a random matrix); the exact polar factor's are all 1."""
    G = torch.stack([_gradient(seed) for seed in range(3)])
    muon = torch.stack([-_zeropower_via_newtonschulz(g, (DEFAULT_A, DEFAULT_B, DEFAULT_C), 5, 1e-7).double()
                        for g in G])
    found = diagnosis.orthogonalization(muon, G, lrs=np.ones(3), method="torch's Newton–Schulz iteration")
    assert found.holds and found.rank == 9
    assert found.spread > 0.2 > 1e-9 > found.polar_spread, found
    assert "Newton–Schulz iteration holds it back" in found.sentence and "spread" in found.sentence
    exact = diagnosis.orthogonalization(-get_norm("spectral").lmo(G), G, method="torch's Newton–Schulz iteration")
    assert not exact.holds and exact.spread < 1e-9 and exact.cosine == pytest.approx(1, abs=1e-12)
    assert "holds it back" not in exact.sentence


def test_the_step_of_torch_muon_itself_is_measured_as_not_the_polar_factor():
    """One step of torch.optim.Muon on a copy (no momentum): the diagnosis sees its step, not a formula."""
    G = _gradient()
    W = torch.zeros(10, 10, dtype=torch.float64, requires_grad=True)
    W.grad = G.clone()
    torch.optim.Muon([W], lr=1.0, weight_decay=0.0, momentum=0.0, nesterov=False).step()
    found = diagnosis.orthogonalization(W.detach()[None], G[None], lrs=[1.0])
    assert found.holds and 0.5 < found.scale[0] < found.scale[1] < 1.5
    aligned = diagnosis.step_alignment(W.detach()[None], G[None], "spectral", ("nuclear", "fro", "spectral"))
    assert 0.9 < aligned.cosine < 0.99 and aligned.holds


@pytest.mark.parametrize("eps, holds", [(1e-3, True), (1e-12, False)])
def test_eps_is_named_when_it_dominates_the_denominator_and_not_otherwise(eps, holds):
    """√v̂_i of order 1e-6 … 1e-8 falling with t: ε = 1e-3 dominates every coordinate from the start, ε = 1e-12 none."""
    steps = np.arange(0, 1000, 100)
    scale = np.geomspace(1e-6, 1e-8, len(steps))[:, None] * np.linspace(0.5, 2, 50)[None]
    found = diagnosis.eps_dominance(steps, scale, eps, of="√v̂_i")
    assert found.holds == holds and (found.since == 0 if holds else found.since is None)
    assert ("fell below the optimizer's eps" in found.sentence) == holds and "eps" in found.sentence
    assert found.below == (50 if holds else 0)


def test_eps_dominance_starts_where_the_median_coordinate_falls_below_it():
    steps = np.arange(0, 1000, 100)
    scale = np.geomspace(1e-4, 1e-10, len(steps))[:, None] * np.ones((1, 8))
    found = diagnosis.eps_dominance(steps, scale, 1e-8)
    assert found.holds and found.since == int(steps[np.argmax(scale[:, 0] < 1e-8)]) and found.ratio < 1


def test_the_denominator_scale_is_read_from_the_optimizers_own_state():
    """Adam: √v̂ (bias-corrected); Adamax: u − ε; an optimizer with no known second moment: |g|."""
    g = torch.tensor([1e-3, -2e-6, 3e-9], dtype=torch.float64)
    for cls, name, expected in ((torch.optim.Adam, "√v̂_i", g.abs()), (torch.optim.Adamax, "u_i − eps", g.abs()),
                                (torch.optim.SGD, "|∇L_i|", g.abs())):
        p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        optimizer = cls([p], lr=0.1)
        p.grad = g.clone()
        optimizer.step()
        what, scale = diagnosis.denominator_scale(optimizer.state[p], optimizer.param_groups[0], g)
        assert what == name
        torch.testing.assert_close(scale, expected, rtol=1e-6, atol=1e-12)


def test_a_step_along_the_norms_steepest_descent_is_aligned_and_another_is_not():
    g = torch.as_tensor(np.random.default_rng(0).normal(size=(5, 50)))
    gd = diagnosis.step_alignment(-0.1 * g, g, "l2", ("l1", "l2", "linf"))
    assert not gd.holds and gd.cosine == pytest.approx(1, abs=1e-12)
    sign = diagnosis.step_alignment(-torch.sign(g), g, "l2", ("l1", "l2", "linf"))
    assert sign.holds and max(sign.cosines, key=sign.cosines.get) == "linf" and "nearest linf's" in sign.sentence


def test_underflow_is_the_first_step_with_a_zero_gradient():
    found = diagnosis.underflow([0, 10, 20, 30], [1.0, 1e-300, 0.0, 0.0], least_margin=800.0, heading_zero=True)
    assert found.holds and found.step == 20 and not found.exact
    assert "by step 20" in found.sentence and "heading of the last decade" in found.sentence
    exact = diagnosis.underflow([0, 10], [1.0, 0.0], first_zero=13, least_margin=900.0)
    assert exact.step == 13 and "at step 13" in exact.sentence
    assert not diagnosis.underflow([0, 10], [1.0, 0.5]).holds
    short = diagnosis.underflow([0, 10], [1.0, 0.0], first_zero=5, least_margin=12.0)
    assert "exactly 0" in short.sentence and "underflowed" not in short.sentence  # margin 12 is no underflow


def test_warnings_become_one_sentence():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.array([1e300]) * 1e300
        np.array([1e300]) * 1e300
    found = diagnosis.run_warnings(caught)
    assert found.holds and "RuntimeWarning: overflow encountered in multiply (2×" in found.sentence
    assert not diagnosis.run_warnings([]).holds
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(UserWarning())  # an empty message
    assert diagnosis.run_warnings(caught).holds


def test_the_fingerprint_names_eps_where_it_makes_adam_gd_like_and_judges_at_gds_rate():
    """ε = 1 is far above Adam's √v̂ (≤ 0.1): every step is ≈ η·m̂/ε, GD's; ε = 1e-300 is below it throughout."""
    big = fingerprint("torch.optim.Adam", lr=0.01, eps=1.0, steps=2_000)
    eps = next(d for d in big.diagnoses if d.name == "eps")
    assert eps.holds and eps.since == 0 and eps.scale == "√v̂_i" and big.at_gd_rate is not None
    assert any("eps = 1 dominates" in n for n in [*big.notes, *([big.cause.sentence] if big.cause else [])])
    assert "judged at GD's rate 1/log t" in big.reason or big.verdict == "PASS"
    small = fingerprint("torch.optim.Adam", lr=0.01, eps=1e-300, steps=2_000)
    assert not next(d for d in small.diagnoses if d.name == "eps").holds and small.at_gd_rate is None
    assert not any("eps" in n for n in small.notes)


def test_the_fingerprint_names_newton_schulz_for_torch_muon():
    fp = fingerprint("torch.optim.Muon", "multiclass", lr=0.02, weight_decay=0.0, steps=2_000,
                     norms=("fro", "spectral"))
    found = next(d for d in fp.diagnoses if d.name == "orthogonalization")
    assert found.holds and "Newton–Schulz" in found.sentence and found.spread > 0.05
    assert fp.taken is not None and fp.taken.exact
    if fp.verdict != "PASS":
        assert fp.cause is found and "why: torch.optim.Muon's Newton–Schulz iteration" in fp.table()
