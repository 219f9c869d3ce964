"""The theory layer: every lemma's checks pass, wrong variants fail for the right reason, statements compile."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
import sympy

from theory import lemmas
from numerics.bregman import generalized_bregman
from numerics.references.kkt import epsilon_kkt
from theory.bregman import half_square_lemma
from theory.kkt import kkt_points
from theory.latex import document
from theory.lemma import Lemma
from theory.norms import OP_INF, lp_lemma, operator_lemma, schatten_lemma
from theory.symmetry import conserved_scalar_lemma, u, w

ALL = lemmas.all()


def test_registry_has_at_least_fifteen_documented_lemmas():
    assert len(ALL) >= 15
    assert len({lemma.id for lemma in ALL}) == len(ALL)
    for lemma in ALL:
        assert lemma.source and lemma.title and lemma.latex()
        assert lemma.symbolic or lemma.numeric
        assert lemma.symbolic or lemma.outside_algebra  # no symbolic check without saying why
    assert lemmas.get("lmo.nuclear").id == "lmo.nuclear"
    with pytest.raises(KeyError, match="no lemma 'nope'"):
        lemmas.get("nope")


@pytest.mark.parametrize("lemma", ALL, ids=[lemma.id for lemma in ALL])
def test_every_lemma_holds_symbolically_and_numerically(lemma):
    symbolic = lemma.check_symbolic()
    if lemma.symbolic is None:
        assert symbolic.status == "undecided" and symbolic.detail == lemma.outside_algebra
    else:
        assert symbolic.passed, symbolic
    numeric = lemma.check_numeric(np.random.default_rng(0))
    if lemma.numeric is not None:
        assert numeric.passed, numeric


@pytest.mark.parametrize("wrong, what", [
    (lp_lemma(3, q=sympy.Rational(3, 4)), "dual exponent q = p/(p+1) instead of p/(p−1)"),
    (lp_lemma(sympy.Rational(3, 2), q=2), "dual exponent 2 for p = 3/2"),
    (schatten_lemma(3, q=3), "Schatten-3 stepping with its own exponent: U Σ² Vᵀ/‖G‖²_{S3}, not U Σ^{1/2} Vᵀ"),
    (schatten_lemma(sympy.Rational(3, 2), q=2), "Schatten-3/2 with the Frobenius direction G/‖G‖_F"),
    (operator_lemma(OP_INF, by_rows=False), "the max row sum norm stepped one entry per column (the 1→1 LMO)"),
    (half_square_lemma(factor=1), "Bregman divergence of ½‖·‖² without its factor ½"),
    (conserved_scalar_lemma(u**2 + w**2), "u² + w² is not conserved by the rescaling symmetry"),
])
def test_wrong_variants_fail_both_checks_for_the_right_reason(wrong, what):
    symbolic, numeric = wrong.check_symbolic(), wrong.check_numeric(np.random.default_rng(0))
    assert symbolic.status == "failed" and symbolic.residual not in ("", "0"), what
    assert numeric.status == "failed" and numeric.residual > 1e3 * wrong.tolerance, what


def _flip_first_minus(expr):
    """The statement with its first negative coefficient or constant made positive (− a → + a, −4g → 4g,
    x − 1 → x + 1): a sign error in the rendered formula; None if it has no minus sign."""
    done = []

    def flip(e):
        for i, a in enumerate(e.args):
            if isinstance(a, sympy.Number) and a < 0:
                done.append(e)
                return e.func(*e.args[:i], -a, *e.args[i + 1:])
        return e

    flipped = expr.replace(lambda e: not done and isinstance(e, (sympy.Mul, sympy.Add, sympy.MatMul, sympy.MatAdd)) and
                           any(isinstance(a, sympy.Number) and a < 0 for a in e.args), flip)
    return flipped if done else None


FLIPPABLE = [lemma for lemma in ALL if _flip_first_minus(lemma.statement) is not None]


@pytest.mark.parametrize("lemma", FLIPPABLE, ids=[lemma.id for lemma in FLIPPABLE])
def test_a_sign_flipped_in_the_statement_fails_its_checks(lemma):
    """The checks instantiate the statement itself: a sign flipped in what is rendered must fail at least one
    check (what is checked is what is stated)."""
    import dataclasses

    wrong = dataclasses.replace(lemma, statement=_flip_first_minus(lemma.statement))
    symbolic, numeric = wrong.check_symbolic(), wrong.check_numeric(np.random.default_rng(0))
    assert not (symbolic.passed and numeric.passed), (wrong.statement, symbolic, numeric)


@pytest.mark.parametrize("lemma_id", ["lmo.schatten:3/2", "lmo.schatten:3", "lmo.op_linf", "lmo.op_l1"])
def test_a_direction_with_its_sign_flipped_fails_both_checks(lemma_id):
    """Their statements carry no minus sign to flip (above): flip the direction's instead, lmo(G) = −formula."""
    import dataclasses

    from theory.lemma import relation
    from theory.symbols import Inner, Lmo

    lemma = lemmas.get(lemma_id)
    lmo, inner = relation(lemma.statement, Lmo), relation(lemma.statement, Inner)
    flipped = sympy.And(sympy.Eq(lmo.lhs, -lmo.rhs, evaluate=False), inner, evaluate=False)
    wrong = dataclasses.replace(lemma, statement=flipped)
    symbolic, numeric = wrong.check_symbolic(), wrong.check_numeric(np.random.default_rng(0))
    assert symbolic.status == "failed" and numeric.status == "failed", (symbolic, numeric)


