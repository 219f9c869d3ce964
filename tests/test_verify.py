"""The checklist's machinery: evidence semantics (three verdicts, controls, included parts, lemma checks), the
rates, and the pytest plugin (no silent pass; evidence survives xdist; errors, skips and inconclusive claims are
reported as such), and the report."""

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from verify import plugin as verify_plugin
from verify.legibility import problems
from verify.evidence import FAIL, INCONCLUSIVE, PASS, Check, ClaimEvidence, ClaimFailed, Evidence, plain
from verify.rates import RATES, envelope_growth, steps_needed


def test_checks_negative_controls_and_nan():
    assert Check("a", 1.0, "<=", 2.0, "").passed
    assert not Check("a", 3.0, "<=", 2.0, "").passed
    assert Check("a", 3.0, "<=", 2.0, "", negative=True).passed  # a control passes by failing
    assert not Check("a", math.nan, "<=", 2.0, "").passed
    assert not Check("a", math.nan, "<=", 2.0, "", negative=True).passed  # NaN never passes, not even a control
    ev = Evidence("empty")
    assert ev.verdict == "NO VERDICT" and not ev.passed
    ev.check("x", 1, "<", 2, "why")
    assert ev.verdict == "PASS"
    ev.control("y", 1, "<", 2, "why")
    assert ev.verdict == "FAIL" and [c.name for c in ev.failures] == ["y"]
    with pytest.raises(ValueError, match="op must be"):
        ev.check("z", 1, "≤", 2, "")
    with pytest.raises(ValueError, match="severity must be"):
        ev.check("z", 1, "<=", 2, "", severity="MAYBE")


def test_a_fail_outranks_an_inconclusive_and_the_reasons_say_why():
    ev = Evidence("e")
    ev.check("budget", 0.2, "<=", 0.1, "tol", severity=INCONCLUSIVE, failure="budget too small")
    assert ev.verdict == INCONCLUSIVE and ev.reasons == ["budget too small"]
    ev.check("plateau", 3.0, "<=", 2.0, "envelope")
    assert ev.verdict == FAIL and ev.reasons == ["plateau: 3 <= 2 does not hold"]
    assert ev.as_dict()["checks"][0]["failure"] == "budget too small"


@pytest.mark.parametrize("part, expect, verdict", [
    (PASS, PASS, PASS), (FAIL, PASS, FAIL), (INCONCLUSIVE, PASS, INCONCLUSIVE),
    (FAIL, FAIL, PASS), (PASS, FAIL, FAIL), (INCONCLUSIVE, FAIL, INCONCLUSIVE)])
def test_an_included_part_decides_by_its_verdict(part, expect, verdict):
    """A control (expect FAIL) that passes fails the claim; one that cannot be decided leaves it undecided."""
    sub = Evidence("part")
    sub.check("c", {PASS: 0.0, FAIL: 2.0, INCONCLUSIVE: 1.5}[part], "<=", 1.0, "",
              severity=INCONCLUSIVE if part == INCONCLUSIVE else FAIL)
    ev = Evidence("claim")
    ev.include(sub, expect=expect)
    assert ev.verdict == verdict


def test_plain_makes_json():
    out = plain({"a": np.float64(1.5), "b": np.arange(3), "c": (np.int64(2), [np.bool_(True)])})
    assert json.loads(json.dumps(out)) == {"a": 1.5, "b": [0, 1, 2], "c": [2, [True]]}


def test_envelope_growth_separates_a_plateau_from_a_rate():
    t = np.arange(0, 10_001, 100)
    r = RATES["inverse_sqrt"].r
    converging = np.array([r(max(s, 2)) for s in t]) * (1 + 0.3 * np.sin(t / 300))  # wiggles under the envelope
    plateau = 0.05 + 0 * converging
    bound = math.sqrt(RATES["inverse_sqrt"].decade_shrink(10_000))
    assert envelope_growth(t, converging, r, 10_000) <= bound < envelope_growth(t, plateau, r, 10_000)


