"""Feedback for the labs: run a learner's function next to the tested reference and name the mistake.

Every ``check_*`` function takes the learner's function (or value), calls it on random and edge-case
inputs, compares the answer with the reference in :mod:`mnistnn`, and returns a :class:`Feedback`:

>>> import numpy as np
>>> from mnistnn import feedback
>>> result = feedback.check_softmax(lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True))
>>> result.passed, result.mistake
(False, 'no_max_shift')
>>> print(result.message[:60])
softmax: nan at large scores: exp() overflows without the ma

A :class:`Feedback` is true when every check passed; it displays as one short line: what is wrong,
the shapes or values seen, and which section of which walk-through notebook to re-read. ``mistake``
names the mistake (``"no_max_shift"`` above), for tests and for the lab's autograder. The checks
never raise and never show a traceback of their own: an error inside the learner's function is
reported in one line, and a function whose body is still ``...`` reads "not implemented yet".
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import flatten_images, scale_pixels
from .metrics import accuracy as _accuracy
from .metrics import confusion_matrix as _confusion_matrix
from .metrics import precision_recall
from .model import backward, cross_entropy, forward, init_params, one_hot, relu, relu_grad, softmax

__all__ = [
    "UNDEFINED", "Feedback", "check_accuracy", "check_backward", "check_confusion_matrix", "check_cross_entropy",
    "check_dataset", "check_forward", "check_gradient_descent", "check_gradient_errors",
    "check_hidden_gradient", "check_layer1_gradients", "check_layer2_gradients", "check_mean_probability",
    "check_minibatches",
    "check_momentum_step", "check_numerical_gradient", "check_one_hot", "check_output_gradient",
    "check_precision_recall", "check_predict", "check_prepare_images", "check_relu", "check_relu_grad",
    "check_score", "check_softmax", "check_split", "check_update_params", "precision_recall",
]

#: Where each topic is explained: the walk-through notebook and section to re-read.
SECTIONS = {
    "load": "notebook 01, section 1 'Load MNIST'",
    "split": "notebook 01, section 4 'Training, validation and test sets'",
    "prepare": "notebook 01, section 5 'One column per example, scaled to [0, 1]'",
    "relu": "notebook 02, section 2 'Layer 1: a weighted sum, then ReLU'",
    "softmax": "notebook 02, section 3 'Layer 2: scores, then softmax'",
    "forward": "notebook 02, section 4 'The whole forward pass'",
    "untrained": "notebook 02, section 6 'An untrained network guesses'",
    "one_hot": "notebook 03, section 1 'Labels as one-hot columns'",
    "loss": "notebook 03, section 2 'The loss and its gradient at the output'",
    "backward": "notebook 03, section 3 'Backwards through the network'",
    "gradcheck": "notebook 03, section 4 'Checking gradients numerically'",
    "bias": "notebook 03, section 5 'The original notebook's gradients fail the check'",
    "descent": "notebook 04, section 1 'Gradient descent'",
    "training": "notebook 04, section 2 'Training the original configuration'",
    "confusion": "notebook 05, section 2 'The confusion matrix'",
    "precision": "notebook 05, section 3 'Precision and recall'",
    "sgd": "notebook 06, section 3 'Mini-batch SGD with momentum, by hand'",
}


@dataclass(frozen=True)
class Feedback:
    """The outcome of one check: true when it passed; displays as its one-line message.

    Attributes
    ----------
    check : str
        What was checked, e.g. ``"softmax"``.
    mistake : str or None
        The mistake recognised (``"no_max_shift"``, ``"scalar_bias_gradient"``, ``"not_implemented"``,
        ...), ``"wrong_values"`` when the answer is wrong in no known way, None when every check passed.
    message : str
        One line for the learner.
    """

    check: str
    mistake: str | None
    message: str

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return self.mistake is None

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


class _Undefined:
    """The value of a name the notebook has not defined (its cell stopped with an error, or was not run)."""

    def __repr__(self) -> str:
        return "UNDEFINED"


#: Pass ``globals().get("name", feedback.UNDEFINED)`` to a check: a name the notebook has not defined
#: yet then reads "not defined yet: run the cell above" instead of a NameError traceback.
UNDEFINED = _Undefined()


class _Mistake(Exception):
    """Raised inside a check to stop at the first mistake found."""

    def __init__(self, mistake: str, text: str, section: str | None = None):
        super().__init__(text)
        self.mistake, self.text, self.section = mistake, text, section


def _failing_helper(fn: object, helpers: tuple[str, ...]) -> tuple[str, Feedback] | None:
    """The first of the learner's earlier functions (looked up where ``fn`` was defined) whose check fails."""
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict):
        return None
    for name in helpers:
        helper = namespace.get(name)
        if helper is None or helper is fn or not callable(helper) or getattr(helper, "__module__", "").startswith(
                "mnistnn"):
            continue
        result = _HELPER_CHECKS[name](helper)
        if not result.passed:
            return name, result
    return None


def _run(check: str, section: str, body: Callable[[], None], *, fn: object = None,
         helpers: tuple[str, ...] = ()) -> Feedback:
    """Run a check's body; turn what it finds (or any error) into a one-line Feedback.

    ``helpers``: the names of the learner's earlier functions that ``fn`` may call; when ``fn`` fails and
    one of them fails its own check, the message sends the learner there first.
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            body()
    except _Mistake as found:
        if found.mistake not in ("not_implemented", "not_defined", "not_a_function") and helpers:
            blamed = _failing_helper(fn, helpers)
            if blamed is not None:
                name, result = blamed
                return Feedback(check, "earlier_function_fails", f"{check}: this may come from your {name} "
                                f"above, make its check pass first: {result.message}")
        if found.mistake == "not_implemented":
            return Feedback(check, found.mistake, f"{check}: not implemented yet ({found.text}).")
        if found.mistake == "not_defined":
            return Feedback(check, found.mistake, f"{found.text}.")
        where = SECTIONS[found.section or section]
        return Feedback(check, found.mistake, f"{check}: {found.text}. Re-read {where}.")
    except Exception as error:  # a bug in the checker itself: still one line, never a traceback
        return Feedback(check, "checker_error", f"{check}: the checker could not run "
                        f"({type(error).__name__}: {_short(error)}); please report this to your teacher.")
    return Feedback(check, None, f"{check}: all checks passed.")


def _short(value: object, limit: int = 120) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _describe(value: object) -> str:
    """'an array of shape (3, 4) and dtype float64', 'float 0.5', ..."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    return _short(f"{type(value).__name__} {value!r}", 80)


def _not_filled(value: object) -> bool:
    if value is Ellipsis or value is None:
        return True
    if isinstance(value, (tuple, list)):
        return any(item is Ellipsis or item is None for item in value)
    if isinstance(value, dict):
        return any(item is Ellipsis or item is None for item in value.values())
    return False


def _undefined(name: str, value: object) -> None:
    """Raise 'not defined yet' for :data:`UNDEFINED` (a name the notebook has not defined)."""
    if value is UNDEFINED:
        raise _Mistake("not_defined", f"`{name}` is not defined yet: run the cell above (it stopped with "
                       "an error?)")


def _unfilled(name: str, value: object) -> None:
    """Raise 'not implemented yet' for a value that is still ``...`` (or None)."""
    _undefined(name, value)
    if _not_filled(value):
        raise _Mistake("not_implemented", f"{name} is still `...`: replace it with your code")


#: The functions the labs ask for: an error raised inside one of them, called by another, is reported there.
_LAB_FUNCTIONS = frozenset({
    "prepare_images", "split", "relu", "relu_grad", "softmax", "forward", "one_hot", "cross_entropy",
    "output_gradient", "layer2_gradients", "hidden_gradient", "layer1_gradients", "backward", "numerical_gradient",
    "update_params", "predict", "gradient_descent", "accuracy", "confusion_matrix", "precision_recall",
    "minibatches", "momentum_step"})


def _error_text(error: BaseException) -> str:
    """An exception's message as one readable line (NumPy's matmul shape error without its gufunc signature)."""
    text = " ".join(str(error).split())
    if "gufunc" in text:
        sizes = re.search(r"size \d+ is different from \d+", text)
        if sizes:
            text = f"the shapes do not fit for @ ({sizes.group(0)})"
        elif "does not have enough dimensions" in text:
            text = "an operand of @ is a number or None, not an array"
        else:
            text = re.sub(r",? ?(with )?gufunc (core )?(with )?signature \S+", "", text)
    return _short(text)


def _raised(name: str, error: BaseException, shapes: str) -> _Mistake:
    """The mistake for an error raised by the learner's function ``name``: where it came from, in one line."""
    inner, labels_for_Y = None, False
    tb = error.__traceback__.tb_next if error.__traceback__ else None
    while tb is not None:
        code, local = tb.tb_frame.f_code, tb.tb_frame.f_locals
        if code.co_name in _LAB_FUNCTIONS and code.co_name != name:
            inner = code.co_name
        Y = local.get("Y")
        if isinstance(Y, np.ndarray) and Y.ndim == 1 and Y.dtype.kind in "iu":
            labels_for_Y = True
        tb = tb.tb_next
    if labels_for_Y:
        return _Mistake("labels_as_one_hot", f"your {name} raised {type(error).__name__} where Y is the integer "
                        "labels y (shape (m,)): pass the one-hot matrix, one_hot(y) of shape (k, m), where Y is "
                        "expected", "one_hot")
    seen = f" when called with {shapes}" if shapes else ""
    where = f" inside your {inner}" if inner else ""
    return _Mistake("raised", f"your {name} raised {type(error).__name__}{where}: {_error_text(error)}{seen}")


