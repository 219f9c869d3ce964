"""Large-stepsize GD on non-homogeneous two-layer networks (Cai, Wu, Mei, Lindsey, Bartlett 2024): two
neurons with fixed output weights ±½, activation φ(x) = (x + softplus(x))/2, logistic loss, GD from a seeded
Gaussian initialization. With a large step the risk oscillates, then — once below a step-dependent threshold —
decreases monotonically while the normalized margin increases; a small step is monotone from the start; the
large step reaches a small risk sooner, and late the risk is ≈ C/(ηt).

Step sizes (large, small) and horizons are one batched program per data set.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numerics import data
from numerics.references.margins import max_margin
from numerics.models import TwoLayerSmooth
from numerics.optim import SteepestDescent
from numerics.train import run
from verify.claim import claim
from verify.kit import SEED, known_failure, monotone_from_the_start, oscillates_then_settles


def gaussian_mixture():
    """Two classes: means ±e₁ plus N(0, I) in d = 50, 20 points each (separable: n < d)."""
    rng = np.random.default_rng(SEED)
    y = np.repeat([1, -1], 20)
    X = y[:, None] * np.eye(50)[0] + rng.standard_normal((40, 50))
    return data.Dataset(X, y, description="Gaussian mixture ±e₁ + N(0, I), d = 50")


SETTINGS = {  # data set, width, (small, large) step
    "five points": (data.cai2024_five_points, 2, (2.0, 50.0)),
    "XOR": (lambda: data.xor(5, noise=0.1, seed=SEED), 4, (2.0, 50.0)),
    "Gaussian mixture": (gaussian_mixture, 2, (2.0, 100.0)),
}
NO_EOS = ("measured: on this separable Gaussian mixture large steps (η = 30 … 1000) overshoot at most once (at step "
          "0) and then decrease monotonically — no oscillating phase; on a non-separable mixture (overlapping "
          "classes) the risk never settles. The two-phase claim is not reproduced on Gaussian mixtures here.")
OSCILLATION = 2
"""An oscillating phase: the risk rises at least twice (one overshoot at the first step is not a phase)."""
SMALL_RISK = 0.05


def train(ds, width, etas, steps):
    model = TwoLayerSmooth(ds.d, width)
    init = [p.expand(len(etas), *p.shape[1:]).clone() for p in model.init(1, torch.Generator().manual_seed(SEED))]
    lrs = torch.tensor(etas, dtype=torch.float64)
    traj = run(model, ds.X, ds.y.astype(float), "logistic",
               lambda ps: SteepestDescent(ps, lrs, "l2", normalized=False, batch_dims=1), steps=steps,
               batch=len(etas), init=init, record_every=1, record_params=True, seed=SEED)
    W = torch.as_tensor(traj.params[0])  # (T + 1, B, width, d)
    T1, B = W.shape[:2]
    out = model([W.reshape(T1 * B, *W.shape[2:])], torch.as_tensor(ds.X)).reshape(T1, B, -1)
    margin = (torch.as_tensor(ds.y, dtype=torch.float64) * out).amin(-1) / torch.linalg.matrix_norm(W)
    return traj, margin.numpy()


def first_below(risk: np.ndarray, level: float) -> float:
    hit = np.flatnonzero(risk <= level)
    return float(hit[0]) if hit.size else float("inf")


@claim(id="cai.large_step_phases", papers=("cai2024",),
       lemmas=["kkt.l2.binary"],
       statement="Large-step GD: the risk oscillates, then decreases monotonically once below a "
                 "threshold, with a nearly monotone normalized margin; a small step is monotone from the "
                 "start; the large step reaches a small risk sooner; late, risk ≈ C/(ηt).")
@pytest.mark.parametrize("name", ["five points", "XOR",
                                  pytest.param("Gaussian mixture", marks=known_failure(NO_EOS))])
def test_large_step_gd_has_two_phases(name, scale, evidence):
    make, width, (small, large) = SETTINGS[name]
    ds = make()
    steps = scale.pick(20_000, 200_000)
    if name == "five points":  # the paper's reference: max-margin direction (1, 0, 0) with margin 0.05
        ref = max_margin(ds, norm="l2")
        evidence.record(reference_margin=ref.margin, reference_direction=ref.W)
        evidence.check("|γ* − 0.05| of the five points", abs(ref.margin - 0.05), "<=", 1e-6 * 0.05 * 10,
                       "the paper's stated max margin (certificate rtol 1e-6)")
        evidence.check("‖W* − (1, 0, 0)‖", float(np.linalg.norm(ref.W - [1, 0, 0])), "<=", 1e-4,
                       "the paper's stated max-margin direction")
    traj, margin = train(ds, width, [small, large], steps)
    risk = traj["loss"]
    evidence.trajectory(f"risk, η = {small:g}", traj.steps, risk[:, 0])
    evidence.trajectory(f"risk, η = {large:g}", traj.steps, risk[:, 1])
    evidence.trajectory(f"normalized margin, η = {large:g}", traj.steps, margin[:, 1])
    evidence.record(final_risk=risk[-1])
    t_star = oscillates_then_settles(evidence, f"risk, η = {large:g}", risk[:, 1], rises=OSCILLATION, within=0.5,
                                     why="the oscillating (EoS) phase").settled_at
    evidence.record(risk_at_transition=risk[t_star, 1])
    # the margin-improvement phase: after the last risk increase and once ηL ≤ 1 (the logistic loss's curvature
    # is ≤ L, so a step of size η is then a stable descent step)
    start = max(t_star, int(np.argmax(large * risk[:, 1] <= 1)))
    m = margin[start:, 1]
    drawdown = float(np.max(np.maximum.accumulate(m) - m) / m[-1])
    evidence.record(margin_phase_start=start, margin_at_phase_start=m[0], final_margin=m[-1], margin_drawdown=drawdown)
    evidence.check(f"η = {large:g}: largest fall of the margin below its running maximum / final margin", drawdown,
                   "<=", 0.01, "nearly monotone: never 1 % below its best so far")
    evidence.check(f"η = {large:g}: margin gained in that phase", m[-1] - m[0], ">", 0, "it grows")
    monotone_from_the_start(evidence, f"risk, η = {small:g}", risk[:, 0], rises=OSCILLATION,
                            why="a small step is monotone from the start")
    first = [first_below(risk[:, b], SMALL_RISK) for b in range(2)]
    evidence.record(steps_to_small_risk={f"η = {small:g}": first[0], f"η = {large:g}": first[1]})
    evidence.check(f"steps to risk ≤ {SMALL_RISK}: η = {large:g} over η = {small:g}", first[1] / first[0], "<", 1.0,
                   "the large step is faster despite its oscillations")
    # late phase: L ≲ C/(ηt) — ηtL(t) bounded, approaching one C for both steps. The small step reaches its
    # late phase last, so flatness is asked of the large one; factor 2 = "≈" at a finite horizon.
    t = traj.steps.astype(float)
    late = slice(int(np.searchsorted(t, steps // 10)), None)
    products = np.array([small, large]) * t[late, None] * risk[late]
    evidence.record(eta_t_risk_at_T=products[-1], eta_t_risk_at_decade=products[0])
    evidence.check(f"η = {large:g}: ηTL(T) / (η(T/10)L(T/10))", float(products[-1, 1] / products[0, 1]), "<=", 2.0,
                   "risk ≈ C/(ηt): the product stays flat over the last decade")
    evidence.check("max/min over η of ηTL(T)", float(products[-1].max() / products[-1].min()), "<=", 2.0,
                   "the same C for both steps")
    evidence.conclude()
