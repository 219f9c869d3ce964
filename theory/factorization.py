"""Deep matrix factorization: the end-to-end matrix W = W_N ⋯ W_1 of a deep linear network trained on a loss ℓ(W).

Arora, Cohen, Hu, Luo 2019 (arXiv 1905.13655, NeurIPS 2019, Theorem 3): under gradient flow on the factors from a
balanced initialization (W_{j+1}ᵀW_{j+1} = W_jW_jᵀ), each singular value σ_r of W with singular vectors u_r, v_r
moves by

    σ̇_r = −N (σ_r²)^{1 − 1/N} ⟨∇ℓ(W), u_r v_rᵀ⟩,

so for N ≥ 2 a small σ_r moves slowly (the factor (σ_r²)^{1−1/N}) and a large one fast: singular values are learned
one at a time, and depth sharpens it.

Razin & Cohen 2020 (arXiv 2005.06398, NeurIPS 2020): on the 2×2 completion with w₁₂ = w₂₁ = 1 and w₂₂ = 0 observed,
every completion has det W = −1, while gradient flow on N ≥ 2 factors keeps the sign of det W. From det W > 0,
small loss forces a large unobserved entry and a small σ₂: with ℓ = (1/2n)Σ_obs (w_ij − m_ij)² (n = 3, the engine's
squared loss) each observed residual is at most s = √(2nℓ), so w₁₂w₂₁ ≥ (1 − s)² and |w₂₂| ≤ s, hence
|w₁₁| ≥ (1 − s)²/s and σ₂ = det W/σ₁ ≤ |w₁₁w₂₂|/|w₁₁| ≤ s. As ℓ → 0 every norm of W diverges.
"""

from __future__ import annotations

import numpy as np
import sympy

from theory.lemma import Lemma, register, relation, violation

ARORA = "Arora, Cohen, Hu, Luo 2019 (arXiv 1905.13655), Theorem 3"
RAZIN = "Razin & Cohen 2020 (arXiv 2005.06398), the 2×2 completion of Section 3"

N = sympy.Symbol("N", positive=True, integer=True)
t = sympy.Symbol("t")
sigma = sympy.Function(r"\sigma_r")(t)
PROJECTED = sympy.Symbol(r"\langle\nabla\ell(W),u_{r}v_{r}^{T}\rangle")
SINGULAR_VALUE_FLOW = sympy.Eq(sympy.Derivative(sigma, t), -N * (sigma ** 2) ** (1 - 1 / N) * PROJECTED,
                               evaluate=False)

ell = sympy.Symbol(r"\ell", nonnegative=True)
OBSERVED = 3
W11, SIGMA_2 = sympy.symbols(r"|w_{11}| \sigma_2", nonnegative=True)
RESIDUAL_BOUND = sympy.sqrt(2 * OBSERVED * ell)
RAZIN_BOUNDS = sympy.And(sympy.Ge(W11, (1 - RESIDUAL_BOUND) ** 2 / RESIDUAL_BOUND, evaluate=False),
                         sympy.Le(SIGMA_2, RESIDUAL_BOUND, evaluate=False), evaluate=False)


def balanced(rng, m: int, depth: int, spectrum) -> list[np.ndarray]:
    """Balanced factors of W = U diag(spectrum) Vᵀ (random U, V, R_j): W_1 = R_1 S^{1/N} Vᵀ, W_j = R_j S^{1/N} R_{j−1}ᵀ,
    W_N = U S^{1/N} R_{N−1}ᵀ, so W_{j+1}ᵀW_{j+1} = W_jW_jᵀ = R_j S^{2/N} R_jᵀ."""
    def orthogonal():
        return np.linalg.qr(rng.standard_normal((m, m)))[0]

    root = np.diag(np.asarray(spectrum, dtype=np.float64) ** (1 / depth))
    rotations = [orthogonal() for _ in range(depth + 1)]  # V, R_1 … R_{N−1}, U
    return [rotations[j + 1] @ root @ rotations[j].T for j in range(depth)]


def end_to_end_velocity(factors, gradient) -> np.ndarray:
    """Ẇ under gradient flow on the factors, for ∇ℓ(W) = `gradient`: Ẇ_j = −(W_N⋯W_{j+1})ᵀ ∇ℓ (W_{j−1}⋯W_1)ᵀ and
    Ẇ = Σ_j (W_N⋯W_{j+1}) Ẇ_j (W_{j−1}⋯W_1) (the chain rule, no balancedness used)."""
    m = factors[0].shape[0]
    eye = np.eye(m)
    below = [eye]
    for W in factors:
        below.append(W @ below[-1])  # below[j] = W_j ⋯ W_1
    above = [eye]
    for W in reversed(factors):
        above.append(above[-1] @ W)  # above[k] = W_N ⋯ W_{N−k+1}
    total = np.zeros_like(gradient)
    depth = len(factors)
    for j in range(depth):
        left, right = above[depth - j - 1], below[j]
        total += left @ (-(left.T @ gradient @ right.T)) @ right
    return total


