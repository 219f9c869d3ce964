"""Render lemmas as a LaTeX document (Jinja2 template; statements come from sympy)."""

from __future__ import annotations

import functools
import unicodedata

import jinja2

from theory.lemma import Lemma

_ENV = jinja2.Environment(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                          variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                          trim_blocks=True, lstrip_blocks=True, autoescape=False)

UNICODE_MATH = {
    "–": "--", "—": "---", "…": r"\ldots{}", "‘": "`", "’": "'", "“": "``", "”": "''", "′": "'", "−": "-",
    "§": r"\S{}", "⁻": r"$^{-}$", "°": r"$^\circ$", "½": r"$\frac12$", "∗": "*", "ı": r"\i{}",
    "ε": r"$\varepsilon$", "φ": r"$\varphi$", "∇": r"$\nabla$", "‖": r"$\|$", "→": r"$\to$", "←": r"$\leftarrow$",
    "↔": r"$\leftrightarrow$", "⇔": r"$\Leftrightarrow$", "⇒": r"$\Rightarrow$", "↦": r"$\mapsto$",
    "↓": r"$\downarrow$",
    "↑": r"$\uparrow$", "≤": r"$\le$", "≥": r"$\ge$", "≈": r"$\approx$", "≫": r"$\gg$", "≪": r"$\ll$",
    "≲": r"$\lesssim$", "≳": r"$\gtrsim$", "∝": r"$\propto$", "≺": r"$\prec$", "∞": r"$\infty$", "√": r"$\surd$",
    "·": r"$\cdot$", "×": r"$\times$", "∈": r"$\in$", "∉": r"$\notin$", "∀": r"$\forall$", "∃": r"$\exists$",
    "⊙": r"$\odot$", "⊛": r"$\circledast$", "⪰": r"$\succeq$", "∑": r"$\sum$", "≠": r"$\neq$", "±": r"$\pm$",
    "∓": r"$\mp$",
    "∂": r"$\partial$",
    "⟨": r"$\langle$", "⟩": r"$\rangle$", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$",
    "ℓ": r"$\ell$", "∘": r"$\circ$", "⊂": r"$\subset$", "⊆": r"$\subseteq$", "∪": r"$\cup$", "∩": r"$\cap$",
    "∅": r"$\emptyset$", "≡": r"$\equiv$", "∼": r"$\sim$", "✓": r"$\checkmark$", "✗": r"$\times$",
    "∫": r"$\int$", "⋯": r"$\cdots$",
    "ℝ": r"$\mathbb{R}$", "ℕ": r"$\mathbb{N}$", "ℤ": r"$\mathbb{Z}$", "𝔼": r"$\mathbb{E}$",
}
"""Unicode characters of plain text (sources, claim and check names, reasons) that pdflatex's utf8 input does
not know, as LaTeX. Greek letters, super- and subscripts and letters with accents are derived from their
Unicode names (`to_latex`); a character none of these covers is written [U+XXXX], never a silent "?"."""

_GREEK_CAPITALS = {"GAMMA", "DELTA", "THETA", "LAMDA", "XI", "PI", "SIGMA", "UPSILON", "PHI", "PSI", "OMEGA"}
_GREEK_AS_LATIN = {"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I", "KAPPA": "K",
                   "MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T", "CHI": "X"}
_ACCENTS = {"\u0302": (r"\hat", "^"), "\u0303": (r"\tilde", "~"), "\u0304": (r"\bar", "="),
            "\u0307": (r"\dot", "."), "\u0308": (r"\ddot", '"'), "\u0301": (r"\acute", "'"),
            "\u0300": (r"\grave", "`"), "\u0327": (None, "c"), "\u030c": (r"\check", "v")}


@functools.cache
def to_latex(char: str) -> str:
    """One character as LaTeX that pdflatex (utf8, amssymb) typesets; [U+XXXX] where there is none."""
    if char in UNICODE_MATH:
        return UNICODE_MATH[char]
    if ord(char) < 128:
        return char
    name = unicodedata.name(char, "")
    if name.startswith("GREEK ") and " LETTER " in name:
        letter = name.rsplit(" ", 1)[-1]
        if "CAPITAL" in name:
            if letter in _GREEK_CAPITALS:
                return f"$\\{letter.capitalize().replace('Lamda', 'Lambda')}$"
            if letter in _GREEK_AS_LATIN:
                return f"$\\mathrm{{{_GREEK_AS_LATIN[letter]}}}$"
        elif letter != "OMICRON":
            return f"$\\{letter.lower().replace('lamda', 'lambda')}$"
    plain = unicodedata.normalize("NFKC", char)
    if ("SUPERSCRIPT" in name or name.startswith("MODIFIER LETTER")) and plain.isascii():
        return f"$^{{{plain}}}$"
    if "SUBSCRIPT" in name and plain.isascii():
        return f"$_{{{plain}}}$"
    base, *marks = unicodedata.normalize("NFD", char)
    if marks and base.isascii() and all(m in _ACCENTS for m in marks):
        text = base
        for mark in marks:
            text = f"\\{_ACCENTS[mark][1]}{{{text}}}"
        return text
    return f"[U+{ord(char):04X}]"  # visible, compilable; tests keep it out of the checklist's report


def escape_text(text: str) -> str:
    """Plain text as LaTeX: its special characters escaped, its Unicode typeset (`to_latex`)."""
    for char, repl in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                       ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}"),
                       ("<", "$<$"), (">", "$>$"), ("|", "$|$")):
        text = text.replace(char, repl)
    out: list[str] = []
    for c in unicodedata.normalize("NFC", text):
        if unicodedata.combining(c) and c in _ACCENTS and out:  # a mark left after NFC, e.g. θ̃: on the last glyph
            math, accent = _ACCENTS[c]
            last = out.pop()
            out.append(f"${math}{{{last[1:-1]}}}$" if last.startswith("$") and math else f"\\{accent}{{{last}}}")
        else:
            out.append(to_latex(c))
    return "".join(out)


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
