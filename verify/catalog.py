"""The checklist's claims as a researcher selects them: every claim's id, papers, scales and node id, collected
from `verify/` without running anything, and the selection by claim id or paper key with near matches named
when nothing matches.

A paper key is the first author's surname and the year, lower case, one per paper a claim cites
("Xie, Wu, Chen, Tang 2026 (arXiv:2603.22824)" → ``xie2026``; "Gunasekar et al. 2018 (ICML); Chen et al. 2023
(Lion)" → ``gunasekar2018``, ``chen2023``).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    nodeid: str
    scaled: bool
    """Whether the claim takes the `scale` fixture (its sizes differ at paper scale); else it is the same at
    both scales."""
    lemmas: tuple[str, ...] = ()

    @property
    def papers(self) -> tuple[str, ...]:
        return paper_keys(self.paper)


def paper_keys(paper: str) -> tuple[str, ...]:
    """The keys of the papers a claim cites: first surname + year per ';'-separated citation."""
    keys = []
    for part in paper.split(";"):
        name, year = re.match(r"\W*([^\W\d_]+)", part), re.search(r"\b(19|20)\d\d\b", part)
        if name and year:
            keys.append(f"{name.group(1).lower()}{year.group(0)}")
    return tuple(keys)


class _Collector:
    def __init__(self):
        self.claims: list[Claim] = []

    def pytest_collection_modifyitems(self, items):
        from verify.plugin import claim_metadata

        for item in items:
            meta = claim_metadata(item)
            if meta is not None:
                self.claims.append(Claim(meta["id"], meta["paper"], item.nodeid, "scale" in item.fixturenames,
                                         tuple(meta["lemmas"])))


def collect(root: Path = HERE) -> list[Claim]:
    """Every claim of the checklist, in collection order (collected in this process; nothing runs)."""
    collector, output = _Collector(), io.StringIO()
    with contextlib.redirect_stdout(output):
        code = pytest.main([str(root), "--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[collector])
    if code not in (0, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"collecting the claims in {root} failed:\n{output.getvalue()[-3000:]}")
    return collector.claims


class SelectionError(ValueError):
    """A --claim or --paper that matches no claim; the message names the near matches."""


def select(claims: list[Claim], ids: list[str] = (), papers: list[str] = ()) -> list[Claim]:
    """The claims named by id (a parametrized claim by its base id, e.g. ``fuzz.steepest_descent_own_norm``, or
    one of its ids with ``[param]``) or citing one of `papers` (keys), in collection order."""
    chosen = []
    for wanted in ids:
        hits = [c for c in claims if c.id == wanted or c.id.split("[")[0] == wanted]
        if not hits:
            raise SelectionError(_unknown("claim", wanted, sorted({c.id for c in claims}
                                                                 | {c.id.split("[")[0] for c in claims})))
        chosen += hits
    for key in papers:
        hits = [c for c in claims if key.lower() in c.papers]
        if not hits:
            raise SelectionError(_unknown("paper key", key, sorted({k for c in claims for k in c.papers})))
        chosen += hits
    return [c for c in claims if c in chosen]


def _unknown(what: str, wanted: str, known: list[str]) -> str:
    near = difflib.get_close_matches(wanted, known, n=5, cutoff=0.5) or [k for k in known if wanted in k][:5]
    hint = f"; near matches: {', '.join(near)}" if near else f"; known: {', '.join(known)}"
    return f"no {what} {wanted!r}{hint} (python -m verify --list shows them all)"
