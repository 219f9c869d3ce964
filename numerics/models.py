"""The models the papers train, as functions of batched parameters.

Every parameter carries a leading batch dimension B (one slice per configuration: seed, step size, noise),
so B configurations train as one tensor program. `init(batch, generator)` makes the parameters (leaf
tensors), `forward(params, X)` maps X (n, d) — or (B, n, d) for per-configuration mini-batches — to outputs
(B, n) or scores (B, n, k). `degree` is the positive homogeneity of f in all parameters (None if not).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        return self.forward(params, X)


class Linear(Model):
    """f(x) = <w, x> (binary, k = None) or scores Wx (multiclass, W ∈ R^{k×d}); zero initialisation."""

    degree = 1.0

    def __init__(self, d: int, k: int | None = None):
        self.d, self.k = d, k
        self.shapes = ((k, d),) if k else ((d,),)

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

    def forward(self, params, X):
        W, a = params
        hidden = torch.relu(_project(X, W))  # (B, n, m)
        return (hidden @ a[..., None]).squeeze(-1)


def smooth_leaky(z: torch.Tensor) -> torch.Tensor:
    """φ(z) = (z + softplus(z))/2 (Cai et al. 2024): smooth, non-homogeneous, φ′ ∈ (1/2, 1)."""
    return 0.5 * (z + F.softplus(z))


class TwoLayerSmooth(Model):
    """f(x) = Σ_j b_j φ(<w_j, x>) with fixed output weights b = (+½, −½, +½, …) and φ = `smooth_leaky`:
    the non-homogeneous network of the large-stepsize paper (Cai et al. 2024). Init N(0, scale²/d)."""

    def __init__(self, d: int, width: int = 2, scale: float = 1.0):
        self.d, self.width, self.scale = d, width, scale
        self.shapes = ((width, d),)
        self.outer = torch.tensor([0.5 if j % 2 == 0 else -0.5 for j in range(width)], dtype=torch.float64)

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale / math.sqrt(self.d)

    def forward(self, params, X):
        (W,) = params
        hidden = smooth_leaky(_project(X, W))
        return hidden @ self.outer.to(hidden)


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

    def weights(self, params) -> torch.Tensor:
        return params[0] ** 2 - params[1] ** 2 if self.signed else params[0] ** 2

    def forward(self, params, X):
        return _project(X, self.weights(params)[:, None, :]).squeeze(-1)


class TwoLayerLinear(Model):
    """f(x) = U W x with U ∈ R^{out×h}, W ∈ R^{h×d}: the symmetry (U, W) → (U A⁻¹, A W) makes gradient flow
    conserve UᵀU − WWᵀ (lemma noether.flow.matrix; Ziyin et al. 2024). Init N(0, scale²)."""

    degree = 2.0

    def __init__(self, d: int, hidden: int, out: int = 1, scale: float = 1.0):
        self.d, self.hidden, self.out, self.scale = d, hidden, out, scale
        self.shapes = ((out, hidden), (hidden, d))

    def _init(self, i, shape, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device) * self.scale

    def forward(self, params, X):
        U, W = params
        out = _project(X, U @ W)  # (B, n, out)
        return out.squeeze(-1) if self.out == 1 else out
