"""Lab 03 · Backpropagation: one-hot labels, a stable loss, the per-layer recipe, backward, gradient checks.

The extension (another hidden activation g, the course's variant) is in :mod:`mnistnn.feedback.lab03_extension`.
Where the 1/m of the mean goes is the learner's choice: in dZ2 (so dZ2 = dL/dZ2, as notebook 03 does) or in every
dW and db (the original notebook's and many courses' placement). The checks of the steps follow the learner's own
``output_gradient``; the whole backward pass gives the gradients of the mean loss either way.
"""

from __future__ import annotations

import numpy as np

from .. import model
from ..gradcheck import relative_error
from . import activations
from .core import Code, Mistake, Stop, check, close, expect
from .lab02 import problem
from .student import Probe

# ----------------------------------------------------------------------------------------------- one_hot


ONE_HOT = (
    Mistake(
        Code.SIZED_BY_MAX,
        "sized by y.max() + 1 rows: a batch without the largest class loses rows; use n_classes rows",
        wrong=lambda y, n_classes=10: model.one_hot(y, int(y.max()) + 1),
    ),
    Mistake(
        Code.N_CLASSES_IGNORED,
        "always 10 rows: use the n_classes argument (another data set has another number of classes)",
        wrong=lambda y, n_classes=10: model.one_hot(y, 10),
    ),
    Mistake(Code.TRANSPOSED, "", wrong=lambda y, n_classes=10: model.one_hot(y, n_classes).T, by_rule=True),
)


@check(name="one_hot", section="one_hot", mistakes=ONE_HOT)
def check_one_hot(student, case):
    for y, k in (
        (np.array([3, 0, 2, 2, 1]), 10),
        (np.array([9, 4, 0, 1, 2, 3, 5, 6, 7, 8]), 10),
        (np.array([1, 0, 1, 2]), case.pick(4, 6)),
        (np.array([0]), case.pick(3, 12)),
    ):
        got = student.call("one_hot", y, k)
        expect(
            got,
            model.one_hot(y, k),
            what_=f"one_hot({y.tolist()}, n_classes={k})",
            mistakes=ONE_HOT,
            args=(y, k),
            inputs=(y,),
            dtype="float",
            equation="Y[y[i], i] = 1, shape (n_classes, m)",
        )


# ----------------------------------------------------------------------------------------------- loss


def log_p(A2, y, log=np.log):
    """The log of each example's probability of its true class, (m,)."""
    return log(A2[y, np.arange(y.size)])


LOSS = (
    Mistake(
        Code.MISSING_1_OVER_M,
        "the 1/m is missing: you add up the examples' losses; average them",
        wrong=lambda A2, y: -log_p(A2, y).sum(),
    ),
    Mistake(
        Code.ONE_OVER_M_TWICE,
        "the 1/m is applied twice: divide by m once",
        wrong=lambda A2, y: -log_p(A2, y).mean() / y.size,
    ),
    Mistake(
        Code.MEAN_OVER_ALL_ENTRIES,
        "a mean over the whole (k, m) matrix divides by k * m; sum over the classes, then average over the m examples",
        wrong=lambda A2, y: -log_p(A2, y).sum() / A2.size,
    ),
    Mistake(
        Code.SIGN,
        "the sign is wrong: the loss is minus the mean log-probability; it must be >= 0",
        wrong=lambda A2, y: log_p(A2, y).mean(),
    ),
    Mistake(
        Code.LABELS_AS_ONE_HOT,
        "the labels y multiply log A2 as if they were the one-hot matrix: pick each "
        "example's probability of its true class",
        wrong=lambda A2, y: -(y * np.log(A2)).sum() / y.size,
    ),
    Mistake(
        Code.ALL_CLASSES,
        "you add log A2 of every class; only the true class's probability counts",
        wrong=lambda A2, y: -np.log(A2).sum() / y.size,
    ),
    Mistake(
        Code.LOG10, "np.log10 is not the natural log; use np.log", wrong=lambda A2, y: -log_p(A2, y, np.log10).mean()
    ),
    Mistake(
        Code.COLUMNS_BY_LABEL,
        "A2[:, y] picks whole columns, not each example's probability of its true class: use A2[y, np.arange(m)]",
        wrong=lambda A2, y: -np.log(A2[:, y]).mean(),
    ),
    Mistake(
        Code.ZERO_TIMES_LOG_ZERO,
        "nan when a wrong class's probability is exactly 0: Y * log(A2) computes 0 * "
        "log 0 = 0 * -inf = nan; pick the true class's probability instead, A2[y, np.arange(m)], and take its "
        "log",
        wrong=lambda A2, y: -(model.one_hot(y, A2.shape[0]) * np.log(A2)).sum() / y.size,
        by_rule=True,
    ),
)


