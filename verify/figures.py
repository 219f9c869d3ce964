"""One figure per claim for the report: what its runs measured, each line named in the claim's words.

    marks = figure(claim, path)     claim: one entry of evidence.json's "claims"; marks: the visible data drawn

A claim whose runs were judged as parts (`Evidence.include`) gets, per quantity (margin gap, KKT residual, …), one
line per run: the run's *claimed* trajectory (its own norm's gap, the residual marked "(claimed)"), labelled with
the name the claim gave the run — "must fail: …" and dashed for a control — and the run's tolerance as a dotted
line of the same colour. Its own trajectories (`Evidence.trajectory`) are drawn likewise, one quantity per panel.
Labels are wrapped, never cut. The step axis is logarithmic where it spans a decade (major ticks only); a value
axis is logarithmic where the values span a decade, else linear and at least 1 % of their magnitude tall, so a
change in the sixth digit does not look like a cliff.

A claim with no trajectory shows its checks as a dot plot: log10(measured/bound) per check between positive
numbers; any other check (a yes/no, a comparison with a bound ≤ 0) is a square at 0 with its numbers beside it;
the colour is the outcome against what was expected (green: as required, a control included when it fails; red:
not), a control's mark hollow.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

QUANTITIES = (("gap", "relative margin gap"), ("distance", "distance"), ("residual", "residual"))
"""Trajectory names containing the key share a panel with that y-axis label; any other name is its own panel."""
LINES_PER_PANEL = 6
PANELS = 4
LABEL_WIDTH = 44
"""Characters per legend line: labels wrap at this width (never cut)."""
CHECKS = 16
PASSED, FAILED = "#1a7f1a", "#b31b1b"


def wrap(text: str, width: int = LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def claimed(part: dict) -> tuple[str, dict] | None:
    """The trajectory of a run that its claim is about: the one marked "(claimed)", else the one of the run's
    norm, else its first."""
    trajectories = part.get("trajectories") or {}
    if not trajectories:
        return None
    norm = str((part.get("measured") or {}).get("norm", "\0"))
    name = next((n for n in trajectories if "(claimed)" in n), None) or next(
        (n for n in trajectories if n.startswith(f"{norm} ") or n.startswith(f"{norm}-")), None) or next(
        iter(trajectories))
    return name, trajectories[name]


def series(claim: dict) -> list[dict]:
    """Every line to draw: quantity label, legend label, steps, values, tolerance (or None), control or not."""
    evidence = claim.get("evidence") or {}
    out = []
    for name, tr in (evidence.get("trajectories") or {}).items():
        out.append({"name": name, "label": name, "tr": tr, "tol": None, "control": False})
    for part in evidence.get("parts") or []:
        chosen = claimed(part)
        if chosen is None:
            continue
        name, tr = chosen
        control = part.get("expect") == "FAIL"
        tol = (part.get("measured") or {}).get("tol")
        out.append({"name": name, "label": ("must fail: " if control else "") + part["claim"], "tr": tr,
                    "tol": tol if isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0 else None,
                    "control": control})
    seen: dict[str, int] = {}
    for s in out:  # two runs the claim names alike stay two entries: "… (2)"
        seen[s["label"]] = seen.get(s["label"], 0) + 1
        s["label"] += f" ({seen[s['label']]})" if seen[s["label"]] > 1 else ""
    lines = []
    for s in out:
        t, v = np.asarray(s["tr"]["steps"], float), np.asarray(s["tr"]["values"], float)
        if v.ndim != 1 or t.shape != v.shape or np.isfinite(v).sum() < 1:
            continue
        quantity = next((label for key, label in QUANTITIES if key in s["name"].lower()), s["name"])
        lines.append({**s, "quantity": quantity, "t": t, "v": v})
    return lines


def panels(lines: list[dict]) -> list[tuple[str, list[dict]]]:
    """Lines grouped by quantity, at most `LINES_PER_PANEL` per panel and `PANELS` panels."""
    grouped: dict[str, list] = {}
    for line in lines:
        grouped.setdefault(line["quantity"], []).append(line)
    out = [(q, ls[i:i + LINES_PER_PANEL]) for q, ls in grouped.items() for i in range(0, len(ls), LINES_PER_PANEL)]
    return out[:PANELS]


def figure(claim: dict, path: Path) -> int:
    """The claim's figure into `path` (module docstring); returns the number of data marks drawn (points of
    lines, dots of checks): a figure with none shows nothing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = panels(series(claim))
    if not chosen:
        return _checks_figure(claim, path, plt)
    fig, axes = plt.subplots(len(chosen), 1, figsize=(7.2, 2.4 * len(chosen)), squeeze=False)
    marks = 0
    for ax, (quantity, lines) in zip(axes[:, 0], chosen):
        marks += _panel(ax, quantity, lines)
    fig.suptitle(claim["id"], fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return marks


def _panel(ax, quantity: str, lines: list[dict]) -> int:
    from matplotlib.lines import Line2D

    marks, shown = 0, []
    for i, line in enumerate(lines):
        keep = np.isfinite(line["v"]) & (line["t"] > 0)
        t, v = line["t"][keep], np.abs(line["v"][keep])
        color = f"C{i}"
        ax.plot(t, v, color=color, ls="--" if line["control"] else "-", lw=1.1,
                marker="o" if len(t) < 3 else None, ms=3, label=wrap(line["label"]))
        marks += len(t)
        shown.append(v)
        if line["tol"] is not None:
            ax.axhline(line["tol"], color=color, ls=":", lw=0.9)
            shown.append(np.asarray([line["tol"]]))
    steps = np.concatenate([line["t"][line["t"] > 0] for line in lines] or [np.ones(1)])
    _step_axis(ax, steps)
    _value_axis(ax, np.concatenate(shown))
    ax.set_ylabel(wrap(quantity, 28), fontsize=8)
    ax.set_xlabel("step t", fontsize=8)
    ax.tick_params(labelsize=7)
    handles, labels = ax.get_legend_handles_labels()
    if any(line["tol"] is not None for line in lines):
        handles.append(Line2D([], [], color="grey", ls=":", lw=0.9))
        labels.append("tolerance (dotted, the run's colour)")
    ax.legend(handles, labels, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return marks


def _step_axis(ax, steps: np.ndarray) -> None:
    """Log steps where they span a decade, with major ticks only (no crowded minor labels); else linear."""
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

    if steps.size and steps.max() >= 10 * steps.min():
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(numticks=7))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.xaxis.set_major_locator(MaxNLocator(5))


def _value_axis(ax, values: np.ndarray) -> None:
    """Log values where they span a decade; else linear, at least 1 % of their magnitude tall."""
    from matplotlib.ticker import LogLocator, NullFormatter

    values = values[np.isfinite(values)]
    if values.size and (values > 0).all() and values.max() > 10 * values.min():
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_formatter(NullFormatter())
        return
    ax.ticklabel_format(axis="y", useOffset=False, style="sci", scilimits=(-3, 4))
    if values.size:
        low, high = float(values.min()), float(values.max())
        least = 0.01 * max(abs(low), abs(high)) or 1.0
        if high - low < least:
            middle = (low + high) / 2
            ax.set_ylim(middle - least / 2, middle + least / 2)


def _checks_figure(claim: dict, path: Path, plt) -> int:
    from matplotlib.lines import Line2D

    checks = [k for k in (claim.get("evidence") or {}).get("checks", []) if not k["name"].startswith("lemma ")]
    shown = checks[:CHECKS]
    if not shown:
        return 0
    names = [wrap(("must fail: " if k["negative"] else "") + k["name"], 70) for k in shown]
    height = 0.9 + 0.17 * sum(n.count("\n") + 1 for n in names) + 0.1 * len(shown)
    fig, ax = plt.subplots(figsize=(7.2, max(height, 1.6)))
    for row, k in enumerate(shown):
        x, numeric = _log_ratio(k)
        color = PASSED if k["passed"] else FAILED
        ax.plot([x], [row], marker="o" if numeric else "s", ms=6, ls="none", markeredgecolor=color,
                markerfacecolor="none" if k["negative"] else color)
        if not numeric:  # its numbers beside the mark: a yes/no, or a comparison with a bound ≤ 0
            said = ("yes" if k["measured"] == 1.0 else "no") if yes_or_no(k) else (
                f"{k['measured']:.3g} {k['op']} {k['bound']:.3g}")
            ax.annotate(said, (x, row), xytext=(7, 0), textcoords="offset points", fontsize=6, va="center")
    ax.set_yticks(range(len(shown)), names, fontsize=6)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("log10(measured / bound); a yes/no check at 0", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    more = f" (the first {CHECKS} of {len(checks)})" if len(checks) > CHECKS else ""
    ax.set_title(f"{claim['id']}: its checks{more}", fontsize=9)
    proxies = [Line2D([], [], marker="o", ls="none", color=PASSED, label="as required"),
               Line2D([], [], marker="o", ls="none", color=FAILED, label="not as required"),
               Line2D([], [], marker="o", ls="none", markerfacecolor="none", markeredgecolor="grey",
                      label="a control (must fail)")]
    ax.legend(handles=proxies, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return len(shown)


def _log_ratio(check: dict) -> tuple[float, bool]:
    """(log10(measured/bound), True) for a check between two positive numbers; (0, False) for a yes/no check."""
    m, b = check["measured"], check["bound"]
    numeric = all(isinstance(x, (int, float)) and math.isfinite(x) and x > 0 for x in (m, b))
    return (math.log10(m) - math.log10(b), True) if numeric and not yes_or_no(check) else (0.0, False)


def yes_or_no(check: dict) -> bool:
    """Whether a check states a property (measured 1 or 0 against == 1), not a comparison of numbers."""
    return check["op"] == "==" and check["bound"] == 1.0 and check["measured"] in (0.0, 1.0)


__all__ = ["QUANTITIES", "claimed", "figure", "panels", "series", "wrap", "yes_or_no"]
