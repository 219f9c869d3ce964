"""Fast margin maximization on separable data: PRGD (exponential rate) and the dual-accelerated method of Ji,
Srebro, Telgarsky 2021 (rate Õ(1/t²)), as `torch.optim.Optimizer`s.

Both are fed the gradient of log L (the engine does so: `gradient_degree`), so that they stay exact where L
underflows; on the exponential loss, ∇log L(w) = −Σ_i q_i z_i = −Zᵀq with q = softmax(−Zw) on the simplex
(z_i = y_i x_i the signed points, the rows of Z). Parameters may carry leading configuration dimensions
(`batch_dims`), each configuration stepping on its own, and `lr` may be a tensor over them.

The papers' full texts could not be retrieved where this was written (only abstracts and reviews); each
class says what it follows and how it was checked.
"""

from __future__ import annotations

from numerics import norms
from numerics.norms.base import namespace
from numerics.optim.optimizer import RuleOptimizer
from numerics.optim.rules import Rule, concat_flat, counter, per_configuration, split_like

L2 = norms.get("l2")


class PRGD(RuleOptimizer):
    """Progressive rescaling gradient descent (Wang, Min, Wu 2024, "Achieving Margin Maximization Exponentially
    Fast via Progressive Norm Rescaling", ICML; arXiv 2311.14387, Algorithm 1).

    With θ all of a group's parameters as one vector (per configuration), ĝ = ∇L(θ_t)/‖∇L(θ_t)‖₂, the
    progressive times T_k = T_0 + kΔT and the progressive radii R_k = R_0·ρ^k (ρ > 1):

        θ_{t+1} = θ_t − η·ĝ                            t < T_0             (normalized GD to the start point)
        θ_{t+1} = R_k·θ_t/‖θ_t‖₂                       t = T_k             (norm rescaling)
        θ_{t+1} = R_k·v/‖v‖₂,  v = θ_t − η·ĝ            T_k < t < T_{k+1}   (projected normalized GD on ‖θ‖ = R_k)

    Their Thm 6.2: on linearly separable data whose support vectors span the data (their Assumption 5.4, as a
    reviewer states it), R_k = exp(Θ(k)) with T_{k+1} − T_k = Θ(1) maximizes the ℓ2 margin exponentially fast. Each
    rescaling multiplies the offset of θ from the max-margin axis by ρ and the projected steps bring it back
    to a bounded cylinder around the axis, so the angle to the axis, and the margin gap with it, scale as 1/R_k:
    g_t ∝ ρ^{−(t−T_0)/ΔT} while ΔT·η is long enough to undo a rescaling. The T_0 warm-up steps are how this
    class reaches Algorithm 1's starting point from the engine's initialization; the rescaling takes an
    iteration of its own (its gradient, taken before the rescaling, is not used). Followed from the paper's
    description (Algorithm 1, Thm 6.2 as stated in its abstract and reviews: exponential radii, Θ(1) phases,
    rescaling then projected normalized GD); measured here to close the gap at the slope ln ρ/ΔT.

    The step depends on the direction of the gradient only (`gradient_degree` 0): ∇log L gives the same steps.
    A zero gradient gives a zero normalized step, a zero θ stays 0 under rescaling (ℓ2 LMO conventions).
    """

    def __init__(self, params, lr, *, radius: float, growth: float, period: int, warmup: int = 0,
                 batch_dims: int = 0):
        if not radius > 0:
            raise ValueError(f"the first progressive radius R_0 must be > 0; got {radius}")
        if not growth > 1:
            raise ValueError(f"PRGD's radii R_k = R_0·ρ^k grow exponentially: growth ρ must be > 1; got {growth}")
        if period < 2:
            raise ValueError(f"a phase is one rescaling and at least one projected step: period ≥ 2; got {period}")
        if warmup < 0:
            raise ValueError(f"warmup is a number of steps ≥ 0; got {warmup}")
        super().__init__(params, dict(lr=lr, radius=radius, growth=growth, period=period, warmup=warmup,
                                      batch_dims=batch_dims))

    def radius(self, group: dict, k):
        """R_k = R_0·ρ^k, the progressive radius of phase k (k an array): inf past float64's range, so that such
        a run stops as diverged (non-finite parameters) rather than with an exception."""
        return group["radius"] * group["growth"] ** k

    def rule(self, group: dict, batch_dims: int) -> Rule:
        """Algorithm 1 on θ, all of the group's parameters as one vector per configuration; the state is the step
        counter t. Both branches are formed and one is selected (`where`), so that the step compiles."""
        warmup, period, b = group["warmup"], group["period"], batch_dims

        def step(params, grads, state, lr, noise=None, hyper=None):
            xp, (t,) = namespace(*params), state
            theta, grad = concat_flat(params, b), concat_flat(grads, b)
            since = t - warmup  # steps since T_0; phase k = since // ΔT, rescaling at since % ΔT = 0
            stepped = theta - per_configuration(lr, theta, b) * L2.lmo(grad)
            theta = xp.where((since < 0) | (since % period != 0), stepped, theta)
            rescaled = self.radius(group, xp.floor(since / period)) * L2.lmo(theta)
            return split_like(xp.where(since >= 0, rescaled, theta), params, b), (t + 1,)

        return Rule(lambda params: (counter(params),), step, 0)