@check(name="cross_entropy", section="loss", mistakes=LOSS, helpers=("one_hot",))
def check_cross_entropy(student, case):
    rng = case.rng(31)
    A2 = model.softmax(rng.normal(0, 2, size=(4, case.pick(6, 9))))
    y = np.array([0, 3, 1, 1, 2, 3, 0, 2, 1][: A2.shape[1]])
    got = student.call("cross_entropy", A2, y)
    expect(
        got,
        model.cross_entropy(A2, y),
        what_="the loss",
        mistakes=LOSS,
        args=(A2, y),
        equation="-(1/m) sum_i log A2[y_i, i]",
    )
    certain = np.array([[1.0, 0.2, 0.0], [0.0, 0.7, 0.0], [0.0, 0.1, 1.0]])  # wrong classes exactly 0, as float64
    y_certain = np.array([0, 1, 2])  # gives once a network is sure
    got = student.call("cross_entropy", certain, y_certain)
    if isinstance(got, (float, np.ndarray)) and not np.isfinite(np.asarray(got, dtype=float)).all():
        raise Stop.of(LOSS[8])
    expect(
        got,
        model.cross_entropy(certain, y_certain),
        what_="the loss when the network is certain",
        equation="-(1/m) sum_i log A2[y_i, i]",
    )


# ----------------------------------------------------------------------------------------------- dZ2


OUTPUT = (
    Mistake(
        Code.SIGN,
        "the sign is wrong: dZ2 is A2 - Y (times 1/m if you put the mean's 1/m here), not Y - A2",
        wrong=lambda A2, Y: (Y - A2) / Y.shape[1],
    ),
    Mistake(
        Code.DIVIDED_BY_K,
        "divided by k = Y.shape[0], the number of classes; m is the number of examples, Y.shape[1]",
        wrong=lambda A2, Y: (A2 - Y) / Y.shape[0],
    ),
    Mistake(
        Code.ONE_OVER_M_TWICE,
        "the 1/m is applied twice: dZ2 = (A2 - Y) / m",
        wrong=lambda A2, Y: (A2 - Y) / Y.shape[1] ** 2,
    ),
)


def convention(student, A2: np.ndarray, Y: np.ndarray) -> str | None:
    """Where the learner's output_gradient puts the mean's 1/m: "mean" (in dZ2), "sum" (not in dZ2), or None."""
    got = student.attempt("output_gradient", A2, Y)
    if close(got, (A2 - Y) / Y.shape[1]):
        return "mean"
    if close(got, A2 - Y):
        return "sum"
    return None


@check(name="output_gradient", section="loss", mistakes=OUTPUT)
def check_output_gradient(student, case):
    rng = case.rng(32)
    _, _, y, cache = problem(6, 5, 4, case.pick(7, 11), rng)
    A2, Y = cache["A2"], model.one_hot(y, 4)
    got = student.call("output_gradient", A2, Y)
    if close(got, A2 - Y):
        return  # the 1/m goes into dW and db: the steps below must then say so
    expect(
        got,
        (A2 - Y) / y.size,
        what_="dZ2",
        mistakes=OUTPUT,
        args=(A2, Y),
        inputs=(A2, Y),
        equation="dZ2 = (A2 - Y) / m",
    )


