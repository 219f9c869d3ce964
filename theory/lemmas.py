"""The registry of lemmas: ``lemmas.all()`` lists every lemma of `theory`, ``lemmas.get(id)`` finds one.

    python -c "from theory import lemmas; print(len(lemmas.all()))"
"""

from __future__ import annotations

from theory import norms, bregman, kkt, symmetry, rates, modified, factorization  # noqa: F401, I001  (they register)
from theory.lemma import Lemma, registered


def all() -> list[Lemma]:  # noqa: A001  (the registry's natural name)
    """Every registered lemma, in registration order (norms, Bregman, KKT, symmetry, rates, modified losses,
    factorizations), then the
    Hölder lemmas of the registered norms no lemma is about (`theory.norms.registered_norms`)."""
    norms.registered_norms()
    return registered()


def get(lemma_id: str) -> Lemma:
    for lemma in all():
        if lemma.id == lemma_id:
            return lemma
    raise KeyError(f"no lemma {lemma_id!r}; known: {', '.join(l.id for l in registered())}")
