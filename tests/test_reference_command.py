"""`python -m verify reference DATA --norm NORM`: the certified max margin of a user's data, from .npz, an .npy
pair or CSV; bad input is one line and exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import data, norms
from numerics.references.margins import max_margin
from verify.__main__ import main

MIXTURE = data.gaussian_mixture(4, 6, 5, noise=0.1, seed=0)
BINARY = data.gaussian_binary(30, 5, seed=0)


def _saved(tmp_path, form: str) -> list[str]:
    if form == "npz":
        np.savez(tmp_path / "d.npz", X=MIXTURE.X, y=MIXTURE.y)
        return [str(tmp_path / "d.npz")]
    if form == "csv":
        np.savetxt(tmp_path / "d.csv", np.column_stack([MIXTURE.X, MIXTURE.y]), delimiter=",",
                   header=",".join([*"abcdef", "label"]), comments="")
        return [str(tmp_path / "d.csv")]
    np.save(tmp_path / "X.npy", MIXTURE.X)
    np.save(tmp_path / "y.npy", MIXTURE.y)
    return [str(tmp_path / "X.npy"), "--labels", str(tmp_path / "y.npy")]


@pytest.mark.parametrize("form", ["npz", "csv", "npy"])
def test_the_reference_of_a_saved_data_set_is_printed_and_written(tmp_path, capsys, form):
    out = tmp_path / "W.npy"
    assert main(["reference", *_saved(tmp_path, form), "--norm", "nuclear", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    expected = max_margin(MIXTURE, norm="nuclear")
    assert f"γ* = {expected.margin:.6g}"[:12] in printed and "certificate:" in printed
    assert f"support: {expected.support.size} points" in printed and "ball with faces" in printed
    W = np.load(out)
    assert W.shape == (4, 6) and float(norms.get("nuclear").value(W)) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("args, message", [
    (["X.npy", "--norm", "l2"], "holds X only: give the labels' .npy"),
    (["missing.npz", "--norm", "l2"], "no data file"),
    (["binary.npz", "--norm", "nuclear"], "does not fit a binary problem"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, args, message):
    np.save(tmp_path / "X.npy", BINARY.X)
    np.savez(tmp_path / "binary.npz", X=BINARY.X, y=BINARY.y)
    monkeypatch.chdir(tmp_path)
    assert main(["reference", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
