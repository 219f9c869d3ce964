"""The ℓ∞ sharpness bracket: a vertex below, the SDP relaxation's certified dual above, around the exact maximum."""

import itertools

import numpy as np
import pytest

from numerics.references.sharpness import box_sharpness


@pytest.mark.parametrize("shift", [0.0, -0.3, -2.0])
def test_the_bracket_holds_the_exhaustive_maximum(shift):
    rng = np.random.default_rng(3)
    p = 9
    A = rng.standard_normal((p, p))
    H = A @ A.T / p + shift * np.eye(p)  # PSD, mildly and strongly indefinite
    vertices = np.array(list(itertools.product([-1.0, 1.0], repeat=p)))
    exact = float(np.max(np.einsum("ki,ij,kj->k", vertices, H, vertices)))  # the maximum sits at a vertex here
    found = box_sharpness(H)
    assert found.lower <= exact + 1e-9 <= found.upper + 2e-9
    assert found.lower == pytest.approx(exact, rel=1e-12)
    assert found.upper <= 1.6 * exact  # the relaxation is tight to Nesterov's π/2 on PSD matrices
    loose = box_sharpness(H, sdp=False)
    assert loose.lower == found.lower and loose.upper == pytest.approx(np.abs(H).sum())
