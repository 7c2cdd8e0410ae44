"""Lab 03 · Backpropagation, the whole pass: backward from the learner's steps, numerical gradients, and the
learner's gradient check, a function that grading calls with right and with deliberately wrong backward passes."""

from __future__ import annotations

import re

import numpy as np

from .. import model
from ..gradcheck import relative_error
from . import activations
from .calls import Probe
from .cases import problem
from .compare import close, expect, is_number, what
from .core import Code, Mistake, Stop, check

KEYS = ("W1", "b1", "W2", "b2")
SHAPES = {"W1": "(h, n_in)", "b1": "(h, 1)", "W2": "(n_classes, h)", "b2": "(n_classes, 1)"}
EPS = 1e-6  # notebook 03's step: its thresholds (below 1e-6 passes, above 1e-3 is a bug) are set for it
TOLERANCE, LARGE = 1e-6, 1e-3

# ----------------------------------------------------------------------------------------------- backward


def mistaken_backward(params, cache, X, y, mistake=None):
    """The gradients of a backward pass with one classic mistake (None: the right ones)."""
    m = X.shape[1]
    Y = model.one_hot(y, 10 if mistake == Code.N_CLASSES_IGNORED else params["W2"].shape[0])
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
    if mistake == Code.KEEPDIMS_MISSING:
        grads["b1"], grads["b2"] = dZ1.sum(axis=1), dZ2.sum(axis=1)
    if mistake == Code.SWAPPED:
        grads["b1"], grads["b2"] = grads["b2"], grads["b1"]
    return grads


def _backward_with(mistake):
    def wrong(params, cache, X, y):
        return mistaken_backward(params, cache, X, y, mistake)

    return wrong


def _backward_changes_cache(params, cache, X, y):
    cache["A2"] -= model.one_hot(y, params["W2"].shape[0])
    return model.backward(params, cache, X, y)


def swapped_biases(wrong):
    """A row: b1 and b2 swapped in the dict (by values where their shapes agree, by shapes where they do not)."""
    return Mistake(
        Code.SWAPPED,
        "are b1 and b2 swapped? Each key holds the gradient of the array of that name",
        wrong=wrong,
        by_rule=True,
    )


def n_classes_ignored(wrong):
    """A row: one_hot called with its default of 10 classes, on a network with fewer outputs."""
    return Mistake(
        Code.N_CLASSES_IGNORED,
        "one_hot(y) with its default n_classes makes 10 rows, but this network's output layer has fewer units: "
        "give one_hot the number of classes of the output layer, params['W2'].shape[0]",
        section="one_hot",
        wrong=wrong,
        by_rule=True,
    )


def keepdims_missing(wrong):
    """A row: bias gradients of shape (units,) instead of (units, 1)."""
    return Mistake(
        Code.KEEPDIMS_MISSING,
        "the summed axis is dropped: a bias gradient keeps one row per unit, shape (units, 1), like its bias",
        section="backward",
        wrong=wrong,
        by_rule=True,
    )


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
        "dZ2 is divided by the number of classes, Y.shape[0]; the mean divides by m, the number of examples",
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
        "dW1 uses X where its transpose is needed: dW1 = dZ1 X^T",
        wrong=_backward_with(Code.A_PREV_NOT_TRANSPOSED),
    ),
    Mistake(Code.CHANGED_IN_PLACE, "", wrong=_backward_changes_cache, by_rule=True),
    swapped_biases(_backward_with(Code.SWAPPED)),
    keepdims_missing(_backward_with(Code.KEEPDIMS_MISSING)),
    n_classes_ignored(_backward_with(Code.N_CLASSES_IGNORED)),
)


def call_backward(student, name: str, rows, params, cache, X, y):
    """The learner's gradients; a broadcasting error from a one-hot Y of 10 rows, on a network with fewer classes,
    is named (row N_CLASSES_IGNORED of ``rows``)."""
    try:
        return student.call(name, params, cache, X, y)
    except Stop as found:
        n_classes = params["W2"].shape[0]
        if (
            found.code == Code.RAISED
            and n_classes != 10
            and "broadcast" in found.message
            and re.search(r"\(10, ?\d+\)", found.message)
        ):
            row = next(row for row in rows if row.code == Code.N_CLASSES_IGNORED)
            raise Stop.of(row, f"{row.message} (the network of this check has {n_classes})") from None
        raise


