"""Arora, Cohen, Hu, Luo 2019 (arXiv 1905.13655, NeurIPS 2019, Theorem 3): under gradient flow on a depth-N matrix
factorization from a balanced initialization, each singular value of the end-to-end matrix moves by
σ̇_r = −N (σ_r²)^{1−1/N} ⟨∇ℓ(W), u_r v_rᵀ⟩ (lemma `dmf.singular_values`).

Matrix completion of a rank-2 m×m matrix from half its entries (`numerics.data.completion`), the model
`numerics.models.DeepFactorization` on the engine's squared loss ℓ = (1/2n)Σ_obs (w_ij − m_ij)². The flow on the
factors is integrated in float64 (scipy's DOP853, rtol 1e−12; the gradient by autograd through the model's `apply`)
from balanced factors of a matrix with distinct singular values (`theory.factorization.balanced`). At sample times
the measured σ̇_r is the central difference of the singular values along the dense solution, and the bracket its
change when the difference's step is doubled (the O(h²) truncation, Richardson). The residual
max_{t,r} |σ̇_r − F_{N′}| / max|F_N|, with F_{N′} the lemma's right-hand side at depth N′, is judged by the kernel's
`at_the_point` (pointwise: an identity's residual): the claim's depth N against N − 1 and N + 1, the laws of the
neighbouring depths (N − 1 = 1 is the plain linear model's σ̇_r = −⟨∇ℓ, u_r v_rᵀ⟩). Control: the same flow from the
same W(0) with unbalanced factors (W₁·3, W_N/3).
"""

from __future__ import annotations

import numpy as np
import sympy
import torch
from scipy.integrate import solve_ivp

from numerics import data
from numerics.models import DeepFactorization
from numerics.optim import SteepestDescent
from numerics.train import run
from theory import factorization
from verify import kernel, mutants
from verify.claim import VERIFIER, Mutant, claim
from verify.evidence import Evidence
from verify.kit import SEED, formula

TIME = 4.0
SPECTRUM = (1.2, 0.6, 0.3, 0.1)
"""The balanced start's singular values (padded with smaller ones where m > 4): distinct, so u_r, v_r are defined."""
IMBALANCE = 3.0
"""The control's start: W₁ scaled by 3 and W_N by 1/3 — the same end-to-end W(0), factors far from balanced."""
LAW = kernel.Quantity(lambda r: f"residual of the depth-{r} law", lambda r: f"the depth-{r} law",
                      "the claimed depth's law")