def test_steps_needed_extrapolates_the_envelope():
    t = np.arange(0, 10_001, 100)
    g = np.array([3.0 / max(s, 2) for s in t])  # exactly 3/t
    assert steps_needed(t, g, RATES["inverse"].r, 10_000, 1e-6) == pytest.approx(3e6, rel=1e-6)
    assert math.isinf(steps_needed(t, 0.5 + 0 * g, RATES["inverse_log"].r, 10_000, 1e-3))


def test_a_lemma_that_fails_fails_the_claim(monkeypatch):
    import dataclasses

    import sympy

    from theory import lemmas
    from verify import evidence as evidence_module

    from theory import lemma as lemma_module

    lemma = lemmas.get("noether.gd.discrete")
    wrong = dataclasses.replace(lemma, statement=sympy.Eq(lemma.statement.lhs, -lemma.statement.rhs))
    monkeypatch.setitem(lemma_module._REGISTRY, lemma.id, wrong)
    ev = ClaimEvidence("c", [lemma.id])
    ev.check("x", 1, "<=", 2, "")
    evidence_module.forget_lemma_checks()
    with pytest.raises(ClaimFailed, match="lemma noether.gd.discrete"):
        ev.conclude()
    evidence_module.forget_lemma_checks()


CLAIMS = '''
import pytest
from verify.claim import claim
from verify.kit import known_failure

META = dict(papers=("lyu2020",), lemmas=["lmo.fro"], statement="S")

@claim(id="ok", **META)
def test_ok(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.control("y", 3.0, "<=", 2.0, "must fail")
    evidence.record(value=1.5)
    evidence.conclude()

@claim(id="no_evidence", **META)
def test_no_evidence():
    pass

@claim(id="not_concluded", **META)
def test_not_concluded(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")

@claim(id="fails", **META)
def test_fails(evidence):
    evidence.check("x", 3.0, "<=", 2.0, "because")
    evidence.conclude()

@claim(id="several_counterexamples", **META)
def test_several_counterexamples(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    raise ExceptionGroup("hypothesis found 2 distinct failures", [AssertionError("fails on data set A"),
                                                                  AssertionError("fails on data set B")])

@claim(id="errors", **META)
def test_errors(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    raise RuntimeError("solver exploded")

@claim(id="skips", **META)
def test_skips(evidence):
    pytest.skip("no verdict at this scale")

@claim(id="known", **META)
@known_failure("measured: 3 > 2")
def test_known(evidence):
    evidence.check("x", 3.0, "<=", 2.0, "because")
    evidence.conclude()

@claim(id="undecided", **META)
def test_undecided(evidence):
    evidence.check("x", 3.0, "<=", 2.0, "because", severity="INCONCLUSIVE", failure="budget too small")
    evidence.conclude()

@claim(id="known_but_undecided", **META)
@known_failure("measured: 3 > 2")
def test_known_but_undecided(evidence):
    evidence.check("x", 3.0, "<=", 2.0, "because", severity="INCONCLUSIVE", failure="budget too small")
    evidence.conclude()
'''


@pytest.mark.parametrize("workers", [None, "2"])
def test_plugin_reports_every_outcome_and_survives_xdist(pytester, workers):
    pytester.makepyfile(test_claims=CLAIMS)
    args = ["-p", "verify.plugin", "--evidence", "evidence.json", "-p", "no:cacheprovider"]
    if workers:
        args += ["-n", workers]
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    claims = {c["id"]: c for c in json.loads((pytester.path / "evidence.json").read_text())["claims"]}
    assert {k: v["outcome"] for k, v in claims.items()} == {
        "ok": "PASS", "no_evidence": "FAIL", "not_concluded": "FAIL", "fails": "FAIL", "errors": "ERROR",
        "several_counterexamples": "FAIL",
        "skips": "SKIP", "known": "XFAIL", "undecided": "INCONCLUSIVE", "known_but_undecided": "INCONCLUSIVE"}
    assert claims["ok"]["evidence"]["measured"] == {"value": 1.5}
    assert claims["ok"]["evidence"]["checks"][1]["negative"] is True
    assert "no verdict" in claims["no_evidence"]["reason"] and "conclude" in claims["not_concluded"]["reason"]
    assert "no verdict at this scale" in claims["skips"]["reason"] and "3 > 2" in claims["known"]["reason"]
    assert claims["errors"]["evidence"]["checks"][0]["passed"]  # what was measured before the error is kept
    assert "data set A" in claims["several_counterexamples"]["reason"]  # assertions grouped: FAIL, with each one
    assert claims["undecided"]["evidence"]["reasons"] == ["budget too small"]
    assert claims["ok"]["evidence"]["checks"][-1]["name"] == "lemma lmo.fro: numeric check"  # cited lemmas checked
    result.stdout.fnmatch_lines(["*claims checklist*", "*1 pass, 4 fail, 2 inconclusive, 1 error, 1 skip, 1 xfail*"])
    assert claims["known"]["evidence"]["verdict"] == "FAIL"  # XFAIL: the failure measured, as marked
    assert all(c["provenance"]["seed"] == 0 and c["provenance"]["versions"] for c in claims.values())
    validate_against_the_schema(json.loads((pytester.path / "evidence.json").read_text()))


