"""A network of any depth, built with the per-layer recipe of notebook 03 (notebook 08).

A network has N layers of weights, numbered l = 1 to N (N - 1 hidden layers and the output layer; N = 2 for the
network of notebooks 02-06); layer l has weights ``W{l}`` (n_l, n_{l-1}) and biases ``b{l}`` (n_l, 1), and A0 = X.
(N, not L: L is the mean loss, as in notebooks 03-06.) Every hidden layer is ReLU, the last is softmax, the loss the
mean cross-entropy, optionally with an L2 penalty on the weights; hidden units can be dropped out while training.
With N = 2 and neither option, :func:`forward` and :func:`backward` compute exactly what :func:`mnistnn.forward` and
:func:`mnistnn.backward` do, in the same operations (tested): those stay the two-layer equations that notebooks 02
to 06 show. Like those, these are the equations and nothing else: the arguments are checked where they enter
(:func:`predict`, the training functions, :func:`mnistnn.init_params`).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_images, check_layers
from .model import Cache, Params, _column_blocks, cross_entropy, one_hot, relu, relu_grad, softmax


def depth(params: Params) -> int:
    """N, the number of layers of weights: 2 for the network of notebooks 02-06."""
    return len(params) // 2


def forward(
    params: Params, X: np.ndarray, *, keep: float = 1.0, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, Cache]:
    """Forward pass through N layers: Z_l = W_l A_{l-1} + b_l, then ReLU, and softmax at layer N.

    Parameters
    ----------
    params : dict
        ``W1`` (n_1, n_in), ``b1`` (n_1, 1), ..., ``WN`` (k, n_{N-1}), ``bN`` (k, 1).
    X : ndarray of shape (n_in, m)
        Inputs scaled to [0, 1], one column per example (A0).
    keep : float
        Inverted dropout, while training: each hidden unit is kept with probability ``keep`` (p) and its output
        divided by p, so that its expected value is what it is without dropout; 1 (the default) drops nothing.
    rng : numpy.random.Generator
        Draws the dropout masks; needed when keep < 1.

    Returns
    -------
    AN : ndarray of shape (k, m)
        Class probabilities; every column sums to 1.
    cache : dict
        ``Z{l}`` and ``A{l}`` of every layer (with dropout, ``A{l}`` is what layer l hands on, A_l * D_l), and
        ``D{l}`` (the dropout mask divided by p) of every hidden layer when keep < 1: what :func:`backward` needs.
    """
    N = depth(params)
    cache: Cache = {}
    A = X  # A0
    for l in range(1, N + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]  # (n_l, m)
        if l == N:
            A = softmax(Z)  # (k, m)
        else:
            A = relu(Z)  # (n_l, m)
            if keep < 1:
                D = (rng.random(A.shape, dtype=A.dtype) < keep) / np.asarray(keep, A.dtype)  # (n_l, m)  0 or 1/p
                A = A * D
                cache[f"D{l}"] = D
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


def backward(params: Params, cache: Cache, X: np.ndarray, y: np.ndarray, *, l2: float = 0.0) -> Params:
    """Gradients of the mean cross-entropy (plus ``l2 / 2`` times the sum of the squared weights), by the recipe.

    At the output, dZ_N = (A_N - Y) / m. Then, for each layer l from N down to 1, given dZ_l:
    dW_l = dZ_l A_{l-1}^T (+ l2 W_l), db_l = the sum of dZ_l over the examples, and, below the first layer,
    dA_{l-1} = W_l^T dZ_l and dZ_{l-1} = dA_{l-1} * D_{l-1} * ReLU'(Z_{l-1}) (D: dropout's mask, if any).

    Parameters
    ----------
    params : dict
        The parameters the forward pass used.
    cache : dict
        What :func:`forward` returned for the same ``X``.
    X : ndarray of shape (n_in, m)
        The inputs of that forward pass.
    y : ndarray of shape (m,)
        True labels.
    l2 : float
        lambda, the strength of the L2 penalty (lambda / 2) * sum_l ||W_l||^2; its gradient adds lambda W_l to dW_l.
        Biases are not penalised.

    Returns
    -------
    grads : dict
        ``dW{l}`` under the key ``W{l}`` and ``db{l}`` under ``b{l}``, shapes as in params.
    """
    N, m = depth(params), X.shape[1]
    grads = {}
    Y = one_hot(y, params[f"W{N}"].shape[0], dtype=cache[f"A{N}"].dtype)  # (k, m)
    dZ = (cache[f"A{N}"] - Y) / m  # (k, m)  dZ_N: softmax and cross-entropy together
    for l in range(N, 0, -1):
        A_prev = X if l == 1 else cache[f"A{l - 1}"]  # (n_{l-1}, m)
        dW = dZ @ A_prev.T  # (n_l, n_{l-1})
        if l2:
            dW += l2 * params[f"W{l}"]  # the penalty's gradient
        grads[f"W{l}"], grads[f"b{l}"] = dW, dZ.sum(axis=1, keepdims=True)  # (n_l, 1)
        if l > 1:
            dA = params[f"W{l}"].T @ dZ  # (n_{l-1}, m)  dA_{l-1}
            if f"D{l - 1}" in cache:
                dA = dA * cache[f"D{l - 1}"]  # a dropped unit passes no gradient back
            dZ = dA * relu_grad(cache[f"Z{l - 1}"])  # (n_{l-1}, m)  dZ_{l-1}: ReLU' of the PRE-activation
    return {key: grads[key] for key in params}  # in the order of params: W1, b1, W2, ...


def l2_penalty(params: Params, l2: float) -> float:
    """(l2 / 2) * the sum of the squared weights of every layer (not the biases)."""
    return 0.5 * l2 * sum(float(np.sum(params[f"W{l}"] ** 2)) for l in range(1, depth(params) + 1))


def loss(params: Params, X: np.ndarray, y: np.ndarray, *, l2: float = 0.0) -> float:
    """The loss :func:`backward` differentiates: the mean cross-entropy, plus the L2 penalty (no dropout)."""
    AN, _ = forward(params, X)
    return cross_entropy(AN, y) + l2_penalty(params, l2)


def predict(params: Params, X: np.ndarray) -> np.ndarray:
    """Predicted class of every example: the most probable digit, for a network of any depth.

    Parameters
    ----------
    params : dict
        Trained parameters ``W1, b1, ..., WL, bL`` (two layers: the network of notebooks 02-06).
    X : ndarray of shape (n_in, m)
        Inputs scaled to [0, 1], one column per example.

    Returns
    -------
    y_pred : ndarray of shape (m,)
        The index of the largest probability in each column (scored 1,000 columns at a time, to save memory).
    """
    check_images(X, "X", n_features=check_layers(params)[0])
    return np.concatenate([forward(params, X[:, block])[0].argmax(axis=0) for block in _column_blocks(X.shape[1])])
