"""A persistent, content-addressed store of certified references, shared by processes and runs.

    store = cache.store()                       # None when caching is off (IBS_NO_CACHE=1)
    entry = store.load(key)                     # (meta: dict, arrays: dict[str, ndarray]) or None
    store.save(key, meta, arrays)

An entry is one `.npz` file of plain arrays plus a JSON header — never a pickle (`allow_pickle=False`), so a
shared cache directory cannot run code. It is written to a temporary file in the same directory and renamed
into place (`os.replace` is atomic), so concurrent writers (xdist workers, Ray tasks) and a run killed mid-write
leave either the old entry, the new one, or none: never half of one. A file that does not read back is
discarded. The store holds numbers, not trust: the caller re-checks every entry's certificate from the stored
points (`numerics.references`) and solves again when it fails.

`key(...)` digests what the answer depends on: the data's bytes, what is solved (kind and arguments), the
source of the modules that formulate and certify it, and the versions of the packages that solve it. A change
to any of these is a different key, so a stale entry is never found (old ones stay until the directory is
cleared).

Location: `$IBS_CACHE_DIR` if set, else the platform's user cache directory (`platformdirs`, e.g.
`~/.cache/implicit-bias-suite/references` on Linux); `IBS_NO_CACHE=1` turns the store off. `python -m verify`
sets both from `--cache-dir` / `--no-cache`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import platformdirs

from numerics.provenance import versions

ENV_DIR, ENV_OFF = "IBS_CACHE_DIR", "IBS_NO_CACHE"
FORMULATION = ("references/margins.py", "references/separation.py", "references/constrained.py", "references/solve.py",
               "losses.py", "norms", "references/__init__.py", "references/cache.py")
"""The modules (of `numerics`) whose source defines a cached answer: formulations, certificates, norms, and the
layout and re-certification of entries."""
SOLVER_PACKAGES = ("numpy", "scipy", "cvxpy", "clarabel", "scs")


def directory() -> Path | None:
    """Where entries live, or None when caching is off (read from the environment on every call, so a test or
    a mutant can switch it per process)."""
    if os.environ.get(ENV_OFF, "") not in ("", "0"):
        return None
    root = os.environ.get(ENV_DIR) or platformdirs.user_cache_dir("implicit-bias-suite")
    return Path(root) / "references"


def store() -> Store | None:
    root = directory()
    return None if root is None else Store(root)


@cache
def formulation_digest() -> str:
    """A digest of the source of every module in `FORMULATION` (an edit there is a new formulation)."""
    here, digest = Path(__file__).parents[1], hashlib.sha256()  # numerics/
    for name in FORMULATION:
        for path in sorted((here / name).rglob("*.py")) if (here / name).is_dir() else [here / name]:
            digest.update(path.relative_to(here).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def key(kind: str, data: str, **arguments) -> str:
    """The entry's name: a digest of the kind, the data set's digest, the arguments (JSON-able), the formulation
    and the solver packages' versions."""
    solved_by = {name: versions().get(name) for name in SOLVER_PACKAGES}
    text = json.dumps({"kind": kind, "data": data, "arguments": arguments, "formulation": formulation_digest(),
                       "versions": solved_by}, sort_keys=True)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:40]}"


class Store:
    """Entries as `<root>/<key>.npz`; see the module docstring."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / f"{name}.npz"

    def load(self, name: str) -> tuple[dict, dict[str, np.ndarray]] | None:
        """(meta, arrays) of the entry, or None if there is none or it does not read back (then it is removed)."""
        path = self.path(name)
        try:
            with np.load(path, allow_pickle=False) as entry:
                arrays = {field: entry[field] for field in entry.files}
            meta = json.loads(str(arrays.pop("meta")))
        except (ValueError, KeyError, EOFError, zipfile.BadZipFile):  # not an entry this store wrote (or a pickle)
            self.discard(name)
            return None
        except OSError:  # absent, or unreadable for now (e.g. too many open files): leave it
            return None
        return meta, arrays

    def save(self, name: str, meta: dict, arrays: dict[str, np.ndarray]) -> Path:
        """Write the entry atomically (temporary file in the same directory, then `os.replace`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, meta=np.array(json.dumps(meta)), **arrays)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the entry from other users of a shared store
            os.replace(temporary, self.path(name))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return self.path(name)

    def discard(self, name: str) -> None:
        try:
            self.path(name).unlink(missing_ok=True)
        except OSError:  # a read-only shared store: the bad entry stays, and is re-checked (and refused) each time
            pass

    def sweep(self, older_than: float = 3600.0) -> int:
        """Remove temporary files a killed writer left behind (older than `older_than` seconds); their count."""
        removed = 0
        for path in self.root.glob(".*.tmp"):
            try:
                if time.time() - path.stat().st_mtime > older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
