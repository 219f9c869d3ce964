"""Normalized steepest descent under Schatten-p and entrywise p-norms, with and without momentum, on multiclass
separable data (Fan, Schmidt, Thrampoulidis 2025, arXiv:2502.04664).

Their set-up: a linear model W ∈ R^{k×d}, cross-entropy L(W) on linearly separable data, zero init, full batch.
NSD steps W_{t+1} = W_t − η_t Δ_t with Δ_t = argmax_{‖Δ‖ ≤ 1} <∇L(W_t), Δ> (the norm's LMO); NMD does the same with
∇L replaced by the momentum M_t = β M_{t−1} + (1 − β)∇L(W_t). Their theorems: for ‖·‖ an entrywise p-norm or a
Schatten p-norm and decreasing steps η_t, the normalized margin min_i margin_i(W_t)/‖W_t‖ tends to the max margin
γ* = max_{‖W‖ ≤ 1} min_i margin_i(W) of the same norm, at rate O(1/√t) up to logarithms, for NSD and for NMD with a
constant β (read from their abstract and a summary: the exact conditions on η_t and β are not quoted here). This
claim tests η_t = η/√(t+1), η the best of a recorded sweep, and β = 0.9 with heavy-ball momentum: `SteepestDescent`
keeps m_t = βm_{t−1} + ∇L = M_t/(1 − β), and the LMO is scale-free, so its steps are exactly NMD's.

Data: `data.cyclic_shifts` — class c holds the cyclic shifts S^c b_m of two base points. The data are invariant under
the joint shift, so each strictly convex norm's max margin is circulant, W = Σ_t w_t S^t: its Schatten-p norm is the
ℓp norm of the DFT of w, its entrywise p-norm K^{1/p}‖w‖_p. The base points were found by hill-climbing (random
moves of the base, a move kept when it raises) the least separation screened from the circulant solutions; then
rounded to one decimal and certified (`references(ds).separation`, the values below).

The search, in order (screened separations 1 − γ_c(W_r)/γ*_c of the solvers' solutions; certified where noted):
  * Gaussian data with dense and rank-2 teachers (`gaussian_multiclass`, k ≤ 5, d ≤ 8, n ≤ 3k) and small mixtures,
    228 sets: the least separation of schatten:1.5 from its rivals ≤ 0.015, of schatten:3 ≤ 0.027, entrywise
    ≤ 0.056. With k = 3 the solutions have rank ≤ 2, and two singular values keep the Schatten p's within 0.025.
  * The NucGD mixture (10 classes, 10 × 10): s(fro → schatten:1.5) = 0.009, s(schatten:3 → fro) = 0.012.
  * Low-rank teachers with k = 10, d ∈ {10, 20}, n ∈ {10, 20, 40}, rank ∈ {2, 3, 5}: s(fro ↔ schatten:p) ≤ 0.014.
  * Class means of very different scales or directions (one class near the origin, geometric scales, rotated, ~50
    sets): s(fro → schatten:p) up to 0.04, but then nuclear within 0.01 of schatten:1.5; entrywise ≤ 0.05.
  * Cyclic shifts, hill-climbed: all four claimed norms on one data set (K = 10) 0.040 certified; the Schatten pair
    alone 0.050 (K = 10, where each Schatten separation is a 5–18 s SDP), 0.044 (K = 8, 2–4 s), 0.027 (K = 6); the
    entrywise pair alone 0.094 (K = 10). Each family gets its own data set. (Rounded to two decimals instead of one,
    the Schatten base makes Clarabel fail on s(fro → schatten:1.5) and SCS take 130 s.)
A ceiling explains the Schatten numbers: the Frobenius solution is its own dual, W_F ∝ G_F = Σλ_i z_i with
min_i <z_i, W_F> = <G_F, W_F>, so with σ = σ(G_F) its S_p margin is ‖σ‖₂²/‖σ‖_p and γ*_{S_p} ≤ ‖σ‖_q (weak
duality at λ): s(fro → schatten:p) ≤ 1 − ‖σ‖₂²/(‖σ‖_p‖σ‖_q), the same for p and q = p/(p − 1). Over all spectra of
rank r this is at most 0.083 (r = 7, k = 8) or 0.098 (r = 9, k = 10): no data with k ≤ 10 classes separates
Frobenius from Schatten 1.5 or 3 by 0.1; the Schatten data below reach half of it (0.042 of 0.083), so that claim
is judged at tol ≈ 0.01.

Certified separations s(r → c) from each rival r on the Schatten data (K = 8, 16 points): schatten:1.5 ← nuclear
0.053, fro 0.042, schatten:3 0.124, entry_lp:1.5 0.061 (and spectral 0.248, entry_l1 0.370, not rivals here);
schatten:3 ← fro 0.044, spectral 0.085, schatten:1.5 0.141, entry_lp:3 0.072 (nuclear 0.240, entry_linf 0.189).
On the entrywise data (K = 10, 20 points): entry_lp:1.5 ← entry_l1 0.100, fro 0.092, entry_lp:3 0.219, schatten:1.5
0.133; entry_lp:3 ← fro 0.091, entry_linf 0.108, entry_lp:1.5 0.287, schatten:3 0.178; entry_l1 ← entry_lp:1.5
0.174, fro 0.451, nuclear 0.519. Tolerances are a quarter of the least separation from the claim's rivals
(`decisive_tolerance`).
"""

