"""Lab 04 · Training: one gradient step, predictions, the gradient-descent loop, and a linear baseline."""

from __future__ import annotations

import numpy as np

from .. import model
from .cases import problem
from .compare import close, expect
from .core import Code, Mistake, Stop, check
from .labs import LabSpec, Question, register

KEYS = ("W1", "b1", "W2", "b2")

# ----------------------------------------------------------------------------------------------- one step


def step(params, grads, learning_rate):
    """W <- W - learning_rate * dW for every parameter."""
    return {key: params[key] - learning_rate * grads[key] for key in params}


def _update_uphill(params, grads, learning_rate):
    return {key: params[key] + learning_rate * grads[key] for key in params}


def _update_no_rate(params, grads, learning_rate):
    return {key: params[key] - grads[key] for key in params}


def _update_weights_only(params, grads, learning_rate):
    return {key: params[key] - learning_rate * grads[key] if key.startswith("W") else params[key] for key in params}


def _update_in_place(params, grads, learning_rate):
    for key in params:
        params[key] -= learning_rate * grads[key]
    return params


UPDATE = (
    Mistake(
        Code.GRADIENT_ASCENT,
        "the step goes uphill: subtract the gradient, W - learning_rate * dW",
        wrong=_update_uphill,
    ),
    Mistake(Code.LEARNING_RATE_IGNORED, "the learning rate is ignored: W - learning_rate * dW", wrong=_update_no_rate),
    Mistake(Code.BIASES_NOT_UPDATED, "the biases are not updated: b1 and b2 learn too", wrong=_update_weights_only),
    Mistake(Code.PARAMS_CHANGED_IN_PLACE, "", wrong=_update_in_place, by_rule=True),
)


def judge_params(got, expected, *, what_, mistakes=(), args=(), rtol=1e-6, equation=""):
    """A params dict equal to the expected one; a mistake of the table when all of its arrays say so."""
    if not isinstance(got, dict) or set(got) != set(expected):
        raise Stop(
            Code.WRONG_TYPE,
            f"{what_} is {type(got).__name__}"
            f"{' with keys ' + str(sorted(got)) if isinstance(got, dict) else ''}; a dict with keys "
            f"{', '.join(expected)} is expected",
        )
    if all(close(got[key], expected[key], rtol=rtol) for key in expected):
        return
    for mistake in mistakes:
        if mistake.wrong is not None and not mistake.by_rule:
            wrong = mistake.wrong(*args)
            if all(close(got[key], wrong[key], rtol=rtol, dtype="any") for key in expected):
                raise Stop.of(mistake)
    for key in expected:
        expect(got[key], expected[key], what_=f"{what_}[{key!r}]", rtol=rtol, equation=equation)


@check(name="update_params", section="descent", mistakes=UPDATE)
def check_update_params(student, case):
    rng = case.rng(41)
    params, X, y, cache = problem(6, 5, 4, 7, rng)
    grads, rate = model.backward(params, cache, X, y), case.pick(0.5, 0.3)
    new = student.call("update_params", params, grads, rate)
    judge_params(
        new,
        step(params, grads, rate),
        what_="the new params",
        mistakes=UPDATE,
        args=(params, grads, rate),
        equation="W - learning_rate * dW",
    )


# ----------------------------------------------------------------------------------------------- predict


def _argmax_rows(A2):
    return A2.argmax(axis=1)


def _argmax_flat(A2):
    return int(A2.argmax())


def _max_not_argmax(A2):
    return A2.max(axis=0)


PREDICT = (
    Mistake(
        Code.ARGMAX_WRONG_AXIS,
        "argmax over the wrong axis: each column is an example, so take it over the classes, axis=0",
        section="training",
        wrong=_argmax_rows,
    ),
    Mistake(
        Code.ARGMAX_NO_AXIS,
        "argmax without an axis gives one index into the flattened matrix; use axis=0",
        section="training",
        wrong=_argmax_flat,
    ),
    Mistake(
        Code.MAX_NOT_ARGMAX,
        "max gives the largest probability, argmax its class",
        section="training",
        wrong=_max_not_argmax,
    ),
)


@check(name="predict", section="training", mistakes=PREDICT)
def check_predict(student, case):
    rng = case.rng(42)
    for k, m in case.pick(((10, 7), (10, 10), (4, 1)), ((10, 13), (3, 3))):
        A2 = model.softmax(rng.normal(0, 2, size=(k, m)))
        expect(
            student.call("predict", A2),
            A2.argmax(axis=0),
            what_="y_pred",
            mistakes=PREDICT,
            args=(A2,),
            equation="the index of the largest probability in each column",
        )


# ----------------------------------------------------------------------------------------------- gradient descent


def descend(params, X, y, learning_rate, iterations):
    """The reference loop: forward, backward, one step, `iterations` times."""
    for _ in range(iterations):
        params = step(params, model.backward(params, model.forward(params, X)[1], X, y), learning_rate)
    return params


def _descend_short(params, X, y, learning_rate, iterations):
    return descend(params, X, y, learning_rate, iterations - 1)


def _descend_long(params, X, y, learning_rate, iterations):
    return descend(params, X, y, learning_rate, iterations + 1)


def _descend_no_rate(params, X, y, learning_rate, iterations):
    return descend(params, X, y, 1.0, iterations)


