"""The main job: ``python -m verify [--seed N]``.

Today it solves and prints the exact references every claim will be measured against — certified
max margins under each norm (binary and multiclass), the paper's reference check on the five-point data set
of Cai et al. 2024, and minimum-norm interpolants — with their certificates, seed, versions and device.
"""

from __future__ import annotations

import argparse
import json

from numerics import data
from numerics.interpolation import min_norm_interpolant
from numerics.margins import max_margin
from numerics.provenance import describe_device, versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data sets (default 0)")
    args = parser.parse_args(argv)

    print(f"seed {args.seed} · device {describe_device()} · {json.dumps(versions())}\n")
    binary = data.gaussian_binary(200, 20, margin=0.1, seed=args.seed)
    multiclass = data.gaussian_mixture(5, 10, 20, noise=0.3, seed=args.seed)
    rows = [(binary, norm) for norm in ("l1", "l2", "lp:3", "linf")]
    rows += [(multiclass, norm) for norm in ("nuclear", "fro", "spectral", "entry_linf", "entry_l1")]
    rows += [(data.cai2024_five_points(), "l2")]
    print(f"{'data':48s} {'norm':11s} {'γ* (margin)':>13s} {'dual bound':>13s} {'rel gap':>8s} "
          f"{'support':>7s} {'solver':>9s} {'s':>6s}")
    for ds, norm in rows:
        s = max_margin(ds, norm=norm).summary()
        print(f"{ds.description[:48]:48s} {norm:11s} {s['margin']:13.8f} {s['dual_bound']:13.8f} "
              f"{s['rel_gap']:8.1e} {s['support_size']:7d} {s['solver']:>9s} {s['seconds']:6.2f}")

    sparse = data.sparse_regression(40, 100, 5, seed=args.seed)
    print(f"\nmin-norm interpolants of {sparse.description} (n = 40, d = 100):")
    for norm in ("l1", "l2"):
        sol = min_norm_interpolant(sparse, norm=norm)
        error = abs(sol.w - sparse.teacher).max()
        print(f"  {norm}: ‖w‖ = {sol.value:.8f}, rel gap {sol.certificate.rel_gap:.1e}, "
              f"max |w − w*| = {error:.2e}, solver {sol.solver}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
