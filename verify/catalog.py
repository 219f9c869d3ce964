"""The checklist's claims as a researcher selects them: every claim's id, papers, scales and node id, collected
from `verify/` (and any claims files given) without running anything, and the selection by claim id or paper key
(`verify.papers`) with near matches named when nothing matches.
"""

from __future__ import annotations

import contextlib
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from verify import claim, papers as registry

HERE = Path(__file__).parent
CHECKLIST_OPTIONS = ("-p", "verify.plugin", "-c", str(HERE.parent / "pyproject.toml"))
"""What every pytest run of the checklist gets, wherever the claims files lie: the plugin, and the repository's
configuration (so that its directory is the rootdir: a claims file outside it would otherwise make pytest look
for one above the file, and run without the plugin)."""


@dataclass(frozen=True)
class Entry:
    """One collected claim (one per parametrization), as the command line lists and selects it."""

    id: str
    papers: tuple[str, ...]
    nodeid: str
    target: str
    """What pytest takes to run it alone: its file's absolute path and the test's name (with its parameters)."""
    scaled: bool
    """Whether the claim takes the `scale` fixture (its sizes differ at paper scale); else it is the same at
    both scales."""
    lemmas: tuple[str, ...] = ()


class _Collector:
    def __init__(self):
        self.claims: list[Entry] = []

    def pytest_collection_modifyitems(self, items):
        from verify.plugin import claim_metadata

        for item in items:
            meta = claim_metadata(item)
            if meta is not None:
                self.claims.append(Entry(meta["id"], tuple(meta["papers"]), item.nodeid, f"{item.path}::{item.name}",
                                         "scale" in item.fixturenames, tuple(meta["lemmas"])))


def collect(root: Path = HERE, claims_files=()) -> list[Entry]:
    """Every claim of the checklist and of `claims_files`, in collection order (collected in this process;
    nothing runs)."""
    collector, output = _Collector(), io.StringIO()
    extra = [a for path in claims_files for a in (str(claim.source_file(path)), "--claims", str(path))]
    with contextlib.redirect_stdout(output):
        code = pytest.main([str(root), *extra, *CHECKLIST_OPTIONS, "--collect-only", "-q", "-p", "no:cacheprovider"],
                           plugins=[collector])
    if code not in (0, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"collecting the claims in {root} failed:\n{output.getvalue()[-3000:]}")
    return collector.claims


class SelectionError(ValueError):
    """A --claim or --paper that matches no claim; the message names the near matches, or says there is none."""


def select(claims: list[Entry], ids: list[str] = (), papers: list[str] = ()) -> list[Entry]:
    """The claims named by id (a parametrized claim by its base id, e.g. ``fuzz.steepest_descent_own_norm``, or
    one of its ids with ``[param]``) or citing one of `papers` (keys), in collection order."""
    chosen = []
    for wanted in ids:
        hits = [c for c in claims if c.id == wanted or c.id.split("[")[0] == wanted]
        if not hits:
            raise SelectionError(_unknown("claim", wanted, ids_and_base_ids(claims)))
        chosen += hits
    for key in papers:
        if key.lower() not in registry.PAPERS:
            raise SelectionError(_unknown("paper key", key, registry.PAPERS))
        hits = [c for c in claims if key.lower() in c.papers]
        if not hits:
            raise SelectionError(f"no claim cites {key!r} ({registry.get(key.lower()).citation}); the papers cited: "
                                 f"{', '.join(sorted({k for c in claims for k in c.papers}))}")
        chosen += hits
    return [c for c in claims if c in chosen]


def ids_and_base_ids(claims: list[Entry]) -> set[str]:
    """Every id that selects a claim: each case's id and each parametrized claim's base id."""
    return {c.id for c in claims} | {c.id.split("[")[0] for c in claims}


NEAR = 5
"""The most near matches an unknown id or key is answered with."""


def near(wanted: str, known) -> list[str]:
    """At most `NEAR` of `known` near `wanted`: difflib's close matches, else those that contain it."""
    known = sorted(known)
    return (difflib.get_close_matches(wanted, known, n=NEAR, cutoff=0.6)
            or [k for k in known if wanted.lower() in k.lower()][:NEAR])


def _unknown(what: str, wanted: str, known) -> str:
    """The message for an unknown claim id or paper key: its near matches, or that there is none."""
    where = "python -m verify papers" if what == "paper key" else "python -m verify --list"
    close = near(wanted, known)
    if close:
        return f"no {what} {wanted!r}; near matches: {', '.join(close)} ({where} shows them all)"
    return f"no {what} {wanted!r}, and no {what} near it; {where} shows them all"
