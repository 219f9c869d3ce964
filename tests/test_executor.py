"""Executors, sweeps and `python -m verify --executor ray`: results gathered in order, failed tasks reported as
ERROR, bad input named, and the real path — two claims on a local Ray cluster — end to end."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from verify import __main__ as main_module, executor as executor_module, sweep as sweep_module
from verify.evidence import Evidence
from verify.executor import TaskFailed

ROOT = Path(__file__).resolve().parent.parent
TWO_CLAIMS = ("test_gd_changes_the_conserved_quantity_by_the_exact_discrete_term"
              " or test_initialization_scale_selects_the_interpolant")
"""Two claims of about a second each (noether.gd_discrete_factor, woodworth.initialization_scale) for the job on a
local Ray cluster: what it measures is the executor, not the claims."""


class Scripted:
    """An executor that yields scripted results in reverse order (as a cluster may finish them)."""

    name = "scripted"

    def __init__(self, results):
        self.results = results

    def map(self, function, items):
        items = list(items)
        for item in reversed(items):
            yield item, self.results(item)


def _scripted(results):
    @contextmanager
    def make(name="local", *, address=None):
        yield Scripted(results)
    return make


def test_the_local_executor_keeps_order():
    with executor_module.executor("local") as ex:
        assert list(ex.map(lambda x: x * x, [1, 2, 3])) == [(1, 1), (2, 4), (3, 9)]


@pytest.mark.parametrize("name, address, cause", [("dask", None, "unknown executor 'dask'"),
                                                  ("local", "host:6379", "an address needs the ray executor")])
def test_an_unusable_executor_is_named(name, address, cause):
    with pytest.raises(ValueError, match=cause):
        executor_module.usable(name, address)


@pytest.fixture(autouse=True)
def own_store_settings(monkeypatch):
    """`main` sets the reference store's variables for the processes it starts; give them back afterwards."""
    from numerics.references import cache

    for name in (cache.ENV_DIR, cache.ENV_OFF):
        monkeypatch.setenv(name, os.environ.get(name, ""))


def test_ray_missing_is_one_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "ray" else object())
    monkeypatch.setattr(main_module, "collect", lambda args, targets: ["verify/test_x.py::test_y"])
    assert main_module.main(["--executor", "ray", "--out", str(tmp_path), "--no-cache"]) == 2
    assert 'needs Ray, which is not installed: pip install -e ".[ray]"' in capsys.readouterr().err


def test_address_without_ray_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        main_module.main(["--address", "host:6379", "--out", str(tmp_path)])


def test_a_sweep_gives_one_row_per_point_with_its_verdict():
    """Sign descent tends to the ℓ∞ max margin on sparse data with n < d; GD does not (it tends to ℓ2)."""
    points = sweep_module.grid(optimizers={"sign": ("numerics.optim.SteepestDescent", {"norm": "linf"}),
                                           "gd": "torch.optim.SGD"},
                               norm="linf", data="gaussian_binary", data_options={"n": 20, "d": 50, "sparsity": 2},
                               seeds=[0], steps=3000, lr=1.0)
    table = sweep_module.sweep(points)
    assert [(r.point.name, r.verdict) for r in table.rows] == [("sign", "PASS"), ("gd", "FAIL")]
    assert table.rows[0].measured["final_gap"] <= table.rows[0].measured["tol"] < table.rows[1].measured["final_gap"]
    assert "sign" in table.text() and "FAIL" in table.text()


def test_a_sweep_point_whose_task_failed_is_an_error_row(monkeypatch, tmp_path):
    points = sweep_module.grid(optimizers={"gd": "torch.optim.SGD"}, norm="l2", data="gaussian_binary",
                               data_options={"n": 10, "d": 5}, seeds=[0, 1], steps=200)
    monkeypatch.setattr(sweep_module, "make_executor", _scripted(lambda item: TaskFailed("the worker died")))
    table = sweep_module.sweep(points, executor="ray")
    assert [(r.point.seed, r.verdict, r.reasons) for r in table.rows] == [(0, "ERROR", ["the worker died"]),
                                                                            (1, "ERROR", ["the worker died"])]
    saved = json.loads(table.save(tmp_path / "sweep.json").read_text())
    assert saved[1]["point"]["seed"] == 1 and saved[1]["verdict"] == "ERROR"


def test_distributed_merges_the_tasks_evidence_and_names_a_failed_task(monkeypatch, tmp_path):
    claim = {"nodeid": "verify/test_a.py::test_a", "id": "a.claim", "paper": "P", "lemmas": [], "statement": "S",
             "outcome": "PASS", "reason": "", "seconds": 1.0,
             "evidence": {**Evidence("a.claim").as_dict(), "references": {"solved": 2}}}
    doc = {**main_module_document(), "claims": [claim], "mutants": []}
    results = {"verify/test_a.py::test_a": {"code": 0, "doc": doc, "output": ""},
               "verify/test_b.py::test_b": TaskFailed("the Ray task failed: WorkerCrashedError")}
    monkeypatch.setattr(executor_module, "executor", _scripted(results.get))
    monkeypatch.setattr(executor_module, "usable", lambda name, address=None: None)
    monkeypatch.setattr(main_module, "collect", lambda args, targets: list(results))
    code = main_module.main(["--executor", "ray", "--out", str(tmp_path), "--no-cache"])
    written = json.loads((tmp_path / "evidence.json").read_text())
    assert code == 1 and written["executor"] == "ray"
    assert [(c["id"], c["outcome"]) for c in written["claims"]] == [("a.claim", "PASS"),
                                                                    ("verify/test_b.py::test_b", "ERROR")]
    assert "WorkerCrashedError" in written["claims"][1]["reason"]
    assert sorted(p.name for p in (tmp_path / "claims").iterdir()) == ["a.claim.json", "verify_test_b.py_test_b.json"]


def main_module_document() -> dict:
    from verify.plugin import empty_document

    return empty_document("default")


@pytest.mark.skipif(importlib.util.find_spec("ray") is None and not os.environ.get("CI"),
                    reason='Ray is an optional extra (pip install -e ".[ray]")')
def test_two_claims_run_as_ray_tasks_on_a_local_cluster(tmp_path):
    """The CI job of the Ray path: `python -m verify --executor ray` starts a local Ray cluster, runs the two
    claims as tasks and writes their evidence into one report."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run([sys.executable, "-m", "verify", "--executor", "ray", "--out", str(tmp_path),
                               "--cache-dir", str(tmp_path / "cache"), "--", "-k", TWO_CLAIMS],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:  # seen once with 6+ busy processes on 2 cores (67–77 s otherwise)
        pytest.skip("the local Ray cluster did not finish two one-second claims in 600 s at load "
                    f"{os.getloadavg()[0]:.1f} on this machine: the Ray path is unproven in this run")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads((tmp_path / "evidence.json").read_text())
    assert doc["executor"] == "ray"
    assert sorted((c["id"], c["outcome"]) for c in doc["claims"]) == [("noether.gd_discrete_factor", "PASS"),
                                                                      ("woodworth.initialization_scale", "PASS")]
    assert "[claim 2/2]" in done.stdout and (tmp_path / "checklist.tex").exists()