# ----------------------------------------------------------------------------------------------- one layer back


def layer_backward(dZ, A_prev, W, m_divides=False):
    """The recipe for one layer: dW = dZ A_prev^T, db = dZ summed over the examples, dA_prev = W^T dZ (and, when
    the 1/m was not in dZ, dW and db divided by m)."""
    m = dZ.shape[1] if m_divides else 1
    return dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m, W.T @ dZ


def _layer(dZ, A_prev, W, *, dW=None, db=None, dA=None):
    """layer_backward with one of its three arrays replaced by a mistaken one."""
    right = layer_backward(dZ, A_prev, W)
    return (right[0] if dW is None else dW, right[1] if db is None else db, right[2] if dA is None else dA)


LAYER = (
    Mistake(
        Code.SCALAR_BIAS_GRADIENT,
        "the bias gradient is one number: np.sum(dZ) adds up every unit together; "
        "each unit has its own bias, so sum over the examples only, keeping one row per unit",
        section="bias",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, db=float(np.sum(dZ))),
    ),
    Mistake(
        Code.BIAS_WRONG_AXIS,
        "db is summed over the units: sum over the examples (axis=1) instead",
        section="bias",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, db=dZ.sum(axis=0, keepdims=True)),
    ),
    Mistake(
        Code.KEEPDIMS_MISSING,
        "db has shape (n,) instead of (n, 1): keep the summed axis (keepdims=True), or "
        "b - lr * db broadcasts to a square matrix",
        section="bias",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, db=dZ.sum(axis=1)),
    ),
    Mistake(
        Code.TRANSPOSED,
        "dW is transposed: A_prev @ dZ.T has the shape of W.T; use dZ @ A_prev.T",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, dW=A_prev @ dZ.T),
    ),
    Mistake(
        Code.A_PREV_NOT_TRANSPOSED,
        "dW uses A_prev where its transpose is needed: dW = dZ @ A_prev.T (every weight collects from every example)",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, dW=dZ @ A_prev),
    ),
    Mistake(
        Code.W_NOT_TRANSPOSED,
        "dA_prev uses W where its transpose is needed: going backwards through a layer multiplies by W.T",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, dA=W @ dZ),
    ),
)


@check(name="layer_backward", section="backward", mistakes=LAYER)
def check_layer_backward(student, case):
    rng = case.rng(33)
    for n_out, n_in, m in case.pick(((5, 5, 5), (4, 5, 7)), ((6, 6, 6), (3, 6, 9))):  # square: W and W.T both run
        params, X, y, cache = problem(n_in, n_out, 4, m, rng)
        placement = convention(student, cache["A2"], model.one_hot(y, 4))
        dZ, A_prev, W = rng.normal(size=(n_out, m)) / m, X, params["W1"]
        result = student.call("layer_backward", dZ, A_prev, W)
        if not (isinstance(result, tuple) and len(result) == 3):
            raise Stop(Code.WRONG_TYPE, f"layer_backward returned {type(result).__name__}; return dW, db, dA_prev")
        expected = _placed(result, placement, dZ, A_prev, W)
        for index, (got, right, name) in enumerate(zip(result, expected, ("dW", "db", "dA_prev"))):
            rows = tuple(Mistake(row.code, row.message, row.section, _part(row.wrong, index)) for row in LAYER)
            expect(
                got,
                right,
                what_=name,
                mistakes=rows,
                args=(dZ, A_prev, W),
                equation={
                    "dW": "dW = dZ A_prev^T",
                    "db": "db = dZ summed over the examples, one per unit",
                    "dA_prev": "dA_prev = W^T dZ",
                }[name],
            )


