"""The network: parameters, activations, forward and backward passes (notebooks 02 and 03).

Shapes follow the classic course notation, one column per example:
X (n_in, m), W1 (h, n_in), b1 (h, 1), W2 (k, h), b2 (k, 1), labels y (m,), one-hot Y (k, m).

    Z1 = W1 @ X + b1        A1 = relu(Z1)
    Z2 = W2 @ A1 + b2       A2 = softmax(Z2)
    L  = -(1/m) sum_i log A2[y_i, i]
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np

from ._checks import (
    check_fits_in_memory,
    check_float_dtype,
    check_labels,
    check_positive_int,
    check_rng,
)

Params = dict[str, np.ndarray]
"""The network's parameters: {"W1": (h, n_in), "b1": (h, 1), "W2": (k, h), "b2": (k, 1)}."""
Cache = dict[str, np.ndarray]
"""The intermediates of a forward pass: {"Z1", "A1", "Z2", "A2"}."""

INIT_SCHEMES = ("uniform", "he")
SCORING_BLOCK = 1000
"""Examples that :func:`predict` and the training history score at a time: memory then holds the intermediates
(Z1, A1, ...) of 1,000 examples, not of all m."""


def _column_blocks(m: int) -> list[slice]:
    """Slices of SCORING_BLOCK consecutive columns (examples) that together cover 0..m-1."""
    return [slice(start, start + SCORING_BLOCK) for start in range(0, m, SCORING_BLOCK)]


def init_params(
    *sizes: int,
    rng: np.random.Generator,
    scheme: Literal["uniform", "he"] = "uniform",
    dtype: type = np.float64,
) -> Params:
    """Draw the initial weights and biases of a network with these layer sizes.

    Parameters
    ----------
    *sizes : int
        The layer sizes, inputs first: ``init_params(784, 10, 10, ...)`` is the network of notebooks 02-06 (784
        inputs, h = 10 hidden units, k = 10 outputs); ``init_params(784, 800, 800, 10, ...)`` has two hidden layers
        (notebook 08, :mod:`mnistnn.deep`).
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``; the same seed gives the same params.
    scheme : {"uniform", "he"}
        ``"uniform"``: every weight and bias from U[-0.5, 0.5), as the original notebook did.
        ``"he"``: weights from N(0, 2 / n_in of the layer) (He et al. 2015, suited to ReLU), biases zero.
    dtype : numpy float type
        float64 (default) or float32.

    Returns
    -------
    params : dict
        ``W{l}`` (n_l, n_{l-1}) and ``b{l}`` (n_l, 1) for l = 1 .. N (N layers of weights; L is the loss): for
        three sizes, ``W1`` (h, n_in), ``b1`` (h, 1), ``W2`` (k, h), ``b2`` (k, 1).
    """
    if len(sizes) < 2:
        raise ValueError(
            f"init_params needs the layer sizes, inputs first, e.g. init_params(784, 10, 10, rng=rng); got {sizes}"
        )
    hidden = ["n_hidden"] if len(sizes) == 3 else [f"n_{layer}" for layer in range(1, len(sizes) - 1)]
    names = ["n_in", *hidden, "n_out"]
    sizes = tuple(check_positive_int(size, name) for name, size in zip(names, sizes))
    check_rng(rng)
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"scheme must be one of {INIT_SCHEMES}; got {scheme!r}")
    dtype = check_float_dtype(dtype, "dtype")
    shapes = {}
    for layer, (n_prev, n) in enumerate(itertools.pairwise(sizes), start=1):
        shapes[f"W{layer}"], shapes[f"b{layer}"] = (n, n_prev), (n, 1)
    check_fits_in_memory(
        8 * sum(rows * columns for rows, columns in shapes.values()),
        f"a {'-'.join(map(str, sizes))} network's parameters",
        "choose fewer hidden units",
    )
    params = {}
    for key, shape in shapes.items():
        if scheme == "uniform":
            params[key] = rng.random(shape) - 0.5  # U[-0.5, 0.5)
        elif key.startswith("W"):
            params[key] = rng.standard_normal(shape) * np.sqrt(2.0 / shape[1])  # He: variance 2 / n_in
        else:
            params[key] = np.zeros(shape)
    return {key: value.astype(dtype, copy=False) for key, value in params.items()}


def relu(Z: np.ndarray) -> np.ndarray:
    """ReLU, element-wise: max(Z, 0)."""
    return np.maximum(Z, 0)


def relu_grad(Z: np.ndarray) -> np.ndarray:
    """Derivative of ReLU at the PRE-activation Z: 1 where Z > 0, else 0 (we take 0 at Z = 0)."""
    return (Z > 0).astype(Z.dtype)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise softmax: turn each example's scores into probabilities.

    Parameters
    ----------
    Z : ndarray of shape (k, m)
        Scores (logits), one column per example.

    Returns
    -------
    A : ndarray of shape (k, m)
        Probabilities; every column sums to 1.
    """
    Z_shifted = Z - Z.max(axis=0, keepdims=True)  # same result, but exp() can no longer overflow
    E = np.exp(Z_shifted)
    return E / E.sum(axis=0, keepdims=True)


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise log of softmax(Z), shape (k, m) in and out: finite even where softmax underflows to 0."""
    Z_shifted = Z - Z.max(axis=0, keepdims=True)  # the same max-shift as softmax
    return Z_shifted - np.log(np.exp(Z_shifted).sum(axis=0, keepdims=True))


