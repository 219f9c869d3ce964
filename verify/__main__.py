"""The main job: run the claims checklist and write its report.

    python -m verify [--scale default|paper] [--out report/] [--workers auto] [-- extra pytest args]
    python -m verify fingerprint OPTIMIZER [--lr LR] [--kind binary|multiclass] [--steps N] [--seed S]
                                 [--out DIR] [--OPTION VALUE ...]     (see verify.fingerprint)

Runs ``pytest verify/`` (in parallel with pytest-xdist), writes ``evidence.json`` (every claim's parameters,
seed, device, versions, measured values, tolerances and verdict), ``checklist.tex`` with one figure per claim,
and ``checklist.pdf`` when pdflatex is installed. The exit status is 0 only when every claim passed or is a
strict XFAIL: a FAIL, an INCONCLUSIVE (pytest reports it as a failure) and, at the default scale, a SKIP make it
non-zero.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fingerprint"]:
        return fingerprint_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("default", "paper"), default="default",
                        help="default: minutes on a CPU; paper: the papers' sizes and step counts (GPU when present)")
    parser.add_argument("--out", type=Path, default=Path("report"), help="directory of the evidence and report")
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (auto: one per core; 0: none)")
    parser.add_argument("pytest_args", nargs="*", help="further pytest arguments, after --")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    tex = args.out / "checklist.tex"
    here = Path(__file__).parent
    code = pytest.main([str(here), "--scale", args.scale, "--evidence", str(args.out / "evidence.json"),
                        "--report", str(tex), "-p", "no:cacheprovider",
                        *(["-n", args.workers] if args.workers != "0" else []),
                        *args.pytest_args])
    evidence = args.out / "evidence.json"
    code = exit_status(int(code), json.loads(evidence.read_text()) if evidence.exists() else None)
    if tex.exists():
        pdflatex = shutil.which("pdflatex")
        if pdflatex is None:
            print(f"report: {tex} (install pdflatex to compile it)")
        else:
            for _ in range(2):  # twice: longtable widths settle on the second pass
                done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                                      cwd=args.out, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stdout[-3000:], file=sys.stderr)
                print(f"report: pdflatex failed on {tex}", file=sys.stderr)
                return max(code, 1)
            print(f"report: {args.out / 'checklist.pdf'}")
    return code


def fingerprint_main(argv: list[str]) -> int:
    """`python -m verify fingerprint`: the table on the terminal, the figure and the JSON in --out. Options the
    command does not know (`--weight_decay 0`) go to the optimizer, their values read as Python literals.
    Exit 0 when a panel norm is named, 1 when none or undecided, 2 on bad input (one line naming the cause)."""
    from numerics.errors import OptimizerError
    from verify.fingerprint import KINDS, SCHEDULES, fingerprint

    parser = argparse.ArgumentParser(prog="python -m verify fingerprint",
                                     description="which panel norm's max margin an optimizer tends to")
    parser.add_argument("optimizer", help="dotted path to a torch.optim.Optimizer class, e.g. torch.optim.Muon")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (η of η/√(t+1) for scale-free steps)")
    parser.add_argument("--kind", choices=KINDS, default="binary", help="binary: w ∈ R^50; multiclass: W ∈ R^{10×10}")
    parser.add_argument("--steps", type=int, default=None, help="budget (default: verify.fingerprint.STEPS)")
    parser.add_argument("--schedule", choices=("inverse_sqrt", "constant"), default=None,
                        help="for an optimizer whose first step is neither linear in the gradient nor scale-free: "
                             "inverse_sqrt (η/√(t+1), rate log t/√t) or constant (η, rate 1/log t)")
    parser.add_argument("--norms", default=None,
                        help="comma-separated norms replacing the panel, e.g. nuclear,fro,spectral,schatten:3")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("fingerprint"), help="directory of the figure and JSON")
    args, rest = parser.parse_known_args(argv)
    try:
        options = {**_options(rest), **SCHEDULES.get(args.schedule, {})}
        if args.norms:
            options["norms"] = tuple(args.norms.split(","))
        fp = fingerprint(args.optimizer, args.kind, steps=args.steps, lr=args.lr, seed=args.seed, **options)
    except (OptimizerError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(fp.table())
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{args.optimizer.rsplit('.', 1)[-1]}-{args.kind}"
    print(f"figure: {fp.figure(stem.with_suffix('.png'))}\njson: {fp.save(stem.with_suffix('.json'))}")
    return 0 if fp.geometry else 1


def _options(rest: list[str]) -> dict:
    """`--name value` pairs → {name: literal value} (a value that is no Python literal stays a string)."""
    if len(rest) % 2 or not all(key.startswith("--") for key in rest[::2]):
        raise ValueError(f"optimizer options must come as --name value pairs; got {' '.join(rest)}")
    options = {}
    for key, value in zip(rest[::2], rest[1::2]):
        try:
            options[key[2:].replace("-", "_")] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key[2:].replace("-", "_")] = value
    return options


def exit_status(code: int, doc: dict | None) -> int:
    """pytest's status, made non-zero when a claim was skipped at the default scale (every claim must reach a
    verdict there; FAIL and INCONCLUSIVE already fail pytest)."""
    if code != 0 or doc is None or doc["scale"] != "default":
        return code
    skipped = [c["id"] for c in doc["claims"] if c["outcome"] == "SKIP"]
    if skipped:
        print(f"claims skipped at the default scale (each must reach a verdict): {', '.join(skipped)}",
              file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
