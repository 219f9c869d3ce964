"""The report: evidence of every claim × the lemmas it rests on → a LaTeX document (Jinja2), with one
matplotlib figure per claim (`verify.figures`).

    render(doc, figures_dir=None) -> str       doc: the JSON the plugin writes (`--evidence`)

The plugin calls it for ``--report PATH.tex`` (figures next to it); ``python -m verify`` also compiles the
PDF when pdflatex is installed. What a reader meets: running text typeset (`verify.prose`: numbers at four
significant digits, subscripts in math; evidence.json keeps every digit); every check a row whose mark is its
outcome against what was expected (a control that fails is green "fails ✓"); a run judged as a part of the claim
named in the claim's words, with its verdict against what it had to be; each lemma stated once, in its chapter,
and cited by number; nothing cut (long cells wrap).
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from theory import lemmas
from theory.latex import escape_text
from verify import blueprint, figures
from verify import papers as registry
from verify.prose import number, prose

_ENV = jinja2.Environment(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                          variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                          trim_blocks=True, lstrip_blocks=True, autoescape=False, undefined=jinja2.StrictUndefined)
_ENV.filters["e_tex"] = lambda v: escape_text(str(v))
_ENV.filters["prose"] = prose
_ENV.filters["num"] = lambda v: _number(v)
_ENV.filters["breakable"] = lambda v: (escape_text(str(v)).replace(".", r".\allowbreak{}")
                                       .replace(r"\_", r"\_\allowbreak{}").replace("[", r"[\allowbreak{}")
                                       .replace("=", r"=\allowbreak{}").replace(",", r",\allowbreak{}"))
_ENV.filters["op"] = lambda op: {"<=": r"$\le$", ">=": r"$\ge$", "<": "$<$", ">": "$>$", "==": "$=$", "": ""}[op]
_ENV.filters["label"] = lambda lemma_id: "lem:" + re.sub(r"[^A-Za-z0-9.:+-]", "-", lemma_id)

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
\newcommand{\asrequired}[1]{\textcolor{passgreen}{#1 $\checkmark$}}
\newcommand{\notrequired}[1]{\textcolor{failred}{#1 $\times$}}
\newcommand{\figureof}[1]{\begin{center}\includegraphics[width=\textwidth,height=0.85\textheight,%
keepaspectratio]{#1}\end{center}}
\newcommand{\fitmath}[1]{\begin{center}%
\resizebox{\ifdim\width>0.97\linewidth0.97\linewidth\else\width\fi}{!}{$\displaystyle #1$}\end{center}}
\title{Implicit-bias claims checklist}
\date{((( doc.started | e_tex )))}
\author{scale \texttt{((( doc.scale | e_tex )))} \quad ((( doc.device | e_tex )))}
\begin{document}
\sloppy
\maketitle
\noindent Each claim was run on the optimizers of \texttt{numerics} and measured against certified references
(cvxpy, float64; duality gap in each reference's record). A check compares a measured number with a bound whose
reason is given; its mark is its outcome against what was required. A \emph{control} must fail (the wrong optimizer
or setting): it reads ``must fail'', and \asrequired{fails} when it did. A run judged as a part of a claim is named
in the claim's words, with its verdict. A convergence claim names its rival hypotheses (the other norms'
max-margin solutions) with their certified separations: \pass{} means the run reached the claim's limit within a
tolerance below half the least separation, excluding every rival; \fail{} means positive evidence against it (a
plateau above the tolerance, a run that ends at a rival's limit, a broken run or inconsistent measurements);
\inconclusive{} means this data or budget cannot tell, with the reason; \xfail{} a claim measured not to hold as
stated, as marked. Numbers in the text have four significant digits; \texttt{evidence.json} keeps every digit.
Versions: ((( versions | e_tex ))).
((( times | e_tex )))

\section*{Summary}
((( counts | e_tex ))).
\begin{longtable}{>{\raggedright}p{0.46\textwidth}lr>{\raggedright\arraybackslash}p{0.25\textwidth}}
claim & verdict & time (s) & papers \\ \hline
\endhead
((* for c in claims *))
\texttt{((( c.id | breakable )))} & ((( verdict(c.outcome) ))) & ((( c.seconds | num )))
 & ((( c.paper_keys | join(", ") | e_tex ))) \\
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
\textbf{Claim.} ((( c.statement | prose ))) \emph{((( "(" ~ c.paper | e_tex ~ ")" )))}
\quad Verdict: ((( verdict(c.outcome) ))).
((* if c.lemma_refs *))
\textbf{Rests on} ((( c.lemma_refs | join(", ") ))).
((* endif *))
((* if c.reasons *))

\noindent\textbf{Why.}
\begin{itemize}
((* for r in c.reasons *))
\item ((( r | prose )))
((* endfor *))
\end{itemize}
((* endif *))
((* if c.rows *))
\begin{longtable}{>{\raggedright}p{0.5\textwidth}rcrl}
check & measured & & bound & \\ \hline
\endhead
((* for k in c.rows *))
((( k.name ))) & ((( k.measured ))) & ((( k.op | op ))) & ((( k.bound ))) & ((( k.outcome ))) \\*
((* if k.why *))
\multicolumn{5}{>{\raggedright\arraybackslash}p{0.95\textwidth}}{\footnotesize ((( k.why | prose )))} \\
((* endif *))
((* endfor *))
\end{longtable}
((* for part in c.parts *))
\noindent\textbf{Run:} ((( part.claim | prose ))) --- ((( part.headline )))((* if part.reasons *)):
((( part.reasons | join("; ") | prose )))((* endif *)).
((* if part.measured.get("separations") *))
Tolerance ((( part.measured.tol | num ))); certified separations from the rivals:
((* for rival, value in part.measured.separations.items() *))
((( rival | e_tex ))) ((( value | num )))((* if not loop.last *)), ((* endif *))
((* endfor *)).
((* endif *))

((* endfor *))
((* if c.notes *))
\noindent\textbf{Notes.} ((( c.notes | join(" ") | prose )))

((* endif *))
((* if c.scalars *))
\noindent\textbf{Measured.} ((* for key, value in c.scalars *))
((( key | prose ))) = ((( value )))((* if not loop.last *)); ((* endif *))((* endfor *)).
((* endif *))
((* endif *))
((* if c.figure *))

% marks: ((( c.marks )))
\figureof{((( c.figure )))}
((* endif *))
((* endfor *))
((* if doc.mutants *))
\section*{Mutation table}
Each deliberately wrong implementation is run against the claim it must break; it is killed when that claim ends
FAIL by the check named.
\begin{longtable}{>{\raggedright}p{0.2\textwidth}>{\raggedright}p{0.22\textwidth}l%
>{\raggedright\arraybackslash}p{0.36\textwidth}}
mutant & claim & verdict & caught by \\ \hline
\endhead
((* for m in doc.mutants *))
((( m.mutant | prose ))) & \texttt{((( m.claim | breakable )))} & ((( verdict(m.verdict) )))
 & \footnotesize ((( m.caught_by | prose ))) \\
((* endfor *))
\end{longtable}
((* endif *))
((* if lemma_rows *))
\section*{The checked lemmas}
Every lemma of \texttt{theory}: its statement (from sympy), source and assumptions; its symbolic check (sympy
must prove the identities or relations it instantiates; \emph{undecided} when the algebra cannot settle it, e.g.\
a non-smooth subdifferential, and the numeric check decides) and its numeric check (the largest residual on random
instances, against its tolerance); and the claims that rest on it. Claims cite the lemmas by these numbers.
((* if graph *))

\figureof{((( graph )))}
((* endif *))
((* for r in lemma_rows *))
\begin{lemma}\label{((( r.id | label )))}\textbf{((( r.title )))}.
((* if r.assumptions *))Assume ((( r.assumptions | join(", ") ))). Then ((* endif *))
\fitmath{((( r.latex )))}
\emph{Source:} ((( r.source | prose ))). \texttt{((( r.id | breakable )))}. Symbolic check:
((( check(r.symbolic) ))); numeric check: ((( check(r.numeric) ))). Claims:
((* for c in r.claims *))
\texttt{((( c.id | breakable )))} ((( "(" ~ verdict(c.outcome) ~ ")" )))((* if not loop.last *)), ((* endif *))
((* else *))
none
((* endfor *)).
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
        return str(value) if value != value or value in (float("inf"), float("-inf")) else number(value)
    return prose(value)


def _scalars(measured: dict) -> list[tuple[str, str]]:
    """The measured numbers worth a line, as (name in words, value as LaTeX): scalars, and short lists of them."""
    out = []
    for key, value in measured.items():
        name = key.replace("_", " ") if re.fullmatch(r"\w+", key, re.ASCII) else key  # an identifier in words
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((name, _number(value)))
        elif isinstance(value, list) and 0 < len(value) <= 6 and all(isinstance(v, (int, float)) for v in value):
            out.append((name, ", ".join(_number(v) for v in value)))
    return out


def _outcome(verdict: str, expect: str) -> str:
    """A part's verdict against the one it had to reach, coloured by whether it did."""
    if expect == "PASS":
        return _verdict(verdict)
    word = {"FAIL": "fails", "PASS": "passes", "INCONCLUSIVE": "undecided"}.get(verdict, verdict.lower())
    return rf"\asrequired{{{word}}}" if verdict == expect else rf"\notrequired{{{word}}}"


