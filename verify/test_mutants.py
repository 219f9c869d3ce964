"""The mutation table: every deliberately wrong implementation of `verify.mutants` makes the claim it must
break end FAIL, by the check that should catch it. The results travel to the report like claims' evidence."""

from __future__ import annotations

import pytest

from verify.mutants import MUTANTS, run_claim
from verify.plugin import MUTANT_KEY


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_mutant_is_killed(mutant, scale, monkeypatch, request):
    mutant.patch(monkeypatch)
    evidence = run_claim(mutant.claim, scale, store=not mutant.changes_references)
    caught = [r for r in evidence.reasons if mutant.caught_by in r]
    request.node.user_properties.append((MUTANT_KEY, {
        "mutant": mutant.name, "what": mutant.what, "claim": evidence.claim, "verdict": evidence.verdict,
        "caught_by": caught[0] if caught else "", "killed": evidence.verdict == "FAIL" and bool(caught)}))
    assert evidence.verdict == "FAIL", f"{mutant.name}: {evidence.claim} ends {evidence.verdict}\n{evidence.summary()}"
    assert caught, f"{mutant.name}: no FAIL reason names {mutant.caught_by!r}: {evidence.reasons}"