def test_a_check_that_raises_is_an_error_not_a_pass():
    def broken(rng, statement):
        raise RuntimeError("solver exploded")

    lemma = Lemma("broken", "broken", "none", sympy.Eq(sympy.Symbol("a"), 1),
                  symbolic=lambda statement: [1 / sympy.Integer(0) * 0], numeric=broken)
    assert lemma.check_numeric().status == "error" and "solver exploded" in lemma.check_numeric().detail
    assert lemma.check_symbolic().status in ("error", "failed", "undecided")
    assert not lemma.check_symbolic().passed


def test_importing_theory_does_not_import_torch():
    code = "import sys, theory.lemmas; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_kkt_points_and_epsilon_kkt():
    (w_star, alpha), = kkt_points(sympy.Matrix([[2, 1]]))  # one signed point: w = z/‖z‖², α = 1/‖z‖²
    assert list(w_star) == [sympy.Rational(2, 5), sympy.Rational(1, 5)] and alpha[0] == sympy.Rational(1, 5)
    Z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    at_opt = epsilon_kkt(np.array([3.0, 3.0]), Z @ [3.0, 3.0], Z)
    assert at_opt.epsilon < 1e-12 and abs(at_opt.delta) < 1e-12
    assert epsilon_kkt(np.array([1.0, 0.2]), Z @ [1.0, 0.2], Z).epsilon > 0.1
    with pytest.raises(ValueError, match="does not separate"):
        epsilon_kkt(np.array([1.0, -1.0]), Z @ [1.0, -1.0], Z)


def test_generalized_bregman_at_ties_and_zeros_by_hand():
    # ℓ∞ at y = (1, −1) (a tie), x = (0, 0): ‖·‖′(y; −y) = max(−1, −1) = −1, so D = 0 − ½ + 1 = ½.
    assert generalized_bregman(np.array([0.0, 0.0]), np.array([1.0, -1.0]), "linf") == pytest.approx(0.5)
    # ℓ1 at y = (1, 0), x = (1, 2): ‖·‖′(y; (0, 2)) = 0 + |2| = 2, D = ½·9 − ½ − 1·2 = 2.
    assert generalized_bregman(np.array([1.0, 2.0]), np.array([1.0, 0.0]), "l1") == pytest.approx(2.0)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine installed (CI installs texlive-latex-base)")
def test_every_statement_compiles_in_a_latex_document(tmp_path):
    (tmp_path / "lemmas.tex").write_text(document(ALL))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "lemmas.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "lemmas.pdf").stat().st_size > 0


@pytest.mark.parametrize("corruption", ["inflated margin", "permuted multipliers"])
def test_the_kkt_checks_catch_a_wrong_reference(monkeypatch, corruption):
    """The duality checks are independent of the reference they check: a margin claimed 1e-4 too high violates
    weak duality against the separately solved dual; multipliers on the wrong points break ‖Σλz‖_* = γ*."""
    import dataclasses

    import numerics.references.margins

    honest = numerics.references.margins.max_margin

    def corrupted(*args, **kwargs):
        ref = honest(*args, **kwargs)
        if corruption == "inflated margin":
            return dataclasses.replace(ref, margin=ref.margin * (1 + 1e-4))
        return dataclasses.replace(ref, duals=np.roll(ref.duals, 1, axis=0))

    monkeypatch.setattr(numerics.references.margins, "max_margin", corrupted)
    check = lemmas.get("kkt.norm.dual_condition").check_numeric(np.random.default_rng(0))
    assert check.status == "failed" and check.residual > 10


def test_every_character_of_the_suites_text_has_latex():
    """Statements, names and reasons come from these sources: none may fall back to [U+XXXX] in the report."""
    from pathlib import Path

    from theory.latex import escape_text

    root = Path(__file__).resolve().parent.parent
    sources = [p for package in ("numerics", "theory", "verify") for p in (root / package).rglob("*.py")]
    text = "".join(p.read_text() for p in sources)
    rendered = escape_text("".join(sorted(set(text))))
    assert "[U+" not in rendered, rendered[rendered.index("[U+") - 40:rendered.index("[U+") + 10]
    assert escape_text("θ̃ x̃ ĝ") == r"$\tilde{\theta}$ \~{x} \^{g}"
