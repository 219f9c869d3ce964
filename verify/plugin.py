"""The checklist's pytest plugin: the `claim` marker, the `evidence` and `scale` fixtures, and the collection
of every claim's evidence into JSON, a terminal table and the LaTeX report.

Evidence travels in `item.user_properties` (pytest's own channel, serialized by xdist), so it survives
``pytest -n auto``; the controller process gathers it from the reports. A claim test that records no
evidence, or never states its verdict, fails: there is no silent pass. A skipped claim (no verdict at this
scale) is reported as SKIP with its reason, an errored one as ERROR.

Options: ``--scale default|paper``, ``--evidence PATH.json``, ``--report PATH.tex``.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from verify import ledger
from verify.evidence import ClaimEvidence, ClaimInconclusive, plain

CLAIM_KEY, EVIDENCE_KEY = "verify.claim", "verify.evidence"
ERROR_KEY, NO_VERDICT_KEY, INCONCLUSIVE_KEY = "verify.error", "verify.no_verdict", "verify.inconclusive"
PROVENANCE_KEY = "verify.provenance"
NO_VERDICT = "verify: no verdict:"


@dataclass(frozen=True)
class Scale:
    """The checklist's scale: `default` (the whole checklist in minutes on a 2-core CPU) or `paper` (the
    papers' sizes and step counts; GPU when present)."""

    name: str

    def pick(self, default, paper):
        return paper if self.name == "paper" else default


def pytest_addoption(parser):
    group = parser.getgroup("verify", "implicit-bias claims checklist")
    group.addoption("--scale", choices=("default", "paper"), default="default",
                    help="default: minutes on a CPU; paper: the papers' sizes and step counts")
    group.addoption("--evidence", metavar="PATH", default=None, help="write every claim's evidence as JSON")
    group.addoption("--report", metavar="PATH", default=None, help="write the LaTeX report of checked claims")
    group.addoption("--evidence-dir", metavar="DIR", default=None,
                    help="write each claim's evidence to DIR/claims/ as it finishes, and build --evidence and "
                         "--report from every claim there (this run's and earlier runs')")
    group.addoption("--claims", action="append", default=[], metavar="PATH",
                    help="a claims file (or module) outside the checklist whose claims, papers and mutants join this "
                         "run (repeatable); give the file to pytest as well to run its claims")
    group.addoption("--resume", action="store_true",
                    help="with --evidence-dir: skip the claims whose evidence there is current (same code, scale "
                         "and versions)")


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(id, papers, lemmas, statement): set by verify.claim.claim, which "
                                       "declares a claim; the test records Evidence and states a verdict")
    from verify import claim

    for path in config.getoption("--claims"):  # their papers join the registry; their errors show before any run
        claim.load_file(path)
    import torch

    from numerics.train import threads

    torch.set_num_threads(threads.default())  # one intra-op thread outside sized blocks, or IBS_THREADS
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist) gathers the evidence
        config.pluginmanager.register(Gatherer(config), "verify-gatherer")
        _session_cache(config)


def _session_cache(config) -> None:
    """A test session that was given no reference cache (`IBS_CACHE_DIR`, as `python -m verify` gives one) gets
    a temporary one, shared by its xdist workers (they inherit the environment) and removed at the end: tests
    stay hermetic, and a reference is still solved once per session."""
    from numerics.references import cache

    if os.environ.get(cache.ENV_DIR) or os.environ.get(cache.ENV_OFF, "") not in ("", "0"):
        return
    directory = tempfile.mkdtemp(prefix="ibs-references-")
    os.environ[cache.ENV_DIR] = directory
    config.add_cleanup(lambda: (shutil.rmtree(directory, ignore_errors=True), os.environ.pop(cache.ENV_DIR, None)))


def pytest_collection_modifyitems(config, items):
    """Claim ids become keywords (`-k nucgd.zero_sum_rows` selects that claim); with --resume, the claims and
    the mutation table's rows whose evidence on disk is current are deselected."""
    done = {kind: set() for kind in ledger.KINDS}
    if config.getoption("--resume"):
        directory = config.getoption("--evidence-dir")
        if directory is None:
            raise pytest.UsageError("--resume needs --evidence-dir (where the finished claims are)")
        done = {kind: ledger.current(Path(directory), kind, config.getoption("--scale")) for kind in ledger.KINDS}
    kept, skipped = [], []
    for item in items:
        meta = claim_metadata(item)
        if meta is not None:
            item.extra_keyword_matches.update({meta["id"], meta["id"].split("[")[0]})
        finished = (meta is not None and meta["id"] in done["claims"]) or _row_of(item) in done["mutants"]
        (skipped if finished else kept).append(item)
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = kept


