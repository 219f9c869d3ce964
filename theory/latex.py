"""Render lemmas as a LaTeX document (Jinja2 template; statements come from sympy)."""

from __future__ import annotations

import jinja2

from theory.lemma import Lemma

_ENV = jinja2.Environment(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                          variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                          trim_blocks=True, lstrip_blocks=True, autoescape=False)

UNICODE_MATH = {
    "ö": r'\"o', "é": r"\'e", "ü": r'\"u', "–": "--", "—": "---", "…": r"\ldots{}", "‘": "`", "’": "'", "“": "``",
    "”": "''", "′": "'", "−": "-",
    "ε": r"$\varepsilon$", "δ": r"$\delta$", "γ": r"$\gamma$", "η": r"$\eta$", "θ": r"$\theta$",
    "λ": r"$\lambda$", "μ": r"$\mu$", "β": r"$\beta$", "σ": r"$\sigma$", "ρ": r"$\rho$", "α": r"$\alpha$",
    "φ": r"$\varphi$", "ψ": r"$\psi$", "τ": r"$\tau$", "Σ": r"$\Sigma$", "Δ": r"$\Delta$", "∇": r"$\nabla$",
    "‖": r"$\|$", "→": r"$\to$", "≤": r"$\le$", "≥": r"$\ge$", "≈": r"$\approx$", "≫": r"$\gg$",
    "≪": r"$\ll$", "∞": r"$\infty$", "√": r"$\surd$", "·": r"$\cdot$", "×": r"$\times$", "∈": r"$\in$",
    "⊙": r"$\odot$", "∑": r"$\sum$", "∗": "*", "≠": r"$\neq$", "±": r"$\pm$", "∂": r"$\partial$",
    "ᵀ": r"$^{T}$", "²": r"$^{2}$", "³": r"$^{3}$", "⁴": r"$^{4}$", "⁵": r"$^{5}$", "⁻": r"$^{-}$", "¹": r"$^{1}$",
    "⁰": r"$^{0}$", "₀": r"$_{0}$", "₁": r"$_{1}$", "₂": r"$_{2}$", "₊": r"$_{+}$", "ℓ": r"$\ell$",
}
"""Unicode characters of plain text (sources, claim and check names) that pdflatex's utf8 input does not
know, as LaTeX; any other non-ASCII character becomes ? so that the document always compiles."""


def escape_text(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    for char, repl in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                       ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}"),
                       ("<", "$<$"), (">", "$>$"), ("|", "$|$")):
        text = text.replace(char, repl)
    return "".join(UNICODE_MATH.get(c, c if ord(c) < 128 else "?") for c in text)


_ENV.filters["e_tex"] = escape_text


DOCUMENT = _ENV.from_string(r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb,amsthm}
\newtheorem{lemma}{Lemma}
\begin{document}
((* for lemma in lemmas *))
\begin{lemma}[{((( lemma.title )))}]\label{lem:((( lemma.id )))}
((* if lemma.assumptions *))
Assume ((( lemma.assumptions | join(", ") ))). Then
((* endif *))
\[ ((( lemma.latex() ))) \]
\emph{Source:} ((( lemma.source | e_tex ))). \texttt{((( lemma.id | e_tex )))}
\end{lemma}
((* endfor *))
\end{document}
""")



def document(lemmas: list[Lemma]) -> str:
    """A minimal, compilable LaTeX document stating each lemma with its assumptions and source."""
    return DOCUMENT.render(lemmas=lemmas)
