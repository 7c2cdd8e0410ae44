"""The inputs the checks draw: small random networks and their data, read-only where they are cached."""

from __future__ import annotations

import itertools

import numpy as np

from .. import model


def problem(n_in, n_hidden, n_out, m, rng, *, zero_column=False):
    """Random params (He init, biases jittered), inputs in [0, 1), labels with every class, and their forward pass."""
    params = model.init_params(n_in, n_hidden, n_out, rng=rng, scheme="he")
    params["b2"] = rng.normal(0, 0.1, size=(n_out, 1))
    if not zero_column:
        params["b1"] = rng.normal(0, 0.1, size=(n_hidden, 1))
    X = rng.random((n_in, m))
    if zero_column:
        X[:, 0] = 0.0  # with b1 = 0 this column gives Z1 == 0 exactly: where an activation's derivative at 0 matters
    y = rng.integers(0, n_out, size=m)
    y[:n_out] = np.arange(min(n_out, m))
    return params, X, y, model.forward(params, X)[1]


def deep_params(sizes, rng):
    """He-initialised params of a network with these layer sizes, biases jittered: W1, b1, ..., WL, bL."""
    params = {}
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"W{layer}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(2 / n_in)
        params[f"b{layer}"] = rng.normal(0, 0.1, size=(n_out, 1))
    return params


def read_only(value):
    """The arrays of a cached value (in dicts and tuples too), made read-only: nobody can change them for the next."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, dict | tuple | list):
        for item in value.values() if isinstance(value, dict) else value:
            read_only(item)
    return value