def _call(name: str, fn: Any, *args: Any, shapes: str = "", **kwargs: Any) -> Any:
    """Call the learner's function; report 'not implemented' or its error in one line."""
    _undefined(name, fn)
    if fn is Ellipsis or fn is None:
        raise _Mistake("not_implemented", f"{name} is still `...`: define the function")
    if not callable(fn):
        raise _Mistake("not_a_function", f"expected a function, got {_describe(fn)}")
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise _Mistake("not_implemented", f"{name} raises NotImplementedError: write its body") from None
    except Exception as error:
        raise _raised(name, error, shapes) from None
    if _not_filled(result):
        raise _Mistake("not_implemented", f"{name} returns {'...' if result is Ellipsis else 'None'}: "
                       "replace the `...` with your code and end with `return`")
    return result


def _same(got: object, expected: object, *, dtype: bool = True, rtol: float = 1e-6) -> bool:
    """Same type of thing, shape, (dtype) and values (close) as expected."""
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != expected.shape:
            return False
        if dtype and got.dtype != expected.dtype:
            return False
        if got.dtype.kind not in "biuf":
            return False
        scale = float(np.abs(expected).max()) if expected.size else 0.0
        return bool(np.allclose(got, expected, rtol=rtol, atol=1e-9 * max(scale, 1.0)))
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got.item()
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        return False
    return bool(np.isclose(float(got), float(expected), rtol=rtol, atol=1e-12))


def _value_text(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


def _compare(name: str, got: object, expected: object, candidates: list[tuple[str, str, object]] = (),
             *, inputs: tuple = (), section: str | None = None, rtol: float = 1e-6) -> None:
    """Raise a _Mistake naming what is wrong with ``got``, unless it equals ``expected``.

    ``candidates``: (mistake, explanation, the value that mistake gives), tried in order.
    """
    if _same(got, expected, rtol=rtol):
        return
    for mistake, text, value in candidates:
        if value is None:
            continue
        if _same(got, value, dtype=False, rtol=rtol) and not _same(value, expected, dtype=False, rtol=rtol):
            raise _Mistake(mistake, text, section)
    if not isinstance(expected, np.ndarray):  # a number is expected
        if isinstance(got, np.ndarray) and got.ndim > 0:
            raise _Mistake("not_a_number", f"{name} is {_describe(got)}, but one number is expected "
                           "(an average over the examples)", section)
        if not isinstance(got, (int, float, np.integer, np.floating, np.ndarray)) or isinstance(got, bool):
            raise _Mistake("wrong_type", f"{name} is {_describe(got)}, but a number is expected", section)
        raise _Mistake("wrong_values", f"{name} is {float(got):.6g} where {float(expected):.6g} is expected",
                       section)
    if not isinstance(got, np.ndarray):
        raise _Mistake("wrong_type", f"{name} is {_describe(got)}, but a NumPy array of shape {expected.shape} "
                       "is expected", section)
    for value in inputs:
        if isinstance(value, np.ndarray) and (got is value or (got.shape == value.shape
                                                               and np.array_equal(got, value))):
            raise _Mistake("returns_input", f"you return the input unchanged ({_describe(got)})", section)
    if got.shape != expected.shape:
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            raise _Mistake("transposed", f"{name} is transposed: shape {got.shape} but {expected.shape} is "
                           "expected (one column per example)", section)
        raise _Mistake("wrong_shape", f"{name} has shape {got.shape} but {expected.shape} is expected", section)
    if got.dtype.kind not in "biuf":
        raise _Mistake("wrong_dtype", f"{name} has dtype {got.dtype}; {expected.dtype} is expected", section)
    if got.dtype != expected.dtype:
        close = np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=max(rtol, 1e-5), atol=1e-7)
        detail = "the values are right but" if close else "and"
        raise _Mistake("wrong_dtype", f"{name} has dtype {got.dtype} ({detail} {expected.dtype} is expected)",
                       section)
    if got.dtype.kind == "f" and not np.isfinite(got).all() and np.isfinite(expected).all():
        raise _Mistake("not_finite", f"{name} contains nan or inf ({np.isnan(got).sum()} nan, "
                       f"{np.isinf(got).sum()} inf) where the reference has finite values", section)
    if not got.any() and expected.any():
        raise _Mistake("zeros", f"{name} is all zeros (shape {got.shape})", section)
    difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    index = np.unravel_index(np.argmax(difference), got.shape)
    where = f"[{', '.join(str(int(i)) for i in index)}]" if got.ndim else ""
    raise _Mistake("wrong_values", f"{name}{where} is {_value_text(got[index])} where {_value_text(expected[index])} "
                   f"is expected (shape {got.shape})", section)


def _unchanged(name: str, before: dict[str, np.ndarray] | np.ndarray, after: dict | np.ndarray,
               mistake: str = "changed_in_place", section: str | None = None) -> None:
    """Raise if an input array (or a dict of them) was modified in place."""
    if name == "params":
        mistake = "params_changed_in_place"
    pairs = before.items() if isinstance(before, dict) else [("", before)]
    for key, value in pairs:
        now = after[key] if key else after
        if now.shape != value.shape or not np.array_equal(now, value):
            label = f"{name}[{key!r}]" if key else name
            raise _Mistake(mistake, f"your function changed {label} in place (e.g. with -= or [...] =); "
                           "return new arrays and leave its arguments untouched", section)


def _copy(value: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: array.copy() for key, array in value.items()}


def _call_untouched(name: str, fn: Any, inputs: dict[str, Any], *more: Any, section: str, shapes: str = "",
                    **kwargs: Any) -> Any:
    """:func:`_call` on copies of the named inputs (arrays or dicts of them, passed first, in order), then
    :func:`_unchanged` on each: the learner's function must leave its arguments as they were."""
    copies = {key: _copy(value) if isinstance(value, dict) else value.copy() for key, value in inputs.items()}
    result = _call(name, fn, *copies.values(), *more, shapes=shapes, **kwargs)
    for key, value in inputs.items():
        _unchanged(key, value, copies[key], section=section)
    return result


def _problem(n_in: int, n_hidden: int, n_out: int, m: int, seed: int, *, zero_column: bool = False):
    """Random params (He init, biases jittered), inputs in [0, 1), labels, and the reference forward pass."""
    rng = np.random.default_rng(seed)
    params = init_params(n_in, n_hidden, n_out, rng=rng, scheme="he")
    params["b2"] = rng.normal(0, 0.1, size=(n_out, 1))
    if not zero_column:
        params["b1"] = rng.normal(0, 0.1, size=(n_hidden, 1))
    X = rng.random((n_in, m))
    if zero_column:
        X[:, 0] = 0.0  # with b1 = 0 this column gives Z1 == 0 exactly: where ReLU's derivative at 0 matters
    y = rng.integers(0, n_out, size=m)
    y[:n_out] = np.arange(min(n_out, m))
    _, cache = forward(params, X)
    return params, X, y, cache


# ----------------------------------------------------------------------------------- lab 01: data