def one_hot(y: np.ndarray, n_classes: int = 10, dtype: type = np.float64) -> np.ndarray:
    """One-hot encode labels, one column per example.

    Parameters
    ----------
    y : ndarray of shape (m,)
        Integer labels in ``0..n_classes-1``.
    n_classes : int
        Number of classes k. Fixed, not taken from ``y.max() + 1``: a batch that happens to
        lack the largest class must still get k rows.
    dtype : numpy type
        Type of the result (float64 by default).

    Returns
    -------
    Y : ndarray of shape (n_classes, m)
        ``Y[j, i] = 1`` if ``y[i] == j``, else 0.
    """
    n_classes = check_positive_int(n_classes, "n_classes")
    check_labels(y, "y", n_classes=n_classes)
    Y = np.zeros((n_classes, y.shape[0]), dtype=dtype)
    Y[y, np.arange(y.shape[0])] = 1
    return Y


def cross_entropy(A2: np.ndarray, y: np.ndarray, *, from_logits: bool = False) -> float:
    """Mean cross-entropy of the predictions against the true labels.

    Not checked, like :func:`forward`: give it probabilities, or the scores with ``from_logits=True``.

    Parameters
    ----------
    A2 : ndarray of shape (k, m)
        Predicted probabilities, one column per example; or the scores Z2 with ``from_logits=True``.
    y : ndarray of shape (m,)
        True labels in ``0..k-1``.
    from_logits : bool
        ``True`` when the first argument holds scores (logits): the loss is then computed through
        :func:`log_softmax`, exact and finite for any finite scores (e.g. +-1e4).

    Returns
    -------
    L : float
        ``-(1/m) * sum_i log A2[y_i, i]``: 0 for perfect confidence in the right answers, ln(k)
        for a network that guesses uniformly. From probabilities, ``inf`` when a true class gets
        probability exactly 0 (its exp() underflowed, a score gap of more than about 745 in float64
        or 100 in float32): that only happens once training has diverged; ``nan`` for a column of nan.
    """
    columns = np.arange(y.shape[0])
    if from_logits:
        return float(-log_softmax(A2)[y, columns].mean())
    p_true = A2[y, columns]  # (m,)  probability given to the true class
    with np.errstate(divide="ignore"):  # log(0) = inf is reported, not warned about
        return float(-np.log(p_true).mean())


def forward(params: Params, X: np.ndarray) -> tuple[np.ndarray, Cache]:
    """Forward pass: from pixels to class probabilities (notebook 02).

    The four equations and nothing else: the arguments are not checked here, but where they enter
    (:func:`predict`, the training functions, the loaders), once.

    Parameters
    ----------
    params : dict
        ``W1`` (h, n_in), ``b1`` (h, 1), ``W2`` (k, h), ``b2`` (k, 1).
    X : ndarray of shape (n_in, m)
        Inputs scaled to [0, 1], one column per example.

    Returns
    -------
    A2 : ndarray of shape (k, m)
        Class probabilities; every column sums to 1.
    cache : dict
        The intermediates ``Z1``, ``A1`` (h, m) and ``Z2``, ``A2`` (k, m), needed by :func:`backward`.
    """
    Z1 = params["W1"] @ X + params["b1"]  # (h, m)
    A1 = relu(Z1)  # (h, m)
    Z2 = params["W2"] @ A1 + params["b2"]  # (k, m)
    A2 = softmax(Z2)  # (k, m)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(params: Params, cache: Cache, X: np.ndarray, y: np.ndarray) -> Params:
    """Gradients of the mean cross-entropy; ``dW1`` means dL/dW1 (notebook 03).

    The equations and nothing else: the arguments are not checked here (see :func:`forward`).

    Parameters
    ----------
    params : dict
        The parameters the forward pass used.
    cache : dict
        The intermediates returned by :func:`forward` on the same ``X``.
    X : ndarray of shape (n_in, m)
        The inputs of that forward pass.
    y : ndarray of shape (m,)
        True labels, as integers; the one-hot matrix ``Y`` (k, m) of the equations is built from them.

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``: ``W1`` (h, n_in), ``b1`` (h, 1), ``W2`` (k, h), ``b2`` (k, 1).
        The bias gradients are summed over examples separately for each unit (``axis=1``).
    """
    m = X.shape[1]
    Y = one_hot(y, params["W2"].shape[0], dtype=cache["A2"].dtype)  # (k, m)  labels -> one column per example
    dZ2 = (cache["A2"] - Y) / m  # (k, m)  softmax + cross-entropy together
    dW2 = dZ2 @ cache["A1"].T  # (k, h)
    db2 = dZ2.sum(axis=1, keepdims=True)  # (k, 1)  one bias per output unit
    dZ1 = (params["W2"].T @ dZ2) * relu_grad(cache["Z1"])  # (h, m)  ReLU' of the PRE-activation
    dW1 = dZ1 @ X.T  # (h, n_in)
    db1 = dZ1.sum(axis=1, keepdims=True)  # (h, 1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