def _rows(claim: dict) -> list[dict]:
    """The claim's checks as table rows: name, measured, op, bound, outcome mark (against what was required)."""
    evidence = claim.get("evidence") or {}
    parts = iter(evidence.get("parts", []))  # `Evidence.include` adds a part and its check together, in order
    rows = []
    for k in evidence.get("checks", []):
        if k["name"].startswith("lemma "):
            continue  # a cited lemma's checks are stated in its chapter
        part = next(parts, None) if "template verdict" in k.get("why", "") else None
        if part is not None:
            expect = part["expect"]
            must = {"FAIL": "must fail: ", "INCONCLUSIVE": "must stay undecided: "}.get(expect, "")
            rows.append({"name": rf"\emph{{{must}}}" * bool(must) + prose(k["name"]), "measured": "",
                         "op": "", "bound": "", "outcome": _outcome(part["verdict"], expect), "why": ""})
            continue
        boolean = figures.yes_or_no(k)
        measured = ("yes" if k["measured"] == 1.0 else "no") if boolean else _number(k["measured"])
        if k["negative"]:
            outcome = r"\asrequired{fails}" if k["passed"] else r"\notrequired{holds}"
        else:
            outcome = r"\pass" if k["passed"] else (r"\inconclusive" if k.get("severity") == "INCONCLUSIVE"
                                                    else r"\fail")
        rows.append({"name": r"\emph{must fail:} " * k["negative"] + prose(k["name"]), "measured": measured,
                     "op": "" if boolean else k["op"], "bound": "" if boolean else _number(k["bound"]),
                     "outcome": outcome, "why": k["why"]})
    return rows


