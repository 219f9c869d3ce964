"""The main job: run the claims checklist and write its report.

    python -m verify [--scale default|paper] [--out report/] [--workers auto] [--executor local|ray]
                     [--address HOST:PORT] [--cache-dir DIR | --no-cache] [--claim ID ...] [--paper KEY ...]
                     [--resume] [--list] [-- extra pytest args]
    python -m verify fingerprint OPTIMIZER [--lr LR] [--kind binary|multiclass] [--steps N] [--seed S]
                                 [--model linear|mlp2|mlp3] [--head OPTIMIZER --head-lr LR]
                                 [--out DIR] [--OPTION VALUE ...]
                                 (see verify.fingerprint and verify.network_fingerprint)
    python -m verify reference DATA --norm NORM [--labels Y.npy] [--out W.npy]     (the certified max margin)
    python -m verify lemmas [--out report/]                          (every lemma's checks, the claims on it)
    python -m verify papers                                          (every paper: key, authors, arXiv id, claims)

Runs ``pytest verify/`` (in parallel with pytest-xdist), or the claims `--claim`/`--paper` select, printing a
line as each claim starts and ends with a count and the time left. Every finished claim's evidence goes to
``claims/`` in --out as it finishes (`verify.ledger`; `--resume` skips the current ones); ``evidence.json``
(every claim's parameters, seed, device, versions, measured values, tolerances and verdict) and
``checklist.tex`` (one figure per claim) are then built from all the claims there, and ``checklist.pdf`` when
pdflatex is installed. The exit status is 0 only when every claim passed or is a
strict XFAIL: a FAIL, an INCONCLUSIVE (pytest reports it as a failure) and, at the default scale, a SKIP make it
non-zero.

References persist between runs in the platform's cache directory (`numerics.references.cache`; `--cache-dir`,
`--no-cache`). `--executor ray` runs every selected test as a Ray task (`verify.executor`) on a local Ray
cluster, or on the cluster at `--address`, and gathers their evidence into the same report.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from numerics.references import cache
from verify import catalog, claim, ledger, legibility
from verify.claim import ClaimDeclarationError
from verify.executor import EXECUTORS

HERE = Path(__file__).parent


SUBCOMMANDS = {
    "fingerprint": ("OPTIMIZER", "which max margin (linear) or KKT geometry (network) an optimizer tends to"),
    "reference": ("DATA --norm NORM", "the certified max margin of your data in a norm (γ*, certificate, W)"),
    "lemmas": ("", "every lemma's symbolic and numeric check, and the claims resting on it"),
    "papers": ("", "every paper: key, authors, year, arXiv id + version, and the claims citing it"),
}
"""The commands beside the checklist run: name → (arguments, what it does), as `--help` lists them."""


def main(argv: list[str] | None = None) -> int:
    """`python -m verify`: a subcommand (`SUBCOMMANDS`) when the first argument names one, else the checklist
    run; the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        commands = {"fingerprint": fingerprint_main, "reference": reference_main, "lemmas": lemmas_main,
                    "papers": papers_main}
        return commands[argv[0]](argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.address and args.executor != "ray":
        parser.error("--address needs --executor ray")
    if args.claims and args.executor == "ray":
        parser.error("--claims runs with the local executor (a Ray task runs in a copy of the checkout, where a file "
                     "outside it is not): run it locally, or put the file under verify/claims/")
    if args.list:
        return list_claims(args.out, args.scale, args.claims)
    try:
        targets = selection(args)
    except (catalog.SelectionError, ClaimDeclarationError, OSError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return run_checklist(args, targets)


def _parser() -> argparse.ArgumentParser:
    """The checklist run's options; `--help` lists the subcommands after them."""
    width = max(len(f"{name} {arguments}") for name, (arguments, _) in SUBCOMMANDS.items())
    epilog = "\n".join(["subcommands (python -m verify SUBCOMMAND --help shows its options):",
                        *(f"  {f'{name} {arguments}':{width}s}  {what}" for name, (arguments, what) in
                          SUBCOMMANDS.items())])
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.splitlines()[0], epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    parser.add_argument("--list", action="store_true",
                        help="list every claim: id, paper keys, scales, and its last time in --out; run nothing")
    parser.add_argument("--claim", action="append", default=[], metavar="ID",
                        help="run this claim (repeatable; a parametrized claim's base id runs all its cases)")
    parser.add_argument("--paper", action="append", default=[], metavar="KEY",
                        help="run the claims citing this paper (repeatable; first author + year, e.g. xie2026)")
    parser.add_argument("--claims", action="append", default=[], metavar="PATH_OR_MODULE",
                        help="your own claims file (or module), written with verify.claim: its claims and mutants run "
                             "with the checklist's machinery and join the report (repeatable; alone, only they run)")
    parser.add_argument("--resume", action="store_true",
                        help="skip the claims whose evidence in --out is current (same code, scale and versions)")
    parser.add_argument("pytest_args", nargs="*", help="further pytest arguments, after --")
    return parser


def run_checklist(args, targets: list[str]) -> int:
    """Run the selected claims (`targets`; none: the whole checklist) locally or on Ray, build the report and
    compile it; the exit status (`exit_status`)."""
    _reference_store(args)
    args.out.mkdir(parents=True, exist_ok=True)
    tex = args.out / "checklist.tex"
    started = time.perf_counter()
    common = ["--scale", args.scale, *(a for path in args.claims for a in ("--claims", str(path))), *args.pytest_args]
    if args.executor == "ray":
        code = distributed(args, common, targets)
    else:
        code = pytest.main([*(targets or [str(HERE)]), *catalog.CHECKLIST_OPTIONS, "--evidence",
                            str(args.out / "evidence.json"), "--report",
                            str(tex), "-p", "no:cacheprovider", *(["-n", args.workers] if args.workers != "0" else []),
                            "--evidence-dir", str(args.out), *(["--resume"] if args.resume else []), *common])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        if args.resume:
            print("every selected claim's evidence is current: the report was rebuilt from it")
            code = pytest.ExitCode.OK
        else:
            print(f"error: no claim selected by {' '.join(args.pytest_args)!r}{_near(args.pytest_args, args.claims)}",
                  file=sys.stderr)
    evidence = args.out / "evidence.json"
    code = exit_status(int(code), json.loads(evidence.read_text(encoding="utf-8")) if evidence.exists() else None)
    if tex.exists() and not compile_report(tex):
        code = max(code, 1)
    elapsed = time.perf_counter() - started
    from verify.report import duration  # here: the report's imports (sympy, Jinja2) are not the CLI's

    print(f"checklist ({args.scale} scale): {duration(elapsed)}, report included")
    return code


def compile_report(tex: Path) -> bool:
    """The report's PDF from `tex` with pdflatex where installed (else the .tex stays, and how to compile it is
    said); False when pdflatex failed (its log is kept)."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        print(f"report: {tex} (install pdflatex to compile it)")
        return True
    for _ in range(2):  # twice: longtable widths settle on the second pass
        done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                              cwd=tex.parent, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
        print(f"report: pdflatex failed on {tex} (its log: {tex.with_suffix('.log')})", file=sys.stderr)
        return False
    for artefact in (".aux", ".log", ".out", ".toc"):
        tex.with_suffix(artefact).unlink(missing_ok=True)
    problems = legibility.check(tex)
    print(f"report: {tex.with_suffix('.pdf')} ({'reads cleanly' if not problems else 'what a reader would meet:'})")
    for problem in problems:
        print(f"  {problem}")
    return True


def selection(args) -> list[str]:
    """The node ids --claim and --paper select, as paths pytest takes (none: the whole checklist); with --claims
    alone, the claims files and the rows of the mutation table for the mutants they declare."""
    if not args.claim and not args.paper:
        return external(args.claims)
    chosen = catalog.select(catalog.collect(claims_files=args.claims), ids=args.claim, papers=args.paper)
    return [c.target for c in chosen]


def external(claims_files) -> list[str]:
    """pytest's targets for claims files: each file, and the mutation table's row of each mutant they declare."""
    if not claims_files:
        return []
    # imported here, not at the top: pytest rewrites the plugin's asserts only when it imports the plugin first
    from verify.mutants import target_id
    from verify.plugin import MUTATION_TEST, mutation_row

    targets, table = [], HERE / "test_mutants.py"
    for path in claims_files:
        targets.append(str(claim.source_file(path)))
        rows = [mutation_row(target_id(c, m), m.name) for c in claim.declared_in(path) for m in c.mutants]
        targets += [f"{table}::{MUTATION_TEST}[{row.encode('unicode_escape').decode('ascii')}]" for row in rows]
    return targets


def list_claims(out: Path, scale: str, claims_files=()) -> int:
    """`--list`: a header, one row per claim case (the checklist's and those of `claims_files`) with the time of
    its last run at `scale` in `out` where there is one, and a footer saying what was counted and where the times
    come from."""
    claims = catalog.collect(claims_files=claims_files)
    recorded = ledger.read(out, "claims", scale)
    papers = {c.id: ",".join(c.papers) or "—" for c in claims}
    width, paper_width = max(len(c.id) for c in claims), max(map(len, papers.values()))
    print(f"{'claim':{width}s}  {'papers':{paper_width}s}  {'scales':14s}  last time")
    for entry in claims:
        scales, last = "default, paper" if entry.scaled else "same at both", _last_time(recorded.get(entry.id))
        print(f"{entry.id:{width}s}  {papers[entry.id]:{paper_width}s}  {scales:14s}  {last}")
    print(_list_footer(claims, recorded, out, scale))
    return 0


def _last_time(last: dict | None) -> str:
    """A claim case's last time as `--list` shows it: seconds, marked stale when its code changed since."""
    if last is None:
        return "—"
    return f"{last['seconds']:.1f} s" + ("" if last["current"] else " (stale)")


def _list_footer(claims, recorded: dict, out: Path, scale: str) -> str:
    """What `--list` counted and where its last times come from."""
    counted = f"{len(claims)} claim cases of {len({c.id.split('[')[0] for c in claims})} claims"
    if not recorded:
        return f"{counted}; no {scale}-scale run in {out}/ yet, so no last times"
    return f"{counted}; last times from the {scale}-scale run in {out}/ ('stale': its code changed since)"


def _near(pytest_args: list[str], claims_files=()) -> str:
    """Claim ids near a `-k` expression that selected nothing, as a parenthesis ("" when none is near)."""
    if "-k" not in pytest_args or pytest_args.index("-k") + 1 >= len(pytest_args):
        return ""
    expression = pytest_args[pytest_args.index("-k") + 1]
    close = catalog.near(expression, catalog.ids_and_base_ids(catalog.collect(claims_files=claims_files)))
    return f" (near matches: {', '.join(close)})" if close else ""


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


def distributed(args, common: list[str], targets: list[str]) -> int:
    """Every test that `pytest <targets or verify/> <args>` selects (less the current ones with --resume), as one
    executor task each; each finished task's claims go to the ledger in --out, and `evidence.json` and the report
    are built from all there; the run's summary (`verify.plugin.summary`) is printed as the local run prints it.
    A task that failed for good becomes an ERROR naming why."""
    from verify.executor import executor, run_pytest, usable
    from verify.plugin import Progress, mutation_entries, summary, write_outputs

    nodeids = collect(common, targets)
    if args.resume:
        done = ledger.current(args.out, "claims", args.scale)
        current = {c["nodeid"] for c in ledger.read(args.out, "claims", args.scale).values() if c["id"] in done}
        nodeids = [n for n in nodeids if n not in current]
    if not nodeids and not args.resume:
        print("no test selected", file=sys.stderr)
        return pytest.ExitCode.NO_TESTS_COLLECTED
    start, docs, codes, progress = time.time(), [], [], Progress(HERE.parent, {}, 1)
    progress.select(nodeids)
    task = functools.partial(run_pytest, pytest_args=common, root=None if args.address else str(HERE.parent),
                             env=_task_environment(args))
    try:
        usable(args.executor)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with executor(args.executor, address=args.address) if nodeids else contextlib.nullcontext() as ex:
        for nodeid, result in ex.map(task, nodeids) if nodeids else []:
            docs.append(_task_document(nodeid, result))
            codes.append(result["code"] if isinstance(result, dict) else 1)
            _record(args, docs[-1], progress.finish(nodeid))
    doc = merge(docs, scale=args.scale, seconds=time.time() - start, executor=args.executor)
    print("\n".join(summary(doc)))  # this run's, as the local run's terminal summary
    doc["claims"] = sorted(ledger.read(args.out, "claims", args.scale).values(), key=lambda c: c["id"])
    doc["mutants"] = sorted(mutation_entries(args.out, args.scale), key=lambda m: m["mutant"])
    write_outputs(doc, args.out / "evidence.json", args.out / "checklist.tex")
    failed = any(c["outcome"] in ("FAIL", "INCONCLUSIVE", "ERROR") for c in doc["claims"])
    return int(failed or any(code not in (0, pytest.ExitCode.NO_TESTS_COLLECTED) for code in codes))


def _task_document(nodeid: str, result) -> dict:
    """A finished task's evidence document; for a task that failed for good, one ERROR claim naming why."""
    doc = result.get("doc") if isinstance(result, dict) else None
    if doc is not None:
        return doc
    reason = getattr(result, "reason", None) or result["output"]
    return {"claims": [{"nodeid": nodeid, "id": nodeid, "paper": "", "lemmas": [], "statement": "",
                        "outcome": "ERROR", "reason": reason, "seconds": 0.0}], "mutants": []}


def _record(args, doc: dict, count: str) -> None:
    """A finished task's claims and mutants into the ledger in --out, each printed as the local run prints it,
    the last with the task's `count` (`verify.plugin.Progress.finish`)."""
    from verify.plugin import claim_line, mutant_line, mutation_row

    lines = []
    for entry in doc["claims"]:
        ledger.write(args.out, "claims", entry["id"], entry, args.scale)
        lines.append(claim_line(entry))
    for mutant in doc.get("mutants", []):
        ledger.write(args.out, "mutants", mutation_row(mutant["claim"], mutant["mutant"]), mutant, args.scale)
        lines.append(mutant_line(mutant))
    for number, line in enumerate(lines, 1):
        print(line + (count if number == len(lines) else ""))


def collect(pytest_args: list[str], targets: list[str] = ()) -> list[str]:
    """The node ids `pytest <targets or verify/> <pytest_args>` selects (collected in a subprocess, as the tasks
    will)."""
    done = subprocess.run([sys.executable, "-m", "pytest", *(targets or [str(HERE)]), "--collect-only", "-q", "-p",
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
    command does not know (`--weight_decay 0`) go to the optimizer, their values read as Python literals (`inf` and
    `nan` as floats). `--model mlp2|mlp3` fingerprints a network (`verify.network_fingerprint`), with `--head` an
    optimizer for its last layer. Bad input — an lr that is not a finite number > 0, steps ≤ 0, a non-finite
    option, an optimizer that does not resolve or rejects its parameters — is refused before any training.

    The files are named by the whole configuration — optimizer (and head), model, kind, lr and options, steps,
    seed: `SGD-binary-lr=0.1-momentum=0.9-steps=100000-seed=0.png` and `.json` in the directory --out (default
    `fingerprint/`), or at the stem --out names when it ends in .png or .json. An earlier run's files are never
    overwritten: where either name exists the pair gets the first free suffix -2, -3, … and the command says so.
    Exit 0 when a geometry is named, 1 when none or undecided, 2 on bad input (one line naming the cause)."""
    import torch

    from numerics.errors import OptimizerError
    from verify.fingerprint import KINDS, SCHEDULES, STEPS, check_input, fingerprint
    from verify.network_fingerprint import MODELS, STEPS as NETWORK_STEPS, network_fingerprint

    parser = argparse.ArgumentParser(prog="python -m verify fingerprint", allow_abbrev=False,  # --norm is the
                                     # optimizer's (SteepestDescent's), not an abbreviation of --norms
                                     description="which panel norm's max margin (linear) or which geometry's KKT "
                                                 "points (network) an optimizer tends to")
    parser.add_argument("optimizer", help="dotted path to a torch.optim.Optimizer class, e.g. torch.optim.Muon")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (η of η/√(t+1) for scale-free steps)")
    parser.add_argument("--kind", choices=KINDS, default="binary",
                        help="linear: binary w ∈ R^50, multiclass W ∈ R^{10×10}; network: 12 points in R^10, or a "
                             "3-class mixture in R^10 (hidden width 16)")
    parser.add_argument("--model", choices=("linear", *MODELS), default="linear",
                        help="linear (default), or a bias-free ReLU² network with two or three weight matrices")
    parser.add_argument("--head", default=None, help="network only: another optimizer class for the last layer "
                                                      "(e.g. torch.optim.AdamW beside torch.optim.Muon)")
    parser.add_argument("--head-lr", type=float, default=None, help="the --head optimizer's learning rate; its other "
                                                                     "options as --head.NAME VALUE")
    parser.add_argument("--steps", type=int, default=None, help="budget (default: the fingerprint's STEPS)")
    parser.add_argument("--schedule", choices=("inverse_sqrt", "constant"), default=None,
                        help="for an optimizer whose first step is neither linear in the gradient nor scale-free: "
                             "inverse_sqrt (η/√(t+1), rate log t/√t) or constant (η, rate 1/log t)")
    parser.add_argument("--norms", default=None,
                        help="comma-separated norms replacing the panel, e.g. nuclear,fro,spectral,schatten:3")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("fingerprint"),
                        help="directory of the figure and JSON (named by the configuration), or their path ending in "
                             ".png or .json; existing files are kept: a new pair gets the suffix -2, -3, …")
    args, rest = parser.parse_known_args(argv)
    try:
        options = _options(rest)
        head_options = {k[len("head."):]: options.pop(k) for k in [k for k in options if k.startswith("head.")]}
        check_input(lr=args.lr, steps=args.steps, options=options)
        check_input(lr=args.head_lr, options=head_options, lr_name="head_lr")
        if args.model == "linear":
            if args.head or head_options:
                raise ValueError("--head names an optimizer for a network's last layer: use it with --model mlp2 or "
                                 "mlp3")
            options.update(SCHEDULES.get(args.schedule, {}))
            if args.norms:
                options["norms"] = tuple(args.norms.split(","))
            fp = fingerprint(args.optimizer, args.kind, steps=args.steps, lr=args.lr, seed=args.seed, **options)
        else:
            if args.norms:
                raise ValueError("--norms replaces the linear panel; a network is judged against every geometry of "
                                 "numerics.norms.parameters.GEOMETRIES")
            scheduler = SCHEDULES.get(args.schedule, {}).get("scheduler") or (  # constant: a scheduler of factor 1
                (lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0)) if args.schedule else None)
            fp = network_fingerprint(args.optimizer, args.model, args.kind, steps=args.steps, lr=args.lr,
                                     seed=args.seed, head=args.head, head_lr=args.head_lr, head_options=head_options,
                                     scheduler=scheduler, **options)
    except (OptimizerError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(fp.table())
    steps = args.steps or (STEPS[args.kind] if args.model == "linear" else NETWORK_STEPS)
    called = {"lr": args.lr, **{k: v for k, v in options.items() if k != "norms"}, "head_lr": args.head_lr,
              **{f"head.{k}": v for k, v in head_options.items()}, "steps": steps, "seed": args.seed}
    name = "-".join([args.optimizer.rsplit(".", 1)[-1], *([args.head.rsplit(".", 1)[-1]] if args.head else []),
                     *([] if args.model == "linear" else [args.model]), args.kind,
                     *(f"{k}={v}" for k, v in called.items() if v is not None and not callable(v))])
    if args.out.suffix in (".png", ".json"):
        stem = args.out.parent / args.out.stem  # not with_suffix: "lr=0.1" would lose its ".1"
    else:
        stem = args.out / re.sub(r"[^\w.=+-]", "", name)
    stem.parent.mkdir(parents=True, exist_ok=True)
    free, n = stem, 1
    while any(Path(f"{free}{suffix}").exists() for suffix in (".png", ".json")):
        n += 1
        free = stem.with_name(f"{stem.name}-{n}")
    if free != stem:
        print(f"kept the earlier {stem}.png/.json: this run's files are named {free.name}")
    print(f"figure: {fp.figure(f'{free}.png')}\njson: {fp.save(f'{free}.json')}")
    return 0 if fp.geometry else 1


def lemmas_main(argv: list[str]) -> int:
    """`python -m verify lemmas`: every lemma with its symbolic and numeric check and the number of claim cases
    resting on it, counted from the registry, with their outcomes in the last run in --out where there is one (the
    report's lemma chapter as a table). Exit 1 when a lemma's check failed or errored."""
    from verify import blueprint

    parser = argparse.ArgumentParser(prog="python -m verify lemmas", description=SUBCOMMANDS["lemmas"][1])
    parser.add_argument("--out", type=Path, default=Path("report"),
                        help="the run whose outcomes to show beside the claims (they are counted either way)")
    parser.add_argument("--scale", choices=("default", "paper"), default="default")
    args = parser.parse_args(argv)
    recorded = ledger.read(args.out, "claims", args.scale)
    claims = [{"id": c.id, "lemmas": list(c.lemmas), "outcome": recorded.get(c.id, {}).get("outcome", "not run")}
              for c in catalog.collect()]
    rows = blueprint.rows(claims)
    print(blueprint.table(rows))
    where = (f"their outcomes in the {args.scale}-scale run in {args.out}/" if recorded else
             f"no {args.scale}-scale run in {args.out}/ yet, so no outcomes")
    print(f"claims: the claim cases citing each lemma (python -m verify --list shows them); {where}")
    return int(any(r["status"] not in ("passed", "undecided") for r in rows))


def papers_main(argv: list[str]) -> int:
    """`python -m verify papers`: every paper of the registry (`verify.papers`) — key, authors, year, the arXiv id
    with the version the claims check — and how many claims cite it."""
    from verify import papers

    parser = argparse.ArgumentParser(prog="python -m verify papers", description=SUBCOMMANDS["papers"][1])
    parser.add_argument("--claims", action="append", default=[], metavar="PATH_OR_MODULE",
                        help="count the claims (and papers) of your claims file too")
    args = parser.parse_args(argv)
    print(papers.table(claim.load(args.claims)))
    return 0


def reference_main(argv: list[str]) -> int:
    """`python -m verify reference DATA --norm NORM`: the certified max margin alone — γ*, its certificate, the
    support — and W written as .npy. Exit 0, or 2 on bad input or data that are not separable (one line naming
    the cause)."""
    import numpy as np

    from numerics import data
    from numerics.errors import InvalidDataError, NotSeparableError, SolverError
    from numerics.references.margins import max_margin

    parser = argparse.ArgumentParser(prog="python -m verify reference", description=SUBCOMMANDS["reference"][1])
    parser.add_argument("data", type=Path,
                        help=".npz with X and y; .npy of X (with --labels); .csv with the label last")
    parser.add_argument("--labels", type=Path, default=None, help=".npy of the labels, with an .npy of X")
    parser.add_argument("--norm", required=True,
                        help="l1, l2, linf, lp:<p> (binary ±1 labels); fro, spectral, nuclear, schatten:<p>, entry_l1, "
                             "… (multiclass labels 0..k−1)")
    parser.add_argument("--out", type=Path, default=None, help="where W goes (default: DATA's name + _<norm>_W.npy)")
    args = parser.parse_args(argv)
    out = args.out or args.data.with_name(f"{args.data.stem}_{args.norm.replace(':', '')}_W.npy")
    try:
        norm = _norm_named(args.norm)
        solution = max_margin(data.load(args.data, args.labels), norm=args.norm)
        np.save(out, solution.W)
    except (InvalidDataError, NotSeparableError, SolverError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(_reference_lines(solution, args.data, out, norm.strongly_convex))
    return 0


def _norm_named(name: str):
    """The norm `name` names (`numerics.norms.get`); an unknown name or a bad parameter (``lp:abc``) is a
    ValueError whose message names it."""
    from numerics import norms

    try:
        return norms.get(name)
    except KeyError as error:
        raise ValueError(error.args[0]) from None
    except ValueError as error:
        raise ValueError(f"norm {name!r}: {error}") from None


def _reference_lines(solution, data: Path, out: Path, unique: bool) -> str:
    """What `python -m verify reference` prints of a certified max margin: γ*, its certificate, the support (rows
    of X counted from 0) and where W went."""
    c = solution.certificate
    faces = "" if unique else (
        "; one maximiser of a ball with faces: compare directions with numerics.references.margins.OptimalFace")
    return "\n".join([
        f"max margin γ* = {solution.margin:.10g} in {solution.norm} ({solution.task}, {solution.solver}, "
        f"{solution.seconds:.2f} s)",
        f"certificate: {c.lower:.10g} ≤ γ* ≤ {c.upper:.10g} (relative gap {c.rel_gap:.2e}, accepted ≤ {c.rtol:g}; "
        "both recomputed from the returned points)",
        f"support: {solution.support.size} points (0-based rows of X in {data.name}): "
        f"{' '.join(map(str, solution.support.tolist()))}",
        f"W ({' × '.join(map(str, solution.W.shape))}, unit {solution.norm} norm): {out}{faces}"])


def _options(rest: list[str]) -> dict:
    """`--name value` pairs → {name: literal value}: a Python literal, where `inf`, `infinity` and `nan` (any case,
    signed, also inside a tuple or list) are floats — so that a finiteness check names them; a value that is no
    literal stays a string."""
    if len(rest) % 2 or not all(key.startswith("--") for key in rest[::2]):
        raise ValueError(f"optimizer options must come as --name value pairs; got {' '.join(rest)}")
    options = {}
    for key, value in zip(rest[::2], rest[1::2]):
        try:
            options[key[2:].replace("-", "_")] = _literal(value)
        except (ValueError, SyntaxError, TypeError):
            options[key[2:].replace("-", "_")] = value
    return options


def _literal(text: str):
    """`ast.literal_eval` of `text` with the names inf, infinity and nan (any case) read as floats."""

    class Floats(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id.lower() in ("inf", "infinity", "nan"):
                return ast.copy_location(ast.Constant(float(node.id)), node)
            return node

    return ast.literal_eval(Floats().visit(ast.parse(text.strip(), mode="eval")))


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
