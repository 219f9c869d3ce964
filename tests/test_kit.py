"""The named checks claims share (`verify.kit`): each passes on the sequence its name describes and fails on one
that breaks it by more than its slack — a check that cannot fail would pass both."""

from __future__ import annotations

import numpy as np
import pytest

from verify import kit
from verify.evidence import Evidence


def verdict(build) -> str:
    evidence = Evidence("kit")
    build(evidence)
    return evidence.verdict


def test_an_exact_identity_holds_to_rounding_and_a_second_order_term_breaks_it():
    C = np.linspace(1.0, 2.0, 50)
    assert verdict(lambda e: kit.identity(e, "C", C * (1 + 1e-15), C, tol=1e-12, why="rounding")) == "PASS"
    assert verdict(lambda e: kit.identity(e, "C", C * (1 + 1e-6), C, tol=1e-12, why="rounding")) == "FAIL"


@pytest.mark.parametrize("drift, control, expected", [(0.0, False, "PASS"), (1e-6, False, "FAIL"),
                                                      (1e-6, True, "PASS"), (0.0, True, "FAIL")])
def test_a_conserved_quantity_and_its_control(drift, control, expected):
    values = 3.0 * (1 + drift) ** np.arange(100)
    assert verdict(lambda e: kit.conserved(e, "C", values, tol=1e-12, why="rounding", control=control)) == expected


def test_phases_find_the_last_rise():
    risk = np.array([1.0, 2.0, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1])
    phases = kit.Phases.of(risk)
    assert phases.rises.tolist() == [0, 2] and phases.settled_at == 3
    assert kit.Phases.of(np.linspace(1, 0, 10)).settled_at == 0


@pytest.mark.parametrize("risk, expected", [
    ([1.0, 2.0, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01], "PASS"),  # two rises, monotone from step 4 of 10
    ([1.0, 2.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01], "FAIL"),  # one overshoot is not a phase
    ([1.0, 2.0, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1, 0.2, 0.01], "FAIL"),  # rises again late: no monotone phase
])
def test_an_oscillating_phase_then_a_monotone_one(risk, expected):
    assert verdict(lambda e: kit.oscillates_then_settles(e, "risk", risk, rises=2, within=0.5, why="EoS")) == expected


def test_monotone_from_the_start_is_a_control():
    assert verdict(lambda e: kit.monotone_from_the_start(e, "risk", np.linspace(1, 0, 10), rises=2,
                                                         why="small step")) == "PASS"
    assert verdict(lambda e: kit.monotone_from_the_start(e, "risk", [1, 2, 1, 2, 1], rises=2,
                                                         why="small step")) == "FAIL"


@pytest.mark.parametrize("rate, expected", [(0.1, "PASS"), (0.02, "FAIL"), (-0.1, "FAIL")])
def test_a_fitted_slope_against_the_predicted_one(rate, expected):
    t = np.arange(100.0)
    log_gap = -rate * t  # an exponential rate; -0.1 is the theorem's
    assert verdict(lambda e: kit.fitted_slope(e, "log g", t, log_gap, predicted=-0.1, at_least=0.5, why="midpoint",
                                              failure="slope {slope:.2g} vs {predicted:.2g}")) == expected
