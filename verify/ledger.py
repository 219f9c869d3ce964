"""Every finished claim's evidence on disk, one file per claim (and per mutant of the mutation table), written
atomically as it finishes: an interrupted run loses no finished claim, `--resume` skips the claims whose
evidence is current, and a run of some claims updates the report of all.

    DIR/claims/<claim id>.json      {"key": …, "scale": …, "entry": {the evidence document's entry}}
    DIR/mutants/<mutant>.json       the same for a row of the mutation table

An entry is current when its key matches: a hash of the code (every ``.py`` file of `numerics`, `theory` and
`verify`), the scale, the name and the versions of the packages that compute (the same `versions()` the
evidence carries). Any code change makes every entry stale: conservative, never wrong.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("numerics", "theory", "verify")


@functools.cache
def code_hash() -> str:
    """sha256 of the source of `numerics`, `theory` and `verify` (paths and contents, in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key(name: str, scale: str) -> str:
    """What an entry must have been computed with to be current."""
    from numerics.provenance import versions

    text = json.dumps([code_hash(), scale, name, versions()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


KINDS = ("claims", "mutants")


def path(directory: Path, kind: str, name: str) -> Path:
    return Path(directory) / kind / (re.sub(r"[^\w.\-\[\]]+", "_", name) + ".json")


def write(directory: Path, kind: str, name: str, entry: dict, scale: str) -> Path:
    """`entry` with its key at `path` (a temporary file renamed over it: never half written)."""
    target = path(directory, kind, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"key": key(name, scale), "scale": scale, "name": name, "entry": entry}, allow_nan=True,
                      ensure_ascii=False)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(temporary, 0o644)  # mkstemp's 0600 is for the temporary, not the evidence
    os.replace(temporary, target)
    return target


def read(directory: Path, kind: str, scale: str) -> dict[str, dict]:
    """Every entry of `kind` on disk for `scale`, by name, each marked ``current`` (its key matches this code)."""
    entries = {}
    for file in sorted((Path(directory) / kind).glob("*.json")):
        try:
            stored = json.loads(file.read_text(encoding="utf-8"))
            if stored["scale"] == scale:
                entries[stored["name"]] = {**stored["entry"], "current": stored["key"] == key(stored["name"], scale)}
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable or foreign: that claim runs again
    return entries


def current(directory: Path, kind: str, scale: str) -> set[str]:
    """The names whose entry on disk is current and reached a verdict (an ERROR runs again)."""
    return {name for name, entry in read(directory, kind, scale).items()
            if entry["current"] and entry.get("outcome") != "ERROR"}
