"""Render lemmas as a LaTeX document (Jinja2 template; statements come from sympy)."""

from __future__ import annotations

import jinja2

from theory.lemma import Lemma

_ENV = jinja2.Environment(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                          variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                          trim_blocks=True, lstrip_blocks=True, autoescape=False)

UNICODE_MATH = {"ε": r"$\varepsilon$", "δ": r"$\delta$", "–": "--", "—": "---"}
"""Unicode characters of plain text (sources) that pdflatex's utf8 input does not know."""


def escape_text(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    for char, repl in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                       ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):
        text = text.replace(char, repl)
    for char, repl in UNICODE_MATH.items():
        text = text.replace(char, repl)
    return text


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
