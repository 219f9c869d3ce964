"""The models the papers train, as functions of batched parameters.

Every parameter carries a leading batch dimension B (one slice per configuration: seed, step size, noise),
so B configurations train as one tensor program. `init(batch, generator)` makes the parameters (leaf
tensors), `forward(params, X)` maps X (n, d) — or (B, n, d) for per-configuration mini-batches or data sets — to
outputs (B, n) or scores (B, n, k). `degree` is the positive homogeneity of f in all parameters (None if not).

`apply(params, X)` is the model's function written once against the array API, broadcasting over any leading
dimensions of the parameters and of X: the compiled path runs it on one configuration's JAX arrays (`jax.vmap`
adds the configurations, `jax.grad` differentiates it), and the eager path's `forward` is it on torch tensors —
except `Linear`, whose `forward`, `outputs` and `grad` lay its GEMM out for the eager path's analytic gradient.
"""

from __future__ import annotations

import math

import array_api_compat
import numpy as np
import torch

from numerics.losses import softplus
from numerics.norms.base import namespace


def _project(X: torch.Tensor, W: torch.Tensor, contiguous: bool = True) -> torch.Tensor:
    """X Wᵀ per configuration: W (B, m, d), X (n, d) shared → (B, n, m) as one GEMM (B·m × d)(d × n);
    X (B, n, d) per-configuration mini-batches → a batched GEMM. With `contiguous=False` the shared-X result
    is the GEMM's (B, m, n) buffer seen as (B, n, m), without a copy."""
    if X.ndim == 3:
        return X @ W.transpose(-1, -2)
    B, m, d = W.shape
    out = (W.reshape(B * m, d) @ X.T).reshape(B, m, -1).transpose(-1, -2)
    # contiguous: softmax over the last dimension is ~30× slower on the view (elementwise ops and plain
    # reductions follow the view's layout at full speed)
    return out.contiguous() if contiguous else out


