"""Deliberately wrong implementations of the product and of the verifier, as patches a claim's `Mutant` names
(`verify.claim.Mutant(patch=...)`), and `run`, which runs a claim under one of them and returns its evidence.

Each patch(monkeypatch) replaces one object that owns what it breaks — a norm's LMO, an optimizer's method, a
reference, a metric, a lemma's statement — with pytest's `monkeypatch` (undone afterwards); a mutant that only
swaps what a claim trains replaces a seam the claim declares instead. No patch touches a claim module.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import pytest
import sympy
import torch

from numerics.references import cache
from numerics import references as references_module
from verify.claim import Claim, Mutant
from verify.evidence import ClaimEvidence, ClaimFailed, ClaimInconclusive, forget_lemma_checks


def run(claim: Claim, mutant: Mutant, scale, store: bool = False) -> ClaimEvidence:
    """Run `claim` under `mutant` (its seams; its patch is the caller's to install) outside pytest and return the
    evidence, with the in-memory references and lemma checks dropped before and after (a mutant may change what
    they hold), and the persistent store off unless `store`."""
    evidence = ClaimEvidence(target_id(claim, mutant), claim.lemmas)
    references_module.forget()
    forget_lemma_checks()
    persistent = os.environ.get(cache.ENV_DIR), os.environ.get(cache.ENV_OFF)
    if not store:
        os.environ.pop(cache.ENV_DIR, None)
        os.environ[cache.ENV_OFF] = "1"
    try:
        claim.run(evidence, scale, mutant, **mutant.params)
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


def target_id(claim: Claim, mutant: Mutant) -> str:
    """The id of the claim case `mutant` runs, as pytest names it (e.g. ``haochen.label_noise_recovers[v*v]``):
    the claim's id with the ids of the parametrization its `params` pick."""
    marks = [mark for mark in getattr(claim.body, "pytestmark", []) if mark.name == "parametrize"]
    ids = [_case_id(claim.id, mark, mutant.params) for mark in marks]
    return claim.id + (f"[{'-'.join(ids)}]" if ids else "")


def _case_id(claim_id: str, mark, params) -> str:
    """The id of the value of one parametrize `mark` that `params` pick, by pytest's rules: the value's own
    ``pytest.param(id=...)``, else its entry of ``ids=[...]``, else made from the values themselves."""
    given = {**dict(zip(("argnames", "argvalues", "indirect", "ids"), mark.args)), **mark.kwargs}
    names = given["argnames"].split(",") if isinstance(given["argnames"], str) else list(given["argnames"])
    names, ids = [name.strip() for name in names], given.get("ids")
    for index, value in enumerate(given["argvalues"]):
        values = value.values if isinstance(value, pytest.ParameterSet) else (value,) if len(names) == 1 else value
        if dict(zip(names, values)) != {name: params.get(name) for name in names}:
            continue
        if isinstance(value, pytest.ParameterSet) and value.id is not None:
            return _escaped(value.id)
        if isinstance(ids, (list, tuple)) and index < len(ids) and ids[index] is not None:
            return _escaped(str(ids[index]))
        return "-".join(_value_id(v, name, index) for v, name in zip(values, names))
    raise ValueError(f"claim {claim_id!r} has no case with {dict(params)} among its {names} parameters")


def _value_id(value, name: str, index: int) -> str:
    """pytest's id of a parameter value: the value itself for a string, number, bool or None, else the
    argument's name and the index."""
    if isinstance(value, str):
        return _escaped(value)
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)
    return f"{name}{index}"


def _escaped(text: str) -> str:
    """Non-ASCII characters escaped, as pytest writes them in ids."""
    return text.encode("unicode_escape").decode("ascii")


def nuclear_lmo_is_frobenius(mp):
    from numerics.norms import schatten

    mp.setattr(schatten.Nuclear, "lmo", schatten.Frobenius.lmo)


def spectral_lmo_keeps_the_null_pairs(mp):
    from numerics.norms import schatten
    from numerics.norms.base import namespace

    def completed(self, g):
        u, _, vh = namespace(g).linalg.svd(g, full_matrices=False)
        return u @ vh

    mp.setattr(schatten.Spectral, "lmo", completed)