def _descend_nothing(params, X, y, learning_rate, iterations):
    return dict(params)


def _descend_stale_gradient(params, X, y, learning_rate, iterations):
    grads = model.backward(params, model.forward(params, X)[1], X, y)
    for _ in range(iterations):
        params = step(params, grads, learning_rate)
    return params


DESCENT = (
    Mistake(Code.NO_LEARNING, "the params did not change: update them at every iteration", wrong=_descend_nothing),
    Mistake(Code.ITERATION_COUNT, "one iteration too few: run exactly `iterations` steps", wrong=_descend_short),
    Mistake(Code.ITERATION_COUNT, "one iteration too many: run exactly `iterations` steps", wrong=_descend_long),
    Mistake(Code.LEARNING_RATE_IGNORED, "the learning rate is ignored", wrong=_descend_no_rate),
    Mistake(
        Code.WRONG_VALUES,
        "the gradient is computed once, before the loop: compute it again at every iteration, from the current params",
        wrong=_descend_stale_gradient,
    ),
)


@check(name="gradient_descent", section="descent", mistakes=DESCENT, helpers=("update_params",))
def check_gradient_descent(student, case):
    rng = case.rng(43)
    params, X, y, _ = problem(6, 5, 4, case.pick(20, 31), rng)
    rate, iterations = case.pick(0.5, 0.7), case.pick(3, 4)
    got = student.call("gradient_descent", params, X, y, rate, iterations)
    if isinstance(got, tuple) and got and isinstance(got[0], dict):
        got = got[0]  # (params, history) is fine too
    judge_params(
        got,
        descend(params, X, y, rate, iterations),
        what_=f"the params after {iterations} iterations",
        mistakes=DESCENT,
        args=(params, X, y, rate, iterations),
        rtol=1e-5,
        equation="forward, backward, then W - learning_rate * dW, each iteration",
    )


# ----------------------------------------------------------------------------------------------- linear baseline


def linear(X, y, n_classes, learning_rate, iterations, *, mistake=None):
    """Softmax regression, no hidden layer, from zeros, full-batch gradient descent: W (k, n_in), b (k, 1)."""
    W, b = np.zeros((n_classes, X.shape[0])), np.zeros((n_classes, 1))
    m, Y = X.shape[1], model.one_hot(y, n_classes)
    for _ in range(iterations):
        dZ = model.softmax(W @ X + b) - Y  # (k, m)  the same dZ as the network's output layer
        if mistake != Code.MISSING_1_OVER_M:
            dZ = dZ / m
        W = W - learning_rate * (dZ @ X.T)  # (k, n_in)
        if mistake != Code.BIASES_NOT_UPDATED:
            b = b - learning_rate * dZ.sum(axis=1, keepdims=True)
    return W, b


def _linear_with(mistake):
    def wrong(X, y, n_classes, learning_rate, iterations):
        return linear(X, y, n_classes, learning_rate, iterations, mistake=mistake)

    return wrong


LINEAR = (
    Mistake(
        Code.MISSING_1_OVER_M,
        "the 1/m is missing: the loss is a mean over the examples",
        wrong=_linear_with(Code.MISSING_1_OVER_M),
    ),
    Mistake(
        Code.BIASES_NOT_UPDATED,
        "b never changes: it learns too, db = dZ summed over the examples",
        wrong=_linear_with(Code.BIASES_NOT_UPDATED),
    ),
)


@check(name="train_linear", section="descent", mistakes=LINEAR)
def check_train_linear(student, case):
    rng = case.rng(44)
    n_in, k, m = case.pick((6, 4, 20), (9, 3, 15))
    X, y = rng.random((n_in, m)), np.arange(m) % k
    rate, iterations = case.variant.linear_rate, case.pick(5, 3)
    result = student.call("train_linear", X, y, k, rate, iterations)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Stop(Code.WRONG_TYPE, f"train_linear returned {type(result).__name__}; return W, b")
    W, b = linear(X, y, k, rate, iterations)
    for index, (got, right, name) in enumerate(zip(result, (W, b), ("W", "b"))):
        rows = tuple(
            Mistake(row.code, row.message, row.section, lambda *args, wrong=row.wrong, index=index: wrong(*args)[index])
            for row in LINEAR
        )
        expect(
            got,
            right,
            what_=f"{name} after {iterations} steps",
            mistakes=rows,
            args=(X, y, k, rate, iterations),
            rtol=1e-5,
            equation="dZ = (softmax(W X + b) - Y) / m; W -= rate * dZ X^T; b -= rate * sum of dZ",
        )


LAB = register(
    LabSpec(
        name="lab04",
        title="Training",
        questions=(
            Question("q1", 1, "update_params"),
            Question("q2", 1, "predict"),
            Question("q3", 2, "gradient_descent"),
            Question("q4", 2, title="derive: the linear model's gradients"),
            Question("q5", 2, "train_linear"),
            Question("q6", 2, title="predict, then verify: zeros and symmetry"),
        ),
        forbidden=(
            "mnistnn.train.gradient_descent",
            "mnistnn.train.sgd",
            "mnistnn.train.sgd_step",
            "mnistnn.deep.predict",
        ),
        allowed="forward, backward, softmax, one_hot, init_params, load_dataset, accuracy",
        parameters=("linear_rate",),
    )
)
