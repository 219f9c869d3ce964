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
from verify import blueprint
from verify import papers as registry

_ENV = jinja2.Environment(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                          variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                          trim_blocks=True, lstrip_blocks=True, autoescape=False, undefined=jinja2.StrictUndefined)
_ENV.filters["e_tex"] = lambda v: escape_text(str(v))
_ENV.filters["num"] = lambda v: _number(v)
_ENV.filters["breakable"] = lambda v: (escape_text(str(v)).replace(".", r".\allowbreak{}")
                                       .replace(r"\_", r"\_\allowbreak{}").replace("[", r"[\allowbreak{}")
                                       .replace("=", r"=\allowbreak{}").replace(",", r",\allowbreak{}"))
_ENV.filters["op"] = lambda op: {"<=": r"$\le$", ">=": r"$\ge$", "<": "$<$", ">": "$>$", "==": "$=$"}[op]

TEMPLATE = _ENV.from_string(r"""\documentclass[10pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb,amsthm,longtable,array,graphicx,color}
\newtheorem{lemma}{Lemma}
\definecolor{passgreen}{rgb}{0.1,0.5,0.1}
\definecolor{failred}{rgb}{0.7,0.1,0.1}
\definecolor{undecided}{rgb}{0.72,0.45,0.0}
\definecolor{xfailviolet}{rgb}{0.42,0.3,0.58}
\definecolor{skipgrey}{rgb}{0.45,0.45,0.45}
\newcommand{\pass}{\textcolor{passgreen}{\textbf{PASS}}}
\newcommand{\fail}{\textcolor{failred}{\textbf{FAIL}}}
\newcommand{\inconclusive}{\textcolor{undecided}{\textbf{INCONCLUSIVE}}}
\newcommand{\xfail}{\textcolor{xfailviolet}{\textbf{XFAIL}}}
\newcommand{\skipped}{\textcolor{skipgrey}{\textbf{SKIP}}}
\newcommand{\error}{\textcolor{failred}{\textbf{ERROR}}}
\newcommand{\holds}{\textcolor{passgreen}{holds}}
\newcommand{\fails}{\textcolor{failred}{fails}}
\newcommand{\fitmath}[1]{\begin{center}\resizebox{\ifdim\width>0.97\linewidth0.97\linewidth\else\width\fi}{!}{$\displaystyle #1$}\end{center}}
\title{Implicit-bias claims checklist}
\date{((( doc.started | e_tex )))}
\author{scale \texttt{((( doc.scale | e_tex )))} \quad ((( doc.device | e_tex )))}
\begin{document}
\sloppy
\maketitle
\noindent Each claim was run on the optimizers of \texttt{numerics} and measured against certified references
(cvxpy, float64; duality gap in each reference's record). A check compares a measured number with a bound whose
reason is given; a \emph{control} is a check that must fail (the wrong optimizer or setting): it is shown as
``must fail'' with what it did. A convergence claim names its rival hypotheses (the other norms' max-margin
solutions) with their certified separations: \pass{} means the run reached the claim's limit within a tolerance
below half the least separation, excluding every rival; \fail{} means positive evidence against it (a plateau above
the tolerance, a run that ends at a rival's limit, a broken run or inconsistent measurements); \inconclusive{}
means this data or budget cannot tell, with the reason; \xfail{} a claim measured not to hold as stated, as marked.
Versions: ((( versions | e_tex ))). Total time ((( doc.seconds | num ))) s.

\section*{Summary}
((( counts | e_tex ))).
\begin{longtable}{>{\raggedright}p{0.46\textwidth}lr>{\raggedright\arraybackslash}p{0.25\textwidth}}
claim & verdict & time (s) & papers \\ \hline
\endhead
((* for c in claims *))
\texttt{((( c.id | breakable )))} & ((( verdict(c.outcome) ))) & ((( c.seconds | num ))) & ((( c.paper_keys | join(", ") | e_tex ))) \\
((* endfor *))
\end{longtable}

((* if papers *))
\section*{Papers}
\begin{description}
((* for key, paper in papers *))
\item[((( key | e_tex )))] ((( paper | e_tex )))
((* endfor *))
\end{description}
((* endif *))

((* for c in claims *))
\section{\texttt{((( c.id | breakable )))}}
\textbf{Claim.} ((( c.statement | e_tex ))) \emph{(((( c.paper | e_tex ))))} \quad Verdict: ((( verdict(c.outcome) ))).
((* if c.reasons *))

\noindent\textbf{Why.}
\begin{itemize}
((* for r in c.reasons *))
\item ((( r | e_tex )))
((* endfor *))
\end{itemize}
((* endif *))
((* for lemma in c.lemma_objects *))
\begin{lemma}\textbf{((( lemma.title )))}.
\fitmath{((( lemma.latex() )))}
\emph{Source:} ((( lemma.source | e_tex ))). \texttt{((( lemma.id | breakable )))}
\end{lemma}
((* endfor *))
((* if c.evidence *))
\begin{longtable}{>{\raggedright}p{0.5\textwidth}rcrl}
check & measured & & bound & \\ \hline
\endhead
((* for k in c.evidence.checks *))
((* if k.negative *))\emph{must fail:} ((* endif *))((( k.name | e_tex ))) & ((( k.measured | num ))) & ((( k.op | op ))) & ((( k.bound | num ))) & ((* if k.negative *))((( "\\fails{} \\checkmark" if k.passed else "\\holds{} \\fail" )))((* else *))((( "\\pass" if k.passed else "\\fail" )))((* endif *)) \\*
\multicolumn{5}{>{\raggedright\arraybackslash}p{0.95\textwidth}}{\footnotesize ((( k.why | e_tex )))} \\
((* endfor *))
\end{longtable}
((* for part in c.evidence.parts *))
\noindent\emph{((( part.claim | e_tex )))}((* if part.expect == "FAIL" *)) (must fail: it ((( "fails \\checkmark" if part.verdict == "FAIL" else "ends " ~ part.verdict ~ ((" \\fail" if part.verdict == "PASS" else "")) ))))((* elif part.expect == "INCONCLUSIVE" *)) (must stay undecided: it ((( "is \\inconclusive{} \\checkmark" if part.verdict == "INCONCLUSIVE" else "ends " ~ part.verdict ~ " \\fail" ))))((* else *)) (((( verdict(part.verdict) ))))((* endif *))((* if part.reasons *)): ((( part.reasons | join("; ") | e_tex )))((* endif *)).
((* if part.measured.get("separations") *))
Tolerance ((( part.measured.tol | num ))); certified separations from the rivals: ((* for rival, value in part.measured.separations.items() *))((( rival | e_tex ))) ((( value | num )))((* if not loop.last *)), ((* endif *))((* endfor *)).
((* endif *))

((* endfor *))
((* if c.scalars *))
\noindent\textbf{Measured.} ((* for key, value in c.scalars *))
((( key | e_tex ))) = ((( value | num )))((* if not loop.last *)); ((* endif *))((* endfor *)).
((* endif *))
((* endif *))
((* if c.figure *))

\begin{center}\includegraphics[width=\textwidth]{((( c.figure )))}\end{center}
((* endif *))
((* endfor *))
((* if doc.mutants *))
\section*{Mutation table}
Each deliberately wrong implementation is run against the claim it must break; it is killed when that claim ends
FAIL by the check named.
\begin{longtable}{>{\raggedright}p{0.2\textwidth}>{\raggedright}p{0.22\textwidth}l>{\raggedright\arraybackslash}p{0.36\textwidth}}
mutant & claim & verdict & caught by \\ \hline
\endhead
((* for m in doc.mutants *))
((( m.mutant | e_tex ))) & \texttt{((( m.claim | breakable )))} & ((( verdict(m.verdict) ))) & \footnotesize ((( m.caught_by[:200] | e_tex ))) \\
((* endfor *))
\end{longtable}
((* endif *))
((* if lemma_rows *))
\section*{The checked lemmas}
Every lemma of \texttt{theory}: its statement (from sympy), source and assumptions; its symbolic check (sympy
must prove the identities or relations it instantiates; \emph{undecided} when the algebra cannot settle it, e.g.\
a non-smooth subdifferential, and the numeric check decides) and its numeric check (the largest residual on random
instances, against its tolerance); and the claims that rest on it.
((* if graph *))

\begin{center}\includegraphics[width=\textwidth]{((( graph )))}\end{center}
((* endif *))
((* for r in lemma_rows *))
\begin{lemma}\textbf{((( r.title )))}.
((* if r.assumptions *))Assume ((( r.assumptions | join(", ") ))). Then ((* endif *))
\fitmath{((( r.latex )))}
\emph{Source:} ((( r.source | e_tex ))). \texttt{((( r.id | breakable )))}. Symbolic check: ((( check(r.symbolic) ))); numeric check: ((( check(r.numeric) ))). Claims: ((* for c in r.claims *))\texttt{((( c.id | breakable )))} (((( verdict(c.outcome) ))))((* if not loop.last *)), ((* endif *))((* else *))none((* endfor *)).
\end{lemma}
((* endfor *))
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


QUANTITIES = (("gap", "relative margin gap"), ("distance", "distance"), ("residual", "residual"))
"""Trajectory names containing the key share a panel with that y-axis label; any other name is its own panel."""


def _panels(claim: dict) -> dict[str, list[tuple[str, np.ndarray, np.ndarray]]]:
    """The claim's trajectories (its own and its parts'), one quantity per panel."""
    evidence = claim.get("evidence") or {}
    trajectories = dict(evidence.get("trajectories", {}))
    for part in evidence.get("parts", []):
        for name, tr in part.get("trajectories", {}).items():
            trajectories[f"{part['claim']}: {name}"] = tr
    panels: dict[str, list] = {}
    for name, tr in trajectories.items():
        t, v = np.asarray(tr["steps"], float), np.asarray(tr["values"], float)
        if v.ndim != 1 or np.isfinite(v).sum() < 2:
            continue
        label = next((label for key, label in QUANTITIES if key in name.lower()), name)
        panels.setdefault(label, []).append((name, t, v))
    return panels


def figure(claim: dict, path: Path) -> None:
    """One figure per claim into `path`: its trajectories, one quantity per panel (labelled axes, log t, legend
    beside the data); a claim with none shows its checks, each as log10(measured/bound) coloured by outcome."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(_panels(claim).items())[:3]
    if not panels:
        return _checks_figure(claim, path, plt)
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.2, 2.3 * len(panels)), squeeze=False)
    for ax, (label, series) in zip(axes[:, 0], panels):
        for name, t, v in series[:6]:
            keep = np.isfinite(v) & (t > 0)
            ax.plot(t[keep], np.abs(v[keep]), label=_short_label(name))
        ax.set_xscale("log")
        values = np.concatenate([np.abs(v[np.isfinite(v) & (t > 0)]) for _, t, v in series[:6]])
        if values.size and (values > 0).all() and values.max() > 10 * values.min():
            ax.set_yscale("log")
        else:
            ax.ticklabel_format(axis="y", useOffset=False, style="sci", scilimits=(-3, 4))
        ax.set_ylabel(label if len(label) <= 28 else label[:26] + "…", fontsize=8)
        ax.set_xlabel("step t", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.suptitle(claim["id"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _short_label(name: str, limit: int = 48) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _checks_figure(claim: dict, path: Path, plt) -> None:
    checks = [k for k in (claim.get("evidence") or {}).get("checks", []) if not k["name"].startswith("lemma ")]
    ratios = []
    for k in checks[:14]:
        m, b = k["measured"], k["bound"]
        ok = m is not None and b is not None and math.isfinite(m) and math.isfinite(b) and m > 0 and b > 0
        ratios.append((k["name"], math.log10(m / b) if ok else 0.0, k["passed"], k["negative"]))
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * max(len(ratios), 2) + 1.0))
    names = [_short_label(("must fail: " if neg else "") + n, 60) for n, _, _, neg in ratios]
    ax.barh(range(len(ratios)), [r for _, r, _, _ in ratios],
            color=["#1a7f1a" if passed else "#b31b1b" for _, _, passed, _ in ratios])
    ax.set_yticks(range(len(ratios)), names, fontsize=6)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("log10(measured / bound)  (0 where either is not a positive number)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(f"{claim['id']}: its checks (green passed, red failed)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _check(check: dict) -> str:
    """A lemma check in words: status, residual and tolerance."""
    if check["status"] == "undecided":
        return f"undecided ({escape_text(check['detail'])})" if check["detail"] else "undecided"
    residual = check["residual"]
    residual = _number(residual) if isinstance(residual, float) else escape_text(str(residual) or "—")
    bound = rf" $\le$ {_number(check['tolerance'])}" if check["tolerance"] is not None else ""
    colour = "passgreen" if check["status"] == "passed" else "failred"
    return rf"\textcolor{{{colour}}}{{{check['status']}}}, residual {residual}{bound}"


def render(doc: dict, figures_dir: Path | None = None, lemma_rows: list[dict] | None = None) -> str:
    """The LaTeX document of a checklist run (`doc` as written by ``--evidence``). With `figures_dir`, one PDF
    figure per claim (and the lemma → claim graph) is written there and included. `lemma_rows`
    (`verify.blueprint.rows`) add the chapter of checked lemmas; by default they are computed."""
    claims, papers = [], {}
    for c in doc["claims"]:
        c = dict(c)
        c["lemma_objects"] = [lemmas.get(i) for i in c.get("lemmas", [])]
        c["scalars"] = _scalars((c.get("evidence") or {}).get("measured", {}))
        c["paper_keys"] = list(c.get("papers") or []) or [c["paper"][:40]]
        cited = dict(zip(c.get("papers") or [], c["paper"].split("; ")))  # a claims file's papers, from its text
        papers.update({key: registry.PAPERS[key].reference if key in registry.PAPERS else text
                       for key, text in cited.items()})
        c["reasons"] = [] if c["outcome"] == "PASS" else (
            (c.get("evidence") or {}).get("reasons") or [r for r in [_last_line(c.get("reason", ""))] if r])
        c["figure"] = None
        if figures_dir is not None:
            path = Path(figures_dir) / (re.sub(r"[^A-Za-z0-9]+", "_", c["id"]).strip("_") + ".pdf")
            figure(c, path)
            c["figure"] = path.name
        c.setdefault("evidence", None)
        claims.append(c)
    lemma_rows = blueprint.rows(doc["claims"]) if lemma_rows is None else lemma_rows
    graph = None
    if figures_dir is not None and lemma_rows:
        graph = blueprint.graph(lemma_rows, doc["claims"], Path(figures_dir) / "lemmas_to_claims.pdf").name
    outcomes = [c["outcome"] for c in claims]
    counts = ", ".join(f"{outcomes.count(k)} {k}" for k in ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "SKIP", "XFAIL"))
    versions = ", ".join(f"{k} {v}" for k, v in doc["versions"].items())
    doc = {"mutants": [], **doc}
    return TEMPLATE.render(doc=doc, claims=claims, counts=counts, versions=versions, verdict=_verdict,
                           papers=sorted(papers.items()), lemma_rows=lemma_rows, graph=graph, check=_check)


def _verdict(outcome: str) -> str:
    return {"PASS": r"\pass", "FAIL": r"\fail", "INCONCLUSIVE": r"\inconclusive", "XFAIL": r"\xfail",
            "SKIP": r"\skipped", "ERROR": r"\error"}.get(outcome, rf"\textbf{{{escape_text(str(outcome))}}}")


def _last_line(text: str) -> str:
    """The sentence of a pytest reason worth showing: its last non-empty line without a file:line prefix."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return re.sub(r"^\S+\.py:\d+: ", "", lines[-1])[:300] if lines else ""
