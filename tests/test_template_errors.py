"""Bad inputs to the templates get one clear error each, before any training (10⁹ steps would not finish)."""

from __future__ import annotations

import pytest
import torch

from numerics import data
from numerics.errors import InvalidDataError
from numerics.optim import SteepestDescent
from verify.templates import margin_convergence

STEPS = 10**9
DS = data.gaussian_binary(20, 5, seed=0)


def normalized_gd(ps):
    return SteepestDescent(ps, 0.1, "l2", batch_dims=1)


@pytest.mark.parametrize("call, error, message", [
    (lambda: margin_convergence(normalized_gd, DS, steps=STEPS, rate="fast"), ValueError,
     "unknown rate 'fast'; known: inverse_log, inverse_sqrt"),
    (lambda: margin_convergence(normalized_gd, DS, DS.y, steps=STEPS), ValueError, "carries its labels: leave y out"),
    (lambda: margin_convergence(torch.optim.SGD, DS, steps=STEPS), TypeError,
     "pass a factory of the optimizer, not the class SGD"),
    (lambda: margin_convergence(normalized_gd, DS.X, (DS.y > 0).astype(int), norm="l2", steps=STEPS),
     InvalidDataError, "map them to ±1 for a binary problem, or use a matrix norm for two-class multiclass"),
], ids=["unknown rate", "Dataset and y", "optimizer class", "labels 0/1 with a vector norm"])
def test_a_bad_input_is_one_clear_error(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_on_a_machine_without_it_says_so():
    with pytest.raises(ValueError, match="device 'cuda' requested, but (this torch build has no CUDA|torch was built "
                                         "with CUDA but sees no GPU)"):
        margin_convergence(normalized_gd, DS, steps=STEPS, device="cuda")
