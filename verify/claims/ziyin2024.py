"""Noether flow (Ziyin et al. 2024, parameter symmetry and the noise equilibrium of SGD): the rescaling symmetry
of f = u·w·x (and of f = UWx) makes gradient flow conserve C = u² − w² (C = UᵀU − WWᵀ); a gradient step
changes it by an exact second-order term, and gradient noise drives it to a fixed point whatever the start.

Squared loss ½·mean (f − y)² on non-realizable data (labels with noise), so mini-batch gradients stay noisy at
the optimum. Several initializations train as one batched program.
"""

from __future__ import annotations

import numpy as np
import torch

from numerics.train import metrics
from numerics.models import TwoLayerLinear
from numerics.optim import NoisySGD
from numerics.train import run
from theory import symmetry
from theory.symmetry import C_NOW, G_M, G_SQUARED, U_M, W_M, g_hat
from verify import mutants
from verify.claim import VERIFIER, Mutant, claim
from verify.kit import SEED, conserved, formula, identity, known_failure

ROUNDING = 1e-12


def scalar_data(n: int = 32):
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, 1))
    return X, 2 * X[:, 0] + 0.5 * rng.standard_normal(n)


def scalar_inits():
    """(u, w) with u·w = 2 (the least-squares product, roughly) and imbalances C₀ = u² − w² ∈ {3, 0, −3, 8.56}."""
    u = torch.tensor([2.0, 2 ** 0.5, 1.0, 3.0], dtype=torch.float64).reshape(4, 1, 1)
    return [u, 2 / u]


