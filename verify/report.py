"""The report: evidence of every claim × the lemmas it rests on → a LaTeX document (Jinja2), with one
matplotlib figure per claim of its recorded trajectories.

    render(doc, figures_dir=None) -> str       doc: the JSON the plugin writes (`--evidence`)

The plugin calls it for ``--report PATH.tex`` (figures next to it); ``python -m verify`` also compiles the
PDF when pdflatex is installed.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import jinja2
import numpy as np

from theory import lemmas
from theory.latex import escape_text

_ENV = jinja2.Environment(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                          variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                          trim_blocks=True, lstrip_blocks=True, autoescape=False, undefined=jinja2.StrictUndefined)
_ENV.filters["e_tex"] = lambda v: escape_text(str(v))
_ENV.filters["num"] = lambda v: _number(v)
_ENV.filters["breakable"] = lambda v: (escape_text(str(v)).replace(".", r".\allowbreak{}")
                                       .replace(r"\_", r"\_\allowbreak{}"))
_ENV.filters["op"] = lambda op: {"<=": r"$\le$", ">=": r"$\ge$", "<": "$<$", ">": "$>$", "==": "$=$"}[op]

TEMPLATE = _ENV.from_string(r"""\documentclass[10pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb,amsthm,longtable,array,graphicx,color}
\newtheorem{lemma}{Lemma}
\definecolor{passgreen}{rgb}{0.1,0.45,0.1}
\definecolor{failred}{rgb}{0.7,0.1,0.1}
\newcommand{\pass}{\textcolor{passgreen}{\textbf{PASS}}}
\newcommand{\fail}{\textcolor{failred}{\textbf{FAIL}}}
\definecolor{undecided}{rgb}{0.75,0.45,0.0}
\newcommand{\inconclusive}{\textcolor{undecided}{\textbf{INCONCLUSIVE}}}
\title{Implicit-bias claims checklist}
\date{((( doc.started | e_tex )))}
\author{scale \texttt{((( doc.scale | e_tex )))} \quad ((( doc.device | e_tex )))}
\begin{document}
\maketitle
\noindent Each claim was run on the optimizers of \texttt{numerics} and measured against certified references
(cvxpy, float64; duality gap in each reference's record). A check compares a measured number with a bound whose
reason is given; a \emph{control} is a check that must fail (the wrong optimizer or setting). A convergence claim
names its rival hypotheses (the other norms' max-margin solutions) with their certified separations: PASS means
the run reached the claim's limit within a tolerance below half the least separation, excluding every rival;
FAIL means positive evidence against it (a plateau above the tolerance, a run that ends at a rival's limit, a
broken run or inconsistent measurements); INCONCLUSIVE means this data or budget cannot tell, with the reason.
Versions: ((( versions | e_tex ))); Python ((( doc.python ))).
Total time ((( doc.seconds | num ))) s.

\section*{Summary}
\begin{longtable}{llrl}
claim & verdict & time (s) & paper \\ \hline
((* for c in claims *))
\texttt{((( c.id | e_tex )))} & ((( verdict(c.outcome) ))) & ((( c.seconds | num ))) & ((( c.paper | e_tex ))) \\
((* endfor *))
\end{longtable}
((( counts | e_tex )))

((* for c in claims *))
\section{((( c.id | e_tex )))}
\textbf{Claim.} ((( c.statement | e_tex ))) \emph{(((( c.paper | e_tex ))))} \quad Verdict: ((( verdict(c.outcome) ))).
((* if c.reason and c.outcome != "PASS" *))

\noindent\textbf{Reason.} \texttt{((( c.reason.splitlines()[-1][:300] | e_tex )))}
((* endif *))
((* for lemma in c.lemma_objects *))
\begin{lemma}[{((( lemma.title )))}]
\[ ((( lemma.latex() ))) \]
\emph{Source:} ((( lemma.source | e_tex ))). \texttt{((( lemma.id | e_tex )))}
\end{lemma}
((* endfor *))
((* if c.evidence *))
\begin{longtable}{p{0.46\textwidth}rcrl}
check & measured & & bound & \\ \hline
((* for k in c.evidence.checks *))
((* if k.negative *))\emph{control:} ((* endif *))((( k.name | e_tex ))) & ((( k.measured | num ))) & ((( k.op | op ))) & ((( k.bound | num ))) & ((( "\\pass" if k.passed else "\\fail" ))) \\
\multicolumn{5}{p{0.95\textwidth}}{\footnotesize ((( k.why | e_tex )))} \\
((* endfor *))
\end{longtable}
((* for part in c.evidence.parts *))
\noindent\emph{((( part.claim | e_tex )))} (expected ((( part.expect ))), got ((( verdict(part.verdict) )))((* if part.reasons *)): ((( part.reasons | join("; ") | e_tex )))((* endif *)).
((* if part.measured.get("separations") *))
Tolerance ((( part.measured.tol | num ))); certified separations from the rivals: ((* for rival, value in part.measured.separations.items() *))((( rival | e_tex ))) ((( value | num )))((* if not loop.last *)), ((* endif *))((* endfor *)).
((* endif *))
Checks: ((* for k in part.checks *))((( k.name | e_tex ))) ((( k.measured | num ))) ((( k.op | op ))) ((( k.bound | num )))((( "" if k.passed else " [fails]" )))((* if not loop.last *)); ((* endif *))((* endfor *)).

((* endfor *))
((* if c.scalars *))
\noindent\textbf{Measured.} ((* for key, value in c.scalars *))
((( key | e_tex ))) = ((( value | num )))((* if not loop.last *)); ((* endif *))((* endfor *)).
((* endif *))
((* if c.figure *))

\begin{center}\includegraphics[width=0.8\textwidth]{((( c.figure )))}\end{center}
((* endif *))
((* endif *))
((* endfor *))
((* if doc.mutants *))
\section*{Mutation table}
Each deliberately wrong implementation is run against the claim it must break; it is killed when that claim ends
FAIL by the check named.
\begin{longtable}{>{\raggedright}p{0.2\textwidth}>{\raggedright}p{0.22\textwidth}l>{\raggedright\arraybackslash}p{0.36\textwidth}}
mutant & claim & verdict & caught by \\ \hline
((* for m in doc.mutants *))
((( m.mutant | e_tex ))) & \texttt{((( m.claim | breakable )))} & ((( verdict(m.verdict) ))) & \footnotesize ((( m.caught_by[:200] | e_tex ))) \\
((* endfor *))
\end{longtable}
((* endif *))
\end{document}
""")


def _number(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}".replace("e-0", "e-").replace("e+0", "e")
    return escape_text(str(value))


def _scalars(measured: dict) -> list[tuple[str, object]]:
    """The measured numbers worth a line: scalars, and short lists of scalars."""
    out = []
    for key, value in measured.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((key, value))
        elif isinstance(value, list) and 0 < len(value) <= 6 and all(isinstance(v, (int, float)) for v in value):
            out.append((key, ", ".join(_number(v) for v in value)))
    return out


def figure(claim: dict, path: Path) -> bool:
    """Plot the claim's recorded trajectories (each on log axes where positive) into `path`; False if none."""
    trajectories = dict((claim.get("evidence") or {}).get("trajectories", {}))
    for part in (claim.get("evidence") or {}).get("parts", []):
        for name, tr in part.get("trajectories", {}).items():
            trajectories[f"{part['claim']}: {name}"] = tr
    series = [(name, np.asarray(tr["steps"], float), np.asarray(tr["values"], float))
              for name, tr in trajectories.items()]
    series = [(n, t, v) for n, t, v in series if v.ndim == 1 and np.isfinite(v).sum() > 1]
    if not series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name, t, v in series[:8]:
        keep = np.isfinite(v) & (t > 0)
        ax.plot(t[keep], np.abs(v[keep]), label=name[:70])
    ax.set_xscale("log")
    if all((np.abs(v[np.isfinite(v)]) > 0).all() for _, _, v in series[:8]):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.legend(fontsize=6)
    ax.set_title(claim["id"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def render(doc: dict, figures_dir: Path | None = None) -> str:
    """The LaTeX document of a checklist run (`doc` as written by ``--evidence``). With `figures_dir`, one PDF
    figure per claim is written there and included."""
    claims = []
    for c in doc["claims"]:
        c = dict(c)
        c["lemma_objects"] = [lemmas.get(i) for i in c.get("lemmas", [])]
        c["scalars"] = _scalars((c.get("evidence") or {}).get("measured", {}))
        c["figure"] = None
        if figures_dir is not None:
            path = Path(figures_dir) / (re.sub(r"[^A-Za-z0-9]+", "_", c["id"]).strip("_") + ".pdf")
            if figure(c, path):
                c["figure"] = path.name
        c.setdefault("evidence", None)
        claims.append(c)
    outcomes = [c["outcome"] for c in claims]
    counts = ", ".join(f"{outcomes.count(k)} {k}" for k in ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "SKIP", "XFAIL"))
    versions = ", ".join(f"{k} {v}" for k, v in doc["versions"].items())
    verdict = lambda o: {"PASS": r"\pass", "FAIL": r"\fail", "INCONCLUSIVE": r"\inconclusive"}.get(  # noqa: E731
        o, rf"\textbf{{{escape_text(str(o))}}}")
    doc = {"mutants": [], **doc}
    return TEMPLATE.render(doc=doc, claims=claims, counts=counts, versions=versions, verdict=verdict)
