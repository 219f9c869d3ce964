"""The mutation table: every mutant a claim declares (`verify.claim.Mutant`) breaks that claim — an optimizer or
data mutant makes it end FAIL, a mutant of the verifier makes it end anything but PASS — by the check that should
catch it. The results travel to the report like claims' evidence. Claims files given with ``--claims`` add their
mutants to the table."""

from __future__ import annotations

from verify import claim as claims_registry
from verify.mutants import run, target_id
from verify.plugin import MUTANT_KEY, mutation_row


def pytest_generate_tests(metafunc):
    """One row per declared mutant, named by the claim case it runs and the mutant (`mutation_row`)."""
    if "target" in metafunc.fixturenames:
        declared = [(c, m) for c in claims_registry.load(metafunc.config.getoption("--claims")) for m in c.mutants]
        metafunc.parametrize("target", declared, ids=[mutation_row(target_id(c, m), m.name) for c, m in declared])


def test_the_mutant_is_killed(target, scale, monkeypatch, request):
    claim, mutant = target
    if mutant.patch is not None:
        mutant.patch(monkeypatch)
    evidence = run(claim, mutant, scale, store=not mutant.changes_references)
    caught = [r for r in evidence.reasons if mutant.caught_by in r]
    killed = mutant.killed(evidence.verdict) and bool(caught)
    request.node.user_properties.append((MUTANT_KEY, {
        "mutant": mutant.name, "what": mutant.what, "kind": mutant.kind, "must": mutant.must, "claim": evidence.claim,
        "verdict": evidence.verdict, "caught_by": caught[0] if caught else "", "killed": killed}))
    assert mutant.killed(evidence.verdict), (f"{mutant.name} ({mutant.kind} mutant) must make {evidence.claim} "
                                             f"{mutant.must}; it ends {evidence.verdict}\n{evidence.summary()}")
    assert caught, f"{mutant.name}: no reason names {mutant.caught_by!r}: {evidence.reasons}"
