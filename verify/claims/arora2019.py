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
