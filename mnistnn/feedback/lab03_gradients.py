"""Lab 03 · Backpropagation, the whole pass: backward from the learner's steps, numerical gradients, and the
gradient checks, whose relative errors are recomputed from the learner's own functions."""

from __future__ import annotations

import numpy as np

from .. import model
from ..gradcheck import relative_error
from . import activations
from .calls import Probe
from .cases import problem
from .compare import close, expect
from .core import Code, Mistake, Stop, check

# ----------------------------------------------------------------------------------------------- backward


def mistaken_backward(params, cache, X, y, mistake=None):
    """The gradients of a backward pass with one classic mistake (None: the right ones)."""
    m, Y = X.shape[1], model.one_hot(y, params["W2"].shape[0])
    dZ2 = {
        Code.LABELS_AS_ONE_HOT: (cache["A2"] - y) / m,
        Code.MISSING_1_OVER_M: cache["A2"] - Y,
        Code.DIVIDED_BY_K: (cache["A2"] - Y) / Y.shape[0],
    }.get(mistake, (cache["A2"] - Y) / m)
    derivative = {
        Code.GRAD_WRONG_AT_ZERO: (cache["Z1"] >= 0).astype(float),
        Code.ACTIVATION_INSTEAD_OF_DERIVATIVE: model.relu(cache["Z1"]),
    }.get(mistake, model.relu_grad(cache["Z1"]))
    dZ1 = (params["W2"].T @ dZ2) * derivative
    dW1 = dZ1 @ X if mistake == Code.A_PREV_NOT_TRANSPOSED else dZ1 @ X.T
    grads = {
        "W1": dW1,
        "b1": dZ1.sum(axis=1, keepdims=True),
        "W2": dZ2 @ cache["A1"].T,
        "b2": dZ2.sum(axis=1, keepdims=True),
    }
    if mistake == Code.ONE_OVER_M_TWICE:
        grads = {key: value / m for key, value in grads.items()}
    if mistake == Code.SCALAR_BIAS_GRADIENT:
        grads["b1"], grads["b2"] = float(np.sum(dZ1)), float(np.sum(dZ2))
    return grads


def _backward_with(mistake):
    def wrong(params, cache, X, y):
        return mistaken_backward(params, cache, X, y, mistake)

    return wrong


def _backward_changes_cache(params, cache, X, y):
    cache["A2"] -= model.one_hot(y, params["W2"].shape[0])
    return model.backward(params, cache, X, y)


BACKWARD = (
    Mistake(
        Code.LABELS_AS_ONE_HOT,
        "the labels y are used where the one-hot Y is expected: A2 - y subtracts the "
        "label values from every row; use Y = one_hot(y)",
        section="one_hot",
        wrong=_backward_with(Code.LABELS_AS_ONE_HOT),
    ),
    Mistake(
        Code.MISSING_1_OVER_M,
        "the 1/m is missing: the loss is a mean, so every gradient carries a 1/m (in dZ2, or in every dW and db)",
        section="loss",
        wrong=_backward_with(Code.MISSING_1_OVER_M),
    ),
    Mistake(
        Code.DIVIDED_BY_K,
        "dZ2 is divided by k = Y.shape[0], the number of classes; divide by m = Y.shape[1]",
        section="loss",
        wrong=_backward_with(Code.DIVIDED_BY_K),
    ),
    Mistake(
        Code.ONE_OVER_M_TWICE,
        "the 1/m is applied twice: once in dZ2 or once in each dW and db, not both",
        section="loss",
        wrong=_backward_with(Code.ONE_OVER_M_TWICE),
    ),
    Mistake(
        Code.SCALAR_BIAS_GRADIENT,
        "the bias gradients are single numbers: np.sum(dZ) adds up every unit; sum "
        "over the examples only, one per unit",
        section="bias",
        wrong=_backward_with(Code.SCALAR_BIAS_GRADIENT),
    ),
    Mistake(
        Code.GRAD_WRONG_AT_ZERO,
        "ReLU's derivative is wrong at 0 (1 where Z1 == 0): it changes the gradients of units exactly at the kink",
        wrong=_backward_with(Code.GRAD_WRONG_AT_ZERO),
    ),
    Mistake(
        Code.ACTIVATION_INSTEAD_OF_DERIVATIVE,
        "you multiply by relu(Z1); the chain rule needs its derivative",
        wrong=_backward_with(Code.ACTIVATION_INSTEAD_OF_DERIVATIVE),
    ),
    Mistake(
        Code.A_PREV_NOT_TRANSPOSED,
        "dW1 uses X where X.T is needed: dW1 = dZ1 @ X.T",
        wrong=_backward_with(Code.A_PREV_NOT_TRANSPOSED),
    ),
    Mistake(Code.CHANGED_IN_PLACE, "", wrong=_backward_changes_cache, by_rule=True),
)
KEYS = ("W1", "b1", "W2", "b2")