from __future__ import annotations

import numpy as np

from numerics import data
from numerics.references import references
from verify.claim import OPTIMIZER, Mutant, claim
from verify.kit import SEED, best_step, steepest
from verify.convergence import decisive_tolerance, judge

MOMENTUM = 0.9
ETAS = (4.0, 8.0, 16.0, 32.0)
"""The η of η/√(t+1) a sweep tries: on these data (max |x_ij| = 1) the gap at 5·10³ steps is least at η = 4–32,
by norm (measured over η = 1…64: smaller η have not travelled far enough, larger ones oscillate)."""

SCHATTEN_BASE = np.array([[-0.5, -0.8, 1.0, -0.1, -0.7, -0.7, -0.5, 0.4],
                          [-0.6, 0.7, 0.1, -0.3, -0.5, -0.5, 0.0, -0.7]])
ENTRYWISE_BASE = np.array([[-0.2, -0.2, 0.1, 0.1, 0.1, 0.0, 0.1, 0.2, 0.4, -1.0],
                           [-0.8, -0.6, -0.4, -0.4, 0.0, -0.1, 0.2, 0.2, 0.5, 0.2]])

SCHATTEN_RIVALS = {"schatten:1.5": ("nuclear", "fro", "schatten:3", "entry_lp:1.5"),
                   "schatten:3": ("fro", "spectral", "schatten:1.5", "entry_lp:3")}
"""Each claim's rivals: its neighbours p' in the Schatten family {1, 1.5, 2, 3, ∞}, the other claimed member (whose
run is the negative control), and the same p of the entrywise family. The far members (spectral and entry_l1 for
p = 1.5, nuclear and entry_linf for p = 3) are certified ≥ 0.19 away on these data; each Schatten separation is a
2–4 s SDP, so they are not solved again at every run."""
ENTRYWISE_RIVALS = {"entry_lp:1.5": ("entry_l1", "fro", "entry_lp:3", "schatten:1.5"),
                    "entry_lp:3": ("fro", "entry_linf", "entry_lp:1.5", "schatten:3"),
                    "entry_l1": ("entry_lp:1.5", "fro", "nuclear")}
"""As for the Schatten claims: the neighbours p' in the entrywise family {1, 1.5, 2, 3, ∞} (entry_lp:2 is fro), the
other claimed member, and the same p of the Schatten family."""


def steps_for(scale):
    return scale.pick(5_000, 100_000)