def _row_of(item) -> str | None:
    """The mutation table's row name of `item` (`mutation_row`), None for any other test."""
    target = getattr(getattr(item, "callspec", None), "params", {}).get("target")
    if getattr(item, "originalname", None) != MUTATION_TEST or target is None:
        return None
    from verify.mutants import target_id

    claim, mutant = target
    return mutation_row(target_id(claim, mutant), mutant.name)


def claim_metadata(item) -> dict | None:
    marker = item.get_closest_marker("claim")
    if marker is None:
        return None
    meta = dict(marker.kwargs)
    missing = {"id", "paper", "papers", "lemmas", "statement"} - set(meta)
    if missing:
        raise pytest.UsageError(f"{item.nodeid}: the claim marker lacks {sorted(missing)}: declare claims with "
                                "verify.claim.claim")
    meta["lemmas"] = list(meta["lemmas"])
    if hasattr(item, "callspec"):  # one claim per parametrization
        meta["id"] = f"{meta['id']}[{item.callspec.id}]"
    from theory import lemmas

    unknown = set(meta["lemmas"]) - {lemma.id for lemma in lemmas.all()}
    if unknown:
        raise pytest.UsageError(f"{item.nodeid}: the claim cites unknown lemma ids {sorted(unknown)}")
    return meta


@pytest.fixture(scope="session")
def scale(request) -> Scale:
    return Scale(request.config.getoption("--scale"))


@pytest.fixture
def seams(request):
    """The seams the claim declares (`verify.claim.Seams`): what a mutant may replace."""
    from verify.claim import Seams

    declared = getattr(getattr(request.node, "function", None), "claim", None)
    if declared is None:
        raise pytest.UsageError(f"{request.node.nodeid} asks for `seams` but is not declared with verify.claim.claim")
    return Seams(declared.seams)


@pytest.fixture
def evidence(request) -> ClaimEvidence:
    meta = claim_metadata(request.node)
    from numerics.references import ACCOUNT
    from numerics.train import ACCOUNT as TRAINING

    ev = ClaimEvidence(meta["id"], meta["lemmas"]) if meta else ClaimEvidence(request.node.name)
    before, trained = ACCOUNT.copy(), TRAINING.copy()
    yield ev
    work = {name: ACCOUNT[name] - before[name] for name in ("solved", "loaded", "rejected", "solving seconds")}
    training = {name: TRAINING[name] - trained[name] for name in TRAINING_WORK}
    request.node.user_properties.append((EVIDENCE_KEY, {**ev.as_dict(), "concluded": ev.concluded,
                                                        "references": work, "training": training}))


@pytest.fixture(autouse=True)
def _provenance(request):
    """Every claim's seed, scale, device, versions and parameters, beside its evidence (whatever it records)."""
    if claim_metadata(request.node) is not None:
        from numerics.provenance import describe_device, versions
        from verify.kit import SEED

        params = getattr(getattr(request.node, "callspec", None), "params", {})
        request.node.user_properties.append((PROVENANCE_KEY, plain({
            "seed": SEED, "scale": request.config.getoption("--scale"), "device": describe_device(),
            "versions": versions(), "params": {k: str(v) for k, v in params.items()}})))
    yield


def pytest_runtest_setup(item):
    meta = claim_metadata(item)
    if meta is not None:
        item.user_properties.append((CLAIM_KEY, meta))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if claim_metadata(item) is None:
        return
    if report.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(ClaimInconclusive):
        report.user_properties.append((INCONCLUSIVE_KEY, True))  # the data or the budget cannot tell
    elif report.when == "call" and call.excinfo is not None and not (
            call.excinfo.errisinstance(pytest.skip.Exception) or _failed_checks(call.excinfo.value)):
        report.user_properties.append((ERROR_KEY, call.excinfo.typename))  # an exception, not a failed check
    if report.when != "teardown":
        return
    ev = dict(item.user_properties).get(EVIDENCE_KEY)
    if not getattr(item, "_verify_passed", False):
        return  # failed, errored or skipped: reported as such
    if ev is None or not ev["concluded"]:
        why = "does not use the `evidence` fixture" if ev is None else "never called evidence.conclude()"
        report.outcome, report.longrepr = "failed", f"{NO_VERDICT} {item.nodeid} {why}"
        report.user_properties.append((NO_VERDICT_KEY, True))


