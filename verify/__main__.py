"""The main job: run the claims checklist and write its report.

    python -m verify [--scale default|paper] [--out report/] [--workers auto] [--executor local|ray]
                     [--address HOST:PORT] [--cache-dir DIR | --no-cache] [-- extra pytest args]
    python -m verify fingerprint OPTIMIZER [--lr LR] [--kind binary|multiclass] [--steps N] [--seed S]
                                 [--out DIR] [--OPTION VALUE ...]     (see verify.fingerprint)

Runs ``pytest verify/`` (in parallel with pytest-xdist), writes ``evidence.json`` (every claim's parameters,
seed, device, versions, measured values, tolerances and verdict), ``checklist.tex`` with one figure per claim,
and ``checklist.pdf`` when pdflatex is installed. The exit status is 0 only when every claim passed or is a
strict XFAIL: a FAIL, an INCONCLUSIVE (pytest reports it as a failure) and, at the default scale, a SKIP make it
non-zero.

References persist between runs in the platform's cache directory (`numerics.cache`; `--cache-dir`,
`--no-cache`). `--executor ray` runs every selected test as a Ray task (`verify.executor`) on a local Ray
cluster, or on the cluster at `--address`, and gathers their evidence into the same report.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from numerics import cache
from verify.executor import EXECUTORS

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fingerprint"]:
        return fingerprint_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("default", "paper"), default="default",
                        help="default: minutes on a CPU; paper: the papers' sizes and step counts (GPU when present)")
    parser.add_argument("--out", type=Path, default=Path("report"), help="directory of the evidence and report")
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (auto: one per core; 0: none)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local: pytest-xdist on this machine; ray: one Ray task per test (a local Ray cluster, "
                             "or the one at --address)")
    parser.add_argument("--address", default=None, help="HOST:PORT of an existing Ray cluster (with --executor ray)")
    cached = parser.add_mutually_exclusive_group()
    cached.add_argument("--cache-dir", type=Path, default=None,
                        help="where certified references persist: entries go to DIR/references (default: "
                             f"{cache.directory() or 'off'})")
    cached.add_argument("--no-cache", action="store_true", help="solve every reference afresh and store none")
    parser.add_argument("pytest_args", nargs="*", help="further pytest arguments, after --")
    args = parser.parse_args(argv)
    if args.address and args.executor != "ray":
        parser.error("--address needs --executor ray")

    _reference_store(args)
    args.out.mkdir(parents=True, exist_ok=True)
    tex = args.out / "checklist.tex"
    common = ["--scale", args.scale, *args.pytest_args]
    if args.executor == "ray":
        code = distributed(args, common)
    else:
        code = pytest.main([str(HERE), "--evidence", str(args.out / "evidence.json"), "--report", str(tex), "-p",
                            "no:cacheprovider", *(["-n", args.workers] if args.workers != "0" else []), *common])
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


def _reference_store(args) -> None:
    """The persistent reference store for this run and every process it starts (they inherit the environment)."""
    if args.no_cache:
        os.environ[cache.ENV_OFF] = "1"
        return
    if args.cache_dir:
        os.environ.pop(cache.ENV_OFF, None)
    if cache.directory() is None:  # IBS_NO_CACHE=1 in the environment
        return
    root = args.cache_dir.expanduser().resolve() if args.cache_dir else cache.directory().parent
    os.environ[cache.ENV_DIR] = str(root)
    cache.store().sweep()


def _task_environment(args) -> dict[str, str]:
    """The reference-store settings a task runs with: this run's, except that on a remote cluster the store is
    each node's own unless --cache-dir names one (a directory every node mounts)."""
    names = (cache.ENV_OFF, cache.ENV_DIR) if (args.cache_dir or not args.address) else (cache.ENV_OFF,)
    return {name: os.environ[name] for name in names if name in os.environ}


def distributed(args, common: list[str]) -> int:
    """Every test that `pytest verify/ <args>` selects, as one executor task each; their evidence merged into
    `evidence.json` and the report. A task that failed for good becomes an ERROR naming why."""
    from verify.executor import executor, run_pytest, usable
    from verify.plugin import references_line, write_outputs

    nodeids = collect(common)
    if not nodeids:
        print("no test selected", file=sys.stderr)
        return pytest.ExitCode.NO_TESTS_COLLECTED
    start, docs, codes = time.time(), [], []
    task = functools.partial(run_pytest, pytest_args=common, root=None if args.address else str(HERE.parent),
                             env=_task_environment(args))
    try:
        usable(args.executor)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with executor(args.executor, address=args.address) as ex:
        for done, (nodeid, result) in enumerate(ex.map(task, nodeids), 1):
            doc = result.get("doc") if isinstance(result, dict) else None
            if doc is None:
                reason = getattr(result, "reason", None) or result["output"]
                doc = {"claims": [{"nodeid": nodeid, "id": nodeid, "paper": "", "lemmas": [], "statement": "",
                                   "outcome": "ERROR", "reason": reason, "seconds": 0.0}], "mutants": []}
            codes.append(result["code"] if isinstance(result, dict) else 1)
            docs.append(doc)
            for claim in doc["claims"]:
                print(f"[{done}/{len(nodeids)}] {claim['outcome']:12s} {claim['id']} ({claim['seconds']:.1f} s)")
    doc = merge(docs, scale=args.scale, seconds=time.time() - start, executor=args.executor)
    print(references_line(doc["claims"]))
    write_outputs(doc, args.out / "evidence.json", args.out / "checklist.tex")
    failed = any(c["outcome"] in ("FAIL", "INCONCLUSIVE", "ERROR") for c in doc["claims"])
    return int(failed or any(code not in (0, pytest.ExitCode.NO_TESTS_COLLECTED) for code in codes))


def collect(pytest_args: list[str]) -> list[str]:
    """The node ids `pytest verify/ <pytest_args>` selects (collected in a subprocess, as the tasks will)."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(HERE), "--collect-only", "-q", "-p",
                           "no:cacheprovider", *pytest_args], capture_output=True, text=True, cwd=HERE.parent)
    if done.returncode not in (0, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(f"collecting the tests failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return [line.strip() for line in done.stdout.splitlines() if "::" in line]


def merge(docs: list[dict], **fields) -> dict:
    """One evidence document from the tasks' documents: their claims and mutants, the provenance of the first
    that has any, every device that ran a task."""
    from verify.plugin import empty_document

    base = next((d for d in docs if "versions" in d), None) or empty_document(fields["scale"])
    devices = sorted({d["device"] for d in docs if "device" in d})
    return {**base, **fields, "device": "; ".join(devices) or base["device"],
            "claims": sorted((c for d in docs for c in d["claims"]), key=lambda c: c["id"]),
            "mutants": sorted((m for d in docs for m in d.get("mutants", [])), key=lambda m: m["mutant"])}


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