def isotropic_regression(d: int, n: int = 64):
    """Inputs whitened to XᵀX/n = I exactly (isotropic), noisy linear targets (non-realizable by design)."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, d))
    X = X @ np.linalg.inv(np.linalg.cholesky(X.T @ X / n)).T
    return X, X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)


def imbalance_norm(params, X=None, y=None) -> torch.Tensor:
    """‖UᵀU − WWᵀ‖_F per configuration (the two-layer linear net's conserved quantity, `metrics.noether` up to
    its trace form)."""
    U, W = params
    return torch.linalg.matrix_norm(U.mT @ U - W @ W.mT)


def sgd(lr, **kw):
    return lambda ps: NoisySGD(ps, lr, batch_dims=1, seed=SEED, **kw)


@claim(id="noether.gd_discrete_factor", papers=("ziyin2024",),
       seams={"formula": formula},
       mutants=[Mutant("lemma statement with a flipped sign", "noether.gd.discrete states C_{t+1} = C_t(1 + η²ĝ²)",
                       VERIFIER, "lemma noether.gd.discrete", fails=True, patch=mutants.lemma_with_a_flipped_sign),
                Mutant("Noether factor with +", "the claim computes C_t(1 + η²a_t²)", VERIFIER,
                       "C_{t+1} − C_t(1 − η²a_t²)",
                       fails=True,
                       seams={"formula": lambda lemma_id, *symbols: lambda C, eta, g: C * (1 + eta**2 * g**2)})],
       lemmas=["noether.gd.discrete", "noether.gd.discrete_matrix", "noether.flow.scalar",
               "noether.flow.matrix"],
       statement="A GD step changes C = u² − w² exactly by the factor 1 − η²a² (a = ∂L/∂(uw)), and "
                 "C = UᵀU − WWᵀ exactly by η²(W gᵀg Wᵀ − Uᵀg gᵀU); it is not conserved.")
def test_gd_changes_the_conserved_quantity_by_the_exact_discrete_term(evidence, seams):
    eta, steps = 0.05, 300
    X, y = scalar_data()
    traj = run(TwoLayerLinear(1, 1), X, y, "squared", sgd(eta), steps=steps, batch=4, init=scalar_inits(),
               record_every=1, record_params=True, seed=SEED)
    u, w = (p[:, :, 0, 0] for p in traj.params)  # (T + 1, B)
    C = u**2 - w**2
    a = ((u * w)[..., None] * X[:, 0] - y) @ X[:, 0] / len(y)  # mean_i r_i x_i
    predicted = seams.formula("noether.gd.discrete", C_NOW, symmetry.eta, g_hat)(C[:-1], eta, a[:-1])  # C_t(1 − η²ĝ²)
    evidence.trajectory("C(θ_t), configuration 0", traj.steps, C[:, 0])
    evidence.record(eta=eta, steps=steps, C0=C[0], CT=C[-1])
    identity(evidence, "max |C_{t+1} − C_t(1 − η²a_t²)| / max|C|", C[1:], predicted, tol=ROUNDING,
             why="exact identity up to float64 rounding")
    conserved(evidence, "GD conserves C exactly: max |C_{t+1} − C_t| / max|C|", C, control=True, tol=ROUNDING,
              why="only the flow conserves C; a step of size η changes it at second order")

    # the matrix version: U (1×h), W (h×d)
    d, h = 4, 3
    rng = np.random.default_rng(SEED)
    Xm = rng.standard_normal((64, d))
    ym = Xm @ rng.standard_normal(d) + 0.5 * rng.standard_normal(64)
    model = TwoLayerLinear(d, h)
    traj = run(model, Xm, ym, "squared", sgd(0.02), steps=steps, batch=2, record_every=1, record_params=True, seed=SEED)
    U, W = traj.params  # (T + 1, B, 1, h), (T + 1, B, h, d)
    Cm = U.transpose(0, 1, 3, 2) @ U - W @ W.transpose(0, 1, 3, 2)
    r = (U @ W @ Xm.T)[..., 0, :] - ym  # (T + 1, B, n)
    g = (r @ Xm / len(ym))[..., None, :]  # (T + 1, B, 1, d): E[r xᵀ]
    step = formula("noether.gd.discrete_matrix", U_M, W_M, G_M, symmetry.eta)  # η²(WgᵀgWᵀ − UᵀggᵀU), one sample
    change = np.array([[step(U[t, b], W[t, b], g[t, b], 0.02) for b in range(U.shape[1])] for t in range(steps)])
    evidence.record(matrix_max_change=float(np.abs(Cm[1:] - Cm[:-1]).max() / np.abs(Cm).max()))
    identity(evidence, "matrix: max |C_{t+1} − C_t − η²(WgᵀgWᵀ − UᵀggᵀU)| / max|C|", Cm[1:] - Cm[:-1], change,
             scale=np.abs(Cm).max(), tol=ROUNDING, why="exact identity up to float64 rounding")
    evidence.conclude()


@claim(id="noether.sgd_equilibrium", papers=("ziyin2024",),
       lemmas=["noether.sgd.drift", "noether.flow.scalar"],
       statement="SGD (mini-batch or label noise) drives C = u² − w² to the same value from different "
                 "initializations, while GD keeps its initial imbalance.")
def test_sgd_noise_drives_the_imbalance_to_one_value(scale, evidence):
    eta, steps = 0.05, scale.pick(10_000, 100_000)
    X, y = scalar_data()
    x = X[:, 0]
    beta = float(x @ y / (x @ x))  # least-squares product uw at the optimum
    residual = beta * x - y
    # E[C_{t+1}] = C_t(1 − η²E[ĝ²]) (lemma noether.sgd.drift): near the optimum ĝ is r_i x_i for a batch of one,
    # and mean_i (r_i + σξ_i)x_i with label noise σ on the full batch; the spread shrinks by that factor a step
    factor = formula("noether.sgd.drift", C_NOW, symmetry.eta, G_SQUARED)
    rates = {"SGD, batch 1": float(np.mean((residual * x) ** 2)),
             "label-noise GD, σ = 3": 9.0 * float(np.mean(x**2)) / len(x)}
    runs = {"SGD, batch 1": (sgd(eta), 1), "label-noise GD, σ = 3": (sgd(eta, label_noise=3.0), None),
            "GD": (sgd(eta), None)}
    spreads = {}
    for name, (make, batch_size) in runs.items():
        traj = run(TwoLayerLinear(1, 1), X, y, "squared", make, steps=steps, batch=4, batch_size=batch_size,
                   init=scalar_inits(), record_every=steps // 100, seed=SEED, metrics={"C": metrics.noether})
        C = traj["C"]
        spreads[name] = float(np.ptp(C[-1]) / np.ptp(C[0]))
        evidence.trajectory(f"{name}: C(θ_t) per initialization", traj.steps, C)
        evidence.record(**{f"{name}: C at T": C[-1], f"{name}: spread ratio": spreads[name]})
    predicted = {name: float(factor(1.0, eta, v)) ** steps for name, v in rates.items()}
    for name in rates:
        # half the predicted log-decay: the early transient (far from the optimum, larger ĝ) only helps, and
        # E[ĝ²] is evaluated at the optimum
        evidence.check(f"{name}: spread of C_T over spread of C_0", spreads[name], "<=", predicted[name] ** 0.5,
                       f"(1 − η²E[ĝ²])^T = {predicted[name]:.2e} predicted (lemma noether.sgd.drift); bound: its "
                       "square root")
    evidence.control("GD: spread of C_T over spread of C_0", spreads["GD"], "<=", predicted["SGD, batch 1"] ** 0.5,
                     "without noise ĝ → 0 and C freezes at its initial imbalance")
    evidence.conclude()


STREAMS = 4
"""Sample streams per initialization in the equilibrium claim: its statement is about the stationary state, not one
path to it."""


@claim(id="noether.two_layer_equilibrium", papers=("ziyin2024",),
       lemmas=["noether.flow.matrix"],
       statement="For the two-layer linear net on isotropic inputs, SGD drives UᵀU − WWᵀ to one "
                 "equilibrium independent of initialization; GD keeps the initial imbalance. (Measured: "
                 "with one output and three hidden units that equilibrium is not C = 0.)")
@known_failure("measured (d = 4, three hidden units, η = 0.02, batch 1, 10⁵ steps, C averaged over the last half, "
               "four sample streams): SGD shrinks the difference between two initializations' imbalances to 0.08–0.15 "
               "of the initial one, and it stays there from 3·10⁴ to 3·10⁵ steps: not one equilibrium. (One torch "
               "stream gave 0.08 at 3·10⁴ steps, which this claim once passed on.)")
def test_sgd_drives_the_two_layer_linear_net_to_one_equilibrium(scale, evidence):
    d, h, steps = 4, 3, scale.pick(100_000, 300_000)
    X, y = isotropic_regression(d)
    g = torch.Generator().manual_seed(SEED)
    U0 = 0.6 * torch.randn(2, 1, h, generator=g, dtype=torch.float64)
    W0 = 0.6 * torch.randn(2, h, d, generator=g, dtype=torch.float64)
    U0[0] *= 2; W0[0] *= 0.5; U0[1] *= 0.5; W0[1] *= 2  # noqa: E702  (opposite imbalances)

    def imbalance(U, W):
        return np.swapaxes(U, -1, -2) @ U - W @ np.swapaxes(W, -1, -2)

    C0 = imbalance(U0.numpy(), W0.numpy())
    initial = float(np.linalg.norm(C0[0] - C0[1]))
    apart = {}
    for name, batch_size, streams in (("SGD, batch 1", 1, STREAMS), ("GD", None, 1)):
        # configurations (a, b) per stream: each draws its own batches
        traj = run(TwoLayerLinear(d, h), X, y, "squared", sgd(0.02), steps=steps, batch=2 * streams,
                   batch_size=batch_size, init=[U0.repeat(streams, 1, 1), W0.repeat(streams, 1, 1)],
                   record_every=steps // 200, seed=SEED, record_params=True, metrics={"‖C‖": imbalance_norm})
        C = imbalance(*traj.params)  # (records, 2·streams, h, h)
        settled = C[traj.steps >= steps // 2].mean(axis=0)  # the stationary state: averaged over the last half
        apart[name] = [float(np.linalg.norm(settled[2 * s] - settled[2 * s + 1])) / initial for s in range(streams)]
        evidence.trajectory(f"{name}: ‖UᵀU − WWᵀ‖_F (a, b per stream)", traj.steps, traj["‖C‖"])
        evidence.record(**{f"{name}: ‖C̄(a) − C̄(b)‖/‖C_0(a) − C_0(b)‖ per stream": apart[name],
                           f"{name}: ‖C̄‖ per configuration": np.linalg.norm(settled, axis=(1, 2)).tolist()})
    # an order of magnitude: the drift rate of the matrix case has no closed form here, so the claim is read
    # against the control, which stays within 1 % of its start
    evidence.check("SGD: largest ‖C̄(a) − C̄(b)‖ / ‖C_0(a) − C_0(b)‖ over the streams", max(apart["SGD, batch 1"]),
                   "<=", 0.1, "independent of the initialization, on every sample stream")
    evidence.control("GD: ‖C̄(a) − C̄(b)‖ / ‖C_0(a) − C_0(b)‖", apart["GD"][0], "<=", 0.1,
                     "GD keeps its initial imbalance (up to O(η²))")
    evidence.conclude()


@claim(id="noether.two_layer_balanced", papers=("ziyin2024",),
       lemmas=["noether.flow.matrix"],
       statement="For the two-layer linear net on isotropic inputs, SGD's equilibrium is balanced: "
                 "UᵀU − WWᵀ → 0.")
@known_failure("measured (noether.two_layer_equilibrium, one output, three hidden units, XᵀX/n = I exactly): "
               "‖C_T‖_F settles near 4 from 10 and 15 at the start, the same for both initializations, not 0")
def test_sgd_balances_the_two_layer_linear_net(scale, evidence):
    d, h, steps = 4, 3, scale.pick(30_000, 300_000)
    X, y = isotropic_regression(d)
    g = torch.Generator().manual_seed(SEED)
    U0, W0 = (1.2 * torch.randn(1, 1, h, generator=g, dtype=torch.float64),
              0.3 * torch.randn(1, h, d, generator=g, dtype=torch.float64))
    traj = run(TwoLayerLinear(d, h), X, y, "squared", sgd(0.02), steps=steps, batch=1, batch_size=1, init=[U0, W0],
               record_every=steps // 100, seed=SEED,
               metrics={"‖C‖": imbalance_norm})
    size = traj["‖C‖"][:, 0]
    evidence.trajectory("SGD: ‖UᵀU − WWᵀ‖_F", traj.steps, size)
    evidence.check("SGD: ‖C_T‖ / ‖C_0‖", size[-1] / size[0], "<=", 0.1, "balanced: an order of magnitude smaller")
    evidence.conclude()
