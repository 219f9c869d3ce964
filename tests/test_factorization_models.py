"""The deep matrix factorization and the circular convolutional network: what they compute, on every array library."""

import numpy as np
import torch

from numerics import data
from numerics.models import CircularConvNet, DeepFactorization


def test_a_factorization_predicts_the_observed_entries_of_its_end_to_end_matrix():
    model = DeepFactorization(3, depth=3, scale=0.7)
    params = [p.detach() for p in model.init(2, torch.Generator().manual_seed(0))]
    W = (params[2] @ params[1] @ params[0]).numpy()
    ds = data.completion(np.zeros((3, 3)), [(0, 1), (2, 2), (1, 0)])
    out = model(params, torch.as_tensor(ds.X)).numpy()
    assert np.allclose(out, W[:, [0, 2, 1], [1, 2, 0]], rtol=1e-14, atol=0)


def test_a_circular_convolutional_network_multiplies_in_the_fourier_domain():
    from numerics.train import compiled

    jnp = compiled.jax().numpy  # configured as the compiled path uses it: float64 on
    model = CircularConvNet(8, depth=3)
    params = [p.detach()[0] for p in model.init(1, torch.Generator().manual_seed(1))]
    beta = model.predictor(params).numpy()
    product = np.prod([np.fft.fft(p.numpy()) for p in params], axis=0)
    assert np.allclose(np.fft.fft(beta), product, rtol=0, atol=1e-13)
    on_jax = np.asarray(model.predictor([jnp.asarray(p.numpy()) for p in params]))
    assert np.allclose(on_jax, beta, rtol=0, atol=1e-13)
