"""The checked lemmas and the claims that rest on them, as a blueprint shows a formalisation: every registered
lemma (`theory.lemmas`) with its symbolic and numeric check — status, residual, tolerance — and the claims that
cite it; a table for the terminal (`python -m verify lemmas`), rows for the report's lemma chapter, and the
dependency graph lemmas → claims coloured by status.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from theory import lemmas
from verify.evidence import LEMMA_OK, lemma_checks

STATUS_COLOURS = {"PASS": "#1a7f1a", "passed": "#1a7f1a", "undecided": "#b87300", "INCONCLUSIVE": "#b87300",
                  "XFAIL": "#6a4c93", "SKIP": "#777777", "FAIL": "#b31b1b", "failed": "#b31b1b", "error": "#b31b1b",
                  "ERROR": "#b31b1b"}


def rows(claims: list[dict] = ()) -> list[dict]:
    """One row per registered lemma: its statement, source, assumptions, both checks and the claims citing it
    (id and outcome). `status` is the lemma's: failed or error if either check is, else undecided if either is,
    else passed."""
    out = []
    for lemma in lemmas.all():
        checks = {c.kind: {"status": c.status, "residual": c.residual, "tolerance": c.tolerance, "detail": c.detail}
                  for c in lemma_checks(lemma.id)}
        statuses = {c["status"] for c in checks.values()}
        status = next((s for s in ("error", "failed", "undecided") if s in statuses), "passed")
        out.append({"id": lemma.id, "title": lemma.title, "source": lemma.source,
                    "assumptions": list(lemma.assumptions),
                    "latex": lemma.latex(), "symbolic": checks["symbolic"], "numeric": checks["numeric"],
                    "status": status, "claims": [{"id": c["id"], "outcome": c["outcome"]} for c in claims
                                                 if lemma.id in c.get("lemmas", ())]})
    return out


def table(lemma_rows: list[dict]) -> str:
    """The rows as a terminal table: id, status, each check's status and residual (≤ tolerance), claims."""
    def cell(check: dict) -> str:
        residual = check["residual"]
        number = f"{residual:.1e}" if isinstance(residual, float) and math.isfinite(residual) else str(residual)
        bound = f" ≤ {check['tolerance']:.0e}" if check["tolerance"] is not None and check["status"] == "passed" else ""
        return f"{check['status']} ({number or '—'}{bound})" if check["status"] != "undecided" else "undecided"

    width = max(len(r["id"]) for r in lemma_rows)
    lines = [f"{'lemma':{width}s}  {'status':9s}  {'symbolic':22s}  {'numeric':26s}  claims"]
    for r in lemma_rows:
        lines.append(f"{r['id']:{width}s}  {r['status']:9s}  {cell(r['symbolic'])[:22]:22s}  "
                     f"{cell(r['numeric'])[:26]:26s}  {_claims_cell(r['claims'])}")
    ok = sum(r["status"] in LEMMA_OK for r in lemma_rows)
    lines.append(f"{len(lemma_rows)} lemmas: {ok} passed or undecided (the algebra cannot settle it and the numeric "
                 f"check decides), {len(lemma_rows) - ok} failed or errored")
    return "\n".join(lines)


def _claims_cell(claims: list[dict]) -> str:
    """The claims resting on a lemma as the table shows them: their number, and their outcomes where a run
    recorded any (e.g. "5 (4 PASS, 1 not run)")."""
    outcomes = Counter(c["outcome"] for c in claims)
    if set(outcomes) <= {"not run"}:
        return str(len(claims))
    return f"{len(claims)} ({', '.join(f'{n} {outcome}' for outcome, n in sorted(outcomes.items()))})"


def graph(lemma_rows: list[dict], claims: list[dict], path: Path) -> Path:
    """The dependency graph: lemmas (left) → the claims citing them (right), each node coloured by its status
    (lemma: its checks; claim: its outcome); written to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cited = [r for r in lemma_rows if r["claims"]] + [r for r in lemma_rows if not r["claims"]]
    ids = [c["id"] for c in claims]
    height = max(len(cited), len(ids)) * 0.16 + 0.6
    fig, ax = plt.subplots(figsize=(7.2, height))
    left = {r["id"]: 1 - i / max(len(cited) - 1, 1) for i, r in enumerate(cited)}
    right = {c: 1 - i / max(len(ids) - 1, 1) for i, c in enumerate(ids)}
    for r in cited:
        for c in r["claims"]:
            if c["id"] in right:
                ax.plot([0.32, 0.68], [left[r["id"]], right[c["id"]]], color="#bbbbbb", lw=0.5, zorder=1)
    for r in cited:
        ax.scatter([0.32], [left[r["id"]]], color=STATUS_COLOURS.get(r["status"], "#000000"), s=14, zorder=2)
        ax.text(0.30, left[r["id"]], r["id"], ha="right", va="center", fontsize=5.5)
    for c in claims:
        ax.scatter([0.68], [right[c["id"]]], color=STATUS_COLOURS.get(c["outcome"], "#000000"), s=14, zorder=2)
        ax.text(0.70, right[c["id"]], c["id"], ha="left", va="center", fontsize=5.5)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.03, 1.03)
    ax.axis("off")
    ax.set_title("lemmas (checks) → claims (verdicts); green passed, amber undecided/inconclusive, red failed, "
                 "violet XFAIL", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
