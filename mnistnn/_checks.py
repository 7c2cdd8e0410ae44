"""Argument checks, run once where raw input enters: each error says what was expected, what was given, how to fix it.

The maths (``forward``, ``backward``, the activations, ``cross_entropy``) calls none of these. The doors do, on
everything they are given: the training functions, ``predict``, ``gradient_check``, ``init_params``,
``one_hot``, the metrics, the loaders, ``save_params`` / ``load_params`` and the command line.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

import numpy as np

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def describe(value: object) -> str:
    """Short description of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def check_rng(rng: object) -> np.random.Generator:
    """Check a numpy.random.Generator (never the global np.random state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. rng=np.random.default_rng(0); got {describe(rng)}")
    return rng


def check_float_dtype(dtype: object, name: str) -> np.dtype:
    """Check a float type that can train: float32 or float64 (float16 keeps too few digits)."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be a float type such as np.float64; got {dtype!r}") from None
    if dtype.kind != "f":
        raise TypeError(f"{name} must be a float type such as np.float64; got {dtype}")
    if dtype.itemsize < 4:
        raise TypeError(
            f"{name} is {dtype}, which keeps only about 3 significant digits: too few for "
            "training (gradient steps vanish in its rounding). Use np.float32 or np.float64"
        )
    return dtype


def check_array(value: object, name: str, shape_text: str) -> np.ndarray:
    """A plain NumPy array (not a list, not a numpy.matrix, whose * and indexing differ)."""
    if isinstance(value, np.matrix):
        raise TypeError(
            f"{name} is a numpy.matrix, whose operators behave differently; pass a plain array: np.asarray({name})"
        )
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape {shape_text}; got {describe(value)}")
    return value


