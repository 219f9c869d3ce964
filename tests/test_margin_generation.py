"""Constraint generation for the max margin (`numerics.references.margins._generate`): the same certified answer as the
whole problem, with its certificate recomputed over every margin row, never over the working set only."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import data, norms
from numerics.references import margins
from numerics.errors import NotSeparableError, SolverError
from numerics.references.margins import CERTIFICATE_RTOL, max_margin, normalized_margin, signed_points

MIXTURE = data.gaussian_mixture(4, 4, 30, noise=0.1, seed=1)  # 360 margin rows, a first working set of 64
BINARY = data.gaussian_binary(200, 5, margin=0.1, seed=2)  # 200 rows, a first working set of 20


def full_certificate(ds, ref) -> tuple[float, float]:
    """(lower, upper) recomputed here from the returned W and duals over every margin row."""
    Z, point, rival = signed_points(ds)
    lam = ref.duals if ds.task == "binary" else ref.duals[point, rival]
    upper = float(norms.get(ref.norm).dual_norm((Z.T @ lam).reshape(ds.weight_shape)))
    return float(normalized_margin(ds.X, ds.y, ref.W, ref.norm)), upper


@pytest.mark.parametrize("ds, norm", [(MIXTURE, "spectral"), (MIXTURE, "nuclear"), (MIXTURE, "entry_l1"),
                                      (BINARY, "l1"), (BINARY, "linf")])
def test_generation_certifies_the_whole_problem_s_margin_over_every_row(ds, norm):
    generated, whole = max_margin(ds, norm=norm, generate=True), max_margin(ds, norm=norm, generate=False)
    assert len(generated.attempts) > 1  # the first working set missed active rows: generation ran rounds
    assert not generated.attempts[0].accepted  # ... and the first round's full certificate did not close
    assert generated.certificate.ok and generated.certificate.rel_gap <= CERTIFICATE_RTOL
    assert abs(generated.margin - whole.margin) <= 2 * CERTIFICATE_RTOL * whole.margin
    lower, upper = full_certificate(ds, generated)
    assert lower == pytest.approx(generated.certificate.lower, rel=1e-12)
    assert upper == pytest.approx(generated.certificate.upper, rel=1e-12)
    assert np.isclose(generated.duals.sum(), 1.0) and (generated.duals >= 0).all()


def test_the_first_working_set_alone_does_not_certify():
    """The restricted problem's optimum exceeds γ*: its W violates rows outside the working set, which only
    the certificate over every row sees."""
    Z, point, _ = signed_points(MIXTURE)
    rows = margins._first_rows(Z, MIXTURE.weight_shape)
    W, _, attempt, _ = margins._solve_rows(MIXTURE, Z, point, norms.get("spectral"), rows, ("CLARABEL",),
                                           CERTIFICATE_RTOL)
    assert attempt.certificate.ok  # certified on the working set ...
    assert rows.size < Z.shape[0]
    assert normalized_margin(MIXTURE.X, MIXTURE.y, W, "spectral") < attempt.certificate.lower * (1 - 1e-2)


def test_a_working_set_that_cannot_grow_raises_instead_of_answering(monkeypatch):
    monkeypatch.setattr(margins, "_worst_per_point", lambda fits, point, candidates: candidates[:0])
    with pytest.raises(SolverError, match="certified on 64 rows"):
        max_margin(MIXTURE, norm="spectral", generate=True)


def test_spectral_is_generated_by_default_and_small_problems_are_solved_whole():
    assert len(max_margin(MIXTURE, norm="spectral").attempts) > 1
    small = data.gaussian_mixture(3, 4, 3, noise=0.1, seed=0)  # 18 rows ≤ 4 · 12: the first set is every row
    assert len(max_margin(small, norm="spectral", generate=True).attempts) == 1


def test_generation_still_proves_inseparability():
    X, y = np.vstack([MIXTURE.X, np.zeros(4)]), np.append(MIXTURE.y, 0)  # x = 0 has margin 0 under every W
    with pytest.raises(NotSeparableError):
        max_margin(X, y, "spectral", num_classes=4, generate=True)