def check_prepare_images(prepare_images: Callable) -> Feedback:
    """Check ``prepare_images(x) -> X``: images (m, 28, 28) uint8 to (784, m) float64 in [0, 1].

    Recognises: transposed result, reshape without transpose (pixels of several images mixed in a
    column), unscaled pixels (0..255), integer division, division by the batch's maximum, wrong dtype.

    Parameters
    ----------
    prepare_images : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(11)
        x = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
        x[0, 0, 0], x[1] = 255, x[1] // 2                      # image 1 is darker: its max is < 255
        X = _call("prepare_images", prepare_images, x.copy(), shapes="x of shape (5, 28, 28), uint8")
        expected = scale_pixels(flatten_images(x))
        flat = x.reshape(5, -1).T
        _compare("the result", X, expected, [
            ("unscaled", f"the pixels are not scaled: values go up to {np.max(X) if isinstance(X, np.ndarray) else '?'}"
             "; divide by 255 so that they lie in [0, 1] (the network expects inputs in [0, 1])", flat),
            ("integer_division", "integer division: `// 255` leaves only 0s and 1s; use `/ 255`", flat // 255),
            ("reshape_order", "each column mixes pixels of several images: reshape to (m, 784) first, then "
             "transpose (x.reshape(m, -1).T), not x.reshape(784, m)", x.reshape(784, 5) / 255),
        ], inputs=(x,), section="prepare")
        dark = x[1:2]                                          # a batch whose brightest pixel is below 255
        _compare("the result for one darker image", _call("prepare_images", prepare_images, dark.copy()),
                 expected[:, 1:2], [
                     ("divided_by_max", "divided by the largest pixel of the batch instead of 255: the same image "
                      "would scale differently in another batch", flat[:, 1:2] / dark.max()),
                 ], section="prepare")
    return _run("prepare_images", "prepare", body)


def _split_ids(part: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(part, np.ndarray) or part.ndim != 3 or part.shape[1:] != (28, 28):
        raise _Mistake("wrong_shape", f"{name} is {_describe(part)}, but images of shape (n, 28, 28) are "
                       "expected (split the examples, along the first axis)")
    return part[:, 0, 0].astype(np.int64) * 256 + part[:, 0, 1]


def check_split(split: Callable) -> Feedback:
    """Check ``split(x, y, *, val_size, rng) -> ((x_train, y_train), (x_val, y_val))``.

    Recognises: a validation set that overlaps the training set, dropped or repeated examples, labels
    shuffled apart from their images, no shuffle, the rng ignored or not used (not reproducible),
    inputs shuffled in place, wrong sizes.

    Parameters
    ----------
    split : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        n, val_size = 300, 60
        x = np.zeros((n, 28, 28), dtype=np.uint8)
        x[:, 0, 0], x[:, 0, 1] = np.arange(n) // 256, np.arange(n) % 256   # each image carries its index
        y = (np.arange(n) % 10).astype(np.int64)
        result = _call_untouched("split", split, {"x": x, "y": y}, val_size=val_size, rng=np.random.default_rng(0),
                                 section="split", shapes="x (300, 28, 28), y (300,), val_size=60")
        try:
            (x_train, y_train), (x_val, y_val) = result
        except (TypeError, ValueError):
            raise _Mistake("wrong_type", f"split returned {_describe(result)}; return "
                           "(x_train, y_train), (x_val, y_val)") from None
        train, val = _split_ids(x_train, "x_train"), _split_ids(x_val, "x_val")
        if len(x_val) != val_size or len(x_train) != n - val_size:
            raise _Mistake("wrong_sizes", f"with 300 examples and val_size=60, expected 240 training and 60 "
                           f"validation examples; got {len(x_train)} and {len(x_val)}")
        overlap = np.intersect1d(train, val).size
        if overlap:
            raise _Mistake("overlap", f"{overlap} of the 60 validation examples are also in the training set: "
                           "a validation score on examples the network trained on says nothing about new digits")
        if np.unique(np.concatenate([train, val])).size != n:
            raise _Mistake("lost_examples", "some examples appear twice and others not at all: split one "
                           "permutation of the indices into two parts")
        for labels, ids, name in ((y_train, train, "y_train"), (y_val, val, "y_val")):
            if not isinstance(labels, np.ndarray) or labels.shape != ids.shape or not np.array_equal(labels, y[ids]):
                raise _Mistake("labels_shuffled_apart", f"{name} no longer matches its images: shuffle images and "
                               "labels with the same permutation (x[order], y[order])")
        if np.array_equal(np.sort(val), val) and (val.max() < val_size or val.min() >= n - val_size):
            raise _Mistake("not_shuffled", "the validation set is the first or last 60 examples, in order: "
                           "shuffle before splitting (rng.permutation)")
        again = _call("split", split, x.copy(), y.copy(), val_size=val_size, rng=np.random.default_rng(0))
        if not np.array_equal(_split_ids(again[1][0], "x_val"), val):
            raise _Mistake("not_reproducible", "two calls with rng=np.random.default_rng(0) gave different splits: "
                           "draw the permutation from the rng argument, not from np.random")
        other = _call("split", split, x.copy(), y.copy(), val_size=val_size, rng=np.random.default_rng(1))
        if np.array_equal(_split_ids(other[1][0], "x_val"), val):
            raise _Mistake("rng_ignored", "rng=default_rng(0) and default_rng(1) gave the same split: use the "
                           "rng argument, not a generator seeded inside the function")
    return _run("split", "split", body)


def check_dataset(X_train: object, y_train: object, X_val: object, y_val: object, *,
                  n_train: int = 50_000, n_val: int = 10_000) -> Feedback:
    """Check the prepared MNIST arrays: shapes, float64 in [0, 1], labels, and no image in both sets."""
    def body():
        for name, value in (("X_train", X_train), ("y_train", y_train), ("X_val", X_val), ("y_val", y_val)):
            _unfilled(name, value)
            if not isinstance(value, np.ndarray):
                raise _Mistake("wrong_type", f"{name} is {_describe(value)}, not a NumPy array")
        for name, X, m in (("X_train", X_train, n_train), ("X_val", X_val, n_val)):
            if X.shape != (784, m):
                kind = "transposed" if X.shape == (m, 784) else "wrong_shape"
                raise _Mistake(kind, f"{name} has shape {X.shape}; (784, {m}) is expected, one column per image",
                               "prepare")
            if X.dtype.kind != "f":
                raise _Mistake("unscaled", f"{name} has dtype {X.dtype}: scale the pixels to floats in [0, 1]",
                               "prepare")
            if X.max() > 1 or X.min() < 0:
                raise _Mistake("unscaled", f"{name} has values from {X.min():g} to {X.max():g}: unscaled inputs; "
                               "divide by 255 so that they lie in [0, 1]", "prepare")
        for name, labels, m in (("y_train", y_train, n_train), ("y_val", y_val, n_val)):
            if labels.shape != (m,) or labels.dtype.kind not in "iu":
                raise _Mistake("wrong_labels", f"{name} is {_describe(labels)}; integer labels of shape ({m},) "
                               "are expected", "split")
        probe = np.random.default_rng(0).random(784)            # one number per image: equal images, equal numbers
        shared = np.isin(np.round(probe @ X_val, 6), np.round(probe @ X_train, 6)).sum()
        if shared > 0.01 * X_val.shape[1]:   # MNIST itself holds a few duplicate images (8 across a seeded split)
            raise _Mistake("overlap", f"{shared} validation images are also in the training set: take the "
                           "validation set out of the training data, without overlap", "split")
    return _run("dataset", "split", body)


# ------------------------------------------------------------------------------- lab 02: forward


