"""Symbols (sympy, no torch): norms and duals, steepest-descent directions, Bregman divergences, KKT systems,
symmetries, each stated as a checkable lemma that renders as LaTeX."""
