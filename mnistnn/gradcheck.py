"""Gradient checking: compare backward() with central differences of the loss (notebook 03)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import check_images, check_labels, check_params
from .model import Cache, Params, backward, cross_entropy, forward


def _loss(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of params on (X, y)."""
    A2, _ = forward(params, X, check=False)
    return cross_entropy(A2, y)


def numerical_gradient(params: Params, X: np.ndarray, y: np.ndarray, *, eps: float = 1e-6) -> Params:
    """Central-difference estimate of every dL/dparam: (L(p + eps) - L(p - eps)) / (2 eps).

    Two forward passes per parameter entry: use a small network and a few examples.
    """
    grads = {}
    for key, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = value.copy()
            shifted[index] = value[index] + eps
            loss_plus = _loss({**params, key: shifted}, X, y)
            shifted[index] = value[index] - eps
            loss_minus = _loss({**params, key: shifted}, X, y)
            grad[index] = (loss_plus - loss_minus) / (2 * eps)
        grads[key] = grad
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||), between 0 and 1.

    0 when the arrays are equal (and when both are zero); 1 only when one of them is zero or they point
    in opposite directions; about 0.7 for two unrelated random arrays of the same size.
    """
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denominator) if denominator > 0 else 0.0


def gradient_check(params: Params, X: np.ndarray, y: np.ndarray, *,
                   backward_fn: Callable[[Params, Cache, np.ndarray, np.ndarray], Params] = backward,
                   eps: float = 1e-6) -> float:
    """Check a backward function against central differences of the loss.

    Parameters
    ----------
    params : dict
        float64 parameters of a small network (every entry is perturbed twice).
    X : ndarray of shape (n_in, m)
        A few inputs, float64.
    y : ndarray of shape (m,)
        Their labels.
    backward_fn : callable
        ``backward_fn(params, cache, X, y) -> grads``; :func:`mnistnn.backward` by default. Pass
        another to test it (notebook 03 checks the original notebook's version).
    eps : float
        Step of the central differences.

    Returns
    -------
    error : float
        The largest, over W1, b1, W2 and b2, of ``||analytic - numerical|| / (||analytic|| + ||numerical||)``.
        With eps=1e-6 in float64: below 1e-6 passes (a correct backward usually gives 1e-7 or less); 1e-6 to
        1e-3 is a grey zone (a step across a ReLU kink, or a badly chosen eps); above 1e-3 is a bug. An array whose two
        gradients are both below what central differences resolve (about 1e-9) counts as agreeing (0).
    """
    check_params(params)
    check_images(X, "X", n_features=params["W1"].shape[1])
    check_labels(y, "y", m=X.shape[1], n_classes=params["W2"].shape[0])
    if any(value.dtype != np.float64 for value in (*params.values(), X)):
        raise TypeError("gradient_check needs float64 params and X: in float32 the rounding error of "
                        "the differences is as large as what is being checked")
    A2, cache = forward(params, X)
    analytic = backward_fn(params, cache, X, y)
    numerical = numerical_gradient(params, X, y, eps=eps)
    # What the central differences can resolve: the loss's rounding error divided by the step. Two
    # gradients both smaller than that (e.g. at a point where the true gradient is 0) are both zero as
    # far as this check can tell; their relative error would only compare rounding noise.
    resolution = 10 * np.finfo(np.float64).eps * max(abs(cross_entropy(A2, y)), 1.0) / eps

    def error(key: str) -> float:
        a, n = analytic[key], numerical[key]
        if np.linalg.norm(a) + np.linalg.norm(n) < resolution * np.sqrt(a.size):
            return 0.0
        return relative_error(a, n)

    return max(error(key) for key in params)