def _placed(result, placement, dZ, A_prev, W):
    """The right (dW, db, dA_prev) where the learner puts the mean's 1/m; stops when that placement is inconsistent."""
    dW, db, _ = result
    mean, summed = layer_backward(dZ, A_prev, W), layer_backward(dZ, A_prev, W, m_divides=True)
    if placement != "mean" and close(dW, summed[0]) and close(db, summed[1]):
        return summed  # the 1/m goes into dW and db, as the learner's dZ2 says
    if placement == "sum" and close(dW, mean[0]):
        raise Stop(
            Code.MISSING_1_OVER_M,
            "your output_gradient leaves the 1/m out of dZ2, so dW and db must divide "
            "by m; or put the 1/m in dZ2 and not here",
            section="loss",
        )
    if placement == "mean" and close(dW, summed[0]):
        raise Stop(
            Code.ONE_OVER_M_TWICE,
            "the 1/m is applied twice: your output_gradient already puts it in dZ2, so dW = dZ @ A_prev.T",
            section="loss",
        )
    return mean


def _part(wrong, index):
    """One of the three arrays a wrong layer_backward gives."""
    return lambda *args: wrong(*args)[index]


# ----------------------------------------------------------------------------------------------- relu_grad


RELU_GRAD = (
    Mistake(
        Code.GRAD_WRONG_AT_ZERO,
        "wrong at Z = 0: you give 1 where Z == 0, but ReLU is flat for Z <= 0 (we take 0 at the kink)",
        section="backward",
        wrong=lambda Z: (Z >= 0).astype(Z.dtype),
    ),
    Mistake(
        Code.ACTIVATION_INSTEAD_OF_DERIVATIVE,
        "you return relu(Z), not its derivative",
        section="backward",
        wrong=model.relu,
    ),
    Mistake(
        Code.ONES, "the derivative is 1 everywhere: it must be 0 where Z <= 0", section="backward", wrong=np.ones_like
    ),
)


@check(name="relu_grad", section="backward", mistakes=RELU_GRAD)
def check_relu_grad(student, case):
    rng = case.rng(22)
    for Z in (rng.normal(size=case.pick((4, 6), (5, 3))), rng.normal(size=(3, 5)).astype(np.float32)):
        Z[0, :2] = 0.0
        got = student.call("relu_grad", Z)
        expect(
            got,
            model.relu_grad(Z),
            what_="relu_grad(Z)",
            mistakes=RELU_GRAD,
            args=(Z,),
            inputs=(Z,),
            dtype="any",
            equation="1 where Z > 0, else 0",
        )


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


# The extension's checks, then the lab (defined after every check it names).
from . import lab03_extension  # noqa: E402,F401
from .labs import LabSpec, Question, register  # noqa: E402

LAB = register(
    LabSpec(
        name="lab03",
        title="Backpropagation",
        questions=(
            Question("q1", 1, "one_hot"),
            Question("q2", 2, "cross_entropy"),
            Question("q3", 2, title="derive: the gradient at the output"),
            Question("q4", 1, "output_gradient"),
            Question("q5", 2, title="derive: the recipe for one layer"),
            Question("q6", 2, "layer_backward"),
            Question("q7", 1, "relu_grad"),
            Question("q8", 2, "backward"),
            Question("q9", 1, "numerical_gradient"),
            Question("q10", 1, "gradient_check"),
            Question("q11", 1, "activation"),
            Question("q12", 1, "activation_grad"),
            Question("q13", 2, "backward_g"),
            Question("q14", 1, "gradient_check_g"),
            Question("q15", 2, title="predict, then verify"),
        ),
        forbidden=(
            "mnistnn.model.one_hot",
            "mnistnn.model.cross_entropy",
            "mnistnn.model.log_softmax",
            "mnistnn.model.relu_grad",
            "mnistnn.model.backward",
            "mnistnn.gradcheck.numerical_gradient",
            "mnistnn.gradcheck.gradient_check",
        ),
        allowed="forward, init_params, relu, softmax, relative_error",
        parameters=("activation",),
    )
)
