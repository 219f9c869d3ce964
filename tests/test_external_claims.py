"""A researcher's own claims file, outside the repository, runs with the suite's machinery: the README's example,
run from a temporary directory by `python -m verify --claims`, reaches its verdict, kills its mutant and joins the
report with its paper in the bibliography."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def example() -> str:
    """The README's claims file: the python block that starts with `# my_claims.py`."""
    blocks = re.findall(r"```python\n(# my_claims\.py\n.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "the README shows one claims file"
    return blocks[0]


def test_a_claims_file_outside_the_repository_runs_and_joins_the_report(tmp_path):
    (tmp_path / "my_claims.py").write_text(example(), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "verify", "--claims", "my_claims.py", "--out", "out", "--workers",
                           "0", "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads((tmp_path / "out" / "evidence.json").read_text(encoding="utf-8"))
    claims = {c["id"]: c for c in doc["claims"]}
    assert claims["doe.ngd_l2"]["outcome"] == "PASS" and claims["doe.ngd_l2"]["papers"] == ["doe2026", "gunasekar2018"]
    assert [(m["mutant"], m["kind"], m["killed"]) for m in doc["mutants"]] == [
        ("sign descent posing as NGD", "optimizer", True)]
    tex = (tmp_path / "out" / "checklist.tex").read_text(encoding="utf-8")
    assert r"doe.\allowbreak{}ngd" in tex and "Jane Doe. Normalized GD on sparse teachers" in tex


def test_papers_and_list_show_the_files_claims_and_an_unknown_file_is_one_line(tmp_path):
    (tmp_path / "my_claims.py").write_text(example(), encoding="utf-8")
    listed = subprocess.run([sys.executable, "-m", "verify", "papers", "--claims", "my_claims.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and re.search(r"doe2026 +Doe +2026 +2612\.00001v1 +1", listed.stdout), listed
    listed = subprocess.run([sys.executable, "-m", "verify", "--list", "--claims", "my_claims.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and re.search(r"doe\.ngd_l2 +doe2026,gunasekar2018", listed.stdout), listed
    missing = subprocess.run([sys.executable, "-m", "verify", "--claims", "nowhere.py"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "no claims file" in missing.stderr, missing.stderr
