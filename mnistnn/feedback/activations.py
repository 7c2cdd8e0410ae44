"""Hidden activations for lab 03b's extension (a course's variant picks one), and the network they make.

Each is a pair g, g' (element-wise). The forward and backward passes below are notebook 02's and 03's with g in
place of ReLU: the references of the extension's checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import model

Pair = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(Z / 2))  # = 1 / (1 + exp(-Z)), without overflow for large -Z


def pair(name: str, slope: float = 0.1) -> Pair:
    """g and its derivative g' for the activation of that name (slope: leaky ReLU's, for z < 0)."""
    if name == "relu":
        return model.relu, model.relu_grad
    if name == "tanh":
        return np.tanh, lambda Z: 1 - np.tanh(Z) ** 2
    if name == "sigmoid":
        return _sigmoid, lambda Z: _sigmoid(Z) * (1 - _sigmoid(Z))
    if name == "leaky_relu":
        return (
            lambda Z: np.where(Z > 0, Z, slope * Z),
            lambda Z: np.where(Z > 0, 1.0, slope).astype(np.result_type(Z, np.float32)),
        )
    raise ValueError(f"unknown activation {name!r}; expected relu, tanh, sigmoid or leaky_relu")


def forward(params: model.Params, X: np.ndarray, name: str, slope: float = 0.1) -> dict[str, np.ndarray]:
    """The cache {Z1, A1, Z2, A2} of the one-hidden-layer network with hidden activation g."""
    g, _ = pair(name, slope)
    Z1 = params["W1"] @ X + params["b1"]  # (h, m)
    A1 = g(Z1)  # (h, m)
    Z2 = params["W2"] @ A1 + params["b2"]  # (k, m)
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": model.softmax(Z2)}


def backward(
    params: model.Params, cache: dict, X: np.ndarray, y: np.ndarray, name: str, slope: float = 0.1
) -> model.Params:
    """The gradients of the mean cross-entropy for that network: notebook 03's backward with g' for ReLU'."""
    _, g_grad = pair(name, slope)
    dZ2 = (cache["A2"] - model.one_hot(y, params["W2"].shape[0])) / X.shape[1]  # (k, m)
    dZ1 = (params["W2"].T @ dZ2) * g_grad(cache["Z1"])  # (h, m)
    return {
        "W1": dZ1 @ X.T,
        "b1": dZ1.sum(axis=1, keepdims=True),
        "W2": dZ2 @ cache["A1"].T,
        "b2": dZ2.sum(axis=1, keepdims=True),
    }


def loss_of(
    key: str, X: np.ndarray, y: np.ndarray, activation: str = "relu", slope: float = 0.1, **params: np.ndarray
) -> Callable[[np.ndarray], float]:
    """The mean cross-entropy of that network as a function of params[key] alone (for numerical gradients)."""
    return lambda W: model.cross_entropy(forward({**params, key: W}, X, activation, slope)["A2"], y)


def forward_pass(activation: str = "relu", slope: float = 0.1) -> Callable:
    """``forward(params, X) -> (A2, cache)`` of the network with hidden activation g: what a gradient check is
    handed, like ``mnistnn.forward``."""

    def forward_g(params: model.Params, X: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        cache = forward(params, X, activation, slope)
        return cache["A2"], cache

    return forward_g


def backward_pass(activation: str = "relu", slope: float = 0.1, mistake: str = "") -> Callable:
    """``backward(params, cache, X, y) -> grads`` of that network; with ``mistake="summed_bias"``, the original
    notebook's bias gradients, ``np.sum(dZ)`` of every unit and example, given to every unit."""

    def backward_g(params: model.Params, cache: dict, X: np.ndarray, y: np.ndarray) -> model.Params:
        grads = backward(params, cache, X, y, activation, slope)
        if mistake == "summed_bias":
            grads["b1"] = np.full_like(grads["b1"], grads["b1"].sum())  # np.sum(dZ1) for every unit
            grads["b2"] = np.full_like(grads["b2"], grads["b2"].sum())
        return grads

    return backward_g
