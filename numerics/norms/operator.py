"""Induced (operator) norms of W ∈ R^{k×d} acting x ↦ Wx, and their duals:

  ``op_linf``       ‖W‖_{∞→∞} = max_i Σ_j |W_ij|  (max row ℓ1 sum),     dual ``row_linf_sum`` Σ_i max_j |G_ij|;
  ``op_l1``         ‖W‖_{1→1} = max_j Σ_i |W_ij|  (max column ℓ1 sum),  dual ``col_linf_sum`` Σ_j max_i |G_ij|.

Duality row by row: <G, W> = Σ_i <G_i, W_i> ≤ Σ_i ‖G_i‖_∞‖W_i‖_1 ≤ (Σ_i ‖G_i‖_∞) max_i ‖W_i‖_1 (Hölder twice),
with equality at the LMOs
  op_linf:       in each row i, sign(G_ij*) e_j* at j* = argmax_j |G_ij| (every row of ℓ1 norm 1, or 0);
  row_linf_sum:  sign(G_i*) in the row i* = argmax_i ‖G_i‖_1, 0 elsewhere;
and the same by columns for op_l1 and col_linf_sum (‖W‖_{1→1} = ‖Wᵀ‖_{∞→∞}). Ties → lowest index, sign(0) = 0,
so a zero row (column) of G gives a zero row (column), and G = 0 gives 0. Neither ball is strictly convex.

Not the entrywise norms: ‖W‖_{∞→∞} ≠ max_ij |W_ij| (``entry_linf``). Note that cvxpy's ``cp.norm(W, "inf")`` and
``cp.norm(W, 1)``, numpy's ``np.linalg.norm(W, np.inf)`` / ``(W, 1)`` and torch's ``matrix_norm`` with the same
``ord`` are these induced norms for a matrix W, not the entrywise ones.
"""

from __future__ import annotations

import cvxpy as cp

from numerics.norms.base import Norm, namespace, one_hot, register


class _Lines(Norm):
    """A norm built on the rows of W (``by_columns=False``) or on its columns (``by_columns=True``)."""

    ndim = 2
    solvers = ("CLARABEL", "SCS")  # linear programs

    def __init__(self, name: str, symbol: str, by_columns: bool):
        self.name, self.symbol, self.by_columns = name, symbol, by_columns
        self._axis = 0 if by_columns else 1  # cvxpy's axis of reduction within one line

    def _lines(self, x):
        """x with its lines (rows, or columns) as rows; its own inverse."""
        return namespace(x).matrix_transpose(x) if self.by_columns else x


class MaxLineL1(_Lines):
    """max over lines of the line's ℓ1 norm: ‖·‖_{∞→∞} on rows, ‖·‖_{1→1} on columns."""

    @property
    def dual(self) -> Norm:
        return COL_LINF_SUM if self.by_columns else ROW_LINF_SUM

    def _value(self, x):
        xp = namespace(x)
        return xp.max(xp.sum(xp.abs(self._lines(x)), axis=-1), axis=-1)

    def lmo(self, g):
        self._check_shape(g)
        xp, rows = namespace(g), self._lines(g)
        at_max = one_hot(xp.argmax(xp.abs(rows), axis=-1), rows.shape[-1], rows)
        return self._lines(at_max * xp.sign(rows))

    def cvxpy(self, expr):
        return cp.max(cp.sum(cp.abs(expr), axis=self._axis))


class SumLineLinf(_Lines):
    """sum over lines of the line's ℓ∞ norm: dual of `MaxLineL1` on the same lines."""

    @property
    def dual(self) -> Norm:
        return OP_L1 if self.by_columns else OP_LINF

    def _value(self, x):
        xp = namespace(x)
        return xp.sum(xp.max(xp.abs(self._lines(x)), axis=-1), axis=-1)

    def lmo(self, g):
        self._check_shape(g)
        xp, rows = namespace(g), self._lines(g)
        top = xp.argmax(xp.sum(xp.abs(rows), axis=-1), axis=-1)  # the line of largest ℓ1 norm (lowest index at ties)
        return self._lines(xp.sign(rows) * one_hot(top, rows.shape[-2], rows)[..., None])

    def cvxpy(self, expr):
        return cp.sum(cp.max(cp.abs(expr), axis=self._axis))


OP_LINF = MaxLineL1("op_linf", r"\|\cdot\|_{\infty\to\infty}", by_columns=False)
OP_L1 = MaxLineL1("op_l1", r"\|\cdot\|_{1\to 1}", by_columns=True)
ROW_LINF_SUM = SumLineLinf("row_linf_sum", r"\sum_i \|(\cdot)_{i,:}\|_\infty", by_columns=False)
COL_LINF_SUM = SumLineLinf("col_linf_sum", r"\sum_j \|(\cdot)_{:,j}\|_\infty", by_columns=True)
for _norm in (OP_LINF, OP_L1, ROW_LINF_SUM, COL_LINF_SUM):
    register(_norm.name)(lambda _, norm=_norm: norm)
