"""Deliberately wrong implementations, each paired with the claim it must break and the check that must catch
it: the suite's own power, measured. A mutant is a function that patches the code (with pytest's
`monkeypatch`, undone afterwards); `run_claim` runs a checklist claim under it and returns the claim's evidence.

Every mutant must end FAIL — not INCONCLUSIVE, not PASS — with a reason that names the check that should catch it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import os
from dataclasses import dataclass
from typing import Callable

import sympy
import torch

from numerics import cache
from numerics import references as references_module
from verify.evidence import ClaimEvidence, ClaimFailed, ClaimInconclusive, forget_lemma_checks


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    """The wrong implementation, in words."""
    claim: str
    """module:function[param=value] of the checklist claim it must break."""
    caught_by: str
    """A piece of the FAIL reason that names the check that catches it."""
    patch: Callable
    """patch(monkeypatch): installs the mutant."""
    changes_references: bool = False
    """The mutant changes how certified references are computed or judged (a face projection, a certificate's
    tolerance): its claim runs with the persistent store off, so that no stored reference stands in for the
    mutated code. Every other mutant reads and writes the session's store, whose entries its claim would
    compute the same way."""


def run_claim(target: str, scale, store: bool = False) -> ClaimEvidence:
    """Run the checklist claim `module:function[param=value]` outside pytest and return its evidence, with the
    in-memory references and lemma checks dropped before and after (a mutant may change what they hold), and
    the persistent store off unless `store`."""
    location, _, param = target.partition("[")
    module, function = location.split(":")
    test = getattr(importlib.import_module(module), function)
    marker = next(m for m in test.pytestmark if m.name == "claim")
    evidence = ClaimEvidence(marker.kwargs["id"] + (f"[{param}" if param else ""), marker.kwargs["lemmas"])
    kwargs = {"evidence": evidence,
              **{k: _value(v) for k, v in (p.split("=") for p in param.rstrip("]").split(",") if p)}}
    if "scale" in inspect.signature(test).parameters:
        kwargs["scale"] = scale
    references_module.forget()
    forget_lemma_checks()
    persistent = os.environ.get(cache.ENV_DIR), os.environ.get(cache.ENV_OFF)
    if not store:
        os.environ.pop(cache.ENV_DIR, None)
        os.environ[cache.ENV_OFF] = "1"
    try:
        test(**kwargs)
    except (ClaimFailed, ClaimInconclusive):
        pass
    finally:
        references_module.forget()
        forget_lemma_checks()
        for name, value in zip((cache.ENV_DIR, cache.ENV_OFF), persistent):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return evidence


def _value(text: str):
    """A parameter value as written in a claim target: a Python literal, else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _nuclear_lmo_is_frobenius(mp):
    from numerics.norms import schatten

    mp.setattr(schatten.Nuclear, "lmo", schatten.Frobenius.lmo)


def _spectral_lmo_keeps_the_null_pairs(mp):
    from numerics.norms import schatten
    from numerics.norms.base import namespace

    def completed(self, g):
        u, _, vh = namespace(g).linalg.svd(g, full_matrices=False)
        return u @ vh

    mp.setattr(schatten.Spectral, "lmo", completed)


def _cold_power_iteration(mp):
    from numerics.norms.base import namespace
    from numerics.optim import rules

    warm = rules.power_iteration
    # every step starts again from the same vector (1, …, 1)/√d instead of the last step's v
    mp.setattr(rules, "power_iteration", lambda G, v, iters=1: warm(G, namespace(v).ones_like(v), iters))


def _coordinate_descent_as_gd(mp):
    from numerics.optim import SteepestDescent
    from verify import test_classics

    mp.setattr(test_classics, "gd", lambda lr=1.0, **kw: lambda ps: SteepestDescent(ps, lr, "l1", normalized=False,
                                                                                     batch_dims=1, **kw))


def _gd_as_l3_descent(mp):
    from verify import claims, test_flavors

    mp.setattr(test_flavors, "steepest", lambda norm, *a, **kw: claims.steepest("l2" if norm == "lp:3" else norm,
                                                                                 *a, **kw))


def _sign_descent_as_nucgd(mp):
    from verify import claims, test_nucgd

    mp.setattr(test_nucgd, "steepest", lambda norm, *a, **kw: claims.steepest(
        "entry_linf" if norm == "nuclear" else norm, *a, **kw))


def _face_distance_zero(mp):
    from numerics.margins import FaceDistance, OptimalFace

    mp.setattr(OptimalFace, "bounds", lambda self, W: FaceDistance(0.0, 0.0, True))


