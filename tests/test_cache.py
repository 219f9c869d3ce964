"""The persistent reference store: round trips, re-certification on load, corrupt and tampered entries, atomic
writes, keys, and switching it off."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from numerics import data, references as references_module
from numerics.references import cache
from numerics.references import ACCOUNT, references


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    references_module.forget()
    yield tmp_path / "references"
    references_module.forget()


def _fresh(ds):
    """The references of `ds` as a new process sees them: nothing in memory, the store on disk."""
    references_module.forget()
    return references(ds)


def _entries(root, kind):
    return sorted(root.glob(f"{kind}-*.npz"))


BINARY = data.gaussian_binary(30, 8, margin=0.1, sparsity=2, seed=3)
MULTICLASS = data.gaussian_multiclass(24, 5, 3, margin=0.1, seed=1)


@pytest.mark.parametrize("ds, norm", [(BINARY, "l1"), (BINARY, "l2"), (MULTICLASS, "nuclear")])
def test_a_stored_max_margin_loads_with_the_same_certified_answer(store_dir, ds, norm):
    solved = references(ds).max_margin(norm)
    before = ACCOUNT.copy()
    loaded = _fresh(ds).max_margin(norm)
    assert ACCOUNT["loaded"] - before["loaded"] == 1 and ACCOUNT["solved"] == before["solved"]
    assert loaded.attempts[0].status == "loaded from the cache" and loaded.certificate.ok
    np.testing.assert_allclose(loaded.W, solved.W, rtol=0, atol=1e-15)
    assert loaded.margin == pytest.approx(solved.margin, rel=1e-12)
    assert loaded.certificate.upper == pytest.approx(solved.certificate.upper, rel=1e-9)
    np.testing.assert_array_equal(loaded.support, solved.support)


def test_a_stored_separation_and_constrained_minimum_load_recertified(store_dir):
    refs = references(BINARY)
    solved, minimum = refs.separation("l2", "linf"), refs.constrained("l2", 2.0)
    before = ACCOUNT.copy()
    again = _fresh(BINARY)
    loaded, loaded_minimum = again.separation("l2", "linf"), again.constrained("l2", 2.0)
    assert ACCOUNT["solved"] == before["solved"] and ACCOUNT["loaded"] - before["loaded"] == 4  # 2 margins too
    assert loaded.value == pytest.approx(solved.value, rel=1e-9, abs=1e-12)
    assert loaded.certificate.upper == pytest.approx(solved.certificate.upper, rel=1e-9)
    assert loaded_minimum.value == pytest.approx(minimum.value, rel=1e-12) and loaded_minimum.certificate.ok


def test_a_corrupt_entry_is_solved_again_and_replaced(store_dir):
    references(BINARY).max_margin("l2")
    (entry,) = _entries(store_dir, "max_margin")
    entry.write_bytes(b"not a zip file")
    before = ACCOUNT.copy()
    _fresh(BINARY).max_margin("l2")
    assert ACCOUNT["solved"] - before["solved"] == 1
    assert cache.Store(store_dir).load(entry.stem) is not None  # rewritten whole


@pytest.mark.parametrize("tamper", ["W", "duals"])
def test_an_entry_that_does_not_recertify_is_rejected(store_dir, tamper):
    """A well-formed entry with a wrong point (a random direction) or wrong multipliers (uniform over every
    point) does not close the bracket: it is rejected and the reference solved again, never trusted."""
    truth = references(BINARY).max_margin("l1")
    (entry,) = _entries(store_dir, "max_margin")
    meta, arrays = cache.Store(store_dir).load(entry.stem)
    rng = np.random.default_rng(0)
    arrays[tamper] = rng.standard_normal(arrays["W"].shape) if tamper == "W" else np.full_like(arrays["duals"], 1.0)
    cache.Store(store_dir).save(entry.stem, meta, arrays)
    before = ACCOUNT.copy()
    again = _fresh(BINARY).max_margin("l1")
    assert ACCOUNT["rejected"] - before["rejected"] == 1 and ACCOUNT["solved"] - before["solved"] == 1
    assert again.margin == pytest.approx(truth.margin, rel=1e-6)


def test_a_tampered_separation_is_rejected(store_dir):
    references(BINARY).separation("l2", "linf")
    (entry,) = _entries(store_dir, "separation")
    meta, arrays = cache.Store(store_dir).load(entry.stem)
    arrays["lam"] = np.full_like(arrays["lam"], 1.0 / arrays["lam"].size)
    cache.Store(store_dir).save(entry.stem, meta, arrays)
    before = ACCOUNT.copy()
    _fresh(BINARY).separation("l2", "linf")
    assert ACCOUNT["rejected"] - before["rejected"] == 1


def test_entries_never_unpickle(store_dir):
    """An entry holding an object array (which would need pickle to load) is refused and discarded."""
    store = cache.Store(store_dir)
    store.root.mkdir(parents=True)
    with open(store.path("evil"), "wb") as file:
        np.savez(file, meta=np.array("{}"), payload=np.array([object()], dtype=object))
    assert store.load("evil") is None and not store.path("evil").exists()


def test_a_writer_killed_mid_write_leaves_no_entry(store_dir, monkeypatch):
    store = cache.Store(store_dir)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", killed)
    with pytest.raises(KeyboardInterrupt):
        store.save("entry", {}, {"W": np.zeros(3)})
    assert store.load("entry") is None and list(store.root.iterdir()) == []


def test_leftover_temporary_files_are_swept_and_never_read(store_dir):
    store = cache.Store(store_dir)
    store.save("entry", {"a": 1}, {"W": np.ones(2)})
    stale = store.root / ".entry.abc.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))
    assert store.load("entry")[0] == {"a": 1}
    assert store.sweep() == 1 and not stale.exists()


def test_concurrent_writers_and_readers_see_whole_entries(store_dir):
    """The entry exists before the threads start, so every read must find a whole one (a torn write would read
    as None or as other numbers)."""
    store, W = cache.Store(store_dir), np.arange(10_000, dtype=np.float64)
    store.save("shared", {"n": 1}, {"W": W})
    broken = []

    def write():
        for _ in range(20):
            store.save("shared", {"n": 1}, {"W": W})

    def read():
        for _ in range(200):
            entry = store.load("shared")
            if entry is None or not np.array_equal(entry[1]["W"], W):
                broken.append(entry)

    threads = [threading.Thread(target=f) for f in (write, write, read, read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not broken and not list(store.root.glob(".*.tmp"))


def test_keys_change_with_data_question_formulation_and_versions(monkeypatch):
    base = cache.key("max_margin", "data-a", norm="l2")
    assert base == cache.key("max_margin", "data-a", norm="l2")
    assert len({base, cache.key("max_margin", "data-b", norm="l2"), cache.key("max_margin", "data-a", norm="l1"),
                cache.key("separation", "data-a", norm="l2")}) == 4
    monkeypatch.setattr(cache, "versions", lambda: {"cvxpy": "0.0"})
    assert cache.key("max_margin", "data-a", norm="l2") != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "formulation_digest", lambda: "edited")
    assert cache.key("max_margin", "data-a", norm="l2") != base


def test_the_store_is_off_with_ibs_no_cache(store_dir, monkeypatch):
    monkeypatch.setenv(cache.ENV_OFF, "1")
    assert cache.store() is None
    references(BINARY).max_margin("l2")
    assert not store_dir.exists()


def test_the_default_location_follows_the_platform(monkeypatch):
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    import platformdirs

    assert cache.directory() == cache.Path(platformdirs.user_cache_dir("implicit-bias-suite")) / "references"


KILLED_RUN = """
import os, signal
from numerics import data
from numerics.references import references
renames = [0]
replace = os.replace
def replace_then_die(source, target):  # the 8th entry's file is written in full, then the process is killed
    renames[0] += 1
    if renames[0] == 8:
        os.kill(os.getpid(), signal.SIGKILL)
    replace(source, target)