def judge_form(grads, expected, name: str, rows) -> None:
    """Stop unless ``grads`` is a dict of W1, b1, W2, b2 whose arrays have the shapes of ``expected``; a wrong shape
    is named with its key, the shape expected in symbols and in numbers, and what it suggests."""
    if not isinstance(grads, dict):
        raise Stop(
            Code.WRONG_TYPE,
            f"{name} returned {what(grads)}; return a dict with keys W1, b1, W2, b2 (holding dW1, db1, dW2, db2)",
        )
    if set(grads) != set(KEYS):
        raise Stop(
            Code.WRONG_KEYS,
            f"{name} returned a dict with keys {sorted(grads)}; the keys must be those of params, W1, b1, W2, b2 "
            "(holding dW1, db1, dW2, db2): grads[key] then updates params[key]",
        )
    for key in KEYS:
        got, right = grads[key], expected[key]
        if not isinstance(got, np.ndarray) or got.ndim == 0 or got.shape == right.shape:
            continue
        text = f"grads[{key!r}] has shape {got.shape} where {SHAPES[key]} = {right.shape} is expected"
        other = {"b1": "b2", "b2": "b1"}.get(key)
        if other and got.shape == expected[other].shape and np.shape(grads[other]) == right.shape:
            row = next(row for row in rows if row.code == Code.SWAPPED)
            raise Stop.of(row, f"{text}: {row.message}")
        if other and got.shape == right.shape[:1]:
            row = next(row for row in rows if row.code == Code.KEEPDIMS_MISSING)
            raise Stop.of(row, f"{text}: {row.message}")
        if got.shape == right.shape[::-1]:
            raise Stop(Code.TRANSPOSED, f"{text}: it is transposed")
        raise Stop(Code.WRONG_SHAPE, text)


def named_mistake(grads, rows, wrong_of) -> None:
    """Stop at the first row (not by rule, or the swapped biases) whose wrong gradients these are."""
    for mistake in rows:
        if mistake.by_rule and mistake.code != Code.SWAPPED:
            continue
        try:
            wrong = wrong_of(mistake)
        except Exception:  # noqa: BLE001,S112  that mistake cannot even run on these shapes: not this one
            continue
        if all(close(grads[key], wrong[key], dtype="any") for key in KEYS):
            if mistake.code == Code.SWAPPED:
                raise Stop.of(mistake, f"grads['b1'] and grads['b2'] hold each other's gradient: {mistake.message}")
            raise Stop.of(mistake)


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
        grads = call_backward(student, "backward", BACKWARD, params, cache, X, y)
        wrong = lambda mistake: mistake.wrong(params, cache, X, y)  # noqa: B023, E731
        judge_backward(grads, model.backward(params, cache, X, y), "backward", BACKWARD, wrong, "relu'(Z1)")


def judge_backward(grads, expected, name, mistakes, wrong, derivative):
    """A backward pass's gradients against the expected ones: their form, then a named mistake of ``mistakes``
    (``wrong(mistake)`` computes it), else the first array that differs, with its equation (g' written
    ``derivative``, e.g. "relu'(Z1)")."""
    judge_form(grads, expected, name, mistakes)
    if all(close(grads[key], expected[key]) for key in KEYS):
        return
    named_mistake(grads, mistakes, wrong)
    dZ1 = f"dZ1 = (W2^T dZ2) * {derivative}"
    equations = {
        "W2": "dW2 = dZ2 A1^T",
        "b2": "db2 = dZ2 summed over the examples",
        "W1": f"dW1 = dZ1 X^T, {dZ1}",
        "b1": f"db1 = dZ1 summed over the examples, {dZ1}",
    }
    for key in ("W2", "b2", "W1", "b1"):
        expect(grads[key], expected[key], what_=f"grads[{key!r}] (d{key})", equation=equations[key])


# ----------------------------------------------------------------------------------------------- numerical gradient


def _numerical(f, W, eps=EPS, *, plus=1.0, minus=1.0, divide=2.0):
    """Differences of f around W, one entry at a time: (f(W + plus eps) - f(W - minus eps)) / (divide eps)."""
    grad = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[index] += plus * eps
        down[index] -= minus * eps
        grad[index] = (f(up) - f(down)) / (divide * eps)
    return grad


def _numerical_not_restored(f, W, eps=EPS):
    grad = _numerical(f, W, eps)
    W += eps
    return grad


NUMERICAL = (
    Mistake(
        Code.MISSING_2,
        "the central difference divides by 2 * eps: (f(W + eps) - f(W - eps)) / (2 * eps)",
        wrong=lambda f, W, eps=EPS: _numerical(f, W, eps, divide=1.0),
    ),
    Mistake(
        Code.ONE_SIDED,
        "one-sided differences (f(W + eps) - f(W)) / eps are only accurate to about eps; use "
        "central differences, (f(W + eps) - f(W - eps)) / (2 * eps)",
        wrong=lambda f, W, eps=EPS: _numerical(f, W, eps, minus=0.0, divide=1.0),
    ),
    Mistake(
        Code.EPS_IGNORED,
        "your numerical_gradient ignores its eps argument: for a step eps of 0.1 it gives the estimate of a far "
        "smaller step; take the step you are given",
        wrong=lambda f, W, eps=EPS: _numerical(f, W, 1e-4),
    ),
    Mistake(Code.CHANGED_IN_PLACE, "", wrong=_numerical_not_restored, by_rule=True),
)


