"""Argument checks shared by the public functions: each raises with what was expected and what was given."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def _describe(value: object) -> str:
    """Short description of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def check_float_dtype(dtype: np.dtype, name: str) -> None:
    """Refuse float16: with about 3 significant digits, gradient steps vanish in its rounding."""
    if dtype == np.float16:
        raise TypeError(f"{name} is float16, which keeps only about 3 significant digits: too few for "
                        f"training. Convert it with {name}.astype(np.float32)")


def check_images(X: object, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Check a float matrix of shape (n_features, m), one column per example."""
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape (n_features, m); got {_describe(X)}")
    if X.ndim != 2:
        hint = " (flatten images first: mnistnn.flatten_images)" if X.ndim == 3 else ""
        raise ValueError(f"{name} must be 2-D, shape (n_features, m), one column per example; "
                         f"got shape {X.shape}{hint}")
    if X.dtype.kind != "f":
        raise TypeError(f"{name} must hold floats scaled to [0, 1] (use mnistnn.scale_pixels); "
                        f"got dtype {X.dtype}")
    check_float_dtype(X.dtype, name)
    if n_features is not None and X.shape[0] != n_features:
        if X.shape[1] == n_features:
            raise ValueError(f"{name} has shape {X.shape}: one ROW per example, but one column per "
                             f"example, ({n_features}, m), is expected. Pass {name}.T")
        raise ValueError(f"{name} must have {n_features} rows (one per input feature); got shape {X.shape}")
    if X.shape[1] == 0:
        raise ValueError(f"{name} holds no examples (shape {X.shape})")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def check_labels(y: object, name: str = "y", m: int | None = None, n_classes: int = 10) -> np.ndarray:
    """Check a 1-D integer label vector with values in 0..n_classes-1."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of integer labels, shape (m,); got {_describe(y)}")
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, shape (m,), one label per example; got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer labels; got dtype {y.dtype}")
    if m is not None and y.shape[0] != m:
        raise ValueError(f"{name} has {y.shape[0]} labels but there are {m} examples; they must match")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} must hold labels in 0..{n_classes - 1}; "
                         f"got values from {y.min()} to {y.max()}")
    return y


def check_params(params: object, name: str = "params") -> tuple[int, int, int]:
    """Check a params dict {W1, b1, W2, b2}; return (n_in, n_hidden, n_out)."""
    if not isinstance(params, Mapping):
        raise TypeError(f"{name} must be a dict with keys {', '.join(PARAM_KEYS)}; got {_describe(params)}")
    keys = set(params)
    if keys != set(PARAM_KEYS):
        missing = sorted(set(PARAM_KEYS) - keys)
        extra = sorted(keys - set(PARAM_KEYS), key=str)
        raise ValueError(f"{name} must have exactly the keys {', '.join(PARAM_KEYS)}; "
                         f"missing {missing}, unexpected {extra}")
    for key in PARAM_KEYS:
        value = params[key]
        if not isinstance(value, np.ndarray) or value.ndim != 2 or value.dtype.kind != "f":
            raise TypeError(f"{name}[{key!r}] must be a 2-D float array; got {_describe(value)}")
        check_float_dtype(value.dtype, f"{name}[{key!r}]")
        if not np.isfinite(value).all():
            raise ValueError(f"{name}[{key!r}] contains NaN or infinite values")
    n_hidden, n_in = params["W1"].shape
    n_out = params["W2"].shape[0]
    expected = {"W1": (n_hidden, n_in), "b1": (n_hidden, 1), "W2": (n_out, n_hidden), "b2": (n_out, 1)}
    for key, shape in expected.items():
        if params[key].shape != shape:
            raise ValueError(f"{name}[{key!r}] must have shape {shape} to fit W1 of shape "
                             f"{params['W1'].shape}; got {params[key].shape}")
    return n_in, n_hidden, n_out


def check_positive_int(value: object, name: str) -> int:
    """Check a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")
    return int(value)


def check_positive_float(value: object, name: str) -> float:
    """Check a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def check_fraction(value: object, name: str, *, closed_right: bool = False) -> float:
    """Check a number in [0, 1) (or [0, 1] with closed_right)."""
    upper_ok = (lambda v: v <= 1) if closed_right else (lambda v: v < 1)
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) \
            or not math.isfinite(value) or value < 0 or not upper_ok(value):
        interval = "[0, 1]" if closed_right else "[0, 1)"
        raise ValueError(f"{name} must be a number in {interval}; got {value!r}")
    return float(value)
