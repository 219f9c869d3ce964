"""Sympy function symbols that print as the papers write them: ‖x‖_p, <a, b>, lmo_p(g), D_φ(x, y)."""

from __future__ import annotations

import sympy


class Norm(sympy.Function):
    """Norm(x, p) prints as ‖x‖_p (p may be a number, oo, or a symbol such as F, *, op)."""

    nargs = 2

    def _latex(self, printer, exp=None):
        x, p = self.args
        tex = rf"\left\| {printer._print(x)} \right\|_{{{printer._print(p)}}}"
        return rf"{tex}^{{{exp}}}" if exp is not None else tex


class Inner(sympy.Function):
    nargs = 2

    def _latex(self, printer, exp=None):
        return rf"\left\langle {printer._print(self.args[0])}, {printer._print(self.args[1])} \right\rangle"


class Lmo(sympy.Function):
    """Lmo(g, p) prints as lmo_p(g) = argmax_{‖d‖_p ≤ 1} <g, d>."""

    nargs = 2

    def _latex(self, printer, exp=None):
        return rf"\operatorname{{lmo}}_{{{printer._print(self.args[1])}}}\left({printer._print(self.args[0])}\right)"


class Bregman(sympy.Function):
    """Bregman(phi, x, y) prints as D_φ(x, y)."""

    nargs = 3

    def _latex(self, printer, exp=None):
        phi, x, y = self.args
        return rf"D_{{{printer._print(phi)}}}\left({printer._print(x)}, {printer._print(y)}\right)"


F, STAR, OP = sympy.Symbol("F"), sympy.Symbol("*"), sympy.Symbol(r"\mathrm{op}")


def dual_exponent(p):
    """q = p/(p − 1), with 1 ↔ ∞."""
    p = sympy.sympify(p)
    if p == 1:
        return sympy.oo
    if p == sympy.oo:
        return sympy.Integer(1)
    return p / (p - 1)
