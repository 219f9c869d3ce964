"""The report's running text as LaTeX a reader meets typeset: numbers at four significant digits, subscripts in math.

    prose("θ_T has gap 0.0123456789 at min_k v_k")  →  "$\\theta_{T}$ has gap 0.01235 at $\\min_{k}$ $v_{k}$"

Claim statements, reasons, check names and notes are written as plain Unicode text (they are also printed on the
terminal and stored in evidence.json at full precision); `prose` is how the PDF shows them:

* a decimal with more than four significant digits is rounded to four (``0.30000000000000004`` → ``0.3``);
  integers, versions, arXiv ids and numbers in paths or URLs are left alone;
* ``x_k``, ``θ_T``, ``γ_nuc``, ``‖W‖_max``, ``min_k``, ``σ_r²`` — a one-letter symbol (or ``min``, ``max``, ``sup``,
  ``inf``, ``‖…‖``) followed by ``_`` and a subscript of at most four letters or digits (a superscript after it
  stays a superscript), not inside a word, a dotted name or a path — become math with a real subscript;
  snake_case names (``entry_l1``, ``weight_decay``) and paths (``data/X_tr.npy``) stay text;
* everything else goes through `theory.latex.escape_text` (special characters escaped, Unicode typeset).
"""

from __future__ import annotations

import re
import unicodedata

from theory.latex import _ACCENTS, escape_text, to_latex

DIGITS = 4
"""Significant digits of a number in the report's text (evidence.json keeps every digit)."""

_NUMBER = re.compile(r"(?<![\w.:/])(\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?![\w/]|\.\d)")
_OPERATORS = ("argmin", "argmax", "min", "max", "sup", "inf")
_RAISED = "\u00b2\u00b3\u00b9\u2070-\u209f\u02b0-\u02ff\u1d2c-\u1dbf"
"""Superscript, subscript and modifier letters (², ᵀ, ᵢ): already raised or lowered, never a base or a subscript."""
_MARKS = "[\u0300-\u036f]*"
_BASE = (r"(?<![\w\\.])(?!(?<=/)[A-Za-z])(" + "|".join(_OPERATORS) + r"|‖[^‖\s]{1,8}‖|(?![" + _RAISED
         + r"])[^\W\d_]" + _MARKS + ")")
"""A one-letter symbol (with its accents), an operator or a norm's bars; not inside a word, a dotted name, a path."""
_SUB = r"(\{[^{}]{1,12}\}|(?:(?![" + _RAISED + r"])[^\W_]" + _MARKS + r"){1,4}|∞|\*)"
"""A braced subscript, up to four letters or digits (superscripts after it stay outside), ∞ or *."""
_SUBSCRIPT = re.compile(_BASE + "_" + _SUB + r"(?!(?![" + _RAISED + r"])\w|\.\w)")
_MATH_ASCII = {"$": r"\$", "%": r"\%", "#": r"\#", "&": r"\&", "\\": r"\backslash ", "{": r"\{", "}": r"\}",
               "^": r"\hat{}", "~": r"\sim ", "*": r"\ast ", "_": r"\_"}


def number(value: float) -> str:
    """`value` at `DIGITS` significant digits, exponents without padding (1e-05 → 1e-5)."""
    text = f"{value:.{DIGITS}g}"
    return re.sub(r"e([-+])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


def rounded(text: str) -> str:
    """`text` with every decimal of more than `DIGITS` significant digits rounded to `DIGITS`."""
    def short(match: re.Match) -> str:
        literal = match.group(1)
        if "arxiv" in text[max(0, match.start() - 20):match.start()].lower():
            return literal  # an arXiv id, not a number
        digits = len(re.sub(r"[eE].*", "", literal).replace(".", "").lstrip("0"))
        return number(float(literal)) if digits > DIGITS else literal
    return _NUMBER.sub(short, text)


def math_char(char: str) -> str:
    """One character inside math mode: a letter as is, TeX's specials escaped, Greek and symbols as their
    commands, accented letters as math accents (ŵ → \\hat{w})."""
    if char.isascii():
        return _MATH_ASCII.get(char, char)
    latex = to_latex(char)
    if latex.startswith("$") and latex.endswith("$"):
        return latex[1:-1] + " "
    base, *marks = unicodedata.normalize("NFD", char)
    if marks and all(_ACCENTS.get(m, (None,))[0] for m in marks):
        for mark in marks:
            base = f"{_ACCENTS[mark][0]}{{{base}}}"
        return base
    return rf"\text{{{escape_text(char)}}}"


def _glyphs(text: str) -> str:
    """`text` in math mode, a combining accent on the glyph before it (θ̂ → \\hat{\\theta})."""
    pieces: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if unicodedata.combining(char) and pieces and _ACCENTS.get(char, (None,))[0]:
            pieces[-1] = f"{_ACCENTS[char][0]}{{{pieces[-1].strip()}}}"
        else:
            pieces.append(math_char(char))
    return "".join(pieces).strip()


def _math(text: str) -> str:
    """`text` in math mode, its first inner underscore a subscript (the W_T of ‖W_T‖), any further one text."""
    head, underscore, rest = text.partition("_")
    return _glyphs(head) + ("_{" + _glyphs(rest) + "}" if rest else r"\_" * bool(underscore))


def _upright(word: str) -> str:
    """A word in math: an operator (min, argmax) as one, a word of three letters or more upright, a norm's bars
    around its argument, indices as is."""
    if word.startswith("‖") and word.endswith("‖") and len(word) > 1:
        return rf"\|{_math(word[1:-1])}\|"
    if word in _OPERATORS:
        return rf"\{word}" if word in _OPERATORS[2:] else rf"\operatorname{{{word}}}"
    return rf"\mathrm{{{word}}}" if len(word) >= 3 and word.isascii() and word.isalpha() else _math(word)


def _subscripted(match: re.Match) -> str:
    return f"${_upright(match.group(1))}_{{{_upright(match.group(2).strip('{}'))}}}$"


def prose(text) -> str:
    """`text` (any object, as str) as LaTeX running text: numbers rounded, subscripts typeset (module docstring)."""
    text = unicodedata.normalize("NFC", rounded(str(text)))
    out, last = [], 0
    for match in _SUBSCRIPT.finditer(text):
        out += [escape_text(text[last:match.start()]), _subscripted(match)]
        last = match.end()
    return "".join(out) + escape_text(text[last:])


__all__ = ["DIGITS", "math_char", "number", "prose", "rounded"]
