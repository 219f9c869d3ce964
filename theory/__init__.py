"""Symbols (sympy, no torch): norms and duals, steepest-descent directions, Bregman divergences, KKT systems,
symmetries, each stated as a checkable lemma that renders as LaTeX.

``theory.lemmas.all()`` lists the lemmas. Importing `theory` never imports torch; the numeric checks import
`numerics` when they run, to hold its code to the statements.
"""