@check(name="numerical_gradient", section="gradcheck", mistakes=NUMERICAL)
def check_numerical_gradient(student, case):
    rng = case.rng(40)
    W, C = rng.normal(size=case.pick((3, 4), (2, 5))), rng.normal(size=case.pick((3, 4), (2, 5)))
    got = student.call("numerical_gradient", Probe("smooth", {"C": C}), W, EPS)
    exact = np.cos(W) * C + np.sum(W)
    f = lambda V: float(np.sum(np.sin(V) * C) + 0.5 * np.sum(V) ** 2)  # noqa: E731  the probe, here
    expect(
        got,
        exact,
        what_="the numerical gradient",
        mistakes=NUMERICAL,
        args=(f, W, EPS),
        inputs=(W,),
        rtol=1e-6,
        equation="(f(W + eps) - f(W - eps)) / (2 eps), one entry at a time",
    )
    # f(W) = sum(W^3): the central difference is exactly 3 W^2 + eps^2, so each step shows in the answer
    W = rng.uniform(0.5, 1.5, size=case.pick((2, 3), (3, 2))) * rng.choice([-1.0, 1.0], size=case.pick((2, 3), (3, 2)))
    for eps in (0.1, case.pick(0.01, 0.02)):
        got = student.call("numerical_gradient", Probe("cube"), W, eps)
        expect(
            got,
            3 * W**2 + eps**2,
            what_=f"the numerical gradient of sum(W^3) with eps = {eps:g}",
            mistakes=NUMERICAL,
            args=(lambda V: float(np.sum(V**3)), W, eps),
            inputs=(W,),
            rtol=1e-6,
            equation="(f(W + eps) - f(W - eps)) / (2 eps), one entry at a time, with the eps given",
        )


# ----------------------------------------------------------------------------------------------- gradient check


def _loss(forward, params, key, X, y, W):
    """The mean cross-entropy of forward's network, as a function of params[key] = W alone."""
    return model.cross_entropy(forward({**params, key: W}, X)[0], y)


def reference_errors(forward, backward, params, X, y, *, numerical=_numerical):
    """What gradient_errors returns: for each array, the relative error between backward's gradient and the
    numerical gradient of the loss of forward's network as a function of that array."""
    grads = backward(params, forward(params, X)[1], X, y)
    return {
        key: relative_error(
            np.asarray(grads[key], dtype=float),
            numerical(lambda W, key=key: _loss(forward, params, key, X, y, W), params[key]),
        )
        for key in KEYS
    }


def _errors_changing_params(forward, backward, params, X, y):
    params["b1"] += 1.0
    return reference_errors(forward, backward, params, X, y)


ERRORS = (
    Mistake(
        Code.ZEROS,
        "every error is 0, even for a backward whose bias gradients are wrong: compute each one from backward's "
        "gradient and your numerical gradient of the loss",
        wrong=lambda forward, backward, params, X, y: dict.fromkeys(params, 0.0),
        by_rule=True,
    ),
    Mistake(
        Code.BACKWARD_IGNORED,
        "your errors stay small for a backward whose bias gradients are wrong (the original notebook's np.sum(dZ)): "
        "take the analytic gradients from the backward you are given, not from a backward of your own",
        wrong=lambda forward, backward, params, X, y: reference_errors(
            forward, activations.backward_pass(), params, X, y
        ),
        by_rule=True,
    ),
    Mistake(
        Code.FORWARD_IGNORED,
        "your errors are large for a network whose hidden layer is tanh, handed with its own right forward and "
        "backward: compute the cache and the loss with the forward you are given, not with mnistnn.forward",
        wrong=lambda forward, backward, params, X, y: reference_errors(
            activations.forward_pass(), backward, params, X, y
        ),
        by_rule=True,
    ),
    Mistake(
        Code.F_IGNORES_W,
        "every relative error is exactly 1: your numerical gradient is 0 everywhere, so the function you hand "
        "numerical_gradient does not depend on the array it receives; compute the loss from that array",
        wrong=lambda forward, backward, params, X, y: reference_errors(
            forward, backward, params, X, y, numerical=lambda f, W: _numerical(lambda V: f(W), W)
        ),
        by_rule=True,
    ),
    Mistake(
        Code.WRONG_KEYS,
        "the dict must hold one relative error for each of W1, b1, W2, b2",
        wrong=lambda forward, backward, params, X, y: {
            key: error for key, error in reference_errors(forward, backward, params, X, y).items() if key[0] == "W"
        },
        by_rule=True,
    ),
    Mistake(
        Code.NOT_A_NUMBER,
        "each relative error is one number for the whole array, mnistnn.relative_error(analytic, numerical)",
        wrong=lambda forward, backward, params, X, y: {
            key: np.full(params[key].shape, error)
            for key, error in reference_errors(forward, backward, params, X, y).items()
        },
        by_rule=True,
    ),
    Mistake(Code.PARAMS_CHANGED_IN_PLACE, "", wrong=_errors_changing_params, by_rule=True),
    Mistake(
        Code.GRADIENT_CHECK_FAILS,
        "",
        wrong=lambda forward, backward, params, X, y: reference_errors(
            forward, backward, params, X, y, numerical=lambda f, W: _numerical(f, W, divide=1.0)
        ),
        by_rule=True,
    ),
)