def _margin_in_another_norm(mp):
    from verify import convergence

    honest = convergence.normalized_margin
    mp.setattr(convergence, "normalized_margin", lambda X, y, W, norm: honest(X, y, W, "l2" if W.ndim == 2 else "fro"))


def _lemma_with_a_flipped_sign(mp):
    from theory import lemma as lemma_module, lemmas

    lemma = lemmas.get("noether.gd.discrete")
    statement = sympy.Eq(lemma.statement.lhs, lemma.statement.rhs.replace(
        lambda e: isinstance(e, sympy.Add), lambda e: sympy.Add(*(-a if a.could_extract_minus_sign() else a
                                                                  for a in e.args))))
    mp.setitem(lemma_module._REGISTRY, lemma.id, dataclasses.replace(lemma, statement=statement))


def _noether_factor_with_plus(mp):
    from verify import claims, test_noether

    honest = claims.formula

    def formula(lemma_id, *symbols):
        if lemma_id != "noether.gd.discrete":
            return honest(lemma_id, *symbols)
        return lambda C, eta, g: C * (1 + eta**2 * g**2)

    mp.setattr(test_noether, "formula", formula)


def _loose_certificates(mp):
    from numerics import margins

    mp.setattr(references_module, "max_margin", functools.partial(margins.max_margin, rtol=0.5))


def _gaussian_noise_as_label_noise(mp):
    from numerics.optim import noisy

    honest = noisy.NoisySGD.__init__

    def init(self, params, lr, *, label_noise=0.0, gaussian_noise=0.0, **kw):
        honest(self, params, lr, label_noise=0.0, gaussian_noise=label_noise, **kw)

    mp.setattr(noisy.NoisySGD, "__init__", init)


def _momentum_ignored(mp):
    from numerics.optim import rules

    mp.setattr(rules, "trace", lambda beta, nesterov=False: rules.Transform(lambda params: (),
                                                                             lambda u, state, params: (u, state)))


def _prgd_without_rescaling(mp):
    from numerics.optim import fast

    mp.setattr(fast.PRGD, "radius", lambda self, group, k: group["radius"])


def _dual_acceleration_without_momentum(mp):
    from numerics.optim import fast

    mp.setattr(fast.DualAcceleration, "momentum_factor", staticmethod(lambda t: 0.0))


def _weight_decay_ignored(mp):
    from numerics.optim import steepest

    init = steepest.SteepestDescent.__init__

    def without(self, params, lr, norm, *, weight_decay=0.0, **kw):
        init(self, params, lr, norm, **kw)

    mp.setattr(steepest.SteepestDescent, "__init__", without)


def _svrg_snapshot_never_refreshed(mp):
    from numerics.optim import variance

    init = variance.SVRG.__init__

    def frozen(self, *args, **kw):
        init(self, *args, **kw)
        self.epoch = float("inf")  # θ̃ = θ_0 and ∇F(θ_0) forever

    mp.setattr(variance.SVRG, "__init__", frozen)


def _incremental_adam_on_the_full_batch(mp):
    from numerics.optim import variance

    mp.setattr(variance, "cyclic",
               lambda step, n, batch_size, configurations: torch.arange(n).expand(configurations, n))


def _normalized_gd_as_schatten3_descent(mp):
    from verify import claims, test_fan

    mp.setattr(test_fan, "steepest",
               lambda norm, *a, **kw: claims.steepest("fro" if norm == "schatten:3" else norm, *a, **kw))