class Model:
    degree: float | None = None
    shapes: tuple[tuple[int, ...], ...]

    def init(self, batch: int, generator: torch.Generator | None = None, *, dtype=torch.float64,
             device=None) -> list[torch.Tensor]:
        """Parameters (B, *shape) from the model's initialisation; zeros for linear models."""
        return [self._init(i, (batch, *s), generator, dtype, device).requires_grad_()
                for i, s in enumerate(self.shapes)]

    def _init(self, i, shape, generator, dtype, device):
        return torch.zeros(shape, dtype=dtype, device=device)

    def apply(self, params: list, X):
        """f(X) for parameters and X of any array library, broadcast over their leading dimensions."""
        raise NotImplementedError

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        return self.apply(params, X)

    def __call__(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        return self.forward(params, X)


class Linear(Model):
    """f(x) = <w, x> (binary, k = None) or scores Wx (multiclass, W ∈ R^{k×d}); zero initialisation."""

    degree = 1.0

    def __init__(self, d: int, k: int | None = None):
        self.d, self.k = d, k
        self.shapes = ((k, d),) if k else ((d,),)

    def apply(self, params, X):
        (W,) = params
        if self.k:
            return X @ namespace(W).matrix_transpose(W)
        return (X @ W[..., None])[..., 0]

    def forward(self, params, X):
        (W,) = params
        if self.k:
            return _project(X, W)  # (B, n, k)
        return _project(X, W[:, None, :]).squeeze(-1)  # (B, n)

    def outputs(self, params, X):
        """The values of `forward` in the GEMM's own layout (for shared X, (B, n, k) strided as (B, k, n)): a
        gradient ∂/∂out formed from them elementwise has that layout too, which `grad` multiplies without a copy."""
        (W,) = params
        if self.k:
            return _project(X, W, contiguous=False)
        return _project(X, W[:, None, :], contiguous=False).squeeze(-1)

    def grad(self, params, X, grad_out) -> list[torch.Tensor]:
        """∂/∂W of Σ <grad_out, f(X)>: grad_outᵀX per configuration (one GEMM for shared X)."""
        g = grad_out if self.k else grad_out[..., None]  # (B, n, k)
        if X.ndim == 3:
            gW = g.transpose(-1, -2) @ X
        else:
            B, n, k = g.shape
            gW = (g.transpose(-1, -2).reshape(B * k, n) @ X).reshape(B, k, -1)
        return [gW if self.k else gW.squeeze(-2)]


class TwoLayerReLU(Model):
    """f(x) = Σ_j a_j relu(<w_j, x>), no biases: 2-homogeneous (Lyu & Li 2020; Tsilivis et al. 2024).
    Initialisation N(0, scale²/d) for W and N(0, scale²/m) for a."""

    degree = 2.0

    def __init__(self, d: int, width: int, scale: float = 1.0):
        self.d, self.width, self.scale = d, width, scale
        self.shapes = ((width, d), (width,))

    def _init(self, i, shape, generator, dtype, device):
        fan = self.d if i == 0 else self.width
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale / math.sqrt(fan)

    def apply(self, params, X):
        W, a = params
        xp = namespace(W)
        hidden = xp.maximum(X @ xp.matrix_transpose(W), 0.0)  # (…, n, m)
        return (hidden @ a[..., None])[..., 0]



ACTIVATIONS = {
    "relu": (1, "max(z, 0)"),
    "leaky": (1, "max(z, αz), α = 0.1"),
    "relu2": (2, "max(z, 0)²: C¹, for the theorems that need a smooth network"),
    "linear": (1, "z: a deep linear network, smooth and homogeneous of degree L (the number of layers)"),
}
"""Positively homogeneous activations, by name: (degree p with φ(cz) = c^p φ(z) for c > 0, definition)."""


class MLP(Model):
    """f(x) = W_L φ(W_{L−1} ⋯ φ(W_1 x)) without biases, W_l ∈ R^{h_l × h_{l−1}} in its natural (out, in) shape — the
    layers `torch.nn.Linear(…, bias=False)` holds, so `torch.optim.Muon` and param groups apply as users write them.
    `out` = None: one output and binary labels, f (…, n); `out` = k: scores (…, n, k). φ is positively homogeneous of
    degree p (`ACTIVATIONS`), so f is homogeneous in all parameters of degree D_L with D_1 = 1, D_{l+1} = p·D_l + 1
    (L for ReLU and leaky ReLU: Lyu & Li 2020, §3). Initialisation N(0, scale²/h_{l−1}) per layer.

    Where φ has a kink (ReLU at 0), f is not differentiable; gradients are autograd's (φ′(0) = 0), an element of the
    Clarke subdifferential of f that the papers' KKT conditions use when no pre-activation is exactly 0."""

    def __init__(self, d: int, widths: tuple[int, ...] | list[int], out: int | None = None,
                 activation: str = "relu", alpha: float = 0.1, scale: float = 1.0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {sorted(ACTIVATIONS)}")
        self.d, self.widths, self.out, self.activation, self.alpha, self.scale = (d, tuple(widths), out, activation,
                                                                                   alpha, scale)
        sizes = (d, *self.widths, out or 1)
        self.shapes = tuple((sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1))
        p, degree = ACTIVATIONS[activation][0], 1.0
        for _ in self.widths:
            degree = p * degree + 1
        self.degree = degree

    @property
    def depth(self) -> int:
        return len(self.shapes)

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale / math.sqrt(shape[-1])

    def phi(self, z):
        xp = namespace(z)
        if self.activation == "leaky":
            return xp.maximum(z, self.alpha * z)
        if self.activation == "linear":
            return z
        positive = xp.maximum(z, 0.0)
        return positive * positive if self.activation == "relu2" else positive

    def apply(self, params, X):
        h = X
        for i, W in enumerate(params):
            h = h @ namespace(W).matrix_transpose(W)  # (…, n, h_l)
            if i < len(params) - 1:
                h = self.phi(h)
        return h[..., 0] if self.out is None else h

    def __repr__(self) -> str:
        return f"MLP(d={self.d}, widths={self.widths}, out={self.out}, activation={self.activation!r})"


def smooth_leaky(z):
    """φ(z) = (z + softplus(z))/2 (Cai et al. 2024): smooth, non-homogeneous, φ′ ∈ (1/2, 1)."""
    return 0.5 * (z + softplus(z))


class TwoLayerSmooth(Model):
    """f(x) = Σ_j b_j φ(<w_j, x>) with fixed output weights b = (+½, −½, +½, …) and φ = `smooth_leaky`:
    the non-homogeneous network of the large-stepsize paper (Cai et al. 2024). Init N(0, scale²/d)."""

    def __init__(self, d: int, width: int = 2, scale: float = 1.0):
        self.d, self.width, self.scale = d, width, scale
        self.shapes = ((width, d),)
        self.outer = tuple(0.5 if j % 2 == 0 else -0.5 for j in range(width))

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale / math.sqrt(self.d)

    def apply(self, params, X):
        (W,) = params
        xp = namespace(W)
        hidden = smooth_leaky(X @ xp.matrix_transpose(W))
        return hidden @ xp.asarray(self.outer, dtype=W.dtype, device=getattr(W, "device", None))


class Quadratic(Model):
    """The quadratic / diagonal linear model f(x) = <w, x> with w = u⊙u − v⊙v (`signed=True`, the paper)
    or w = v⊙v (`signed=False`, the authors' code), every coordinate initialised at α (HaoChen et al. 2021;
    Woodworth et al. 2020: α → 0 gives the min-ℓ1 interpolant, large α the min-ℓ2 one)."""

    degree = 2.0

    def __init__(self, d: int, alpha: float, signed: bool = True):
        self.d, self.alpha, self.signed = d, alpha, signed
        self.shapes = ((d,), (d,)) if signed else ((d,),)

    def _init(self, i, shape, generator, dtype, device):
        return torch.full(shape, float(self.alpha), dtype=dtype, device=device)

    def weights(self, params):
        return params[0] ** 2 - params[1] ** 2 if self.signed else params[0] ** 2

    def apply(self, params, X):
        return (X @ self.weights(params)[..., None])[..., 0]


class TwoLayerLinear(Model):
    """f(x) = U W x with U ∈ R^{out×h}, W ∈ R^{h×d}: the symmetry (U, W) → (U A⁻¹, A W) makes gradient flow
    conserve UᵀU − WWᵀ (lemma noether.flow.matrix; Ziyin et al. 2024). Init N(0, scale²)."""

    degree = 2.0

    def __init__(self, d: int, hidden: int, out: int = 1, scale: float = 1.0):
        self.d, self.hidden, self.out, self.scale = d, hidden, out, scale
        self.shapes = ((out, hidden), (hidden, d))

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale

    def apply(self, params, X):
        U, W = params
        out = X @ namespace(U).matrix_transpose(U @ W)  # (…, n, out)
        return out[..., 0] if self.out == 1 else out


class DeepFactorization(Model):
    """Deep matrix factorization (matrix sensing and completion with a deep linear network; Arora, Cohen, Hu, Luo
    2019): the end-to-end matrix W = W_N ⋯ W_1 of N factors, W_j ∈ R^{m×m} (W_1 ∈ R^{m×k} where k ≠ m), and
    f(A) = <A, W> for a sensing matrix A given as a row vec(A) of X (a completion observes one entry: A = e_i e_jᵀ).
    f is homogeneous of degree N. Initialisation N(0, scale²) per entry (the papers' "init std")."""

    def __init__(self, m: int, k: int | None = None, depth: int = 3, scale: float = 1e-3):
        if depth < 1:
            raise ValueError(f"a factorization has at least one factor; got depth {depth}")
        self.m, self.k, self.scale = m, k or m, scale
        self.shapes = ((m, self.k),) + ((m, m),) * (depth - 1)
        self.degree = float(depth)

    @property
    def depth(self) -> int:
        return len(self.shapes)

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale

    def end_to_end(self, params):
        """W = W_N ⋯ W_1, broadcast over leading dimensions."""
        W = params[0]
        for factor in params[1:]:
            W = factor @ W
        return W

    def apply(self, params, X):
        W = self.end_to_end(params)
        xp = namespace(W)
        flat = xp.reshape(W, (*W.shape[:-2], self.m * self.k))
        return (X @ flat[..., None])[..., 0]

    def __repr__(self) -> str:
        return f"DeepFactorization(m={self.m}, k={self.k}, depth={self.depth})"


class CircularConvNet(Model):
    """A depth-L full-width circular convolutional linear network with one channel (Gunasekar, Lee, Soudry, Srebro
    2018, §2): f(x) = <x, β> with β = w_L ⊛ ⋯ ⊛ w_1, (a ⊛ b)_j = Σ_k a_k b_{(j − k) mod D}, so β̂ = ŵ_L ⋯ ŵ_1 in the
    DFT domain — a diagonal linear network there. Homogeneous of degree L; initialisation N(0, scale²/D)."""

    def __init__(self, d: int, depth: int = 2, scale: float = 1.0):
        self.d, self.scale = d, scale
        self.shapes = ((d,),) * depth
        self.degree = float(depth)
        self._shift = (np.arange(d)[:, None] - np.arange(d)[None, :]) % d  # [j, k] → (j − k) mod D

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale / math.sqrt(self.d)

    def predictor(self, params):
        """β = w_L ⊛ ⋯ ⊛ w_1, broadcast over leading dimensions."""
        beta = params[0]
        xp = namespace(beta)
        index = xp.asarray(self._shift.reshape(-1), device=array_api_compat.device(beta))
        for w in params[1:]:
            circulant = xp.reshape(xp.take(beta, index, axis=-1), (*beta.shape[:-1], self.d, self.d))  # b_{(j−k)}
            beta = xp.sum(circulant * w[..., None, :], axis=-1)
        return beta

    def apply(self, params, X):
        return (X @ self.predictor(params)[..., None])[..., 0]

    def __repr__(self) -> str:
        return f"CircularConvNet(d={self.d}, depth={len(self.shapes)})"


class TwoLayerTanh(Model):
    """f(x) = aᵀ tanh(Wx), W ∈ R^{h×d}, a ∈ R^h: the smooth, non-homogeneous network of edge-of-stability experiments
    (Cohen et al. 2021, MSE on tanh networks). Initialisation N(0, scale²/fan-in) per layer."""

    def __init__(self, d: int, width: int, scale: float = 1.0):
        self.d, self.width, self.scale = d, width, scale
        self.shapes = ((width, d), (width,))

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale / math.sqrt(shape[-1])

    def apply(self, params, X):
        W, a = params
        xp = namespace(W)
        return xp.sum(xp.tanh(X @ xp.matrix_transpose(W)) * a[..., None, :], axis=-1)
