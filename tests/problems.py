"""Small random networks and data for the tests."""

import numpy as np

import mnistnn


def random_problem(n_in, n_hidden, n_out, m, *, seed=0, scheme="he"):
    """Random params, inputs in [0, 1) and labels for a small network."""
    rng = np.random.default_rng(seed)
    params = mnistnn.init_params(n_in, n_hidden, n_out, rng=rng, scheme=scheme)
    X = rng.random((n_in, m))
    y = rng.integers(0, n_out, size=m)
    return params, X, y