@check(
    name="backward",
    section="backward",
    mistakes=BACKWARD,
    helpers=("one_hot", "output_gradient", "layer_backward", "relu_grad"),
)
def check_backward(student, case):
    rng = case.rng(38)
    for shape, zero in case.pick(
        (((10, 10, 10, 10), True), ((8, 6, 4, 9), False)), (((7, 7, 7, 7), True), ((5, 9, 3, 12), False))
    ):
        params, X, y, cache = problem(*shape, rng, zero_column=zero)
        grads = student.call("backward", params, cache, X, y)
        if not isinstance(grads, dict):
            raise Stop(
                Code.WRONG_TYPE,
                f"backward returned {type(grads).__name__}; return a dict with keys W1, b1, W2, "
                "b2 (holding dW1, db1, dW2, db2)",
            )
        if set(grads) != set(KEYS):
            raise Stop(
                Code.WRONG_KEYS,
                f"backward returned a dict with keys {sorted(grads)}; the keys must be those "
                "of params, W1, b1, W2, b2 (holding dW1, db1, dW2, db2): grads[key] then updates params[key]",
            )
        expected = model.backward(params, cache, X, y)
        if all(close(grads[key], expected[key]) for key in KEYS):
            continue
        for mistake in BACKWARD:
            if not mistake.by_rule:
                wrong = mistake.wrong(params, cache, X, y)
                if all(close(grads[key], wrong[key], dtype="any") for key in KEYS):
                    raise Stop.of(mistake)
        for key in ("W2", "b2", "W1", "b1"):
            expect(
                grads[key],
                expected[key],
                what_=f"grads[{key!r}] (d{key})",
                equation={
                    "W2": "dW2 = dZ2 A1^T",
                    "b2": "db2 = dZ2 summed over the examples",
                    "W1": "dW1 = dZ1 X^T, dZ1 = (W2^T dZ2) * relu'(Z1)",
                    "b1": "db1 = dZ1 summed over the examples",
                }[key],
            )


# ----------------------------------------------------------------------------------------------- gradient checks


def _numerical(f, W, eps=1e-5, *, plus=1.0, minus=1.0, divide=2.0):
    """Differences of f around W, one entry at a time: (f(W + plus eps) - f(W - minus eps)) / (divide eps)."""
    grad = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[index] += plus * eps
        down[index] -= minus * eps
        grad[index] = (f(up) - f(down)) / (divide * eps)
    return grad


def _numerical_not_restored(f, W, eps=1e-5):
    grad = _numerical(f, W, eps)
    W += eps
    return grad


NUMERICAL = (
    Mistake(
        Code.MISSING_2,
        "the central difference divides by 2 * eps: (f(W + eps) - f(W - eps)) / (2 * eps)",
        wrong=lambda f, W, eps=1e-5: _numerical(f, W, eps, divide=1.0),
    ),
    Mistake(
        Code.ONE_SIDED,
        "one-sided differences (f(W + eps) - f(W)) / eps are only accurate to about eps; use "
        "central differences, (f(W + eps) - f(W - eps)) / (2 * eps)",
        wrong=lambda f, W, eps=1e-5: _numerical(f, W, eps, minus=0.0, divide=1.0),
    ),
    Mistake(Code.CHANGED_IN_PLACE, "", wrong=_numerical_not_restored, by_rule=True),
)


