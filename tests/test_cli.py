"""The `python -m verify` command line: its help lists the subcommands, `--list` has a header and a plain footer,
an unknown claim or paper gets near matches only, `lemmas` counts claims from the registry, `reference` answers
bad input with one line and exit 2, progress counts claims and mutants apart, the Ray path prints the local run's
summary, and every mutant names the claim case it runs by that case's id."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np
import pytest

from numerics import data
from numerics.references import cache
from verify import __main__ as main_module, blueprint, catalog, claim, ledger, plugin
from verify import executor as executor_module
from verify.__main__ import main
from verify.mutants import target_id
from verify.plugin import MUTATION_TEST, Progress, _row_of, claim_functions, mutation_row, summary

ENTRIES = [catalog.Entry("noether.gd_discrete_factor", ("ziyin2024",), "a.py::f", "/a.py::f", False,
                         ("noether.gd.discrete",)),
           catalog.Entry("fuzz.own[l1]", ("gunasekar2018", "soudry2018"), "b.py::g[l1]", "/b.py::g[l1]", True),
           catalog.Entry("fuzz.own[l2]", ("gunasekar2018",), "b.py::g[l2]", "/b.py::g[l2]", True,
                         ("noether.gd.discrete",))]
"""Three claim cases of two claims, standing in for the checklist (collecting it takes seconds)."""


@pytest.fixture
def checklist(monkeypatch):
    """`catalog.collect` answers with `ENTRIES`."""
    monkeypatch.setattr(catalog, "collect", lambda root=None, claims_files=(): list(ENTRIES))


def test_help_lists_the_subcommands_one_line_each_after_the_options(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    printed = capsys.readouterr().out
    assert all(option in printed for option in ("--scale", "--claim ID", "--paper KEY", "--resume", "--list"))
    epilog = printed[printed.index("subcommands"):].splitlines()[1:]
    assert [line.split()[0] for line in epilog] == ["fingerprint", "reference", "lemmas", "papers"]
    assert all(len(line) <= 120 for line in epilog)


@pytest.mark.parametrize("command", ["lemmas", "papers", "reference"])
def test_each_subcommand_describes_itself_in_its_help(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert main_module.SUBCOMMANDS[command][1] in capsys.readouterr().out


def test_list_has_a_header_and_a_footer_that_says_what_it_counted(checklist, tmp_path, capsys):
    assert main(["--list", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["claim", "papers", "scales", "last", "time"]
    assert lines[2].split()[:2] == ["fuzz.own[l1]", "gunasekar2018,soudry2018"] and lines[2].endswith("—")
    assert lines[-1] == f"3 claim cases of 2 claims; no default-scale run in {tmp_path}/ yet, so no last times"


def test_list_shows_last_times_and_marks_the_stale_ones(checklist, tmp_path, capsys, monkeypatch):
    ledger.write(tmp_path, "claims", "fuzz.own[l2]", {"id": "fuzz.own[l2]", "outcome": "PASS", "seconds": 2.5},
                 "default")
    assert main(["--list", "--out", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "2.5 s\n" in listed and "(stale)" not in listed
    assert f"last times from the default-scale run in {tmp_path}/ ('stale': its code changed since)" in listed
    monkeypatch.setattr(ledger, "code_hash", lambda: "changed")
    main(["--list", "--out", str(tmp_path)])
    assert "2.5 s (stale)" in capsys.readouterr().out


def test_an_unknown_claim_gets_its_near_matches_only_or_none(checklist, tmp_path, capsys):
    assert main(["--claim", "nosuchclaim", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == ("error: no claim 'nosuchclaim', and no claim near it; python -m verify --list shows them all\n")
    assert main(["--claim", "noether.gd_discrete_factr", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "near matches: noether.gd_discrete_factor (" in err and "fuzz" not in err
    assert not list(tmp_path.iterdir())  # nothing ran


def test_near_matches_are_a_handful_at_most():
    claims = [catalog.Entry(f"nucgd.case_{i}", (), f"a::t{i}", f"/a::t{i}", False) for i in range(20)]
    with pytest.raises(catalog.SelectionError) as error:
        catalog.select(claims, ids=["nucgd.case"])
    near = str(error.value).split("near matches: ")[1].split(" (")[0].split(", ")
    assert len(near) == catalog.NEAR and set(near) <= {c.id for c in claims}


def test_an_unknown_paper_key_gets_its_near_matches_only_or_none(checklist, tmp_path, capsys):
    assert main(["--paper", "zzzz", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("error: no paper key 'zzzz', and no paper key near it; python -m verify "
                                       "papers shows them all\n")
    assert main(["--paper", "soudry2019", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "near matches: soudry2018" in err and len(err.split(", ")) <= catalog.NEAR


def test_a_k_expression_that_selects_nothing_is_answered_with_near_ids(checklist):
    near = main_module._near(["-k", "fuzz.ow"])
    assert near.startswith(" (near matches: fuzz.own, ") and set(near[16:-1].split(", ")) == {
        "fuzz.own", "fuzz.own[l1]", "fuzz.own[l2]"}
    assert main_module._near(["-k", "zzzz"]) == "" and main_module._near(["-x"]) == ""


@pytest.fixture
def lemmas_unchecked(monkeypatch):
    """Every lemma's checks answered as passed at once (checking them all takes seconds)."""
    check = {"status": "passed", "residual": 0.0, "tolerance": 1e-12, "detail": ""}
    monkeypatch.setattr(blueprint, "lemma_checks", lambda lemma_id: [SimpleNamespace(kind=kind, **check)
                                                                     for kind in ("symbolic", "numeric")])