class DualAcceleration(RuleOptimizer):
    """The momentum method of Ji, Srebro, Telgarsky 2021 ("Fast Margin Maximization via Dual Acceleration",
    ICML; arXiv 2107.00595, Algorithm 1): Nesterov's acceleration of mirror descent (negative entropy) on the
    dual of the ℓ2 max-margin problem, min_{q ∈ Δ_n} ½‖Zᵀq‖², written in the primal. From w_0 = g_{−1} = 0,
    q_t ∝ exp(−Zw_t):

        g_t     = β_t·(g_{t−1} − Zᵀq_t)
        w_{t+1} = w_t − θ_t·(g_t − Zᵀq_t),        θ_t = 1,  β_t = t/(t + 1)   (their main theorem)

    with margin gap Õ(1/t²) for max_i ‖z_i‖₂ ≤ 1 (the dual is 1-smooth in ℓ1 and the entropy 1-strongly convex).
    β_t = 0 is normalized GD, w_{t+1} = w_t − θ∇log L (GD with the step θ/L). Here −Zᵀq_t = G_t, the fed
    ∇log L, and the buffer holds θ-weighted gradients, m_t = θ·g_t:

        m_t = β_t·(m_{t−1} + θ·G_t),   w_{t+1} = w_t − (m_t + θ·G_t)

    (the same iterates for the theorem's constant θ). Fed ∇L with the step θ/L_t (`loss_adaptive`) it therefore
    takes exactly the steps of θ with ∇log L, which is how the engine runs it (`gradient_degree` 1, linear in
    the gradients fed); with any other schedule it is fed ∇L and is not the paper's method. `lr` is θ: the
    theorem's θ = 1 assumes max_i ‖z_i‖₂ ≤ 1; on other data θ = 1/max_i ‖z_i‖₂² is the same algorithm on the
    rescaled data (z → cz, w → w/c keep q and the margins, and need θ → θ/c²).

    Reconstructed from the paper's abstract and Algorithm 1 as recalled, and checked: the primal form is the
    linear coupling of a mirror step and an average on the simplex (w accumulates Zᵀ of a mix of the current q
    and the t-weighted average of past q's, which is what −g_t = Σ_{j≤t} j·Zᵀq_j/(t + 1) is), and the measured
    gap·t² stays bounded.
    """

    def __init__(self, params, lr, *, batch_dims: int = 0):
        super().__init__(params, dict(lr=lr, batch_dims=batch_dims))

    @staticmethod
    def momentum_factor(t):
        """β_t = t/(t + 1), t = 0, 1, … (a number or an array)."""
        return t / (t + 1)

    def rule(self, group: dict, batch_dims: int) -> Rule:
        """m_t = β_t·(m_{t−1} + θG_t), w ← w − (m_t + θG_t) per parameter; the state is (t, m). Gradient degree 1:
        the steps are linear in the gradients fed so far (θ-weighted in the buffer), so under the schedule θ/L the
        engine may feed ∇log L with the step θ and take the same steps."""

        def init(params):
            return (counter(params), tuple(namespace(p).zeros_like(p) for p in params))

        def step(params, grads, state, lr, noise=None, hyper=None):
            t, buffers = state
            beta = self.momentum_factor(t)
            scaled = [per_configuration(lr, p, batch_dims) * g for p, g in zip(params, grads)]
            buffers = tuple(beta * (m + s) for m, s in zip(buffers, scaled))
            return [p - (m + s) for p, m, s in zip(params, buffers, scaled)], (t + 1, buffers)

        return Rule(init, step, 1)