def _parts(claim: dict) -> list[dict]:
    out = []
    for part in (claim.get("evidence") or {}).get("parts", []):
        expect = part["expect"]
        must = {"FAIL": "must fail, and it ", "INCONCLUSIVE": "must stay undecided, and it "}.get(expect, "")
        out.append({**part, "headline": (f"{must}{_outcome(part['verdict'], expect)}" if must else
                                         _verdict(part["verdict"]))})
    return out


def _times(doc: dict, claims: list[dict]) -> str:
    """What the header says of time: the claims' own times (the evidence shown) and the invocation's."""
    total, ran = sum(float(c.get("seconds") or 0.0) for c in claims), float(doc.get("seconds") or 0.0)
    return (f"The {len(claims)} claim cases shown took {duration(total)} of their own (each one's time is in the "
            f"summary; a claim's evidence may come from an earlier invocation, resumed from the ledger). The "
            f"invocation that built this report started {doc['started']} and ran {duration(ran)}.")


def duration(seconds: float) -> str:
    """A wall time as the report and the checklist's last line say it: "8 min 16 s", or "11.1 s"."""
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def _check(check: dict) -> str:
    """A lemma check in words: status, residual and tolerance."""
    if check["status"] == "undecided":
        return f"undecided ({prose(check['detail'])})" if check["detail"] else "undecided"
    residual = check["residual"]
    residual = _number(residual) if isinstance(residual, float) else prose(str(residual) or "—")
    bound = rf" $\le$ {_number(check['tolerance'])}" if check["tolerance"] is not None else ""
    colour = "passgreen" if check["status"] == "passed" else "failred"
    return rf"\textcolor{{{colour}}}{{{check['status']}}}, residual {residual}{bound}"