def validate_against_the_schema(doc: dict) -> None:
    import jsonschema

    schema = json.loads((Path(verify_plugin.__file__).parent / "evidence.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_the_schema_refuses_an_xfail_whose_evidence_passed():
    import jsonschema

    claim = {"nodeid": "a::b", "id": "a", "paper": "P", "lemmas": [], "statement": "s", "outcome": "XFAIL",
             "reason": "r", "seconds": 1.0, "evidence": {**Evidence("a").as_dict(), "verdict": "PASS",
                                                         "concluded": True, "references": {}}}
    doc = {"scale": "default", "device": "cpu", "versions": {}, "python": "3.11", "started": "now", "seconds": 1.0,
           "claims": [claim], "mutants": []}
    with pytest.raises(jsonschema.ValidationError, match="'FAIL' was expected"):
        validate_against_the_schema(doc)


def test_trajectories_are_thinned_log_uniformly_keeping_both_ends(monkeypatch):
    ev = Evidence("t")
    ev.trajectory("gap", np.arange(0, 10_001, 10), np.linspace(1, 0, 1001))
    kept = ev.trajectories["gap"]
    assert kept["recorded"] == 1001 and len(kept["steps"]) <= 40
    assert kept["steps"][:3] == [0, 10, 20] and kept["steps"][-1] == 10_000 and kept["values"][-1] == 0.0
    ratios = np.diff(np.log(kept["steps"][5:]))
    assert ratios.max() < 2.5 * ratios.mean()  # about evenly spaced in log t
    monkeypatch.setenv("IBS_FULL_EVIDENCE", "1")
    ev.trajectory("gap", np.arange(1001), np.zeros(1001))
    assert len(ev.trajectories["gap"]["steps"]) == 1001


def test_report_renders_and_compiles(tmp_path):
    doc = {"scale": "default", "device": "cpu", "versions": {"torch": "x"}, "python": "3.11", "started": "now",
           "seconds": 1.0,
           "claims": [{"id": "a.b[x y]", "paper": "Lyu & Li 2020", "papers": ["lyu2020"],
                       "lemmas": ["lmo.nuclear", "noether.sgd.drift"],
                       "statement": "γ → γ* ≤ 1 ‖θ‖; E[ĝ²] and ‖w(t)/‖w(t)‖ − ŵ‖ → 0, C_{t+1} = C_t(1 − η²ĝ²)",
                       "outcome": "PASS", "reason": "", "seconds": 0.5,
                       "evidence": {"checks": [{"name": "gap_T", "measured": 0.01, "op": "<=", "bound": 0.1,
                                                "why": "rate 1/√t", "negative": False, "passed": True},
                                               {"name": "GD → ℓ2", "measured": 0.0, "op": "==", "bound": 1.0,
                                                "why": "control: template verdict INCONCLUSIVE; expected FAIL",
                                                "negative": False, "passed": False, "severity": "INCONCLUSIVE"},
                                               {"name": "sign descent keeps 1ᵀW = 0", "measured": 0.2849, "op": "<=",
                                                "bound": 0.0, "why": "sign(G)", "negative": True, "passed": True}],
                                    "measured": {"gap": 0.01, "rows": [1, 2]},
                                    "parts": [{"claim": "GD → ℓ2", "expect": "FAIL", "verdict": "INCONCLUSIVE",
                                               "reasons": ["budget too small: gap 0.1 > tol 0.05"],
                                               "measured": {"tol": 0.05, "separations": {"l1": 0.3, "linf": 0.2}},
                                               "checks": [], "trajectories": {}},
                                              {"claim": "NGD → ℓ2 where the faces touch", "expect": "INCONCLUSIVE",
                                               "verdict": "INCONCLUSIVE", "reasons": ["separation 0 ≤ 2·tol"],
                                               "measured": {}, "checks": [], "trajectories": {}},
                                              {"claim": "Rprop → ℓ1", "expect": "FAIL", "verdict": "FAIL",
                                               "reasons": ["did not move: θ_T = θ_0"], "measured": {"norm": "l1"},
                                               "checks": [], "trajectories": {}}],  # judged no further: no tol
                                    "trajectories": {"gap": {"steps": [1, 10, 100], "values": [1.0, 0.1, 0.01]}}}},
                      {"id": "c.d", "paper": "R", "lemmas": [], "statement": "s", "outcome": "ERROR",
                       "reason": "RuntimeError: boom_1", "seconds": 0.1}],
           "mutants": [{"mutant": "face distance forced to 0", "claim": "a.b", "verdict": "FAIL",
                        "caught_by": "the face distance is smaller than the margin gap allows", "killed": True}]}
    from theory import lemmas
    from verify.report import render

    tex = render(doc, tmp_path)
    assert r"lmo.\allowbreak{}nuclear" in tex and r"\gamma" in tex and (tmp_path / "a_b_x_y.pdf").exists()
    assert r"\inconclusive" in tex and "Mutation table" in tex and "linf 0.2" in tex
    assert "Kaifeng Lyu, Jian Li. Gradient Descent Maximizes the Margin" in tex  # the registry's bibliography
    assert r"must stay undecided, and it \asrequired{undecided}" in tex
    assert r"\emph{must fail:} sign descent keeps 1ᵀW = 0".replace("ᵀ", "$^{T}$") in tex  # a control, as required
    assert tex.count(r"\begin{lemma}") == len(lemmas.all()) and r"Lemma~\ref{lem:lmo.nuclear}" in tex  # stated once
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed: rendered, not compiled")
    (tmp_path / "r.tex").write_text(tex)
    for _ in range(2):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "r.tex"], cwd=tmp_path,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:]
    log = (tmp_path / "r.log").read_text(errors="replace")
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]
    assert max(overfull, default=0.0) <= 1.0, overfull  # the summary table and every line fit the page
    assert "Missing character" not in log
    figures = re.findall(r"\\figureof\{([^}]+)\}", tex)
    assert len([f for f in figures if f != "lemmas_to_claims.pdf"]) == 1  # one per claim with evidence to draw
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: compiled, text not checked")
    text = subprocess.run(["pdftotext", "r.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "?" not in text and "[U+" not in text, "a glyph is missing"
    assert "must fail" in text and "The checked lemmas" in text and "ĝ" not in tex
    assert problems(tex, text) == []


def test_the_reader_never_meets_python_names_raw_sympy_long_numbers_cut_cells_or_empty_figures():
    """The report's legibility checks (`verify.legibility`) catch each thing a reviewer must not meet."""
    clean = "% marks: 3\n\\figureof{a.pdf}"
    assert problems(clean, "a gap of 0.1235 at arXiv:2603.05002") == []
    found = problems(clean.replace("marks: 3", "marks: 0") + " on\\_log\\_loss.$<$locals$>$.build & 1 & $=$ & 1 &"
                     r" the l1-g\ldots{} & x \\ \begin{lemma}\label{lem:a} \begin{lemma}\label{lem:a}",
                     "test_what_holds 2*g**2*eta 0.30000000000000004")
    for what in ("Python name in the .tex", "Python name in the PDF", "raw Python/sympy", "six significant digits",
                 "cut with", "'1 = 1'", "no data mark", "stated 2 times"):
        assert any(what in p for p in found), (what, found)


def test_prose_rounds_numbers_and_typesets_subscripts_but_leaves_names_alone():
    from verify.prose import prose

    assert prose("gap 0.30000000000000004 at θ_T") == r"gap 0.3 at $\theta_{T}$"
    assert prose("‖W_T‖_max, min_k v_k") == r"$\|W_{T}\|_{\max}$, $\min_{k}$ $v_{k}$"
    assert prose("entry_l1 weight_decay lp:1.5 arXiv:2603.05002 12345678") == (
        r"entry\_l1 weight\_decay lp:1.5 arXiv:2603.05002 12345678")
    assert prose("γ_nuc") == r"$\gamma_{\mathrm{nuc}}$"
    assert prose("σ_r², data/X_tr.npy, https://arxiv.org/abs/2410.12345, θ̂_T") == (
        r"$\sigma_{r}$$^{2}$, data/X\_tr.npy, https://arxiv.org/abs/2410.12345, $\hat{\theta}_{T}$")


def test_a_lemma_residual_reads_as_a_reader_writes_it():
    import sympy

    from theory.lemma import readable

    g, eta, u, w = sympy.Symbol(r"\hat g"), *sympy.symbols("eta u w")
    assert readable(2 * g**2 * eta**2 * (w**2 - u**2)) == "2·ĝ²·η²·(-u² + w²)"


def test_python_m_verify_fails_on_a_skip_at_the_default_scale():
    from verify.__main__ import exit_status

    doc = {"scale": "default", "claims": [{"id": "a", "outcome": "PASS"}, {"id": "b", "outcome": "SKIP"}]}
    assert exit_status(0, doc) == 1 and exit_status(0, {**doc, "scale": "paper"}) == 0
    assert exit_status(0, {**doc, "claims": doc["claims"][:1]}) == 0 and exit_status(1, None) == 1


def test_a_mutant_of_the_reference_code_runs_its_claim_without_the_store(monkeypatch, tmp_path):
    """A mutant that changes how references are computed must not be judged against stored references (they would
    stand in for the mutated code); every other mutant shares the session's store, and the environment returns."""
    from numerics.references import cache
    from verify.claim import OPTIMIZER, Claim, Mutant, load
    from verify.mutants import run

    stores = []

    def body(evidence, seams):
        stores.append((cache.directory(), seams.step))
        evidence.check("ran", 1, "<=", 1, "-")
        evidence.conclude()

    claim = Claim("t.store", (), (), "-", body, {"step": "honest"})
    mutant = Mutant("m", "-", OPTIMIZER, "-", seams={"step": "mutated"})
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    run(claim, mutant, None, store=True)
    run(claim, mutant, None, store=False)
    assert stores[0][0] is not None and stores[1][0] is None and stores[0][1] == "mutated"
    assert cache.directory() == stores[0][0] and cache.ENV_OFF not in os.environ
    assert {m.name for c in load() for m in c.mutants if m.changes_references} == {
        "face distance forced to 0", "certificate tolerance of 0.5", "separation from the rival's solver point",
        "reference outside its own face"}


def test_grouped_counterexamples_are_each_kept_and_an_error_stays_an_error():
    """hypothesis reports several distinct failures as one ExceptionGroup: each assertion is a counterexample of
    the claim (kept, a FAIL), while an exception that is no assertion is raised again as what it is."""
    from verify.kit import counterexamples

    found = ExceptionGroup("2 distinct failures", [AssertionError("gap 0.3 > tol"), AssertionError("diverged")])
    found.exceptions[0].add_note("data set: n = 3, d = 2")
    assert counterexamples(found) == ["gap 0.3 > tol\ndata set: n = 3, d = 2", "diverged\n"]
    with pytest.raises(ValueError, match="solver"):
        counterexamples(ExceptionGroup("2", [AssertionError("a"), ValueError("solver failed")]))