os.replace = replace_then_die
refs = references(data.gaussian_binary(30, 8, margin=0.1, sparsity=2, seed=3))
for claim in ("l1", "lp:1.5", "l2", "lp:3", "linf"):
    for rival in ("l1", "lp:1.5", "l2", "lp:3", "linf"):
        if rival != claim:
            refs.separation(claim, rival)
"""


def test_a_run_killed_mid_way_leaves_entries_the_next_run_reuses(store_dir):
    """SIGKILL a process while it writes references (as Ctrl-C or a dying Ray worker would stop it): every entry
    on disk loads and re-certifies, and the next run solves only what is missing."""
    import signal
    import subprocess
    import sys

    process = subprocess.run([sys.executable, "-c", KILLED_RUN], env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert process.returncode == -signal.SIGKILL
    written, margins = _entries(store_dir, "separation"), _entries(store_dir, "max_margin")
    assert len(written) + len(margins) == 7 and list(store_dir.glob(".*.tmp"))  # the 8th: a temporary file only
    assert cache.Store(store_dir).sweep(older_than=0) == 1
    references_module.forget()
    before = ACCOUNT.copy()
    refs = references(BINARY)
    for claim in ("l1", "lp:1.5", "l2", "lp:3", "linf"):
        for rival in ("l1", "lp:1.5", "l2", "lp:3", "linf"):
            if rival != claim:
                refs.separation(claim, rival)
    assert ACCOUNT["rejected"] == before["rejected"]
    assert ACCOUNT["loaded"] - before["loaded"] == len(margins) + len(written)
    assert ACCOUNT["solved"] - before["solved"] == (5 - len(margins)) + (20 - len(written))


def test_a_stored_face_projection_is_rechecked_to_lie_in_the_face(store_dir):
    """The distance of a direction to the optimal face is kept by the direction's bytes; its point is checked to
    be in the face on load (a point moved off it is rejected and the projection solved again)."""
    W = np.linspace(1.0, -1.0, BINARY.d)
    solved = references(BINARY).face_bounds("linf", W)
    before = ACCOUNT.copy()
    loaded = _fresh(BINARY).face_bounds("linf", W)
    assert ACCOUNT["loaded"] - before["loaded"] == 2  # the max margin and the projection
    assert (loaded.lower, loaded.upper, loaded.projected) == pytest.approx((solved.lower, solved.upper, True))
    (entry,) = _entries(store_dir, "face")
    meta, arrays = cache.Store(store_dir).load(entry.stem)
    arrays["point"] = W / np.abs(W).max()  # in the unit ℓ∞ ball, but its margin is far below the face's floor
    cache.Store(store_dir).save(entry.stem, meta, arrays)
    before = ACCOUNT.copy()
    again = _fresh(BINARY).face_bounds("linf", W)
    assert ACCOUNT["rejected"] - before["rejected"] == 1 and again.upper == pytest.approx(solved.upper)


def test_stored_face_points_stay_in_the_face_of_a_stored_reference(store_dir):
    """A face point is stored from a freshly solved reference and re-checked against the reference loaded from the
    store, whose margin is re-evaluated there (it differs in the last bits): the repaired point keeps a relative
    slack above the floor (`OptimalFace.REPAIR_SLACK`), so every such entry loads (with no slack 6 of these 6
    nuclear points were rejected and solved again)."""
    rng = np.random.default_rng(0)
    reference = references(MULTICLASS).max_margin("nuclear").W
    directions = [reference + 0.05 * rng.standard_normal(reference.shape) for _ in range(6)]
    solved = [references(MULTICLASS).face_bounds("nuclear", W) for W in directions]
    before = ACCOUNT.copy()
    fresh = _fresh(MULTICLASS)
    loaded = [fresh.face_bounds("nuclear", W) for W in directions]
    assert ACCOUNT["rejected"] == before["rejected"] and ACCOUNT["loaded"] - before["loaded"] == 7
    assert [b.upper for b in loaded] == pytest.approx([b.upper for b in solved], rel=1e-9)


def _retarget(store_dir, kind: str, source: dict, target: dict, ds=BINARY) -> None:
    """Copy the entry answering `source` onto the name of the question `target` (a stale or forged entry)."""
    data_key = references_module.dataset_key(ds)
    store = cache.Store(store_dir)
    store.save(cache.key(kind, data_key, **target), *store.load(cache.key(kind, data_key, **source)))


def test_an_entry_answering_another_question_is_rejected(store_dir):
    """An l1 max margin stored under the l2 name, and the minimiser over the ball of radius 1 stored under radius
    2, do not re-certify as the question asked: solved again."""
    refs = references(BINARY)
    l2, minimum = refs.max_margin("l2"), refs.constrained("l2", 2.0)
    refs.max_margin("l1"), refs.constrained("l2", 1.0)
    _retarget(store_dir, "max_margin", {"norm": "l1"}, {"norm": "l2"})
    _retarget(store_dir, "constrained", {"norm": "l2", "radius": 1.0}, {"norm": "l2", "radius": 2.0})
    before = ACCOUNT.copy()
    again = _fresh(BINARY)
    assert again.max_margin("l2").margin == pytest.approx(l2.margin, rel=1e-6) and again.max_margin("l2").norm == "l2"
    assert again.constrained("l2", 2.0).value == pytest.approx(minimum.value, rel=1e-6)
    assert ACCOUNT["rejected"] - before["rejected"] == 2


@pytest.mark.parametrize("forge", ["zero multipliers", "loose multipliers", "point off the face", "missing field"])
def test_a_forged_separation_is_rejected(store_dir, forge):
    """Multipliers that are zero (read as they are: an upper bound of 0, a separation of 1) or far from optimal
    (projected back onto what weak duality needs they bound M loosely: the bracket does not close), a closest
    point outside the rival's face, or an entry of another layout: never trusted. (Multipliers scaled by one
    factor are normalised back and re-certify: that is correct.)"""
    truth = references(BINARY).separation("l2", "linf")
    (entry,) = _entries(store_dir, "separation")
    meta, arrays = cache.Store(store_dir).load(entry.stem)
    if forge == "zero multipliers":
        arrays.update(lam=0 * arrays["lam"], mu=0 * arrays["mu"], h=0 * arrays["h"])
    elif forge == "loose multipliers":
        arrays["lam"] = np.full_like(arrays["lam"], 1.0)
    elif forge == "point off the face":
        arrays["closest"] = -arrays["closest"]
    else:
        del meta["solver"]
    cache.Store(store_dir).save(entry.stem, meta, arrays)
    before = ACCOUNT.copy()
    again = _fresh(BINARY).separation("l2", "linf")
    assert ACCOUNT["rejected"] - before["rejected"] == 1
    assert again.value == pytest.approx(truth.value, abs=1e-9)
