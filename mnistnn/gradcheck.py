"""Gradient checking: compare backward() with central differences of the loss (notebook 03)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import check_images, check_labels, check_params
from .model import Cache, Params, backward, cross_entropy, forward


def numerical_gradient(f: Callable[[np.ndarray], float], W: np.ndarray, *, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function f at W.

    Parameters
    ----------
    f : callable
        ``f(W) -> float``, e.g. the loss as a function of one parameter array:
        ``lambda W: cross_entropy(forward({**params, "W1": W}, X)[0], y)``.
    W : ndarray
        Where to take the gradient; not modified (each entry is perturbed in a copy).
    eps : float
        The step: each entry of the estimate is ``(f(W + eps e) - f(W - eps e)) / (2 eps)``, with ``e``
        the unit array of that entry.

    Returns
    -------
    dW : ndarray of the shape of W
        Two calls of f per entry: use it on small arrays.
    """
    dW = np.zeros_like(W)
    shifted = W.copy()
    for index in np.ndindex(W.shape):
        shifted[index] = W[index] + eps
        f_plus = f(shifted)
        shifted[index] = W[index] - eps
        f_minus = f(shifted)
        shifted[index] = W[index]
        dW[index] = (f_plus - f_minus) / (2 * eps)
    return dW


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||), between 0 and 1.

    0 when the arrays are equal (and when both are zero); 1 only when one of them is zero or they point
    in opposite directions; about 0.7 for two unrelated random arrays of the same size.
    """
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denominator) if denominator > 0 else 0.0


def gradient_check(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    *,
    backward_fn: Callable[[Params, Cache, np.ndarray, np.ndarray], Params] = backward,
    eps: float = 1e-6,
) -> float:
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
        raise TypeError(
            "gradient_check needs float64 params and X: in float32 the rounding error of "
            "the differences is as large as what is being checked"
        )
    A2, cache = forward(params, X)
    analytic = backward_fn(params, cache, X, y)

    def loss_of(key: str) -> Callable[[np.ndarray], float]:
        """The loss as a function of params[key] alone."""
        return lambda W: cross_entropy(forward({**params, key: W}, X)[0], y)

    numerical = {key: numerical_gradient(loss_of(key), params[key], eps=eps) for key in params}
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