def _lemma_ref(lemma_id: str, numbered: set[str]) -> str:
    try:
        lemma = lemmas.get(lemma_id)
    except KeyError:  # an earlier run's evidence citing a lemma since removed
        return rf"\texttt{{{escape_text(lemma_id)}}} (no longer registered)"
    if lemma_id in numbered:
        return rf"Lemma~\ref{{{_ENV.filters['label'](lemma_id)}}} ({lemma.title})"
    return rf"{lemma.title} (\texttt{{{escape_text(lemma_id)}}})"


def render(doc: dict, figures_dir: Path | None = None, lemma_rows: list[dict] | None = None) -> str:
    """The LaTeX document of a checklist run (`doc` as written by ``--evidence``). With `figures_dir`, one PDF
    figure per claim (and the lemma → claim graph) is written there and included. `lemma_rows`
    (`verify.blueprint.rows`) add the chapter of checked lemmas; by default they are computed."""
    lemma_rows = blueprint.rows(doc["claims"]) if lemma_rows is None else lemma_rows
    numbered = {r["id"] for r in lemma_rows}
    claims, papers = [], {}
    for c in doc["claims"]:
        c = dict(c)
        evidence = c.get("evidence") or {}
        c["lemma_refs"] = [_lemma_ref(i, numbered) for i in c.get("lemmas", [])]
        c["scalars"] = _scalars(evidence.get("measured", {}))
        c["rows"], c["parts"], c["notes"] = _rows(c), _parts(c), list(evidence.get("notes", []))
        c["paper_keys"] = list(c.get("papers") or []) or [c["paper"]]
        cited = dict(zip(c.get("papers") or [], c["paper"].split("; ")))  # a claims file's papers, from its text
        papers.update({key: registry.PAPERS[key].reference if key in registry.PAPERS else text
                       for key, text in cited.items()})
        c["reasons"] = [] if c["outcome"] == "PASS" else (
            evidence.get("reasons") or [r for r in [_last_line(c.get("reason", ""))] if r])
        c["figure"], c["marks"] = None, 0
        if figures_dir is not None:
            path = Path(figures_dir) / (re.sub(r"[^A-Za-z0-9]+", "_", c["id"]).strip("_") + ".pdf")
            c["marks"] = figures.figure(c, path)
            if c["marks"]:
                c["figure"] = path.name
            else:  # nothing measured to draw (an ERROR before any check)
                path.unlink(missing_ok=True)
        c.setdefault("evidence", None)
        claims.append(c)
    graph = None
    if figures_dir is not None and lemma_rows:
        graph = blueprint.graph(lemma_rows, doc["claims"], Path(figures_dir) / "lemmas_to_claims.pdf").name
    outcomes = [c["outcome"] for c in claims]
    counts = ", ".join(f"{outcomes.count(k)} {k}" for k in ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "SKIP", "XFAIL"))
    versions = ", ".join(f"{k} {v}" for k, v in doc["versions"].items())
    doc = {"mutants": [], **doc}
    return TEMPLATE.render(doc=doc, claims=claims, counts=counts, versions=versions, verdict=_verdict,
                           papers=sorted(papers.items()), lemma_rows=lemma_rows, graph=graph, check=_check,
                           times=_times(doc, claims))


def _verdict(outcome: str) -> str:
    return {"PASS": r"\pass", "FAIL": r"\fail", "INCONCLUSIVE": r"\inconclusive", "XFAIL": r"\xfail",
            "SKIP": r"\skipped", "ERROR": r"\error"}.get(outcome, rf"\textbf{{{escape_text(str(outcome))}}}")


def _last_line(text: str) -> str:
    """The sentence of a pytest reason worth showing: its last non-empty line without a file:line prefix."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return re.sub(r"^\S+\.py:\d+: ", "", lines[-1]) if lines else ""