def cold_power_iteration(mp):
    from numerics.norms.base import namespace
    from numerics.optim import rules

    warm = rules.power_iteration
    # every step starts again from the same vector (1, …, 1)/√d instead of the last step's v
    mp.setattr(rules, "power_iteration", lambda G, v, iters=1: warm(G, namespace(v).ones_like(v), iters))


def newton_schulz_once(mp):
    from numerics.optim import lmo, rules

    honest = lmo.newton_schulz
    mp.setattr(rules, "newton_schulz", lambda G, steps=12: honest(G, 1))


def separation_from_the_solver_point(mp):
    from numerics import norms
    from numerics.references import separation as separation_module
    from numerics.references.margins import normalized_margin

    honest = separation_module.separation

    def from_the_point(ds, claim, rival, **kw):
        W = rival.W  # one point of the rival's face, where the least c-gap over the face is asked
        gap = 1 - normalized_margin(ds.X, ds.y, W, norms.get(claim.norm)) / claim.certificate.lower
        return dataclasses.replace(honest(ds, claim, rival, **kw), value=max(0.0, float(gap)))

    mp.setattr(separation_module, "separation", from_the_point)


def separation_check_skipped(mp):
    from verify import kernel

    mp.setattr(kernel, "separated", lambda ev, rivals, tol: None)  # s_min > 2·tol is never asked


def face_floor_above_the_margin(mp):
    from numerics.references.margins import OptimalFace

    honest = OptimalFace.__init__

    def raised(self, *args, **kw):
        honest(self, *args, **kw)
        self.floor = self.reference.margin * 1.001  # F = {margin ≥ 1.001γ*}: empty, the reference outside it

    mp.setattr(OptimalFace, "__init__", raised)


def face_distance_zero(mp):
    from numerics.references.margins import FaceDistance, OptimalFace

    mp.setattr(OptimalFace, "bounds", lambda self, W: FaceDistance(0.0, 0.0, True))


def margin_in_another_norm(mp):
    from verify import convergence

    honest = convergence.normalized_margin
    mp.setattr(convergence, "normalized_margin", lambda X, y, W, norm: honest(X, y, W, "l2" if W.ndim == 2 else "fro"))


def replace_lemma(mp, lemma_id: str, statement) -> None:
    """The registered lemma `lemma_id` with `statement` in place of its own (what a claim's `formula` then reads)."""
    from theory import lemma as lemma_module, lemmas

    lemma = lemmas.get(lemma_id)
    mp.setitem(lemma_module._REGISTRY, lemma.id, dataclasses.replace(lemma, statement=statement))


def lemma_with_a_flipped_sign(mp):
    from theory import lemma as lemma_module, lemmas

    lemma = lemmas.get("noether.gd.discrete")
    statement = sympy.Eq(lemma.statement.lhs, lemma.statement.rhs.replace(
        lambda e: isinstance(e, sympy.Add), lambda e: sympy.Add(*(-a if a.could_extract_minus_sign() else a
                                                                  for a in e.args))))
    mp.setitem(lemma_module._REGISTRY, lemma.id, dataclasses.replace(lemma, statement=statement))


def loose_certificates(mp):
    from numerics.references import margins

    mp.setattr(references_module, "max_margin", functools.partial(margins.max_margin, rtol=0.5))


def gaussian_noise_as_label_noise(mp):
    from numerics.optim import noisy

    honest = noisy.NoisySGD.__init__

    def init(self, params, lr, *, label_noise=0.0, gaussian_noise=0.0, **kw):
        honest(self, params, lr, label_noise=0.0, gaussian_noise=label_noise, **kw)

    mp.setattr(noisy.NoisySGD, "__init__", init)


def momentum_ignored(mp):
    from numerics.optim import rules

    mp.setattr(rules, "trace", lambda beta, nesterov=False: rules.Transform(lambda params: (),
                                                                             lambda u, state, params: (u, state)))


def prgd_without_rescaling(mp):
    from numerics.optim import fast

    mp.setattr(fast.PRGD, "radius", lambda self, group, k: group["radius"])