def _failed_checks(error: BaseException) -> bool:
    """Whether `error` is a failed check: an AssertionError, or a group of them (hypothesis reports several
    distinct counterexamples as one ExceptionGroup) — a FAIL with each one, not an ERROR."""
    if isinstance(error, BaseExceptionGroup):
        return all(_failed_checks(part) for part in error.exceptions)
    return isinstance(error, AssertionError)


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    outcome = yield
    pyfuncitem._verify_passed = outcome.excinfo is None


MUTANT_KEY = "verify.mutant"
MUTATION_TEST = "test_the_mutant_is_killed"
"""The test of the mutation table (`verify/test_mutants.py`): one row per mutant."""


def mutation_row(claim_case: str, mutant: str) -> str:
    """A row of the mutation table by name: the claim case the mutant runs, then the mutant (a mutant's name
    alone may repeat), e.g. ``haochen.label_noise_recovers[v*v]: Gaussian noise posing as label noise``."""
    return f"{claim_case}: {mutant}"


@functools.cache
def claim_functions(path: Path) -> frozenset[str]:
    """The names of the functions a test file declares claims on (decorated with ``claim(...)``), read from its
    source without importing it."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    return frozenset(node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                     and any(_calls_claim(decorator) for decorator in node.decorator_list))


def _calls_claim(decorator: ast.expr) -> bool:
    """Whether a decorator is a call of `claim` (``@claim(...)`` or ``@verify.claim.claim(...)``)."""
    called = getattr(decorator, "func", None)
    return getattr(called, "id", None) == "claim" or getattr(called, "attr", None) == "claim"


class Progress:
    """The running counts of a run's claim cases and mutation-table rows, each counted apart (``[claim 12/61]``,
    ``[mutant 3/51]``), with the time left estimated from the claims' recorded times; other tests are not
    counted."""

    def __init__(self, root: Path, recorded: dict[str, float], workers: int):
        self.root, self.recorded, self.workers = Path(root), recorded, workers
        self.selected: dict[str, set[str]] = {"claim": set(), "mutant": set()}
        self.finished: dict[str, set[str]] = {"claim": set(), "mutant": set()}

    def select(self, nodeids) -> None:
        """The node ids the run selected (relative to `root`, as pytest writes them)."""
        self.selected = {kind: set() for kind in self.selected}
        for nodeid in nodeids:
            kind = self.kind(nodeid)
            if kind is not None:
                self.selected[kind].add(nodeid)

    def kind(self, nodeid: str) -> str | None:
        """"mutant" for a row of the mutation table, "claim" for a claim case, None for any other test."""
        path, _, name = nodeid.split("[", 1)[0].partition("::")
        if name == MUTATION_TEST:
            return "mutant"
        return "claim" if name in claim_functions(self.root / path) else None

    def finish(self, nodeid: str, kind: str | None = None) -> str:
        """Count `nodeid` (of `kind`, by default its own) finished; its count and the time left, e.g.
        "  [claim 12/61, about 4 min left]", or "" for a test that is neither a claim case nor a mutant."""
        kind = kind or self.kind(nodeid)
        if kind is None:
            return ""
        self.finished[kind].add(nodeid)
        total = len(self.selected[kind] | self.finished[kind])
        left = [self.recorded[n] for n in self.selected["claim"] - self.finished["claim"] if n in self.recorded]
        estimate = f", about {_duration(sum(left) / self.workers)} left" if left else ""
        return f"  [{kind} {len(self.finished[kind])}/{total}{estimate}]"


def claim_line(entry: dict) -> str:
    """A finished claim case as the progress shows it: outcome, id, seconds."""
    return f"{entry['outcome']:12s} {entry['id']} {entry['seconds']:.1f} s"


def mutant_line(entry: dict) -> str:
    """A finished row of the mutation table as the progress shows it: killed or ALIVE, the mutant, the claim case
    it ran, seconds."""
    return (f"{'killed' if entry['killed'] else 'ALIVE':12s} {entry['mutant']} (on {entry['claim']}) "
            f"{entry['seconds']:.1f} s")


class Gatherer:
    """Collects claim outcomes and evidence, and the mutation table, from every report (local or from xdist
    workers)."""

    def __init__(self, config):
        self.config = config
        self.claims: dict[str, dict] = {}
        self.mutants: dict[str, dict] = {}
        self.started = time.time()
        self.scale = config.getoption("--scale")
        self.directory = config.getoption("--evidence-dir")
        recorded = {e.get("nodeid"): e["seconds"] for e in
                    (ledger.read(Path(self.directory), "claims", self.scale) if self.directory else {}).values()}
        workers = getattr(config.option, "numprocesses", None)
        workers = (os.cpu_count() or 1) if isinstance(workers, str) else max(1, workers or 1)
        self.progress = Progress(config.rootpath, recorded, workers)

    def pytest_collection_finish(self, session):
        self.progress.select(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self.progress.select(ids)  # the controller collects nothing itself: the workers' ids

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        if MUTANT_KEY in props and report.when == "call":
            self._mutant(report.nodeid, {**props[MUTANT_KEY], "seconds": report.duration})
        meta = props.get(CLAIM_KEY)
        if meta is None:
            if report.when == "teardown" and self.progress.kind(report.nodeid) == "mutant":
                entry = self.mutants.get(report.nodeid)  # none when the row raised before recording its verdict
                line = mutant_line(entry) if entry else f"{'ERROR':12s} {report.nodeid}"
                self._say(line + self.progress.finish(report.nodeid, "mutant"))
            return
        if report.when == "setup":
            last = self.progress.recorded.get(report.nodeid)
            self._say(f"start {meta['id']}" + (f" (last run {last:.0f} s)" if last is not None else ""))
        entry = self.claims.setdefault(report.nodeid, {"nodeid": report.nodeid, **plain(meta), "outcome": "PASS",
                                                       "reason": "", "seconds": 0.0})
        entry["seconds"] += report.duration
        if EVIDENCE_KEY in props:
            entry["evidence"] = props[EVIDENCE_KEY]
        if PROVENANCE_KEY in props:
            entry["provenance"] = props[PROVENANCE_KEY]
        if hasattr(report, "wasxfail") and report.skipped:  # a claim known (measured) not to hold as stated
            entry["outcome"], entry["reason"] = "XFAIL", str(report.wasxfail)
        elif report.skipped:
            entry["outcome"] = "SKIP"
            entry["reason"] = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        elif report.failed:
            no_verdict = NO_VERDICT_KEY in props  # the plugin's own verdict: a failure, not an error
            error = ERROR_KEY in props or (report.when != "call" and entry["outcome"] not in ("FAIL", "INCONCLUSIVE")
                                           and not no_verdict)
            entry["outcome"] = "ERROR" if error else "INCONCLUSIVE" if INCONCLUSIVE_KEY in props else "FAIL"
            entry["reason"] = _short(report.longreprtext)
        if report.when == "teardown":
            if self.directory:
                ledger.write(Path(self.directory), "claims", entry["id"], entry, self.scale)
            self._say(claim_line(entry) + self.progress.finish(report.nodeid, "claim"))

    def _mutant(self, nodeid: str, entry: dict) -> None:
        """A row of the mutation table finished: kept, and written to the ledger under its row name."""
        self.mutants[nodeid] = entry
        if self.directory:
            ledger.write(Path(self.directory), "mutants", mutation_row(entry["claim"], entry["mutant"]), entry,
                         self.scale)

    def _say(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            if reporter._tw.width_of_current_line:  # after pytest's progress dots
                reporter.line("")
            reporter.write_line(line)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.claims and not self.mutants:
            return
        tr = terminalreporter
        tr.section(f"claims checklist (scale {self.config.getoption('--scale')})")
        for entry in sorted(self.claims.values(), key=lambda e: e["id"]):
            tr.write_line(f"{entry['outcome']:12s} {entry['id']:40s} {entry['seconds']:7.1f} s  {entry['paper']}")
        for line in summary({"claims": list(self.claims.values()), "mutants": list(self.mutants.values())}):
            tr.write_line(line)
        if self.mutants:
            tr.write_line("mutation table (killed or ALIVE, mutant, its claim case's verdict, the case):")
            for m in self.mutants.values():
                tr.write_line(f"  {'killed' if m['killed'] else 'ALIVE ':6s} {m['mutant']:40s} "
                              f"{m['verdict']:12s} {m['claim']}")

    def pytest_sessionfinish(self, session):
        if not self.claims and not self.mutants and not self.directory:
            return
        write_outputs(self.document(), self.config.getoption("--evidence"), self.config.getoption("--report"))

    def document(self) -> dict:
        """This run's claims and mutants; with --evidence-dir, every claim and mutant on disk (this run's are
        there too)."""
        claims, mutants = list(self.claims.values()), list(self.mutants.values())
        if self.directory:
            claims = list(ledger.read(Path(self.directory), "claims", self.scale).values())
            mutants = mutation_entries(Path(self.directory), self.scale)
        return {**empty_document(self.scale, self.started), "seconds": time.time() - self.started,
                "claims": sorted(claims, key=lambda e: e["id"]), "mutants": sorted(mutants, key=lambda m: m["mutant"])}


def mutation_entries(directory: Path, scale: str) -> list[dict]:
    """The mutation table's rows on disk at `scale`: entries filed under their row name (`mutation_row`); one
    filed under the mutant's name alone (before rows were named by their claim case) is left out, as its row
    has its own entry."""
    return [entry for name, entry in ledger.read(directory, "mutants", scale).items()
            if name == mutation_row(entry.get("claim", ""), entry.get("mutant", ""))]


def empty_document(scale: str, started: float | None = None) -> dict:
    """An evidence document's provenance, with no claims yet."""
    from numerics.provenance import describe_device, versions

    started = time.time() if started is None else started
    return {"scale": scale, "device": describe_device(), "versions": versions(), "python": platform.python_version(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)), "seconds": 0.0,
            "claims": [], "mutants": []}


