"""Selecting claims by id and paper, progress lines, and resuming from the evidence written as claims finish."""

from __future__ import annotations

import json
import re

import pytest

from verify import catalog, claim, ledger, papers

pytest_plugins = ["pytester"]

CLAIMS = '''
import pytest
from verify.claim import claim

META = dict(papers=("xie2026", "soudry2018"), lemmas=["lmo.fro"], statement="s")

@claim(id="alpha.first", **META)
def test_first(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.conclude()

@claim(id="beta.second", papers=("lyu2020",), lemmas=[], statement="s")
@pytest.mark.parametrize("case", ["a", "b"])
def test_second(evidence, case):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.conclude()
'''


def test_every_cited_paper_is_in_the_registry_once_with_its_arxiv_id():
    cited = {key for c in claim.load() for key in c.papers}
    assert cited <= set(papers.PAPERS) and len(cited) >= 20
    assert all(key == p.key for key, p in papers.PAPERS.items())
    assert all(re.fullmatch(r"\d{4}\.\d{5}(v\d+)?", p.arxiv) for p in papers.PAPERS.values())
    assert {"ji2021a", "ji2021b"} <= set(papers.PAPERS)  # one surname-year, two papers
    table = papers.table(claim.load())
    assert all(p.arxiv in table for p in papers.PAPERS.values())


def test_a_claim_citing_an_unknown_paper_is_an_error_when_declared():
    with pytest.raises(claim.ClaimDeclarationError, match="unknown paper keys \\['ji2021'\\].*ji2021"):
        claim.claim(id="t.unknown", papers=("ji2021",), lemmas=[], statement="-")(lambda evidence: None)
    with pytest.raises(ValueError, match="taken by"):
        papers.register(papers.Paper("lyu2020", ("Someone Else",), "Another", papers.PREPRINT, 2020, None))


def test_select_by_id_base_id_and_paper_and_name_near_matches():
    claims = [catalog.Entry("noether.gd_discrete_factor", ("ziyin2024",), "a::x", "/a::x", False),
              catalog.Entry("fuzz.own[l1]", ("gunasekar2018",), "b::y[l1]", "/b::y[l1]", False),
              catalog.Entry("fuzz.own[l2]", ("gunasekar2018",), "b::y[l2]", "/b::y[l2]", False)]
    assert catalog.select(claims, ids=["fuzz.own"]) == claims[1:]
    assert catalog.select(claims, ids=["fuzz.own[l2]"]) == claims[2:]
    assert catalog.select(claims, papers=["ziyin2024"]) == claims[:1]
    with pytest.raises(catalog.SelectionError, match="near matches: noether.gd_discrete_factor"):
        catalog.select(claims, ids=["noether.gd_discrete_factr"])
    with pytest.raises(catalog.SelectionError, match="no paper key 'xie2025'"):
        catalog.select(claims, papers=["xie2025"])
    with pytest.raises(catalog.SelectionError, match="no claim cites 'lyu2020'"):
        catalog.select(claims, papers=["lyu2020"])


def test_the_checklist_lists_every_claim():
    claims = catalog.collect()
    assert len(claims) >= 27 and len({c.id for c in claims}) == len(claims)
    assert {"xie2026", "cai2024"} <= {k for c in claims for k in c.papers}


def test_a_ledger_entry_is_current_until_the_code_or_scale_changes(tmp_path, monkeypatch):
    ledger.write(tmp_path, "claims", "a.b[x y]", {"id": "a.b[x y]", "outcome": "PASS", "seconds": 1.0}, "default")
    ledger.write(tmp_path, "claims", "c", {"id": "c", "outcome": "ERROR", "seconds": 1.0}, "default")
    (tmp_path / "claims" / "torn.json").write_text('{"key": "12')  # a file cut short is read as absent
    assert set(ledger.read(tmp_path, "claims", "default")) == {"a.b[x y]", "c"}
    assert ledger.current(tmp_path, "claims", "default") == {"a.b[x y]"}  # an ERROR runs again
    assert ledger.current(tmp_path, "claims", "paper") == set()
    monkeypatch.setattr(ledger, "code_hash", lambda: "changed")
    assert ledger.read(tmp_path, "claims", "default")["a.b[x y]"]["current"] is False
    assert not list((tmp_path / "claims").glob(".*.tmp"))


