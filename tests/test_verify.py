"""The checklist's machinery: evidence semantics, the claim templates' verdicts (a false claim gets FAIL),
and the pytest plugin (no silent pass; evidence survives xdist; errors and skips are reported as such)."""

import json
import math

import numpy as np
import pytest

from numerics import data
from numerics.optim import SteepestDescent, inverse_sqrt
from verify.evidence import Check, Evidence, plain
from verify.templates import RATES, envelope_growth, margin_convergence


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


@pytest.fixture(scope="module")
def small_binary():
    return data.gaussian_binary(20, 30, margin=0.1, sparsity=2, seed=0)


def test_margin_convergence_passes_a_true_claim(small_binary):
    ev = margin_convergence(lambda ps: SteepestDescent(ps, 1.0, "linf", batch_dims=1), small_binary, norm="linf",
                            steps=5_000, loss="exponential", schedule=inverse_sqrt(0.5), tol=0.1)
    assert ev.verdict == "PASS", ev.summary()
    assert ev.final[0].shape == (1, 30) and ev.config["seed"] == 0 and "torch" in ev.config["versions"]


def test_margin_convergence_fails_a_false_claim(small_binary):
    """Sign descent does not tend to the ℓ2 max margin: the same template must say FAIL."""
    ev = margin_convergence(lambda ps: SteepestDescent(ps, 1.0, "linf", batch_dims=1), small_binary, norm="l2",
                            steps=5_000, loss="exponential", schedule=inverse_sqrt(0.5), tol=0.1)
    assert ev.verdict == "FAIL", ev.summary()
    assert any("envelope" in c.name or "gap at T" in c.name for c in ev.failures)


def test_margin_convergence_needs_a_judgeable_trajectory(small_binary):
    with pytest.raises(ValueError, match="at least 100 steps"):
        margin_convergence(lambda ps: SteepestDescent(ps, 1.0, "l2", batch_dims=1), small_binary, steps=50)
    with pytest.raises(ValueError, match="unrecorded"):
        margin_convergence(lambda ps: SteepestDescent(ps, 1.0, "l2", batch_dims=1), small_binary, steps=1000,
                           record_every=200)


CLAIMS = '''
import pytest

META = dict(paper="P", lemmas=["lmo.fro"], statement="S")

@pytest.mark.claim(id="ok", **META)
def test_ok(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.control("y", 3.0, "<=", 2.0, "must fail")
    evidence.record(value=1.5)
    evidence.conclude()

@pytest.mark.claim(id="no_evidence", **META)
def test_no_evidence():
    pass

@pytest.mark.claim(id="not_concluded", **META)
def test_not_concluded(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")

@pytest.mark.claim(id="fails", **META)
def test_fails(evidence):
    evidence.check("x", 3.0, "<=", 2.0, "because")
    evidence.conclude()

@pytest.mark.claim(id="errors", **META)
def test_errors(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    raise RuntimeError("solver exploded")

@pytest.mark.claim(id="skips", **META)
def test_skips(evidence):
    pytest.skip("no verdict at this scale")

@pytest.mark.claim(id="known", **META)
@pytest.mark.xfail(strict=True, reason="measured: 3 > 2")
def test_known(evidence):
    evidence.check("x", 3.0, "<=", 2.0, "because")
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
        "skips": "SKIP", "known": "XFAIL"}
    assert claims["ok"]["evidence"]["measured"] == {"value": 1.5}
    assert claims["ok"]["evidence"]["checks"][1]["negative"] is True
    assert "no verdict" in claims["no_evidence"]["reason"] and "conclude" in claims["not_concluded"]["reason"]
    assert "no verdict at this scale" in claims["skips"]["reason"] and "3 > 2" in claims["known"]["reason"]
    assert claims["errors"]["evidence"]["checks"][0]["passed"]  # what was measured before the error is kept
    result.stdout.fnmatch_lines(["*claims checklist*", "*1 pass, 3 fail, 1 error, 1 skip, 1 xfail*"])


def test_report_renders_and_compiles(tmp_path):
    doc = {"scale": "default", "device": "cpu", "versions": {"torch": "x"}, "python": "3.11", "started": "now",
           "seconds": 1.0,
           "claims": [{"id": "a.b[x y]", "paper": "P & Q 2020", "lemmas": ["lmo.nuclear", "noether.sgd.drift"], "statement": "γ → γ* ≤ 1 ‖θ‖",
                       "outcome": "PASS", "reason": "", "seconds": 0.5,
                       "evidence": {"checks": [{"name": "gap_T", "measured": 0.01, "op": "<=", "bound": 0.1,
                                                "why": "rate 1/√t", "negative": False, "passed": True}],
                                    "measured": {"gap": 0.01, "rows": [1, 2]}, "parts": [],
                                    "trajectories": {"gap": {"steps": [1, 10, 100], "values": [1.0, 0.1, 0.01]}}}},
                      {"id": "c.d", "paper": "R", "lemmas": [], "statement": "s", "outcome": "ERROR",
                       "reason": "RuntimeError: boom_1", "seconds": 0.1}]}
    from verify.report import render

    tex = render(doc, tmp_path)
    assert "lmo.nuclear" in tex and r"\gamma" in tex and (tmp_path / "a_b_x_y.pdf").exists()
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed: rendered, not compiled")
    (tmp_path / "r.tex").write_text(tex)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "r.tex"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