def dual_acceleration_without_momentum(mp):
    from numerics.optim import fast

    mp.setattr(fast.DualAcceleration, "momentum_factor", staticmethod(lambda t: 0.0))


def weight_decay_ignored(mp):
    from numerics.optim import steepest

    init = steepest.SteepestDescent.__init__

    def without(self, params, lr, norm, *, weight_decay=0.0, **kw):
        init(self, params, lr, norm, **kw)

    mp.setattr(steepest.SteepestDescent, "__init__", without)


def svrg_snapshot_never_refreshed(mp):
    from numerics.optim import variance

    init = variance.SVRG.__init__

    def frozen(self, *args, **kw):
        init(self, *args, **kw)
        self.epoch = float("inf")  # θ̃ = θ_0 and ∇F(θ_0) forever

    mp.setattr(variance.SVRG, "__init__", frozen)


def incremental_adam_on_the_full_batch(mp):
    from numerics.optim import variance

    mp.setattr(variance, "cyclic",
               lambda step, n, batch_size, configurations: torch.arange(n).expand(configurations, n))


def alignment_in_the_primal_pairing(mp):
    """The alignment with the gradient measured in the primal norm: ‖∇L‖ ‖θ‖ in place of ‖∇L‖_* ‖θ‖."""
    from numerics.norms.parameters import ParameterNorm
    from numerics.references import network_kkt
    from verify import network

    class SelfDual(ParameterNorm):
        @property
        def dual(self):
            return self

    honest = network_kkt.alignment
    mp.setattr(network, "alignment", lambda model, params, X, y, norm: honest(
        model, params, X, y, SelfDual(norm.name, norm.layers, norm.combine)))


def multipliers_of_any_sign(mp):
    """The network KKT residual with the multipliers' sign constraint ν ≥ 0 dropped: free ν in the primal, kept
    free in the bound's recomputation, and the dual's inequalities ⟨a_i, w⟩ ≤ c_i made equalities (its dual)."""
    import cvxpy as cp
    import numpy as np

    from numerics.references import network_kkt as kkt
    from verify import network

    def residual(model, params, X, y, norm):
        u, gamma, a, c = kkt.problem_data(model, params, X, y, norm)
        nu, g = cp.Variable(len(c)), [cp.Variable(p.shape) for p in u]
        w = [cp.Variable(p.shape) for p in u]
        primal = cp.Problem(cp.Minimize(norm.dual.cvxpy([gl - sl for gl, sl in zip(g, kkt._combination(a, nu))])
                                        + c @ nu + 1 - sum(cp.sum(cp.multiply(gl, ul)) for gl, ul in zip(g, u))),
                            [norm.dual.cvxpy(g) <= 1])
        dual = cp.Problem(cp.Maximize(1 - norm.cvxpy([wl - ul for wl, ul in zip(w, u)])),
                          [norm.cvxpy(w) <= 1, kkt._pair(a, w) == c])
        for problem in (primal, dual):
            problem.solve(solver=norm.solvers[0])
        g_v = [np.asarray(gl.value) / max(1.0, norm.dual.value([np.asarray(x.value) for x in g])) for gl in g]
        epsilon = norm.dual.value([gl - sl for gl, sl in zip(g_v, kkt._combination(a, nu.value))])
        eta = 1.0 - float(sum(np.vdot(gl, ul) for gl, ul in zip(g_v, u)))
        upper = epsilon + float(nu.value @ c) + eta
        lower = max(0.0, 1.0 - norm.value([np.asarray(wl.value) - ul for wl, ul in zip(w, u)]))
        return kkt.NetworkKKT(norm.name, min(lower, upper), upper, epsilon, float(nu.value @ c), eta, nu.value,
                              gamma, norm.solvers[0])

    mp.setattr(network, "kkt_residual", residual)


def spectral_residual_in_l2(mp):
    """The network KKT residual of the spectral geometry computed in ℓ2 (its subdifferential and dual norm)."""
    from numerics.norms import parameters
    from verify import network

    honest = parameters.geometry
    mp.setattr(network, "geometry", lambda name, depth: honest("l2" if name == "spectral" else name, depth))