@pytest.mark.parametrize("workers", [None, "2"])
def test_claims_are_selected_by_id_written_as_they_finish_and_resumed(pytester, workers):
    pytester.makepyfile(test_claims=CLAIMS)
    base = ["-p", "verify.plugin", "-p", "no:cacheprovider", "--evidence", "evidence.json", "--evidence-dir", "out",
            *(["-n", workers] if workers else [])]
    first = pytester.runpytest_subprocess(*base, "-k", "beta.second")
    assert first.ret == 0
    first.stdout.fnmatch_lines(["*start beta.second*", "*PASS*beta.second*[[]claim */2*"])
    assert sorted(p.name for p in (pytester.path / "out" / "claims").iterdir()) == ["beta.second[a].json",
                                                                                   "beta.second[b].json"]
    second = pytester.runpytest_subprocess(*base, "--resume")
    second.stdout.fnmatch_lines(["*PASS*alpha.first*[[]claim 1/1*"])
    assert "start beta" not in second.stdout.str()
    claims = json.loads((pytester.path / "evidence.json").read_text())["claims"]
    assert [c["id"] for c in claims] == ["alpha.first", "beta.second[a]", "beta.second[b]"]  # merged from disk
    assert all(c["current"] and c["outcome"] == "PASS" for c in claims)


def test_resume_needs_an_evidence_dir(pytester):
    pytester.makepyfile(test_claims=CLAIMS)
    result = pytester.runpytest_subprocess("-p", "verify.plugin", "-p", "no:cacheprovider", "--resume")
    result.stderr.fnmatch_lines(["*--resume needs --evidence-dir*"])


def test_the_command_lists_claims_and_refuses_an_unknown_one_naming_near_matches(tmp_path, capsys):
    from verify.__main__ import main

    assert main(["--list", "--out", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "noether.gd_discrete_factor" in listed and "claim cases of" in listed
    assert main(["--claim", "noether.gd_discrete_factr", "--out", str(tmp_path), "--no-cache"]) == 2
    assert "near matches: noether.gd_discrete_factor" in capsys.readouterr().err
    assert not (tmp_path / "evidence.json").exists()  # nothing ran


INTERRUPTED = '''
import os
import pytest
from verify.claim import claim

META = dict(papers=(), lemmas=[], statement="s")

@claim(id="one", **META)
def test_one(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.conclude()

@claim(id="two", **META)
def test_two(evidence):
    if os.path.exists("interrupt"):
        raise KeyboardInterrupt  # as Ctrl-C in the middle of this claim
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.conclude()

@claim(id="three", **META)
def test_three(evidence):
    evidence.check("x", 1.0, "<=", 2.0, "because")
    evidence.conclude()
'''


def test_ctrl_c_loses_no_finished_claim_and_resume_finishes_the_run(pytester):
    pytester.makepyfile(test_claims=INTERRUPTED)
    (pytester.path / "interrupt").write_text("")
    base = ["-p", "verify.plugin", "-p", "no:cacheprovider", "--evidence", "evidence.json", "--evidence-dir", "out"]
    interrupted = pytester.runpytest_subprocess(*base)
    assert interrupted.ret == pytest.ExitCode.INTERRUPTED
    assert [p.name for p in (pytester.path / "out" / "claims").iterdir()] == ["one.json"]
    (pytester.path / "interrupt").unlink()
    resumed = pytester.runpytest_subprocess(*base, "--resume")
    assert resumed.ret == 0
    assert "start one" not in resumed.stdout.str()
    doc = json.loads((pytester.path / "evidence.json").read_text())
    assert [(c["id"], c["outcome"]) for c in doc["claims"]] == [("one", "PASS"), ("three", "PASS"), ("two", "PASS")]