def _flow_symbolic(statement):
    """The scalar balanced factorization w = a^N (a > 0, every factor a): ȧ = −ℓ'(w) a^{N−1}, so ẇ = N a^{N−1} ȧ;
    the statement with σ = w and ⟨∇ℓ, uvᵀ⟩ = ℓ'(w) must give the same ẇ."""
    a, slope = sympy.symbols("a ell_prime", positive=True)
    w_dot = N * a ** (N - 1) * (-slope * a ** (N - 1))
    stated = statement.rhs.subs({sigma: a ** N, PROJECTED: slope})
    return [sympy.simplify(sympy.powsimp(sympy.expand_power_base(stated - w_dot, force=True), force=True))]


def _flow_numeric(rng, statement):
    """On balanced depth-2, 3 and 4 factorizations of 4×4 matrices with distinct singular values and a random ∇ℓ:
    σ̇_r = u_rᵀẆv_r from the chain rule against the statement; relative residuals."""
    rate = sympy.lambdify((sigma, PROJECTED, N), statement.rhs, "numpy")
    out = []
    for depth in (2, 3, 4):
        factors = balanced(rng, 4, depth, [3.0, 1.5, 0.6, 0.2])
        W = np.linalg.multi_dot(factors[::-1])
        G = rng.standard_normal((4, 4))
        U, s, Vt = np.linalg.svd(W)
        measured = np.einsum("ir,ij,jr->r", U, end_to_end_velocity(factors, G), Vt.T)
        stated = rate(s, np.einsum("ir,ij,jr->r", U, G, Vt.T), depth)
        out.extend(np.abs(measured - stated) / np.abs(stated).max())
    return np.array(out)


def _razin_numeric(rng, statement):
    """Random 2×2 matrices with det W > 0 near the completions (residuals of the observed entries up to 0.3, w₁₁ set
    so that det > 0): how far each bound of the statement is violated."""
    bound_w11 = relation(statement, W11)
    bound_sigma = relation(statement, SIGMA_2)
    lower = sympy.lambdify(ell, bound_w11.rhs, "numpy")
    upper = sympy.lambdify(ell, bound_sigma.rhs, "numpy")
    out = []
    for _ in range(2000):
        w12, w21, w22 = 1 + rng.uniform(-0.3, 0.3), 1 + rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)
        w22 = w22 if abs(w22) > 1e-3 else 1e-3
        w11 = (w12 * w21 / w22) * (1 + rng.exponential(0.5))  # det = w11 w22 − w12 w21 > 0
        W = np.array([[w11, w12], [w21, w22]])
        loss = ((w12 - 1) ** 2 + (w21 - 1) ** 2 + w22 ** 2) / (2 * OBSERVED)
        out.append(violation(bound_w11, abs(w11), lower(loss)))
        out.append(violation(bound_sigma, np.linalg.svd(W, compute_uv=False)[1], upper(loss)))
    return np.array(out)


LEMMAS = [
    Lemma("dmf.singular_values",
          r"Under gradient flow from a balanced initialization, each singular value of the end-to-end matrix of a "
          r"depth-$N$ factorization moves by $-N(\sigma_r^2)^{1-1/N}$ times the gradient's component along "
          r"$u_r v_r^T$",
          ARORA, SINGULAR_VALUE_FLOW,
          assumptions=(r"$\dot W_j = -\nabla_{W_j}\ell(W_N\cdots W_1)$",
                       r"$W_{j+1}^T W_{j+1} = W_j W_j^T$ at $t = 0$ (then for all $t$)",
                       r"$\sigma_r$ simple (distinct singular values)"),
          symbolic=_flow_symbolic, numeric=_flow_numeric, tolerance=1e-10),
    Lemma("dmf.razin_bounds",
          r"On Razin and Cohen's $2\times 2$ completion, $\det W > 0$ forces $|w_{11}| \ge (1-s)^2/s$ and "
          r"$\sigma_2 \le s$ with $s = \sqrt{2n\ell}$",
          RAZIN, RAZIN_BOUNDS,
          assumptions=(r"$\det W > 0$", r"$\ell = \frac{1}{2n}\sum_{(i,j)\in\Omega}(w_{ij} - m_{ij})^2$, "
                       r"$\Omega = \{(1,2), (2,1), (2,2)\}$, $m_{12} = m_{21} = 1$, $m_{22} = 0$", r"$s < 1$"),
          numeric=_razin_numeric, tolerance=1e-12,
          outside_algebra="inequalities over the residual box |w_ij − m_ij| ≤ s: sympy proves none of them; checked "
                          "numerically on random matrices with det W > 0"),
]
for _lemma in LEMMAS:
    register(_lemma)