def check_images(X: object, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Check inputs of shape (n_features, m), one column per example, floats in [0, 1]."""
    X = check_array(X, name, "(n_features, m)")
    if X.ndim != 2:
        hint = " (flatten the images first: mnistnn.flatten_images)" if X.ndim == 3 else ""
        raise ValueError(
            f"{name} must be 2-D, shape (n_features, m), one column per example; got shape {X.shape}{hint}"
        )
    if X.dtype.kind != "f":
        raise TypeError(f"{name} must hold floats scaled to [0, 1] (use mnistnn.scale_pixels); got dtype {X.dtype}")
    check_float_dtype(X.dtype, name)
    if n_features is not None and X.shape[0] != n_features:
        if X.shape[1] == n_features:
            raise ValueError(
                f"{name} has shape {X.shape}: one ROW per example, but one column per "
                f"example, ({n_features}, m), is expected. Pass {name}.T"
            )
        raise ValueError(
            f"W1 has {n_features} columns (one per input) but {name} has {X.shape[0]} rows "
            f"(shape {X.shape}): they must match. {name} should have shape ({n_features}, m)"
        )
    if X.shape[1] == 0:
        raise ValueError(f"{name} holds no examples (shape {X.shape})")
    low, high = X.min(), X.max()
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if low < 0 or high > 1:
        if high > 1 and low >= 0 and high <= 255:
            hint = f"pixels 0..255 must be divided by 255: mnistnn.scale_pixels, or {name} / 255"
        elif low < 0 and low >= -1 and high <= 1:
            hint = f"these look scaled to [-1, 1]; the network expects [0, 1]: ({name} + 1) / 2"
        else:
            hint = "scale them to [0, 1] as the training images were"
        raise ValueError(f"{name} must hold pixel values scaled to [0, 1]; got values from {low:g} to {high:g}: {hint}")
    return X


def check_labels(y: object, name: str = "y", m: int | None = None, n_classes: int | None = 10) -> np.ndarray:
    """Check a 1-D integer label vector with values in 0..n_classes-1 (any value >= 0 when n_classes is None)."""
    y = check_array(y, name, "(m,)")
    if y.ndim != 1:
        hint = " (one-hot labels? pass the digits: Y.argmax(axis=0))" if y.ndim == 2 else ""
        raise ValueError(f"{name} must be 1-D, shape (m,), one label per example; got shape {y.shape}{hint}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer labels; got dtype {y.dtype} (convert with {name}.astype(int))")
    if m is not None and y.shape[0] != m:
        raise ValueError(f"{name} has {y.shape[0]} labels but there are {m} examples; they must match")
    if y.size and n_classes is None and y.min() < 0:
        raise ValueError(f"{name} must hold class labels >= 0; got values from {y.min()} to {y.max()}")
    if y.size and n_classes is not None and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} must hold labels in 0..{n_classes - 1}; got values from {y.min()} to {y.max()}")
    return y


def check_params(params: object, name: str = "params") -> tuple[int, int, int]:
    """Check a params dict {W1, b1, W2, b2} of consistent shapes; return (n_in, n_hidden, n_out)."""
    if not isinstance(params, Mapping):
        raise TypeError(f"{name} must be a dict with keys {', '.join(PARAM_KEYS)}; got {describe(params)}")
    keys = set(params)
    if keys != set(PARAM_KEYS) and len(keys) % 2 == 0 and keys == set(layer_keys(len(keys) // 2)):
        raise ValueError(
            f"{name} is a network of {len(keys) // 2} layers; this function takes the two-layer network of notebooks "
            "02-06 (W1, b1, W2, b2): for other depths use mnistnn.deep (forward, backward) and mnistnn.sgd"
        )
    if keys != set(PARAM_KEYS):
        missing = sorted(set(PARAM_KEYS) - keys)
        extra = sorted(str(key)[:30] for key in keys - set(PARAM_KEYS))
        raise ValueError(
            f"{name} must have exactly the keys {', '.join(PARAM_KEYS)}; missing {missing}, unexpected {extra}"
        )
    for key in PARAM_KEYS:
        _check_param_array(params[key], f"{name}[{key!r}]", key)
    return _check_param_shapes({key: params[key].shape for key in PARAM_KEYS}, name)


def layer_keys(L: int) -> list[str]:
    """W1, b1, ..., WL, bL: the keys of an L-layer network's params."""
    return [f"{kind}{layer}" for layer in range(1, L + 1) for kind in "Wb"]


def check_layers(params: object, name: str = "params") -> tuple[int, ...]:
    """Check a params dict {W1, b1, ..., WL, bL} of any depth L >= 1 and consistent shapes; return the layer sizes
    (n_in, n_1, ..., n_L). Two layers get :func:`check_params`' messages."""
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{name} must be a dict with keys W1, b1, W2, b2, ... (one W and one b per layer); got {describe(params)}"
        )
    keys = set(params)
    numbers = [int(key[1:]) for key in keys if isinstance(key, str) and re.fullmatch(r"[Wb][1-9]\d{0,2}", key)]
    L = max(numbers, default=1)  # the deepest layer named: its keys and all below it are expected
    if keys != set(layer_keys(L)):
        missing = sorted(set(layer_keys(L)) - keys)
        extra = sorted(str(key)[:30] for key in keys - set(layer_keys(L)))
        raise ValueError(
            f"{name} must have the keys W1, b1, ..., WL, bL of its L layers, one weight matrix and one bias per "
            f"layer; missing {missing}, unexpected {extra}"
        )
    for key in layer_keys(L):
        _check_param_array(params[key], f"{name}[{key!r}]", key)
    if L == 2:
        return _check_param_shapes({key: params[key].shape for key in PARAM_KEYS}, name)
    sizes = [params["W1"].shape[1]]
    for layer in range(1, L + 1):
        W, b = params[f"W{layer}"].shape, params[f"b{layer}"].shape
        if W[1] != sizes[-1]:
            hint = f": it looks transposed, pass W{layer}.T" if W[0] == sizes[-1] else ""
            raise ValueError(
                f"{name}['W{layer}'] has shape {W}, but the layer below it has {sizes[-1]} outputs: W{layer} must "
                f"have {sizes[-1]} columns, shape (n_{layer}, {sizes[-1]}){hint}"
            )
        if b != (W[0], 1):
            hint = f"; pass b{layer}.reshape(-1, 1)" if math.prod(b) == W[0] else ""
            raise ValueError(
                f"{name}['b{layer}'] must have shape {(W[0], 1)}, one bias per unit as a column, to fit "
                f"W{layer} {W}; got {b}{hint}"
            )
        sizes.append(W[0])
    return tuple(sizes)


