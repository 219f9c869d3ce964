"""What a reviewer holding the report must never meet, checked on a built report (its .tex and the PDF's text).

    problems(tex, text=None) -> list[str]      text: `pdftotext` of the compiled PDF, where poppler is installed
    check(tex_path) -> list[str]               the same for a built report (its PDF read where it exists)

Each problem is a sentence naming what and where:

* a Python name instead of the claim's words — ``<locals>``, ``<lambda>``, a ``test_…`` function;
* a raw Python or sympy expression (``**``, ``\\hat g``) in the text;
* a number printed with more than six significant digits (the text has four; evidence.json keeps every digit);
* a table cell cut by the renderer (ending in "…" before the cell's end);
* a yes/no check shown as the numbers "1 = 1";
* a figure with no visible mark (`verify.figures.figure` counts them; the report writes the count beside each);
* a lemma stated twice (each is stated once, in its chapter, and cited by number).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

INTERNAL = re.compile(r"<locals>|<lambda>|\btest_[a-z]\w+")
INTERNAL_TEX = re.compile(r"\$<\$locals\$>\$|\$<\$lambda\$>\$|\btest\\_[a-z]")
RAW_EXPRESSION = re.compile(r"\w\*\*\w|\\\{\}hat|\\hat [a-z]\*")
LONG_NUMBER = re.compile(r"(?<![\w.])(?<!arXiv:)(?<!arXiv )\d+\.\d+")
DIGITS = 6
CUT_CELL = re.compile(r"\\ldots\{\}\s*(&|\\\\)")
BOOLEAN_AS_NUMBERS = re.compile(r"& 1\.?0? & \$=\$ & 1\.?0? &")
MARKS = re.compile(r"% marks: (\d+)\n\\figureof\{([^}]+)\}")
LEMMA = re.compile(r"\\begin\{lemma\}\\label\{([^}]+)\}")


def problems(tex: str, text: str | None = None) -> list[str]:
    """The report's problems (module docstring): from the LaTeX source, and from the PDF's text where given."""
    found = []
    for name, source, pattern in (("the .tex", tex, INTERNAL_TEX), ("the PDF", text, INTERNAL)):
        for match in sorted(set(pattern.findall(source or ""))):
            found.append(f"a Python name in {name}: {match!r}")
    for match in sorted(set(RAW_EXPRESSION.findall(text or ""))):
        found.append(f"a raw Python/sympy expression in the PDF: {match!r}")
    long = [m for m in LONG_NUMBER.findall(text or "") if len(m.replace(".", "").lstrip("0")) > DIGITS]
    for match in sorted(set(long))[:10]:
        found.append(f"a number with more than six significant digits in the PDF: {match}")
    if CUT_CELL.search(tex):
        found.append(f"{len(CUT_CELL.findall(tex))} table cell(s) cut with '…'")
    if BOOLEAN_AS_NUMBERS.search(tex):
        found.append(f"{len(BOOLEAN_AS_NUMBERS.findall(tex))} yes/no check(s) shown as '1 = 1'")
    figures = MARKS.findall(tex)
    included = re.findall(r"\\figureof\{([^}]+)\}", tex)
    counted = {name for _, name in figures}
    found += [f"figure {name} shows no data mark" for marks, name in figures if int(marks) < 1]
    found += [f"figure {name} has no mark count" for name in included
              if name not in counted and name != "lemmas_to_claims.pdf"]
    labels = LEMMA.findall(tex)
    found += [f"lemma {label} stated {labels.count(label)} times" for label in sorted(set(labels))
              if labels.count(label) > 1]
    found += [f"{tex.count(chr(92) + 'begin{lemma}') - len(labels)} lemma(s) stated without a label to cite"
              ] if tex.count("\\begin{lemma}") > len(labels) else []
    return found


def check(tex: Path) -> list[str]:
    """`problems` of the report `tex`, with the text of its PDF beside it where that and pdftotext exist."""
    tex = Path(tex)
    pdf, text = tex.with_suffix(".pdf"), None
    if pdf.exists() and shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    return problems(tex.read_text(encoding="utf-8"), text)


__all__ = ["check", "problems"]