def _row(code: Code) -> Mistake:
    return next(row for row in ERRORS if row.code == code)


def errors_of(student, params, X, y, activation: str = "relu", mistake: str = "") -> dict[str, float]:
    """The learner's gradient_errors for the network with this hidden activation, handed its forward and a right
    (or mistaken) backward; stops unless the answer is a dict of four numbers."""
    settings = {"activation": activation, "slope": 0.1}
    errors = student.call(
        "gradient_errors",
        Probe("forward", settings),
        Probe("backward", {**settings, "mistake": mistake}),
        params,
        X,
        y,
    )
    if not isinstance(errors, dict):
        raise Stop(
            Code.WRONG_TYPE,
            f"gradient_errors returned {what(errors)}; return a dict of four relative errors, one for each of W1, "
            "b1, W2, b2",
        )
    missing = [key for key in KEYS if key not in errors]
    if missing:
        row = _row(Code.WRONG_KEYS)
        has = f" (it has {', '.join(map(str, errors))})" if errors else " (it is empty)"
        raise Stop.of(row, f"gradient_errors returned a dict without {', '.join(missing)}{has}: {row.message}")
    for key in KEYS:
        if not is_number(errors[key]):
            row = _row(Code.NOT_A_NUMBER)
            raise Stop.of(row, f"errors[{key!r}] is {what(errors[key])}, not a number: {row.message}")
    return {key: float(errors[key]) for key in KEYS}


def _fails(errors: dict[str, float], keys=KEYS) -> str | None:
    """The first of these keys whose error is not below the tolerance (nan included)."""
    return next((key for key in keys if not errors[key] < TOLERANCE), None)


@check(
    name="gradient_errors",
    section="gradcheck",
    mistakes=ERRORS,
    helpers=("numerical_gradient", "cross_entropy"),
)
def check_gradient_errors(student, case):
    """Called with a right forward and backward (every error small), with the original notebook's summed bias
    gradients (the errors of b1 and b2 large), and with another network's right pair (every error small)."""
    params, X, y, _ = problem(*case.pick((5, 4, 3, 6), (6, 3, 4, 5)), case.rng(3))
    errors = errors_of(student, params, X, y)
    if all(error == 1.0 for error in errors.values()):
        raise Stop.of(_row(Code.F_IGNORES_W))
    key = _fails(errors)
    if key:
        raise Stop(
            Code.GRADIENT_CHECK_FAILS,
            f"with a right forward and backward, your relative error for {key} is {errors[key]:.3g}, above "
            f"{TOLERANCE:g}: the numerical gradient of the loss as a function of {key} and backward's d{key} "
            "should agree",
        )
    errors = errors_of(student, params, X, y, mistake="summed_bias")
    if not any(errors.values()):
        raise Stop.of(_row(Code.ZEROS))
    if not (errors["b1"] > LARGE and errors["b2"] > LARGE):
        row = _row(Code.BACKWARD_IGNORED)
        raise Stop.of(row, f"{row.message} (b1: {errors['b1']:.2g}, b2: {errors['b2']:.2g}, above {LARGE:g} expected)")
    key = _fails(errors, ("W1", "W2"))
    if key:
        raise Stop(
            Code.GRADIENT_CHECK_FAILS,
            f"with a backward whose weight gradients are right (only its biases are wrong), your relative error for "
            f"{key} is {errors[key]:.3g}, above {TOLERANCE:g}",
        )
    errors = errors_of(student, params, X, y, activation="tanh")
    key = _fails(errors)
    if key:
        row = _row(Code.FORWARD_IGNORED)
        raise Stop.of(row, f"{row.message} ({key}: {errors[key]:.2g})")