MUTANTS = [
    Mutant("nuclear LMO is the Frobenius one", "Nuclear.lmo returns G/‖G‖_F",
           "verify.test_nucgd:test_nucgd_tends_to_the_nuclear_max_margin_and_its_rank", "lemma lmo.nuclear",
           _nuclear_lmo_is_frobenius),
    Mutant("spectral LMO keeps the null pairs", "Spectral.lmo is U Vᵀ over all min(k, d) pairs, the null ones too",
           "verify.test_nucgd:test_zero_sum_is_kept_by_all_but_sign_descent", "(spectral descent)",
           _spectral_lmo_keeps_the_null_pairs),
    Mutant("power iteration without warm start", "each step's power iteration starts from the same vector, not the "
           "last step's",
           "verify.test_nucgd:test_power_iteration_nucgd_tracks_exact_nucgd", "NucGD (power LMO)",
           _cold_power_iteration),
    Mutant("coordinate descent posing as GD", "the claim's GD is unnormalized ℓ1 steepest descent",
           "verify.test_classics:test_gd_tends_to_the_l2_max_margin_like_one_over_log_t", "rival l1",
           _coordinate_descent_as_gd),
    Mutant("GD posing as ℓ3 descent", "the claim's ℓ3 steepest descent is normalized GD",
           "verify.test_flavors:test_bregman_divergence_to_the_certified_kkt_point_decreases", "ℓ3 descent",
           _gd_as_l3_descent),
    Mutant("sign descent posing as NucGD", "the claim's NucGD is sign descent",
           "verify.test_nucgd:test_nucgd_tends_to_the_nuclear_max_margin_and_its_rank", "rival entry_linf",
           _sign_descent_as_nucgd),
    Mutant("face distance forced to 0", "OptimalFace.bounds returns 0",
           "verify.test_classics:test_gd_tends_to_the_l2_max_margin_like_one_over_log_t",
           "face distance is smaller than the margin gap allows", _face_distance_zero, changes_references=True),
    Mutant("margin metric in another norm", "the run's margins are measured in ℓ2 (Frobenius) whatever the claim",
           "verify.test_classics:test_steepest_descent_tends_to_its_own_norms_max_margin",
           "margin metric disagrees with a direct computation", _margin_in_another_norm),
    Mutant("lemma statement with a flipped sign", "noether.gd.discrete states C_{t+1} = C_t(1 + η²ĝ²)",
           "verify.test_noether:test_gd_changes_the_conserved_quantity_by_the_exact_discrete_term",
           "lemma noether.gd.discrete", _lemma_with_a_flipped_sign),
    Mutant("Noether factor with +", "the claim computes C_t(1 + η²a_t²)",
           "verify.test_noether:test_gd_changes_the_conserved_quantity_by_the_exact_discrete_term",
           "C_{t+1} − C_t(1 − η²a_t²)", _noether_factor_with_plus),
    Mutant("certificate tolerance of 0.5", "references are accepted at a relative duality gap of 0.5",
           "verify.test_classics:test_gd_tends_to_the_l2_max_margin_like_one_over_log_t",
           "looser than the suite's", _loose_certificates, changes_references=True),
    Mutant("Gaussian noise posing as label noise", "NoisySGD turns label noise σ into Gaussian gradient noise σ",
           "verify.test_label_noise:test_label_noise_sgd_recovers_the_sparse_truth[signed=False]",
           "label-noise SGD", _gaussian_noise_as_label_noise),
    Mutant("momentum ignored", "SteepestDescent steps with the gradient, never the momentum buffer",
           "verify.test_nucgd:test_nucgd_with_minibatches_and_momentum", "β = 0.9", _momentum_ignored),
    Mutant("PRGD without its rescaling", "PRGD keeps R_k = R_0: projected normalized GD on one sphere",
           "verify.test_fast_margin:test_prgd_closes_the_margin_gap_exponentially_fast",
           "does not decay at the exponential rate", _prgd_without_rescaling),
    Mutant("dual acceleration without momentum", "β_t = 0: the method is GD with η/L",
           "verify.test_fast_margin:test_dual_acceleration_closes_the_margin_gap_like_one_over_t_squared",
           "slower than Õ(1/t²)", _dual_acceleration_without_momentum),
    Mutant("weight decay ignored", "SteepestDescent drops its decoupled weight decay",
           "verify.test_clients:test_what_holds_torch_muon_with_weight_decay_back_is_its_newton_schulz",
           "spectral-ball residual plateaus", _weight_decay_ignored),
    Mutant("SVRG snapshot never refreshed",
           "SVRG keeps θ̃ = θ_0 and ∇F(θ_0): its estimator's correction never vanishes",
           "verify.test_minibatch:test_stochastic_sign_descent_batch_size_momentum_and_variance_reduction",
           "SVRG's estimator (batch 1) → ℓ∞", _svrg_snapshot_never_refreshed),
    Mutant("Inc-Adam on the full batch", "IncrementalAdam's cyclic block is every point: it is full-batch Adam",
           "verify.test_minibatch:test_per_sample_adam_tends_to_the_l2_max_margin",
           "Inc-Adam (cyclic) → ℓ2 max margin", _incremental_adam_on_the_full_batch),
    Mutant("normalized GD posing as Schatten-3 descent", "the claim's schatten:3 steepest descent is normalized GD",
           "verify.test_fan:test_schatten_p_steepest_descent_tends_to_its_own_max_margin", "rival fro",
           _normalized_gd_as_schatten3_descent),
]