def low_rank_completion(scale) -> data.Dataset:
    """A rank-2 m×m target (Frobenius norm m) and half of its entries, chosen at random (m = 4; 8 at paper scale)."""
    m = scale.pick(4, 8)
    rng = np.random.default_rng(SEED)
    target = rng.standard_normal((m, 2)) @ rng.standard_normal((2, m))
    target *= m / np.linalg.norm(target)
    cells = [(i, j) for i in range(m) for j in range(m)]
    observed = [cells[k] for k in sorted(rng.choice(len(cells), len(cells) // 2, replace=False))]
    return data.completion(target, observed)


def flow(model: DeepFactorization, ds, factors, times):
    """Gradient flow on the factors (the engine's squared loss, autograd through `model.apply`), densely solved."""
    X, y = torch.as_tensor(ds.X), torch.as_tensor(ds.y)
    sizes = [int(np.prod(s)) for s in model.shapes]

    def field(_, v):
        v = torch.as_tensor(v).requires_grad_()
        layers = [p.reshape(s) for p, s in zip(torch.split(v, sizes), model.shapes)]
        loss = 0.5 * ((model.apply(layers, X) - y) ** 2).mean()
        (g,) = torch.autograd.grad(loss, v)
        return -g.numpy()

    start = np.concatenate([f.ravel() for f in factors])
    solution = solve_ivp(field, (0, times[-1] + 1e-2), start, rtol=1e-12, atol=1e-14, method="DOP853",
                         dense_output=True)

    def end_to_end(t):
        v = solution.sol(t)
        layers = [p.reshape(s) for p, s in zip(np.split(v, np.cumsum(sizes)[:-1]), model.shapes)]
        return np.linalg.multi_dot(layers[::-1]) if len(layers) > 1 else layers[0]
    return end_to_end


def judge_law(name: str, model, ds, end_to_end, times) -> Evidence:
    """The depth-N law against the laws of depths N ± 1 along the flow (`at_the_point` on the worst residual)."""
    ev = Evidence(name)
    depth, m = model.depth, model.m
    law = formula("dmf.singular_values", factorization.sigma, factorization.PROJECTED, factorization.N)
    measured, doubled, projected, singular = [], [], [], []
    for t in times:
        sig = {h: [np.linalg.svd(end_to_end(t + s * h), compute_uv=False) for s in (-1, 1)] for h in (1e-4, 2e-4)}
        W = end_to_end(t)
        U, s, Vt = np.linalg.svd(W)
        gradient = (ds.X.T @ (ds.X @ W.ravel() - ds.y) / ds.n).reshape(m, m)  # ∇ℓ(W) = (1/n)Σ r_i A_i
        measured.append((sig[1e-4][1] - sig[1e-4][0]) / 2e-4)
        doubled.append((sig[2e-4][1] - sig[2e-4][0]) / 4e-4)
        projected.append(np.einsum("ir,ij,jr->r", U, gradient, Vt.T))
        singular.append(s)
    measured, projected, singular = np.array(measured), np.array(projected), np.array(singular)
    truncation = 4 / 3 * np.abs(measured - np.array(doubled)).max()  # Richardson: |D(h) − σ̇| ≈ |D(h) − D(2h)|/3 ·4
    laws = {n: law(singular, projected, n) for n in (depth - 1, depth, depth + 1)}
    scale = np.abs(laws[depth]).max()
    bracket = (truncation + 1e-9 * scale) / scale  # plus the ODE's rtol 1e-12 amplified by 1/h
    residual = {n: float(np.abs(measured - laws[n]).max() / scale) for n in laws}
    ev.record(depth=depth, times=list(times), residuals=residual, finite_difference_bracket=bracket,
              singular_values_at_T=singular[-1].tolist())
    for r in range(min(m, 3)):
        ev.trajectory(f"σ_{r + 1}(t)", np.array(times), singular[:, r])
    kernel.at_the_point(ev, str(depth), (residual[depth] - bracket, residual[depth] + bracket),
                        {str(n): (residual[n] - bracket, residual[n] + bracket) for n in (depth - 1, depth + 1)}, LAW,
                        pointwise=True)
    return ev


def exponent_doubled(mp):
    """The lemma's exponent 1 − 1/N read as 1 − 2/N."""
    lemma = factorization.SINGULAR_VALUE_FLOW
    mutants.replace_lemma(mp, "dmf.singular_values", sympy.Eq(lemma.lhs, lemma.rhs.subs(
        1 - 1 / factorization.N, 1 - 2 / factorization.N), evaluate=False))


@claim(id="arora.singular_values", papers=("arora2019",),
       mutants=[Mutant("the exponent 1 − 2/N", "the lemma's law reads (σ_r²)^{1−2/N}", VERIFIER,
                       "residual of the depth", patch=exponent_doubled)],
       lemmas=["dmf.singular_values"],
       statement="Under gradient flow on a depth-N factorization from a balanced start, every singular value of the "
                 "end-to-end matrix moves by −N(σ_r²)^{1−1/N}⟨∇ℓ(W), u_r v_rᵀ⟩: the residual of the depth-N law is "
                 "within a quarter of the depth-(N ± 1) laws' (N = 2, 3; 4 at paper scale).")
def test_singular_values_move_by_the_depth_law(scale, evidence):
    ds = low_rank_completion(scale)
    m = int(round(np.sqrt(ds.d)))
    times = np.linspace(0.05, TIME, scale.pick(20, 60))
    spectrum = list(SPECTRUM) + [SPECTRUM[-1] / 2 ** k for k in range(1, m - len(SPECTRUM) + 1)]
    for depth in scale.pick((2, 3), (2, 3, 4)):
        model = DeepFactorization(m, depth=depth)
        rng = np.random.default_rng(SEED + depth)
        factors = factorization.balanced(rng, m, depth, spectrum[:m])
        evidence.include(judge_law(f"depth {depth}, balanced start", model, ds, flow(model, ds, factors, times),
                                   times))
        unbalanced = [IMBALANCE * factors[0], *factors[1:-1], factors[-1] / IMBALANCE]  # the same W(0)
        evidence.include(judge_law(f"depth {depth}, unbalanced start (control)", model, ds,
                                   flow(model, ds, unbalanced, times), times), expect="FAIL")
    evidence.conclude()


TARGET_SPECTRUM = (4.0, 2.0, 1.0, 0.5)
START = 1e-2
"""The staged-learning claim's target singular values and the balanced start's (every σ_r(0) = 10⁻²)."""


def aligned_start(U, Vt, depth: int) -> list[np.ndarray]:
    """Balanced factors of W(0) = START·UVᵀ with M's singular vectors: W_1 = S^{1/N}Vᵀ, W_j = S^{1/N}, W_N = US^{1/N}
    (S = START·I), so the modes of M decouple and each σ_r follows the lemma's scalar law exactly under the flow."""
    root = START ** (1 / depth) * np.eye(len(U))
    return [root @ Vt if j == 0 else U @ root if j == depth - 1 else root for j in range(depth)] if depth > 1 else \
        [START * U @ Vt]


def half_times(law, depth: int, targets, n: int, horizon: float) -> np.ndarray:
    """The time σ_r takes from START to σ*_r/2 under the law σ̇ = F(σ, (σ − σ*_r)/n, N) (the lemma's right-hand
    side with ∇ℓ(W) = (W − M)/n along u_r v_rᵀ), integrated by DOP853 with an event."""
    times = []
    for target in targets:
        event = lambda t, s, target=target: s[0] - target / 2  # noqa: E731
        event.terminal = True
        solution = solve_ivp(lambda t, s, target=target: [float(law(s[0], (s[0] - target) / n, depth))],
                             (0, horizon), [START], events=event, rtol=1e-12, atol=1e-15, method="DOP853")
        times.append(solution.t_events[0][0] if len(solution.t_events[0]) else np.inf)
    return np.array(times)


def measured_half_times(traj, steps_per_time: float, targets) -> np.ndarray:
    """The first time each sorted singular value of the run's W_T reaches σ*_r/2, interpolated between records."""
    W = traj.params[0][:, 0]
    for factor in traj.params[1:]:
        W = factor[:, 0] @ W
    sigma = np.linalg.svd(W, compute_uv=False)  # (records, m), sorted: the larger targets lead
    times = traj.steps / steps_per_time
    out = []
    for r, target in enumerate(targets):
        k = int(np.argmax(sigma[:, r] >= target / 2))
        out.append(np.interp(target / 2, sigma[k - 1:k + 1, r], times[k - 1:k + 1]))
    return np.array(out)


def judge_stages(name: str, depth: int, measured, refined, claimed: int, law, n: int, horizon: float) -> Evidence:
    """The measured half-times against the law's at depth `claimed` and its neighbours (`at_the_point`, pointwise):
    residual max_r |t_r − t_r(N′)|/t_r(N), bracketed by GD's discretization (η against η/2, Richardson)."""
    ev = Evidence(name)
    predicted = {n_: half_times(law, n_, TARGET_SPECTRUM, n, horizon) for n_ in (claimed - 1, claimed, claimed + 1)
                 if n_ >= 1}
    bracket = float(np.max(np.abs(measured - refined) / predicted[claimed])) * 2  # first order: error(η) ≈ 2|Δ|
    residual = {n_: float(np.max(np.abs(refined - p) / predicted[claimed])) for n_, p in predicted.items()}
    ev.record(depth=depth, half_times=refined.tolist(), predicted={str(k): v.tolist() for k, v in predicted.items()},
              stagger=(refined[1:] / refined[:-1]).tolist(), discretization_bracket=bracket, residuals=residual)
    kernel.at_the_point(ev, str(claimed), (residual[claimed] - bracket, residual[claimed] + bracket),
                        {str(k): (v - bracket, v + bracket) for k, v in residual.items() if k != claimed}, LAW,
                        pointwise=True)
    return ev


@claim(id="arora.learning_in_stages", papers=("arora2019",),
       mutants=[Mutant("the exponent 1 − 2/N", "the lemma's law reads (σ_r²)^{1−2/N}", VERIFIER,
                       "residual of the depth", patch=exponent_doubled)],
       lemmas=["dmf.singular_values"],
       statement="GD (η = 0.01, against η = 0.005 for its discretization) on a depth-N factorization fitting a "
                 "4×4 matrix with singular values 4, 2, 1, 0.5 from a balanced start at 10⁻² learns the singular "
                 "values in stages: the time each takes to reach half its target is the one the depth-N law predicts, "
                 "within a quarter of the depth-(N ± 1) laws' (N = 2, 3), staggered by the target's size where depth 1 "
                 "learns all at once.")
def test_depth_learns_the_singular_values_in_stages(scale, evidence):
    rng = np.random.default_rng(SEED)
    U, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    V, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    target = U @ np.diag(TARGET_SPECTRUM) @ V.T
    ds = data.completion(target, [(i, j) for i in range(4) for j in range(4)], "every entry of a 4×4 matrix")
    law = formula("dmf.singular_values", factorization.sigma, factorization.PROJECTED, factorization.N)
    eta, horizon = 0.01, 400.0
    for depth, claimed, expect in ((2, 2, "PASS"), (3, 3, "PASS"), (1, 2, "FAIL")):
        model = DeepFactorization(4, depth=depth)
        runs = []
        for step in (eta, eta / 2):
            steps = int(horizon / step)
            init = [torch.as_tensor(f)[None] for f in aligned_start(U, V.T, depth)]
            runs.append(run(model, ds.X, ds.y, "squared",
                            lambda ps, step=step: SteepestDescent(ps, step, "l2", normalized=False, batch_dims=1),
                            steps=steps, batch=1, init=init, record_every=max(1, steps // 4000),
                            record_params=True, seed=SEED))
        coarse, fine = (measured_half_times(r, 1 / s, TARGET_SPECTRUM) for r, s in zip(runs, (eta, eta / 2)))
        label = (f"depth {depth} → the depth-{claimed} law" + (" (control: depth 1 learns all at once)"
                                                                if depth == 1 else ""))
        evidence.include(judge_stages(label, depth, coarse, fine, claimed, law, ds.n, horizon), expect=expect)
    evidence.conclude()