def own_max_margin(evidence, scale, ds, rivals: dict, family: str, descent=steepest):
    """NSD and NMD (`descent`) under each norm of `rivals` (its keys), each judged against that norm's max margin
    and rivals at the decisive tolerance; returns the NSD runs."""
    refs, steps = references(ds), steps_for(scale)
    runs = {}
    for norm, against in rivals.items():
        tol = decisive_tolerance(refs, norm, against)
        for label, beta in (("NSD", 0.0), ("NMD", MOMENTUM)):
            run = best_step(evidence, descent(norm, momentum=beta), ds, norm, steps, etas=ETAS, seed=SEED,
                            label=f"{label} {norm}")
            evidence.include(judge(run, norm, rivals=against, tol=tol,
                                   name=f"{label} ({family} {norm}{f', β = {beta}' if beta else ''}) → {norm} max "
                                        "margin"))
            if not beta:
                runs[norm] = run
    return runs


def controls(evidence, ds, runs: dict, rivals: dict, pairs):
    """Negative controls: the NSD run of one norm judged as a claim about another (its rival), which must FAIL."""
    refs = references(ds)
    for run_norm, claimed in pairs:
        evidence.include(judge(runs[run_norm], claimed, rivals=rivals[claimed],
                               tol=decisive_tolerance(refs, claimed, rivals[claimed]),
                               name=f"NSD ({run_norm}) → {claimed} max margin"), expect="FAIL")


@claim(id="fan.schatten_p_own_max_margin", papers=("fan2025",), lemmas=["lmo.schatten:3/2", "lmo.schatten:3"],
       seams={"steepest": steepest},
       mutants=[Mutant("normalized GD posing as Schatten-3 descent",
                       "the claim's schatten:3 steepest descent is normalized GD", OPTIMIZER, "rival fro",
                       seams={"steepest": lambda norm, *a, **kw: steepest(
                           "fro" if norm == "schatten:3" else norm, *a, **kw)})],
       statement="Normalized steepest descent under the Schatten 3/2- and 3-norms, without momentum and "
                 "with heavy-ball momentum β = 0.9 (NSD, NMD; η/√(t+1), η the best of a recorded sweep), "
                 "tends to the max margin of its own norm, excluding the neighbouring Schatten norms "
                 "(nuclear, Frobenius, spectral), the other claimed one and the entrywise norm of the "
                 "same p.")
def test_schatten_p_steepest_descent_tends_to_its_own_max_margin(scale, evidence, seams):
    ds = data.cyclic_shifts(SCHATTEN_BASE)
    runs = own_max_margin(evidence, scale, ds, SCHATTEN_RIVALS, "Schatten", seams.steepest)
    controls(evidence, ds, runs, SCHATTEN_RIVALS, (("schatten:3", "schatten:1.5"), ("schatten:1.5", "schatten:3")))
    evidence.conclude()


@claim(id="fan.entrywise_p_own_max_margin", papers=("fan2025",), lemmas=["lmo.lp:1", "lmo.lp:3/2", "lmo.lp:3"],
       statement="Normalized steepest descent under the entrywise 1-, 3/2- and 3-norms of W, without "
                 "momentum and with heavy-ball momentum β = 0.9 (NSD, NMD; η/√(t+1), η the best of a "
                 "recorded sweep), tends to the max margin of its own norm, excluding the neighbouring "
                 "entrywise norms (entry_l1, Frobenius, entry_linf), the other claimed ones and the "
                 "Schatten norm of the same p.")
def test_entrywise_p_steepest_descent_tends_to_its_own_max_margin(scale, evidence):
    ds = data.cyclic_shifts(ENTRYWISE_BASE)
    runs = own_max_margin(evidence, scale, ds, ENTRYWISE_RIVALS, "entrywise")
    controls(evidence, ds, runs, ENTRYWISE_RIVALS,
             (("entry_lp:3", "entry_lp:1.5"), ("entry_lp:1.5", "entry_lp:3"), ("entry_lp:1.5", "entry_l1")))
    evidence.conclude()