def check_relu(relu_fn: Callable) -> Feedback:
    """Check ``relu(Z)`` against :func:`mnistnn.relu`: values, shape, dtype, input left untouched.

    Parameters
    ----------
    relu_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(21)
        for Z in (rng.normal(size=(4, 6)), np.array([[-2.0, 0.0, 3.0]]), rng.normal(size=(3, 5)).astype(np.float32)):
            Z[0, 0] = 0.0
            got = _call_untouched("relu", relu_fn, {"Z": Z}, section="relu", shapes=f"Z of shape {Z.shape}")
            _compare("relu(Z)", got, relu(Z), [
                ("derivative_instead", "you return ReLU's derivative (0s and 1s), not ReLU itself: max(Z, 0)",
                 relu_grad(Z)),
                ("min_instead_of_max", "np.minimum keeps the negative part; ReLU is np.maximum(Z, 0)",
                 np.minimum(Z, 0)),
                ("abs_instead", "abs(Z) flips negative values up; ReLU sets them to 0", np.abs(Z)),
            ], inputs=(Z,), section="relu")
    return _run("relu", "relu", body)


def check_relu_grad(relu_grad_fn: Callable) -> Feedback:
    """Check ``relu_grad(Z)`` (1 where Z > 0, else 0, in Z's dtype): recognises the wrong value at 0.

    Parameters
    ----------
    relu_grad_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(22)
        for Z in (rng.normal(size=(4, 6)), rng.normal(size=(3, 5)).astype(np.float32)):
            Z[0, :2] = 0.0
            got = _call_untouched("relu_grad", relu_grad_fn, {"Z": Z}, section="backward",
                                  shapes=f"Z of shape {Z.shape}")
            _compare("relu_grad(Z)", got, relu_grad(Z), [
                ("relu_grad_wrong_at_zero", "wrong at Z = 0: you give 1 where Z == 0, but ReLU is flat for Z <= 0; "
                 "use Z > 0", (Z >= 0).astype(Z.dtype)),
                ("relu_instead_of_derivative", "you return relu(Z), not its derivative (1 where Z > 0, else 0)",
                 relu(Z)),
                ("ones", "the derivative is 1 everywhere: it must be 0 where Z <= 0", np.ones_like(Z)),
            ], inputs=(Z,), section="backward")
    return _run("relu_grad", "backward", body)


def check_softmax(softmax_fn: Callable) -> Feedback:
    """Check ``softmax(Z)``, column-wise and numerically stable.

    Recognises: no max-shift (nan at large scores), the shift by the global or the row maximum,
    softmax over the wrong axis or over the whole matrix, no normalisation, dtype changes.

    Parameters
    ----------
    softmax_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(23)
        Z = rng.normal(0, 3, size=(4, 6))
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
        E_rows = np.exp(Z - Z.max(axis=1, keepdims=True))
        shifted_rows = np.exp(Z - Z.max(axis=1, keepdims=True))
        cases = [
            ("wrong_axis", "softmax over the wrong axis: your rows sum to 1, but each column (one example) must; "
             "use axis=0", E_rows / E_rows.sum(axis=1, keepdims=True)),
            ("whole_matrix", "you divide by the sum of the whole matrix; divide each column by its own sum "
             "(axis=0, keepdims=True)", np.exp(Z) / np.exp(Z).sum()),
            ("whole_matrix", "np.sum(E) with no axis adds up the whole matrix, so the columns do not sum to 1; "
             "divide each column by its own sum, E.sum(axis=0, keepdims=True)", E / E.sum()),
            ("not_normalised", "the columns do not sum to 1: divide exp(Z) by its column sums", np.exp(Z)),
            ("not_normalised", "the columns do not sum to 1: divide exp(Z - max) by its column sums", E),
            ("shift_wrong_axis", "the max is taken over the wrong axis: subtract each column's max "
             "(Z.max(axis=0, keepdims=True)), or the columns' results change",
             shifted_rows / shifted_rows.sum(axis=0, keepdims=True)),
        ]
        got = _call_untouched("softmax", softmax_fn, {"Z": Z}, section="softmax", shapes="Z of shape (4, 6)")
        _compare("softmax(Z)", got, softmax(Z), cases, inputs=(Z,), section="softmax")
        large = np.array([[1000.0, -1000.0, 5.0], [1001.0, -1002.0, 3.0], [999.0, -999.0, 4.0]])
        large[:, 1] -= 2000.0   # column 1 is far below the largest score: a global shift underflows it
        got = _call("softmax", softmax_fn, large.copy(), shapes="scores around +-1000")
        if isinstance(got, np.ndarray) and got.shape == large.shape and not np.isfinite(got).all():
            E_global = np.exp(large - large.max())
            if np.array_equal(np.isnan(got), np.isnan(E_global / E_global.sum(axis=0))) and \
                    np.isfinite(got[:, 0]).all():
                raise _Mistake("global_max_shift", "nan in a column far below the largest score: you subtract the "
                               "max of the whole matrix; subtract each column's own max (axis=0, keepdims=True)")
            raise _Mistake("no_max_shift", f"nan at large scores: exp() overflows without the max-shift "
                           f"(scores up to {large.max():g} gave {np.isnan(got).sum()} nan); subtract each "
                           "column's max before exp()")
        _compare("softmax(Z) for scores around +-1000", got, softmax(large), section="softmax")
        Z32 = Z.astype(np.float32)
        _compare("softmax(Z) for float32 Z", _call("softmax", softmax_fn, Z32.copy()), softmax(Z32),
                 section="softmax", rtol=1e-5)
    return _run("softmax", "softmax", body)


def check_forward(forward_fn: Callable) -> Feedback:
    """Check ``forward(params, X) -> (A2, cache)`` against :func:`mnistnn.forward`.

    Recognises: softmax or ReLU missing, biases left out, the cache incomplete or wrong, params changed
    in place.

    Parameters
    ----------
    forward_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        params, X, _, cache = _problem(6, 5, 4, 7, seed=24)
        A2 = cache["A2"]
        result = _call_untouched("forward", forward_fn, {"params": params, "X": X}, section="forward",
                                 shapes="W1 (5, 6), b1 (5, 1), W2 (4, 5), b2 (4, 1), X (6, 7)")
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
            raise _Mistake("wrong_type", f"forward returned {_describe(result)}; return A2, cache (a dict "
                           "with Z1, A1, Z2, A2)")
        got, got_cache = result
        Z1 = params["W1"] @ X
        no_relu = softmax(params["W2"] @ (Z1 + params["b1"]) + params["b2"])
        no_bias = softmax(params["W2"] @ relu(Z1))
        _compare("A2", got, A2, [
            ("softmax_missing", "A2 are the scores Z2: apply softmax to turn them into probabilities", cache["Z2"]),
            ("relu_missing", "the hidden layer has no ReLU: A1 = relu(Z1)", no_relu),
            ("bias_missing", "the biases are left out: Z1 = W1 @ X + b1 and Z2 = W2 @ A1 + b2", no_bias),
            ("wrong_axis", "softmax over the wrong axis: each column of A2 must sum to 1",
             np.exp(cache["Z2"]) / np.exp(cache["Z2"]).sum(axis=1, keepdims=True)),
        ], section="forward")
        for key in ("Z1", "A1", "Z2", "A2"):
            if key not in got_cache:
                raise _Mistake("cache_incomplete", f"the cache has keys {sorted(got_cache)}; backward needs "
                               "Z1, A1, Z2 and A2")
            _compare(f"cache[{key!r}]", got_cache[key], cache[key], section="forward")
    return _run("forward", "forward", body, fn=forward_fn, helpers=("relu", "softmax"))


# ------------------------------------------------------------------------------ lab 03: backward


def check_one_hot(one_hot_fn: Callable) -> Feedback:
    """Check ``one_hot(y, n_classes=10) -> Y`` of shape (n_classes, m), float64.

    Recognises: sized by ``y.max() + 1``, transposed, wrong dtype.

    Parameters
    ----------
    one_hot_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        for y in (np.array([3, 0, 2, 2, 1]), np.array([9, 4, 0, 1, 2, 3, 5, 6, 7, 8])):
            got = _call("one_hot", one_hot_fn, y.copy(), 10, shapes=f"y = {y.tolist()}, n_classes=10")
            expected = one_hot(y, 10)
            sized = np.zeros((y.max() + 1, y.size))
            sized[y, np.arange(y.size)] = 1
            _compare("one_hot(y)", got, expected, [
                ("sized_by_max", f"sized by y.max() + 1 = {y.max() + 1} rows: a batch without a 9 loses rows; use "
                 "n_classes rows", sized),
                ("transposed", "transposed: one row per example, but Y needs one column per example, "
                 "shape (n_classes, m)", expected.T),
            ], inputs=(y,), section="one_hot")
    return _run("one_hot", "one_hot", body)


def check_cross_entropy(cross_entropy_fn: Callable) -> Feedback:
    """Check ``cross_entropy(A2, y) -> float``, the mean loss over the examples.

    Recognises: the 1/m missing or applied twice, a mean over all entries, the sign, labels passed
    where the one-hot matrix is expected, every class's log counted, an array returned.

    Parameters
    ----------
    cross_entropy_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(31)
        A2 = softmax(rng.normal(0, 2, size=(4, 6)))
        y = np.array([0, 3, 1, 1, 2, 3])
        m = y.size
        got = _call("cross_entropy", cross_entropy_fn, A2.copy(), y.copy(), shapes="A2 (4, 6), y (6,)")
        expected = cross_entropy(A2, y)
        _compare("the loss", got, expected, [
            ("missing_1_over_m", f"the 1/m is missing: you sum the losses of the {m} examples; average them",
             expected * m),
            ("one_over_m_twice", "the 1/m is applied twice: divide by m once", expected / m),
            ("mean_over_all_entries", "np.mean over the whole (k, m) matrix divides by k*m; sum over the "
             "classes, then average over the m examples", expected / 4),
            ("sign", "the sign is wrong: the loss is -mean(log p); it must be >= 0", -expected),
            ("labels_as_one_hot", "labels passed where the one-hot matrix is expected: y * log(A2) multiplies by "
             "the label values; use one_hot(y)", float(-(y * np.log(A2)).sum() / m)),
            ("all_classes", "you add log A2 of every class; only the true class's probability counts (Y * log A2)",
             float(-np.log(A2).sum() / m)),
            ("log10", "np.log10 is not the natural log; use np.log", expected / np.log(10)),
            ("columns_by_label", "A2[:, y] picks whole columns (an array of shape (k, m), or (m, m) with 10 "
             "classes), not each example's probability of its true class: use A2[y, np.arange(m)]",
             float(-np.log(A2[:, y]).mean())),
            ("columns_by_label", "A2[:, y] picks whole columns (an array of shape (k, m), or (m, m) with 10 "
             "classes), not each example's probability of its true class: use A2[y, np.arange(m)]",
             float(-np.log(A2[:, y]).sum() / m)),
        ], section="loss")
        if isinstance(got, np.ndarray) and got.shape != ():
            raise _Mistake("not_a_number", f"returns {_describe(got)}; return one number")
    return _run("cross_entropy", "loss", body, fn=cross_entropy_fn, helpers=("one_hot",))


def _bias_candidates(dZ: np.ndarray, m: int) -> list[tuple[str, str, object]]:
    return [
        ("scalar_bias_gradient", "the bias gradient is one number: np.sum(dZ) adds up every unit together; each "
         "unit has its own bias, so sum over the examples only: dZ.sum(axis=1, keepdims=True)", float(np.sum(dZ))),
        ("scalar_bias_gradient", "the bias gradient is one number: np.sum(dZ) adds up every unit together; use "
         "dZ.sum(axis=1, keepdims=True)", np.full((dZ.shape[0], 1), np.sum(dZ))),
        ("bias_wrong_axis", f"summed over the wrong axis (shape ({m},) or (1, {m})): sum over the examples, "
         "axis=1", dZ.sum(axis=0)),
        ("bias_wrong_axis", f"summed over the wrong axis (shape (1, {m})): sum over the examples, axis=1",
         dZ.sum(axis=0, keepdims=True)),
        ("keepdims_missing", f"shape ({dZ.shape[0]},) instead of ({dZ.shape[0]}, 1): add keepdims=True, or "
         "b - lr * db broadcasts to a square matrix", dZ.sum(axis=1)),
        ("one_over_m_twice", "the 1/m is applied twice: dZ already holds it, so do not divide by m again",
         dZ.sum(axis=1, keepdims=True) / m),
    ]


def check_output_gradient(output_gradient: Callable) -> Feedback:
    """Check ``output_gradient(A2, Y) -> dZ2 = (A2 - Y) / m``.

    Recognises: the 1/m missing or applied twice, the sign, labels passed where one-hot is expected.

    Parameters
    ----------
    output_gradient : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        _, _, y, cache = _problem(6, 5, 4, 7, seed=32)
        A2, Y, m = cache["A2"], one_hot(y, 4), y.size
        got = _call("output_gradient", output_gradient, A2.copy(), Y.copy(), shapes="A2 (4, 7), Y (4, 7)")
        expected = (A2 - Y) / m
        _compare("dZ2", got, expected, [
            ("missing_1_over_m", "the 1/m is missing: the loss is a mean, so dZ2 = (A2 - Y) / m", A2 - Y),
            ("one_over_m_twice", "the 1/m is applied twice: dZ2 = (A2 - Y) / m", expected / m),
            ("sign", "the sign is wrong: dZ2 = (A2 - Y) / m, not (Y - A2) / m", -expected),
            ("divided_by_k", f"divided by k = Y.shape[0] = {Y.shape[0]}, the number of classes; m is the number "
             f"of examples, Y.shape[1] = {m}", (A2 - Y) / Y.shape[0]),
        ], inputs=(A2, Y), section="loss")
    return _run("output_gradient", "loss", body)


def check_layer2_gradients(layer2_gradients: Callable) -> Feedback:
    """Check ``layer2_gradients(dZ2, A1) -> (dW2, db2)``: dW2 = dZ2 @ A1.T, db2 = dZ2 summed over axis 1.

    Recognises: the scalar bias gradient ``np.sum(dZ2)``, the wrong axis, keepdims missing, the 1/m
    applied twice, a transposed dW2.

    Parameters
    ----------
    layer2_gradients : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        params, _, y, cache = _problem(6, 5, 4, 7, seed=33)
        m = y.size
        dZ2 = (cache["A2"] - one_hot(y, 4)) / m
        A1 = cache["A1"]
        result = _call("layer2_gradients", layer2_gradients, dZ2.copy(), A1.copy(), shapes="dZ2 (4, 7), A1 (5, 7)")
        if not (isinstance(result, tuple) and len(result) == 2):
            raise _Mistake("wrong_type", f"returned {_describe(result)}; return dW2, db2")
        dW2, db2 = result
        expected = dZ2 @ A1.T
        _compare("dW2", dW2, expected, [
            ("one_over_m_twice", "the 1/m is applied twice: dZ2 already holds it, so dW2 = dZ2 @ A1.T", expected / m),
            ("transposed", "dW2 is transposed: A1 @ dZ2.T has the shape of W2.T; use dZ2 @ A1.T", expected.T),
        ], section="backward")
        _compare("db2", db2, dZ2.sum(axis=1, keepdims=True), _bias_candidates(dZ2, m), section="bias")
    return _run("layer2_gradients", "backward", body)


def _hidden_candidates(params, cache, dZ2):
    back = params["W2"].T @ dZ2
    if cache["Z2"].shape != cache["Z1"].shape:   # the shape-mismatched mistakes raise: nothing to compare
        return [("relu_instead_of_derivative", "you multiply by relu(Z1); the chain rule needs its derivative, "
                 "relu_grad(Z1)", back * relu(cache["Z1"])),
                ("relu_grad_wrong_at_zero", "ReLU's derivative is wrong at 0: where Z1 == 0 it must be 0 (use Z1 > 0, "
                 "not >= 0)", back * (cache["Z1"] >= 0)),
                ("relu_derivative_missing", "ReLU's derivative is missing (or is 1 everywhere, as A1 >= 0 is): "
                 "dZ1 = (W2.T @ dZ2) * relu_grad(Z1)", back)]
    return [
        ("relu_grad_wrong_array", "ReLU's derivative of the wrong array: take it at the hidden layer's "
         "pre-activation Z1, not at Z2 or A2", back * relu_grad(cache["Z2"])),
        ("relu_instead_of_derivative", "you multiply by relu(Z1); the chain rule needs its derivative, relu_grad(Z1)",
         back * relu(cache["Z1"])),
        ("relu_grad_wrong_at_zero", "ReLU's derivative is wrong at 0: where Z1 == 0 it must be 0 (use Z1 > 0, "
         "not >= 0)", back * (cache["Z1"] >= 0)),
        ("relu_derivative_missing", "ReLU's derivative is missing (or is 1 everywhere, as A1 >= 0 is): "
         "dZ1 = (W2.T @ dZ2) * relu_grad(Z1)", back),
        ("W2_not_transposed", "W2 instead of W2.T: backwards through the layer multiplies by the transpose",
         (params["W2"] @ dZ2) * relu_grad(cache["Z1"])),
    ]


def check_hidden_gradient(hidden_gradient: Callable) -> Feedback:
    """Check ``hidden_gradient(params, cache, dZ2) -> dZ1 = (W2.T @ dZ2) * relu_grad(Z1)``.

    Recognises: ReLU's derivative of the wrong array (Z2, A2), relu instead of its derivative, the
    derivative wrong at 0 where it matters, the derivative missing, W2 not transposed.

    Parameters
    ----------
    hidden_gradient : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        # 4 hidden units and 4 outputs, as square as the original's 10 and 10: the mistakes then run.
        for n_hidden, seed in ((4, 34), (5, 35)):
            params, X, y, cache = _problem(6, n_hidden, 4, 7, seed=seed, zero_column=True)
            dZ2 = (cache["A2"] - one_hot(y, 4)) / y.size
            got = _call_untouched("hidden_gradient", hidden_gradient, {"params": params, "cache": cache, "dZ2": dZ2},
                                  section="backward", shapes=f"W2 (4, {n_hidden}), Z1 ({n_hidden}, 7), dZ2 (4, 7)")
            expected = (params["W2"].T @ dZ2) * relu_grad(cache["Z1"])
            _compare("dZ1", got, expected, _hidden_candidates(params, cache, dZ2), section="backward")
    return _run("hidden_gradient", "backward", body, fn=hidden_gradient, helpers=("relu_grad",))


def check_layer1_gradients(layer1_gradients: Callable) -> Feedback:
    """Check ``layer1_gradients(dZ1, X) -> (dW1, db1)``: dW1 = dZ1 @ X.T, db1 = dZ1 summed over axis 1.

    Recognises: X instead of X.T, the scalar bias gradient, the wrong axis, keepdims missing, the 1/m
    applied twice, a transposed dW1.

    Parameters
    ----------
    layer1_gradients : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        # First 7 inputs and 7 examples: with a square X, the product with X instead of X.T runs.
        for n_in, seed in ((7, 36), (6, 37)):
            params, X, y, cache = _problem(n_in, 5, 4, 7, seed=seed)
            dZ2 = (cache["A2"] - one_hot(y, 4)) / y.size
            dZ1 = (params["W2"].T @ dZ2) * relu_grad(cache["Z1"])
            try:
                result = _call("layer1_gradients", layer1_gradients, dZ1.copy(), X.copy(),
                               shapes=f"dZ1 (5, 7), X ({n_in}, 7)")
            except _Mistake as found:
                if found.mistake == "raised" and "matmul" in found.text and n_in != 7:
                    raise _Mistake("X_instead_of_X_T", f"dW1 computed with X instead of X.T: dZ1 (5, 7) @ X ({n_in}, 7)"
                                   " cannot be multiplied; dW1 = dZ1 @ X.T") from None
                raise
            if not (isinstance(result, tuple) and len(result) == 2):
                raise _Mistake("wrong_type", f"returned {_describe(result)}; return dW1, db1")
            dW1, db1 = result
            m = y.size
            expected = dZ1 @ X.T
            _compare("dW1", dW1, expected, [
                ("X_instead_of_X_T", "dW1 computed with X instead of X.T: dW1 = dZ1 @ X.T",
                 dZ1 @ X if X.shape[0] == X.shape[1] else None),
                ("one_over_m_twice", "the 1/m is applied twice: dZ1 already holds it, so dW1 = dZ1 @ X.T",
                 expected / m),
                ("transposed", "dW1 is transposed: use dZ1 @ X.T, shape (h, n_in) like W1", expected.T),
            ], section="backward")
            _compare("db1", db1, dZ1.sum(axis=1, keepdims=True), _bias_candidates(dZ1, m), section="bias")
    return _run("layer1_gradients", "backward", body)


def _mistaken_backward(params, cache, X, y, mistake: str) -> dict[str, object]:
    """The gradients a backward pass with one classic mistake gives."""
    m = X.shape[1]
    Y = one_hot(y, params["W2"].shape[0])
    dZ2 = {"missing_1_over_m": cache["A2"] - Y, "labels_as_one_hot": (cache["A2"] - y) / m,
           "labels_as_one_hot_no_m": cache["A2"] - y, "divided_by_k": (cache["A2"] - Y) / Y.shape[0],
           "one_over_m_twice": (cache["A2"] - Y) / m}.get(mistake, (cache["A2"] - Y) / m)
    dW2 = dZ2 @ cache["A1"].T
    db2 = dZ2.sum(axis=1, keepdims=True)
    relu_derivative = {"relu_grad_wrong_array": relu_grad(cache["Z2"]) if cache["Z2"].shape == cache["Z1"].shape
                       else None, "relu_grad_wrong_at_zero": (cache["Z1"] >= 0).astype(float),
                       "relu_instead_of_derivative": relu(cache["Z1"])}.get(mistake, relu_grad(cache["Z1"]))
    if relu_derivative is None:
        return {}
    dZ1 = (params["W2"].T @ dZ2) * relu_derivative
    dW1 = dZ1 @ X.T if mistake != "X_instead_of_X_T" or X.shape[0] != m else dZ1 @ X
    db1 = dZ1.sum(axis=1, keepdims=True)
    if mistake == "one_over_m_twice":
        dW2, db2, dW1, db1 = dW2 / m, db2 / m, dW1 / m, db1 / m
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    if mistake == "scalar_bias_gradient":
        db1, db2 = float(np.sum(dZ1)), float(np.sum(dZ2))
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


_BACKWARD_MISTAKES = {
    "labels_as_one_hot": "labels passed where the one-hot matrix is expected: A2 - y subtracts the label values "
                         "from every row; use dZ2 = (A2 - one_hot(y)) / m",
    "labels_as_one_hot_no_m": "labels passed where the one-hot matrix is expected (dW2 is far too large): A2 - y "
                              "subtracts the label values from every row; use dZ2 = (A2 - one_hot(y)) / m",
    "missing_1_over_m": "the 1/m is missing: the loss is a mean, so dZ2 = (A2 - Y) / m",
    "divided_by_k": "dZ2 is divided by k = Y.shape[0], the number of classes; divide by m = Y.shape[1], the "
                    "number of examples",
    "one_over_m_twice": "the 1/m is applied twice: put it in dZ2 only",
    "scalar_bias_gradient": "the bias gradients are single numbers: np.sum(dZ) adds up every unit; use "
                            "dZ.sum(axis=1, keepdims=True)",
    "relu_grad_wrong_array": "ReLU's derivative of the wrong array: take it at Z1, the hidden pre-activation, "
                             "not at Z2",
    "relu_grad_wrong_at_zero": "ReLU's derivative is wrong at 0 (Z1 >= 0 instead of Z1 > 0): it changes db1 "
                               "for inputs that make a unit exactly 0",
    "relu_instead_of_derivative": "you multiply by relu(Z1); the chain rule needs relu_grad(Z1)",
    "X_instead_of_X_T": "dW1 computed with X instead of X.T: dW1 = dZ1 @ X.T",
}


def check_backward(backward_fn: Callable) -> Feedback:
    """Check ``backward(params, cache, X, y) -> grads`` against :func:`mnistnn.backward`.

    Compares dW2, db2, dW1, db1 in that order on random networks (a square one, so that shape-correct
    mistakes run, and one with inputs that make hidden units exactly 0); recognises every mistake of
    the step checks (labels for one-hot, 1/m, scalar bias, ReLU's derivative, X for X.T) and params or
    the cache changed in place.

    Parameters
    ----------
    backward_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        for shape, seed, zero in (((10, 10, 10, 10), 38, True), ((8, 6, 4, 9), 39, False)):
            params, X, y, cache = _problem(*shape, seed=seed, zero_column=zero)
            grads = _call_untouched("backward", backward_fn, {"params": params, "cache": cache, "X": X, "y": y},
                                    section="backward", shapes=f"W1 {params['W1'].shape}, W2 {params['W2'].shape}, "
                                                               f"X {X.shape}, y {y.shape}")
            if isinstance(grads, dict) and not {"W1", "b1", "W2", "b2"} <= set(grads):
                raise _Mistake("wrong_keys", f"backward returned a dict with keys {sorted(map(str, grads))}; the "
                               "keys must be those of params, W1, b1, W2, b2 (holding dW1, db1, dW2, db2): "
                               "grads[key] then updates params[key]")
            if not isinstance(grads, dict):
                raise _Mistake("wrong_type", f"backward returned {_describe(grads)}; return a dict with keys "
                               "W1, b1, W2, b2 (dW1, db1, dW2, db2)")
            expected = backward(params, cache, X, y)
            if all(_same(grads[key], expected[key]) for key in expected):
                continue
            for mistake, text in _BACKWARD_MISTAKES.items():
                wrong = _mistaken_backward(params, cache, X, y, mistake)
                if wrong and all(_same(grads[key], wrong[key], dtype=False) for key in wrong):
                    raise _Mistake(mistake.removesuffix("_no_m"), text,
                                   "bias" if mistake == "scalar_bias_gradient" else None)
            dZ2 = (cache["A2"] - one_hot(y, shape[2])) / y.size
            dZ1 = (params["W2"].T @ dZ2) * relu_grad(cache["Z1"])
            bias = {"b2": _bias_candidates(dZ2, y.size), "b1": _bias_candidates(dZ1, y.size)}
            for key in ("W2", "b2", "W1", "b1"):
                _compare(f"grads[{key!r}] (d{key})", grads[key], expected[key], bias.get(key, []),
                         section="bias" if key.startswith("b") else "backward")
    return _run("backward", "backward", body, fn=backward_fn, helpers=(
        "one_hot", "output_gradient", "layer2_gradients", "relu_grad", "hidden_gradient", "layer1_gradients"))


def check_numerical_gradient(numerical_gradient_fn: Callable) -> Feedback:
    """Check ``numerical_gradient(f, W, eps=1e-5) -> dW``: central differences of a scalar f(W).

    Recognises: one-sided differences, the 2 missing from 2*eps, W left changed, a wrong shape.

    Parameters
    ----------
    numerical_gradient_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(40)
        W = rng.normal(size=(3, 4))
        C = rng.normal(size=(3, 4))

        def f(V):
            return float(np.sum(np.sin(V) * C) + 0.5 * np.sum(V) ** 2)

        W_in = W.copy()
        got = _call("numerical_gradient", numerical_gradient_fn, f, W_in, 1e-5, shapes="f, W of shape (3, 4), eps=1e-5")
        if not isinstance(W_in, np.ndarray) or not np.allclose(W_in, W, rtol=0, atol=1e-12):
            raise _Mistake("changed_in_place", "W is left changed after the call: restore each entry after "
                           "perturbing it (or perturb a copy)", "gradcheck")
        exact = np.cos(W) * C + np.sum(W)
        forward_difference = np.zeros_like(W)
        for index in np.ndindex(W.shape):
            shifted = W.copy()
            shifted[index] += 1e-5
            forward_difference[index] = (f(shifted) - f(W)) / 1e-5
        _compare("the numerical gradient", got, exact, [
            ("missing_2", "the central difference divides by 2 * eps: (f(W + eps) - f(W - eps)) / (2 * eps)",
             exact * 2),
            ("one_sided", "one-sided differences (f(W + eps) - f(W)) / eps are only accurate to about eps; use "
             "central differences, (f(W + eps) - f(W - eps)) / (2 * eps)", forward_difference),
        ], inputs=(W,), section="gradcheck", rtol=1e-6)
    return _run("numerical_gradient", "gradcheck", body)


def check_gradient_errors(errors: object, *, tolerance: float = 1e-6, backward_fn: object = None) -> Feedback:
    """Check the relative errors of a gradient check: a dict {W1, b1, W2, b2} of floats below ``tolerance``.

    ``backward_fn``, the learner's backward if given, tells a wrong backward (its own check fails) from a
    numerical gradient of a function that ignores its argument (every relative error exactly 1).
    """
    def body():
        _unfilled("errors", errors)
        if isinstance(errors, dict) and not errors:
            raise _Mistake("not_implemented", "errors is still empty: fill in the loop")
        if not isinstance(errors, dict) or set(errors) != {"W1", "b1", "W2", "b2"}:
            raise _Mistake("wrong_type", f"errors is {_describe(errors)}; a dict with keys W1, b1, W2, b2 is "
                           "expected", "gradcheck")
        for key, value in errors.items():
            if isinstance(value, np.ndarray):
                raise _Mistake("not_a_number", f"errors[{key!r}] is {_describe(value)}: store one number per "
                               "array, float(mnistnn.relative_error(...))", "gradcheck")
        if all(isinstance(value, (float, int, np.floating)) and abs(value - 1) < 1e-9
               for value in errors.values()) and (backward_fn is None or check_backward(backward_fn).passed):
            raise _Mistake("f_ignores_W", "every relative error is exactly 1: your numerical gradient is 0 "
                           "everywhere, so the function you gave numerical_gradient ignores its argument W; "
                           "build the loss from W, e.g. lambda W: loss({**small, key: W})", "gradcheck")
        if backward_fn is not None and any(not isinstance(value, (float, np.floating)) or not 0 <= value < tolerance
                                           for value in errors.values()):
            result = check_backward(backward_fn)
            if not result.passed:
                raise _Mistake("backward_fails", f"your backward fails its own check: make it pass first "
                               f"({result.message})", "backward")
        for key, value in errors.items():
            if not isinstance(value, (float, np.floating)) or not 0 <= value < tolerance:
                raise _Mistake("gradient_check_fails", f"the relative error for {key} is {_value_text(value)}: "
                               f"above {tolerance:g}, your backward and the numerical gradient disagree on d{key}",
                               "gradcheck")
    return _run("gradient errors", "gradcheck", body)


@functools.lru_cache(maxsize=1)
def _untrained_guesses() -> dict[str, np.ndarray]:
    """Lab 02 Q4's answer, and what its classic mistakes give (computed once: loading MNIST takes seconds)."""
    from .data import load_dataset

    data = load_dataset(rng=np.random.default_rng(0))
    params = init_params(784, 10, 10, rng=np.random.default_rng(0), scheme="uniform")
    A2 = forward(params, data.X_val[:, :1000])[0]
    return {
        "expected": A2.mean(axis=1),
        "training_images": forward(params, data.X_train[:, :1000])[0].mean(axis=1),
        "he_init": forward(init_params(784, 10, 10, rng=np.random.default_rng(0), scheme="he"),
                           data.X_val[:, :1000])[0].mean(axis=1),
        "all_images": forward(params, data.X_val)[0].mean(axis=1),
        "predicted_fraction": np.bincount(A2.argmax(axis=0), minlength=10) / 1000,
    }


def check_mean_probability(value: object, name: str = "mean_probability") -> Feedback:
    """Check lab 02 Q4: the mean probability the untrained original network gives each digit.

    The value is recomputed as the question defines it: ``load_dataset(rng=default_rng(0))``, the
    784-10-10 network drawn uniform in [-0.5, 0.5) with ``default_rng(0)``, the first 1,000 validation
    images, ``A2.mean(axis=1)``. Recognises training images, He init, all 10,000 images, the fraction of
    predictions per class, a uniform 0.1 and a one-hot guess.
    """
    def body():
        _unfilled(name, value)
        guesses = _untrained_guesses()
        expected = guesses["expected"]
        if isinstance(value, np.ndarray) and value.shape == (10,) and value.dtype.kind == "f":
            if np.allclose(value, 0.1, rtol=0, atol=1e-12):
                raise _Mistake("uniform_guess", f"{name} is 0.1 for every digit: that is a guess, not what the "
                               "network gives; run forward on the images and average A2 over them (axis=1)")
            if np.count_nonzero(value) == 1:
                raise _Mistake("one_hot_guess", f"{name} puts all the probability on digit {int(value.argmax())}: "
                               "it must be the average of forward's probabilities over the 1,000 images, "
                               "A2.mean(axis=1)")
        _compare(name, value, expected, [
            ("training_images", "those are training images: use the first 1,000 validation images, "
             "data.X_val[:, :1000]", guesses["training_images"]),
            ("he_init", "those parameters are He-initialised: the original network draws them uniform in "
             "[-0.5, 0.5), init_params(..., scheme=\"uniform\") with rng=np.random.default_rng(0)",
             guesses["he_init"]),
            ("all_images", "that is the average over all 10,000 validation images: use the first 1,000, "
             "data.X_val[:, :1000]", guesses["all_images"]),
            ("predicted_fraction", "that is the fraction of images predicted as each digit (argmax counts / 1000); "
             "the question asks for the mean probability, A2.mean(axis=1)", guesses["predicted_fraction"]),
        ], section="untrained", rtol=1e-6)
    return _run(name, "untrained", body)


# ------------------------------------------------------------------------------ lab 04: training


def check_update_params(update_params: Callable) -> Feedback:
    """Check ``update_params(params, grads, learning_rate) -> new params``, one gradient-descent step.

    Recognises: params changed in place, the step taken uphill, the learning rate ignored, biases not
    updated.

    Parameters
    ----------
    update_params : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        params, X, y, cache = _problem(6, 5, 4, 7, seed=41)
        grads = backward(params, cache, X, y)
        new = _call_untouched("update_params", update_params, {"params": params, "grads": grads}, 0.5,
                              section="descent", shapes="params, grads, learning_rate=0.5")
        if not isinstance(new, dict) or set(new) != set(params):
            raise _Mistake("wrong_type", f"update_params returned {_describe(new)}; return a new dict with keys "
                           "W1, b1, W2, b2")
        expected = {key: params[key] - 0.5 * grads[key] for key in params}
        wrong = {
            "gradient_ascent": ("the step goes uphill: subtract the gradient, W - learning_rate * dW",
                                {key: params[key] + 0.5 * grads[key] for key in params}),
            "learning_rate_ignored": ("the learning rate is ignored: W - learning_rate * dW",
                                      {key: params[key] - grads[key] for key in params}),
            "biases_not_updated": ("the biases are not updated: b1 and b2 learn too",
                                   {key: expected[key] if key.startswith("W") else params[key] for key in params}),
        }
        if not all(_same(new[key], expected[key]) for key in params):
            for mistake, (text, value) in wrong.items():
                if all(_same(new[key], value[key], dtype=False) for key in params):
                    raise _Mistake(mistake, text)
            for key in params:
                _compare(f"new params[{key!r}]", new[key], expected[key], section="descent")
    return _run("update_params", "descent", body)


def check_predict(predict_fn: Callable) -> Feedback:
    """Check ``predict(A2) -> y_pred``: the most probable class of each column, shape (m,).

    Recognises: argmax over the wrong axis or over the whole matrix, max instead of argmax.

    Parameters
    ----------
    predict_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        rng = np.random.default_rng(42)
        for k, m in ((10, 7), (10, 10)):
            A2 = softmax(rng.normal(0, 2, size=(k, m)))
            got = _call("predict", predict_fn, A2.copy(), shapes=f"A2 of shape ({k}, {m})")
            _compare("y_pred", got, A2.argmax(axis=0), [
                ("argmax_wrong_axis", f"argmax over the wrong axis: each column is an example, so use axis=0 (you "
                 f"gave {np.shape(got)} for {m} examples)", A2.argmax(axis=1)),
                ("argmax_no_axis", "argmax without an axis gives one index into the flattened matrix; use axis=0",
                 int(A2.argmax())),
                ("max_not_argmax", "max gives the largest probability, argmax its class: use argmax(axis=0)",
                 A2.max(axis=0)),
            ], section="training")
    return _run("predict", "training", body)


def check_gradient_descent(gradient_descent_fn: Callable) -> Feedback:
    """Check ``gradient_descent(params, X, y, learning_rate, iterations) -> params`` on a small problem.

    Recognises: params changed in place, one iteration too many or too few, the learning rate ignored,
    no learning at all.

    Parameters
    ----------
    gradient_descent_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        params, X, y, _ = _problem(6, 5, 4, 20, seed=43)
        def reference(iterations, learning_rate=0.5):
            p = params
            for _ in range(iterations):
                _, cache = forward(p, X)
                grads = backward(p, cache, X, y)
                p = {key: p[key] - learning_rate * grads[key] for key in p}
            return p

        got = _call_untouched("gradient_descent", gradient_descent_fn, {"params": params, "X": X, "y": y}, 0.5, 3,
                              section="descent", shapes="a 6-5-4 network, X (6, 20), learning_rate=0.5, iterations=3")
        if isinstance(got, tuple) and got and isinstance(got[0], dict):
            got = got[0]          # (params, history) is fine too
        if not isinstance(got, dict) or not {"W1", "b1", "W2", "b2"} <= set(got):
            raise _Mistake("wrong_type", f"gradient_descent returned {_describe(got)}; return the trained params")
        expected = reference(3)
        if all(_same(got[key], expected[key], rtol=1e-5) for key in params):
            return
        for mistake, text, value in (
                ("no_learning", "the params did not change: update them at every iteration", params),
                ("iteration_count", "one iteration too few: run exactly `iterations` steps", reference(2)),
                ("iteration_count", "one iteration too many: run exactly `iterations` steps", reference(4)),
                ("learning_rate_ignored", "the learning rate is ignored", reference(3, 1.0))):
            if all(_same(got[key], value[key], dtype=False, rtol=1e-5) for key in params):
                raise _Mistake(mistake, text)
        for key in params:
            _compare(f"trained params[{key!r}] after 3 iterations", got[key], expected[key], section="descent",
                     rtol=1e-5)
    return _run("gradient_descent", "descent", body)


def check_score(name: str, value: object, *, at_least: float, section: str = "training") -> Feedback:
    """Check that an accuracy (a fraction in [0, 1]) reaches ``at_least``."""
    def body():
        _unfilled(name, value)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            score = value.item()
        else:
            score = value
        if not isinstance(score, (float, np.floating)) or isinstance(score, bool):
            raise _Mistake("wrong_type", f"{name} is {_describe(value)}; a float between 0 and 1 is expected")
        if score > 1:
            raise _Mistake("percentage", f"{name} is {score:g}: give a fraction between 0 and 1, not a percentage")
        if score < at_least:
            raise _Mistake("too_low", f"{name} is {score:.2%}, below the {at_least:.0%} this configuration reaches")
    return _run(name, section, body)


# ---------------------------------------------------------------------------- lab 05: evaluation


def check_accuracy(accuracy_fn: Callable) -> Feedback:
    """Check ``accuracy(y_true, y_pred) -> float``: recognises a count, a percentage, the error rate.

    Parameters
    ----------
    accuracy_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        y_true = np.array([0, 1, 2, 2, 3, 4, 4, 4])
        y_pred = np.array([0, 1, 2, 1, 3, 0, 4, 4])
        got = _call("accuracy", accuracy_fn, y_true.copy(), y_pred.copy(), shapes="8 labels")
        expected = _accuracy(y_true, y_pred)
        _compare("the accuracy", got, expected, [
            ("count_not_fraction", "that is the number of correct predictions; divide by the number of examples",
             expected * 8),
            ("percentage", "give a fraction between 0 and 1, not a percentage", expected * 100),
            ("error_rate", "that is the error rate (the fraction wrong); accuracy is the fraction right",
             1 - expected),
        ], section="confusion")
    return _run("accuracy", "confusion", body)


def check_confusion_matrix(confusion_matrix_fn: Callable) -> Feedback:
    """Check ``confusion_matrix(y_true, y_pred, n_classes=10)``: rows true class, columns predicted, integer counts.

    Recognises: transposed, sized by the largest label, float counts.

    Parameters
    ----------
    confusion_matrix_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        y_true = np.array([0, 1, 2, 2, 3, 4, 4, 4, 1])
        y_pred = np.array([0, 1, 2, 1, 3, 0, 4, 4, 2])
        got = _call("confusion_matrix", confusion_matrix_fn, y_true.copy(), y_pred.copy(), 10,
                    shapes="9 labels, n_classes=10")
        expected = _confusion_matrix(y_true, y_pred, 10)
        if isinstance(got, np.ndarray) and got.dtype.kind in "iu" and got.dtype != expected.dtype:
            got = got.astype(expected.dtype)   # any integer type holds counts
        _compare("C", got, expected, [
            ("transposed", "transposed: rows must be the true classes and columns the predictions, C[y_true, "
             "y_pred] += 1", expected.T),
            ("sized_by_max", "sized by the largest label + 1: use n_classes rows and columns",
             expected[:5, :5]),
        ], section="confusion")
    return _run("confusion_matrix", "confusion", body)


def check_precision_recall(precision_recall_fn: Callable) -> Feedback:
    """Check ``precision_recall(C) -> (precision, recall)``.

    Recognises: precision and recall swapped, nan for a class that is never predicted, division by the
    total count.

    Parameters
    ----------
    precision_recall_fn : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        C = np.array([[5, 1, 0, 0], [2, 6, 1, 0], [0, 0, 7, 0], [1, 0, 2, 0]])   # class 3 is never predicted
        result = _call("precision_recall", precision_recall_fn, C.copy(), shapes="C of shape (4, 4)")
        if not (isinstance(result, tuple) and len(result) == 2):
            raise _Mistake("wrong_type", f"returned {_describe(result)}; return precision, recall")
        precision, recall = precision_recall(C)
        if _same(result[0], recall, dtype=False) and _same(result[1], precision, dtype=False):
            raise _Mistake("swapped", "precision and recall are swapped: precision divides by the column sums "
                           "(what was predicted), recall by the row sums (what is true)", "precision")
        for name, got, expected in (("precision", result[0], precision), ("recall", result[1], recall)):
            if isinstance(got, np.ndarray) and got.shape == expected.shape and np.isnan(got).any():
                raise _Mistake("nan_for_empty_class", f"{name} has nan for a class that is never predicted "
                               "(0 / 0): count it as 0, e.g. np.divide(..., where=denominator > 0)", "precision")
            _compare(name, got, expected, [
                ("divided_by_total", f"{name} divides by the total count; divide by the column (precision) or row "
                 "(recall) sums", np.diag(C) / C.sum()),
            ], section="precision")
    return _run("precision_recall", "precision", body)


# ------------------------------------------------------------------------- lab 06: going further


def check_minibatches(minibatches: Callable) -> Feedback:
    """Check ``minibatches(m, batch_size, rng) -> list of index arrays``: a shuffled partition of range(m).

    Recognises: overlapping or missing examples, the last partial batch dropped, no shuffle, the rng
    not used.

    Parameters
    ----------
    minibatches : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        batches = _call("minibatches", minibatches, 103, 10, np.random.default_rng(0), shapes="m=103, batch_size=10")
        try:
            batches = [np.asarray(batch) for batch in batches]
        except TypeError:
            raise _Mistake("wrong_type", f"returned {_describe(batches)}; return a list of index arrays") from None
        if not batches or any(batch.ndim != 1 or batch.dtype.kind not in "iu" for batch in batches):
            raise _Mistake("wrong_type", "each batch must be a 1-D array of example indices")
        every = np.concatenate(batches)
        sizes = [batch.size for batch in batches]
        if every.size < 103 and np.unique(every).size == every.size and sizes[-1] == 10:
            raise _Mistake("last_batch_dropped", f"{103 - every.size} examples are never used: keep the last, "
                           "smaller batch (103 examples make 10 batches of 10 and one of 3)", "sgd")
        if np.unique(every).size != every.size or every.size != 103:
            raise _Mistake("overlap", f"every example must be in exactly one batch; got {every.size} indices, "
                           f"{np.unique(every).size} distinct, for m = 103", "sgd")
        if any(size != 10 for size in sizes[:-1]):
            raise _Mistake("wrong_sizes", f"batch sizes {sizes}: all but the last must hold batch_size examples",
                           "sgd")
        if np.array_equal(every, np.arange(103)):
            raise _Mistake("not_shuffled", "the batches are in order 0, 1, 2, ...: shuffle every epoch "
                           "(rng.permutation(m))", "sgd")
        again = np.concatenate([np.asarray(b) for b in _call("minibatches", minibatches, 103, 10,
                                                                  np.random.default_rng(0))])
        other = np.concatenate([np.asarray(b) for b in _call("minibatches", minibatches, 103, 10,
                                                                  np.random.default_rng(1))])
        if not np.array_equal(again, every) or np.array_equal(other, every):
            raise _Mistake("rng_ignored", "draw the order from the rng argument: the same seed must give the same "
                           "batches, another seed other batches", "sgd")
    return _run("minibatches", "sgd", body)


def check_momentum_step(momentum_step: Callable) -> Feedback:
    """Check ``momentum_step(params, grads, velocity, learning_rate, momentum) -> (params, velocity)``.

    Three steps from zero velocity must follow V <- momentum V - lr dW, W <- W + V (the same path as
    V <- momentum V + dW, W <- W - lr V). Recognises: momentum ignored, the step uphill, params or
    velocity changed in place.

    Parameters
    ----------
    momentum_step : callable
        The learner's function.

    Returns
    -------
    Feedback
        True when every check passed; displays as one line naming the mistake otherwise.
    """
    def body():
        params, X, y, cache = _problem(6, 5, 4, 7, seed=44)
        grads = backward(params, cache, X, y)
        lr, mu = 0.1, 0.9
        velocity = {key: np.zeros_like(value) for key, value in params.items()}
        expected_params, expected_velocity = params, velocity
        plain = params
        got_params, got_velocity = params, velocity
        for step in range(3):
            result = _call_untouched("momentum_step", momentum_step,
                                     {"params": got_params, "grads": grads, "velocity": got_velocity}, lr, mu,
                                     section="sgd", shapes="params, grads, velocity, learning_rate=0.1, momentum=0.9")
            if not (isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, dict) for r in result)):
                raise _Mistake("wrong_type", f"momentum_step returned {_describe(result)}; return (params, velocity)",
                               "sgd")
            got_params, got_velocity = result
            expected_velocity = {key: mu * expected_velocity[key] - lr * grads[key] for key in params}
            expected_params = {key: expected_params[key] + expected_velocity[key] for key in params}
            plain = {key: plain[key] - lr * grads[key] for key in params}
            if all(_same(got_params.get(key), expected_params[key]) for key in params):
                continue
            ascent = {key: params[key] - (expected_params[key] - params[key]) for key in params}
            if step > 0 and all(_same(got_params.get(key), plain[key], dtype=False) for key in params):
                raise _Mistake("momentum_ignored", f"after {step + 1} steps the params are those of plain SGD: the "
                               "velocity must carry over, V = momentum * V - learning_rate * dW; W = W + V", "sgd")
            if all(_same(got_params.get(key), ascent[key], dtype=False) for key in params):
                raise _Mistake("gradient_ascent", "the step goes uphill: V = momentum * V - learning_rate * dW",
                               "sgd")
            for key in params:
                _compare(f"params[{key!r}] after step {step + 1}", got_params.get(key), expected_params[key],
                         section="sgd")
    return _run("momentum_step", "sgd", body)


#: The check of each earlier function a later one may call (see ``helpers`` in :func:`_run`).
_HELPER_CHECKS: dict[str, Callable[[Callable], Feedback]] = {
    "relu": check_relu, "softmax": check_softmax, "relu_grad": check_relu_grad, "one_hot": check_one_hot,
    "output_gradient": check_output_gradient, "layer2_gradients": check_layer2_gradients,
    "hidden_gradient": check_hidden_gradient, "layer1_gradients": check_layer1_gradients,
}