def _claims_column(printed: str, lemma_id: str) -> str:
    row = next(line for line in printed.splitlines() if line.startswith(f"{lemma_id} "))
    return row.split("  ")[-1].strip()


def test_lemmas_counts_claims_from_the_registry_before_any_run(checklist, lemmas_unchecked, tmp_path, capsys):
    assert main(["lemmas", "--out", str(tmp_path / "none yet")]) == 0
    printed = capsys.readouterr().out
    assert _claims_column(printed, "noether.gd.discrete") == "2"
    assert "no default-scale run in" in printed.splitlines()[-1]


def test_lemmas_counts_from_the_registry_after_a_partial_run_and_adds_its_outcomes(checklist, lemmas_unchecked,
                                                                                    tmp_path, capsys):
    ledger.write(tmp_path, "claims", "fuzz.own[l2]", {"id": "fuzz.own[l2]", "outcome": "PASS", "seconds": 1.0,
                                                      "lemmas": []}, "default")  # what the run recorded is not used
    assert main(["lemmas", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert _claims_column(printed, "noether.gd.discrete") == "2 (1 PASS, 1 not run)"
    assert "their outcomes in the default-scale run in" in printed.splitlines()[-1]


BINARY = data.gaussian_binary(30, 5, seed=0)


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Data files, good and bad, in the working directory."""
    monkeypatch.chdir(tmp_path)
    np.savetxt("binary.csv", np.column_stack([BINARY.X, BINARY.y]), delimiter=",")
    np.savetxt("labels.csv", np.column_stack([BINARY.X, np.where(BINARY.y > 0, 3, -1)]), delimiter=",")
    (tmp_path / "words.csv").write_text("a,b,label\n1,2,1\nx,3,-1\n4,5,1\n")
    np.save("X.npy", BINARY.X)
    return tmp_path


@pytest.mark.parametrize("args, message", [
    (["binary.csv", "--norm", "bogus"], "unknown norm 'bogus'; known: col_linf_sum, entry_l1, entry_linf, entry_lp:"),
    (["binary.csv", "--norm", "lp:abc"], "norm 'lp:abc': could not convert string to float: 'abc'"),
    (["binary.csv", "--norm", "lp"], "norm 'lp' needs an exponent, e.g. 'lp:3'"),
    (["missing.csv", "--norm", "l2"], "no data file missing.csv"),
    (["words.csv", "--norm", "l2"], "X has 1 non-finite entries"),
    (["labels.csv", "--norm", "l2"], "labels must be"),
    (["binary.csv", "--norm", "spectral"], "norm 'spectral' does not fit a binary problem"),
    (["X.npy", "--labels", "missing.npy", "--norm", "l2"], "No such file or directory: 'missing.npy'"),
    (["binary.csv", "--norm", "l2", "--out", "no/such/W.npy"], "No such file or directory"),
])
def test_bad_input_to_reference_is_one_line_and_exit_2(files, capsys, args, message):
    assert main(["reference", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_reference_says_the_support_is_0_based_rows_of_x(files, capsys):
    assert main(["reference", "binary.csv", "--norm", "l2"]) == 0
    support = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("support:"))
    head, rows = support.split(": ", 2)[1:]
    assert head == "4 points (0-based rows of X in binary.csv)" and len(rows.split()) == 4
    assert (files / "binary_l2_W.npy").exists()


CLAIMS_FILE = '''
from verify.claim import claim
from verify import claim as registry

@claim(id="a", papers=(), lemmas=[], statement="s")
def test_a(evidence):
    pass

@registry.claim(id="b", papers=(), lemmas=[], statement="s")
def test_b(evidence, case):
    pass

def test_helper():
    pass
'''


def test_claim_functions_are_read_from_the_source(tmp_path):
    (tmp_path / "test_claims.py").write_text(CLAIMS_FILE)
    assert claim_functions(tmp_path / "test_claims.py") == {"test_a", "test_b"}
    assert claim_functions(tmp_path / "missing.py") == frozenset()


def test_progress_counts_claims_and_mutants_apart_with_the_time_left(tmp_path):
    (tmp_path / "test_claims.py").write_text(CLAIMS_FILE)
    progress = Progress(tmp_path, {"test_claims.py::test_b[y]": 120.0}, workers=1)
    rows = [f"verify/test_mutants.py::{MUTATION_TEST}[{mutation_row('a', 'm')}]",
            f"verify/test_mutants.py::{MUTATION_TEST}[{mutation_row('b[y]', 'n')}]"]
    progress.select(["test_claims.py::test_a", "test_claims.py::test_b[x]", "test_claims.py::test_b[y]",
                     "test_claims.py::test_helper", *rows])
    assert progress.finish("test_claims.py::test_helper") == ""  # neither a claim nor a mutant
    assert progress.finish("test_claims.py::test_a", "claim") == "  [claim 1/3, about 2 min left]"
    assert progress.finish(rows[0]) == "  [mutant 1/2, about 2 min left]"
    assert progress.finish("test_claims.py::test_b[y]") == "  [claim 2/3]"
    assert progress.finish(rows[1]) == "  [mutant 2/2]"


DOCUMENT = {"claims": [{"id": "a", "outcome": "PASS", "seconds": 2.0},
                       {"id": "b", "outcome": "FAIL", "seconds": 1.0},
                       {"id": "c", "outcome": "XFAIL", "seconds": 1.0}],
            "mutants": [{"mutant": "m", "claim": "a", "killed": True, "seconds": 3.0},
                        {"mutant": "n", "claim": "b", "killed": False, "seconds": 1.0}]}


def test_the_summary_line_is_built_from_the_evidence_document():
    lines = summary(DOCUMENT)
    assert lines[0] == "claims: 1 pass, 1 fail, 0 inconclusive, 0 error, 0 skip, 1 xfail; mutants killed: 1 of 2"
    assert lines[1].startswith("references: ") and lines[2].startswith("training: ")
    assert summary({"claims": []})[0] == "claims: 0 pass, 0 fail, 0 inconclusive, 0 error, 0 skip, 0 xfail"


class _Finished:
    """An executor whose tasks are already done: each node id's scripted result."""

    def __init__(self, results):
        self.results = results

    def map(self, task, nodeids):
        return ((nodeid, self.results[nodeid]) for nodeid in nodeids)


def test_the_ray_path_prints_the_summary_of_the_local_run(monkeypatch, tmp_path, capsys):
    results = {"verify/test_a.py::test_a": {"code": 0, "output": "", "doc": {**plugin.empty_document("default"), **{
        "claims": DOCUMENT["claims"][:1], "mutants": DOCUMENT["mutants"][:1]}}}}
    monkeypatch.setattr(executor_module, "executor", lambda name, address=None: contextlib.nullcontext(
        _Finished(results)))
    monkeypatch.setattr(executor_module, "usable", lambda name, address=None: None)
    monkeypatch.setattr(main_module, "collect", lambda args, targets: list(results))
    monkeypatch.setattr(plugin, "write_outputs", lambda doc, evidence, report: None)  # no report to render
    monkeypatch.setenv(cache.ENV_OFF, "1")  # what --no-cache sets, undone afterwards
    assert main(["--executor", "ray", "--out", str(tmp_path), "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert "claims: 1 pass, 0 fail, 0 inconclusive, 0 error, 0 skip, 0 xfail; mutants killed: 1 of 1\n" in printed
    assert "killed       m (on a) 3.0 s\n" in printed
    assert sorted(p.name for p in (tmp_path / "mutants").iterdir()) == ["a_m.json"]


def test_every_mutant_names_a_claim_case_of_the_registry_and_its_row_is_unique():
    cases = {entry.id for entry in catalog.collect()}
    declared = [(c, m) for c in claim.load() for m in c.mutants]
    registered = {c.id for c in claim.load()}
    assert all(c.id in registered and target_id(c, m) in cases for c, m in declared)
    assert "haochen.label_noise_recovers[v*v]" in {target_id(c, m) for c, m in declared}
    rows = [mutation_row(target_id(c, m), m.name) for c, m in declared]
    assert len(set(rows)) == len(rows)


def test_a_case_id_follows_pytests_rules():
    def body(evidence, norm, k):
        pass

    for mark in (pytest.mark.parametrize("k", [1, 2]),
                 pytest.mark.parametrize("norm", ["ℓ1", pytest.param("l2", id="two"), object()])):
        body = mark(body)
    declared = claim.Claim("t.case", (), (), "s", body)
    mutant = {"seams": {}, "patch": lambda mp: None, "what": "w", "kind": "optimizer", "caught_by": "x"}
    assert target_id(declared, claim.Mutant("m", params={"norm": "l2", "k": 2}, **mutant)) == "t.case[2-two]"
    assert target_id(declared, claim.Mutant("m", params={"norm": "ℓ1", "k": 1}, **mutant)) == "t.case[1-\\u21131]"
    with pytest.raises(ValueError, match="no case with"):
        target_id(declared, claim.Mutant("m", params={"norm": "l3", "k": 1}, **mutant))


def test_resume_skips_a_mutation_row_whose_evidence_is_current(tmp_path):
    declared = next(c for c in claim.load() if c.id == "haochen.label_noise_recovers")
    row = mutation_row("haochen.label_noise_recovers[v*v]", declared.mutants[0].name)
    items = [SimpleNamespace(originalname=MUTATION_TEST, get_closest_marker=lambda name: None, callspec=SimpleNamespace(
        params={"target": (declared, declared.mutants[0])})),
             SimpleNamespace(originalname="test_other", get_closest_marker=lambda name: None)]
    assert _row_of(items[0]) == row and _row_of(items[1]) is None
    ledger.write(tmp_path, "mutants", row, {"mutant": declared.mutants[0].name, "killed": True}, "default")
    deselected = []
    options = {"--resume": True, "--evidence-dir": str(tmp_path), "--scale": "default"}
    hook = SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items))
    config = SimpleNamespace(getoption=options.get, hook=hook)
    kept = list(items)
    plugin.pytest_collection_modifyitems(config, kept)
    assert kept == items[1:] and deselected == items[:1]