@check(name="numerical_gradient", section="gradcheck", mistakes=NUMERICAL)
def check_numerical_gradient(student, case):
    rng = case.rng(40)
    W, C = rng.normal(size=case.pick((3, 4), (2, 5))), rng.normal(size=case.pick((3, 4), (2, 5)))
    got = student.call("numerical_gradient", Probe("smooth", {"C": C}), W, 1e-5)
    exact = np.cos(W) * C + np.sum(W)
    f = lambda V: float(np.sum(np.sin(V) * C) + 0.5 * np.sum(V) ** 2)  # noqa: E731  the probe, here
    expect(
        got,
        exact,
        what_="the numerical gradient",
        mistakes=NUMERICAL,
        args=(f, W, 1e-5),
        inputs=(W,),
        rtol=1e-6,
        equation="(f(W + eps) - f(W - eps)) / (2 eps), one entry at a time",
    )


def gradient_errors(student, backward_name: str, rng, activation: str = "relu", slope: float = 0.1) -> dict[str, float]:
    """The relative errors between the learner's backward and the learner's numerical gradient of the true loss,
    on a small network (both recomputed: a typed number is never taken as it is)."""
    params, X, y, _ = problem(5, 4, 3, 6, rng)
    cache = activations.forward(params, X, activation, slope)
    grads = student.call(backward_name, params, cache, X, y)
    if not isinstance(grads, dict) or set(grads) != set(KEYS):
        raise Stop(
            Code.BACKWARD_FAILS,
            f"your {backward_name} does not return the dict of gradients yet: make its check pass first",
            section="backward",
        )
    probe = {"X": X, "y": y, "activation": activation, "slope": slope, **params}
    requests = [("numerical_gradient", (Probe("loss_of", {"key": key, **probe}), params[key]), {}) for key in KEYS]
    numerical = dict(zip(KEYS, student.calls(requests)))
    errors = {}
    for key in KEYS:
        if not (isinstance(numerical[key], np.ndarray) and numerical[key].shape == params[key].shape):
            raise Stop(
                Code.BACKWARD_FAILS,
                "your numerical_gradient does not return an array of W's shape yet: make its check pass first",
                section="gradcheck",
            )
        errors[key] = relative_error(np.asarray(grads[key], dtype=float), numerical[key])
    return errors


GRADIENT_CHECK = (
    Mistake(
        Code.F_IGNORES_W,
        "every relative error is exactly 1: your numerical gradient is 0 everywhere, so the "
        "function you give numerical_gradient ignores its argument W; build the loss from W, e.g. lambda W: "
        "loss({**small, key: W})",
        by_rule=True,
    ),
    Mistake(Code.GRADIENT_CHECK_FAILS, "", by_rule=True),
    Mistake(Code.BACKWARD_FAILS, "", by_rule=True),
)


def judge_errors(errors: dict[str, float], backward_name: str, tolerance: float = 1e-6) -> None:
    """Stop unless every relative error is below the tolerance."""
    for key, error in errors.items():
        if not error < tolerance:
            raise Stop(
                Code.GRADIENT_CHECK_FAILS,
                f"the relative error for {key} is {error:.3g}, above {tolerance:g}: "
                f"your {backward_name} and your numerical_gradient disagree on d{key}",
                section="gradcheck",
            )


def judge_typed_errors(student, name: str, backward_name: str) -> None:
    """The self-check also reads what the notebook stored: four numbers, each below the tolerance."""
    if not student.has_values:
        return
    typed = student.value(name)
    if not isinstance(typed, dict) or set(typed) != set(KEYS):
        raise Stop(
            Code.WRONG_TYPE,
            f"{name} must be a dict with keys W1, b1, W2, b2 holding the relative errors; it is {type(typed).__name__}",
            section="gradcheck",
        )
    if all(np.ndim(value) == 0 and float(value) == 1.0 for value in typed.values()):
        raise Stop.of(GRADIENT_CHECK[0])
    numbers = {
        key: float(value) if np.ndim(value) == 0 and isinstance(value, (int, float, np.ndarray)) else np.inf
        for key, value in typed.items()
    }
    judge_errors(numbers, backward_name)


@check(
    name="gradient_check",
    section="gradcheck",
    mistakes=GRADIENT_CHECK,
    function=None,
    helpers=("backward", "numerical_gradient"),
)
def check_gradient_check(student, case):
    """Recomputed: the learner's backward against the learner's numerical_gradient of the loss; the typed `errors`
    (self-check) must be what that gives: a dict of four numbers below 1e-6."""
    judge_errors(gradient_errors(student, "backward", case.rng(3)), "backward")
    judge_typed_errors(student, "errors", "backward")