def _check_param_array(value: object, label: str, key: str) -> None:
    """One parameter: a 2-D finite float array, float32 or float64; a flat bias is told how to reshape."""
    value = check_array(value, label, "(rows, columns)")
    if key.startswith("b") and value.ndim == 1:
        raise ValueError(
            f"{label} has shape {value.shape}, a flat vector (the layout of cs231n and scikit-learn); "
            f"here each bias is a column, shape ({value.shape[0]}, 1), so that it adds to every column "
            f"of W @ X: pass {key}.reshape(-1, 1)"
        )
    if value.ndim != 2 or value.dtype.kind != "f":
        raise TypeError(f"{label} must be a 2-D float array; got {describe(value)}")
    check_float_dtype(value.dtype, label)
    if not np.isfinite(value).all():
        raise ValueError(f"{label} contains NaN or infinite values")


def _check_param_shapes(shapes: dict[str, tuple[int, ...]], name: str) -> tuple[int, int, int]:
    """That W1 (h, n_in), b1 (h, 1), W2 (n_out, h), b2 (n_out, 1) fit together; returns (n_in, h, n_out)."""
    W1, b1, W2, b2 = (shapes[key] for key in PARAM_KEYS)
    n_hidden, n_out = W2[1], W2[0]
    if W1[0] != n_hidden and W1[1] == n_hidden:
        raise ValueError(
            f"{name}['W1'] has shape {W1}: it looks transposed. W1 must have one row per hidden "
            f"unit, shape ({n_hidden}, {W1[0]}) to fit W2 of shape {W2}; pass W1.T"
        )
    if W1[0] != n_hidden:
        raise ValueError(
            f"{name}['W1'] has {W1[0]} rows but W2 of shape {W2} has {n_hidden} columns: both "
            "must equal the number of hidden units h (W1 is (h, n_in), W2 is (n_out, h))"
        )
    for key, got, expected in (("b1", b1, (n_hidden, 1)), ("b2", b2, (n_out, 1))):
        if got != expected:
            hint = f"; pass {key}.reshape(-1, 1)" if math.prod(got) == expected[0] else ""
            raise ValueError(
                f"{name}[{key!r}] must have shape {expected}, one bias per unit as a column, "
                f"to fit W1 {W1} and W2 {W2}; got {got}{hint}"
            )
    return W1[1], n_hidden, n_out


def check_positive_int(value: object, name: str) -> int:
    """Check a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")
    return int(value)


def check_positive_float(value: object, name: str) -> float:
    """Check a finite number > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def check_fraction(value: object, name: str, *, low_open: bool = False, high_open: bool = True) -> float:
    """Check a number in [0, 1), or (0, 1] with low_open=True, high_open=False."""
    interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value < 0
        or value > 1
        or (low_open and value == 0)
        or (high_open and value == 1)
    ):
        raise ValueError(f"{name} must be a number in {interval}; got {value!r}")
    return float(value)


def memory_bytes() -> int | None:
    """This machine's physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits_in_memory(
    n_bytes: int, what: str, fix: str, error: type[Exception] = ValueError, *, available: int | None = None
) -> None:
    """Refuse, up front, what would need more memory than ``available`` bytes (default: this machine's memory)."""
    available = memory_bytes() if available is None else available
    if available is not None and n_bytes > available:
        raise error(
            f"{what} would need {n_bytes / 1e9:.1f} GB, more than this machine's "
            f"{available / 1e9:.1f} GB of memory: {fix}"
        )
