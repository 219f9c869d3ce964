"""Which geometry does an optimizer follow in a network? Its fingerprint against the network panel.

    fp = network_fingerprint("lion_pytorch.Lion", lr=0.01, weight_decay=0.0)       # mlp2, binary
    fp = network_fingerprint("torch.optim.Muon", lr=0.05, weight_decay=0.0, head="torch.optim.AdamW", head_lr=1e-3)
    print(fp.table()); fp.figure("lion.png"); fp.save("lion.json")
    python -m verify fingerprint lion_pytorch.Lion --lr 0.01 --weight_decay 0 --model mlp2

The optimizer trains a bias-free network as its users build it (`numerics.models.MLP`: weight matrices in their
natural (out, in) shapes, so torch's Muon applies; `head` puts a second optimizer on the last layer, as torch's Muon
documentation recommends, through `numerics.optim.Composite`), with ReLU² activations (smooth and homogeneous, the
setting of Gronich & Vardi 2026), on built-in data where the panel geometries' KKT points differ (binary: 12 points
in R^10 from a 2-sparse teacher; multiclass: a 3-class mixture in R^10, 4 points per class; both scaled to
max |x_ij| = 1), on the exponential loss (cross-entropy for multiclass), from a seeded initialization. A scale-free
optimizer (homogeneity 0: sign, Adam, Muon, Lion, …) runs with η/√(t+1), as those theorems require decaying steps.
One whose steps are linear in the gradient (homogeneity 1: SGD, heavy ball) runs its own directions at the same
lengths (`numerics.optim.UnitSteps`: SGD becomes normalized GD): at a constant step its direction moves on GD's clock
1/log t (Lyu & Li 2020) — measured, torch.optim.SGD at lr 0.1 has ℓ2 residual 0.138, 0.129, 0.121 after 1.25, 2.5
and 5·10⁴ steps, r·log t = 1.30–1.31, so a quarter of the nearest rival's 0.30 would take ≈ 4·10⁷ steps. Both limits
are ℓ2 KKT points (Lyu & Li 2020 for GD; Gronich & Vardi 2026 for normalized GD). Both kinds are fed ∇log L = ∇L/L
(`RunSpec.log_loss`): a scale-free step depends on the gradient's direction only, and ∇L itself underflows (e^{−q}
is 0 in float64 past q ≈ 745). Measured: Lion at lr 0.1 on ∇L passes least margin 745 before step 2.5·10⁴ and then
drifts on its stale momentum, while on ∇log L it is named ℓ∞ (residual 0.024); SGD's unit steps reach ℓ2 0.0035 on
∇log L and stop at 0.056 on ∇L. An optimizer with memory then averages ∇L_s/L_s: each past gradient weighted by
1/L_s. `scheduler=` (CLI `--schedule constant`) runs the optimizer as given instead, on ∇L.

At T the certified KKT residual (`numerics.references.network_kkt`) is bracketed in every geometry of the panel
(`numerics.norms.parameters.GEOMETRIES`), and each geometry c is judged as a claim "→ a KKT point of c's margin
problem" against the others (`verify.network.judge_kkt`). The fingerprint names

  c                    (PASS) when c's claim PASSes: its residual is at most a quarter of every other geometry's
                       certified residual at θ_T — every other claim then FAILs;
  "none of the panel"  (FAIL) when every geometry's claim FAILs (the one with the least residual plateaus);
  INCONCLUSIVE         otherwise, with the geometries still standing and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from numerics import data
from numerics.data import Dataset
from numerics.errors import OptimizerError
from numerics.models import MLP
from numerics.norms.parameters import GEOMETRIES
from numerics.optim import Composite, UnitSteps, homogeneity, measured_homogeneity
from numerics.optim.resolve import build, optimizer_factory, readable_name
from numerics.train import run
from verify.evidence import FAIL, INCONCLUSIVE, PASS, Evidence, plain
from verify.fingerprint import check_input, save_figure
from verify.network import NetworkRun, judge_kkt, residuals

MODELS = {"mlp2": {"binary": (6,), "multiclass": (16,)}, "mlp3": {"binary": (6, 6), "multiclass": (16, 16)}}
"""Hidden widths of the built-in networks (two and three weight matrices) per kind. Measured: at width 6 on the
3-class mixture, normalized GD stalls at loss 0.366 from step 2 500 on (its ReLU² units give no gradient where their
pre-activations are negative) and never separates the data; at width 16 it is named ℓ2 (residual 0.011)."""
KINDS = ("binary", "multiclass")
STEPS = 50_000
"""The default budget: 20–40 s of training on 2 CPU cores (a torch optimizer's Python step dominates). Measured at
20 000 steps, the suite's spectral and sign descent were named with residuals within 7 % of their tolerance."""


def network_data(kind: str, seed: int = 0) -> Dataset:
    """The built-in network data of `kind` (module docstring)."""
    if kind == "binary":
        ds = data.gaussian_binary(12, 10, margin=0.1, sparsity=2, seed=seed)
    elif kind == "multiclass":
        ds = data.gaussian_mixture(3, 10, 4, noise=0.1, seed=seed)
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
    return ds.scaled(1 / np.abs(ds.X).max())


@dataclass
class NetworkFingerprint:
    """The outcome: which geometry's KKT points the trained network's direction tends to, judged per geometry."""

    optimizer: str
    options: dict
    head: str | None
    """The last layer's optimizer as it was called, when it has its own."""
    model: MLP
    kind: str
    run: NetworkRun
    judged: dict[str, Evidence]
    homogeneity: int | None
    clock: str
    """The step sizes the run took (module docstring)."""

    def __post_init__(self):
        standing = [g for g, ev in self.judged.items() if ev.verdict != FAIL]
        finals = {g: self.run.final(g) for g in self.judged}
        if len(standing) == 1 and self.judged[standing[0]].verdict == PASS:
            self.verdict, self.geometry = PASS, standing[0]
            self.reason = (f"{self.geometry}: KKT residual ≤ {finals[self.geometry].upper:.3g}, at most a quarter of "
                           "every other geometry's certified residual at θ_T")
        elif not standing:
            known = {g: r.upper for g, r in finals.items() if r is not None}
            nearest = min(known, key=known.get) if known else None
            self.verdict, self.geometry = FAIL, None
            self.reason = "none of the panel" + (
                f": nearest {nearest} (residual ≤ {known[nearest]:.3g}): " + "; ".join(self.judged[nearest].reasons)
                if nearest else ": " + "; ".join(next(iter(self.judged.values())).reasons))
        else:
            self.verdict, self.geometry = INCONCLUSIVE, None
            self.reason = f"still consistent with {', '.join(standing)}: " + "; ".join(
                f"{g}: {r}" for g in standing for r in self.judged[g].reasons)

    @property
    def call(self) -> str:
        """The optimizer as it was called, e.g. "torch.optim.Muon(lr=0.02) + torch.optim.AdamW(lr=0.001) on the
        head"."""
        body = self.optimizer + "(" + ", ".join(f"{k}={v}" for k, v in self.options.items() if v is not None) + ")"
        return body + (f" + {self.head} on the head" if self.head else "")

    def table(self) -> str:
        traj = self.run.trajectory
        head = (f"{self.call} on {self.kind} network data ({self.model!r}, degree {self.model.degree:g}), "
                f"{int(traj.steps[-1])} steps of {self.clock}, {traj.seconds:.0f} s")
        rows = [f"{'geometry':<14} {'KKT residual at T':>24} {'tol':>7}  verdict"]
        for g, ev in self.judged.items():
            r = self.run.final(g)
            bracket = "does not separate" if r is None else f"[{r.lower:.4f}, {r.upper:.4f}]"
            tol = ev.measured.get("tol")
            rows.append(f"{g:<14} {bracket:>24} {'' if tol is None else f'{tol:.4f}':>7}  {ev.verdict}")
        return "\n".join([head, *rows, f"geometry: {self.geometry or '—'} ({self.verdict}): {self.reason}"])

    def as_dict(self) -> dict:
        steps = self.run.trajectory.steps[self.run.at]
        return plain({
            "optimizer": self.optimizer, "options": {k: repr(v) for k, v in self.options.items()}, "head": self.head,
            "model": repr(self.model), "kind": self.kind, "verdict": self.verdict, "geometry": self.geometry,
            "reason": self.reason, "homogeneity": self.homogeneity, "clock": self.clock,
            "config": self.run.trajectory.config,
            "residuals": {g: {"steps": steps, "brackets": [None if r is None else [r.lower, r.upper] for r in rs]}
                          for g, rs in self.run.residuals.items()},
            "judged": {g: {"verdict": ev.verdict, "reasons": ev.reasons, "tol": ev.measured.get("tol")}
                       for g, ev in self.judged.items()}})

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.as_dict(), indent=1))
        return path

    def figure(self, path: str | Path) -> Path:
        """The certified KKT residual (upper bound) per geometry against steps, log–log, with the tolerance of
        the geometry whose residual is least at T dotted; the legend outside the axes."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps = self.run.trajectory.steps[self.run.at]
        fig, ax = plt.subplots(figsize=(7.5, 4))
        for i, (g, rs) in enumerate(self.run.residuals.items()):
            shown = [(t, r.upper) for t, r in zip(steps, rs) if r is not None]
            if shown:
                t, u = map(np.array, zip(*shown))
                ax.loglog(t, np.maximum(u, 1e-6), color=f"C{i}", marker=".", label=g)
        finals = {g: r.upper for g in self.judged if (r := self.run.final(g)) is not None}
        if finals:
            least = min(finals, key=finals.get)
            tol = self.judged[least].measured.get("tol")
            if tol:
                ax.axhline(tol, color="k", ls=":", lw=0.8, label=f"{least} tol (a quarter of the least rival)")
        ax.set_xlabel("step t")
        ax.set_ylabel("certified KKT residual (upper bound)")
        config = self.run.trajectory.config
        ax.set_title(f"{self.call}, {self.kind}, {config.get('steps', int(self.run.trajectory.steps[-1]))} steps, seed "
                     f"{config.get('seed', 0)}\n{self.geometry or '—'} ({self.verdict})", fontsize=9)
        return save_figure(fig, ax, path)  # no legend where the run diverged before separating


def network_fingerprint(optimizer, model: str = "mlp2", kind: str = "binary", *, steps: int | None = None,
                        lr: float | None = None, seed: int = 0, head=None, head_lr: float | None = None,
                        head_options: dict | None = None, scheduler=None, **options) -> NetworkFingerprint:
    """Train `optimizer` (a `torch.optim.Optimizer` class, its dotted path, or a factory params → Optimizer;
    `lr` and `options` go to the class) on the built-in network `model` and `kind` data, with `head` (likewise, with
    `head_lr` and `head_options`) on the last layer if given, for `steps` (default `STEPS`), and judge the final
    direction against every geometry of the panel (module docstring). `scheduler(optimizer)` replaces the
    default schedule. Bad input (`verify.fingerprint.check_input`: an lr or head_lr that is not finite and > 0,
    steps ≤ 0, a non-finite option) raises ValueError, an optimizer that cannot be built `OptimizerError`, each
    naming the cause, before any training."""
    check_input(lr=lr, steps=steps, options=options)
    check_input(lr=head_lr, options=head_options, lr_name="head_lr")
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; one of {sorted(MODELS)}")
    ds = network_data(kind, seed)
    net = MLP(ds.d, MODELS[model][kind], out=ds.num_classes if kind == "multiclass" else None, activation="relu2")
    make, name = optimizer_factory(optimizer, lr, **options)
    head_call = None
    if head is not None:
        make_head, head_name = optimizer_factory(head, head_lr, **(head_options or {}))
        body = make
        make = lambda params: Composite([body(params[:-1]), make_head(params[-1:])])  # noqa: E731
        head_call = head_name + "(" + ", ".join(f"{k}={v}" for k, v in {"lr": head_lr, **(head_options or {})}.items()
                                                if v is not None) + ")"
    probe = build(make, [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in net.shapes], name,
                  f"the weight matrices of {net!r}")
    name = readable_name(name, probe)
    degree = homogeneity(probe)
    if degree is None:
        degree = measured_homogeneity(make, net.shapes, seed=seed)
    clock, log_loss = "the caller's scheduler", None
    if scheduler is None:
        if degree is None:
            raise OptimizerError(f"{name}'s steps are neither linear in the gradient nor scale-free on a first step: "
                                 "pass scheduler= for it")
        if degree == 1:
            linear = make
            make = lambda params: UnitSteps(linear(params))  # noqa: E731
        scheduler = lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: (t + 1) ** -0.5)  # noqa: E731
        clock = "η/√(t+1)" + (", each step rescaled to that length (UnitSteps)" if degree == 1 else "") + " on ∇log L"
        log_loss = True
    steps = steps or STEPS
    loss = "cross_entropy" if kind == "multiclass" else "exponential"
    y = ds.y if kind == "multiclass" else ds.y.astype(float)
    init = [p.detach() for p in net.init(1, torch.Generator().manual_seed(seed))]
    traj = run(net, ds.X, y, loss, make, steps=steps, natural=True, record_every=max(1, steps // 8),
               record_params=True, seed=seed, init=init, scheduler=scheduler, log_loss=log_loss)
    label = name + (f" + {head_call} on the head" if head_call else "")
    bracketed = residuals(label, net, traj, ds.X, ds.y)
    judged = {g: judge_kkt(bracketed, g, name=f"{label} → {g} KKT point") for g in GEOMETRIES}
    return NetworkFingerprint(name, {"lr": lr, **options}, head_call, net, kind, bracketed, judged, degree, clock)


__all__ = ["KINDS", "MODELS", "NetworkFingerprint", "STEPS", "network_data", "network_fingerprint"]