def write_outputs(doc: dict, evidence: str | Path | None, report: str | Path | None) -> None:
    """`doc` as JSON at `evidence` and as the LaTeX report (figures beside it) at `report`, where given."""
    if evidence:
        Path(evidence).write_text(json.dumps(doc, allow_nan=True, ensure_ascii=False), encoding="utf-8")
    if report:
        from verify.report import render

        Path(report).write_text(render(doc, figures_dir=Path(report).parent))


OUTCOMES = ("PASS", "FAIL", "INCONCLUSIVE", "ERROR", "SKIP", "XFAIL")


def summary(doc: dict) -> list[str]:
    """A run's summary from its evidence document (printed at the end of a local and of a Ray run): the claim
    cases by outcome with the mutants killed, how the claims got their references, and how they trained."""
    claims, mutants = doc["claims"], doc.get("mutants", [])
    outcomes = ", ".join(f"{sum(c['outcome'] == outcome for c in claims)} {outcome.lower()}" for outcome in OUTCOMES)
    killed = f"; mutants killed: {sum(m['killed'] for m in mutants)} of {len(mutants)}" if mutants else ""
    return [f"claims: {outcomes}{killed}", references_line(claims), training_line(claims)]


def references_line(claims) -> str:
    """How the claims got their references: solved or loaded from the cache, and the share of claim time spent
    in solvers."""
    work = [c.get("evidence", {}).get("references", {}) for c in claims]
    total = {name: sum(w.get(name, 0) for w in work) for name in ("solved", "loaded", "rejected", "solving seconds")}
    seconds = sum(c["seconds"] for c in claims)
    share = total["solving seconds"] / seconds if seconds > 0 else 0.0
    return (f"references: {total['solved']} solved, {total['loaded']} loaded from the cache "
            f"({total['rejected']} rejected on re-certification); {total['solving seconds']:.1f} s in solvers of "
            f"{seconds:.1f} s in claims ({share:.1%})")


TRAINING_WORK = ("compiled runs", "eager runs", "compile seconds", "training seconds")


def training_line(claims) -> str:
    """How the claims trained: runs on the compiled and the eager path, and the seconds compiling and training."""
    work = [c.get("evidence", {}).get("training", {}) for c in claims]
    total = {name: sum(w.get(name, 0) for w in work) for name in TRAINING_WORK}
    return (f"training: {total['compiled runs']:.0f} runs compiled ({total['compile seconds']:.1f} s compiling), "
            f"{total['eager runs']:.0f} eager; {total['training seconds']:.1f} s training")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]
