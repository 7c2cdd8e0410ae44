"""Lab 03 · Backpropagation: one-hot labels, a stable loss, the per-layer recipe, backward, gradient checks.

The extension (another hidden activation g, the course's variant) is in :mod:`mnistnn.feedback.lab03_extension`.
Where the 1/m of the mean goes is the learner's choice: in dZ2 (so dZ2 = dL/dZ2, as notebook 03 does) or in every
dW and db (the original notebook's and many courses' placement). The checks of the steps follow the learner's own
``output_gradient``; the whole backward pass gives the gradients of the mean loss either way.
"""

from __future__ import annotations

import numpy as np

from .. import model
from .calls import Probe
from .cases import problem
from .compare import close, expect
from .core import Code, Mistake, Stop, check

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


def _cross_entropy_in_place(A2, y):
    A2[A2 == 0] = 1e-300  # "avoids log 0", but changes the caller's probabilities
    return float(-log_p(A2, y).mean())


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
        "a mean over the whole (n_classes, m) matrix divides by n_classes * m; sum over the classes, then average "
        "over the m examples",
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
        "A2[:, y] picks whole columns of A2, not each example's probability of its true class, the entry in row "
        "y_i of column i",
        wrong=lambda A2, y: -np.log(A2[:, y]).mean(),
    ),
    Mistake(
        Code.ZERO_TIMES_LOG_ZERO,
        "nan when a wrong class's probability is exactly 0: Y * log(A2) computes 0 * "
        "log 0 = 0 * -inf = nan; the loss needs the log of the true class's probability only, "
        "-(1/m) sum_i log A2[y_i, i]",
        wrong=lambda A2, y: -(model.one_hot(y, A2.shape[0]) * np.log(A2)).sum() / y.size,
        by_rule=True,
    ),
    Mistake(
        Code.CHANGED_IN_PLACE,
        "your cross_entropy changes its argument A2 in place (it writes into the probabilities it is given, e.g. "
        "to avoid log 0): compute the loss without changing A2",
        wrong=_cross_entropy_in_place,
        by_rule=True,
    ),
)


def _loss_of(student, A2, y):
    """The learner's loss, with A2 handed over read-only: an in-place change of it is named, however small."""
    try:
        return student.call("cross_entropy", Probe("read_only", {"array": A2}), y)
    except Stop as found:
        if found.code == Code.RAISED and "read-only" in found.message:
            raise Stop.of(LOSS[-1]) from None
        raise


@check(name="cross_entropy", section="loss", mistakes=LOSS, helpers=("one_hot",))
def check_cross_entropy(student, case):
    rng = case.rng(31)
    A2 = model.softmax(rng.normal(0, 2, size=(4, case.pick(6, 9))))
    y = np.array([0, 3, 1, 1, 2, 3, 0, 2, 1][: A2.shape[1]])
    got = student.call("cross_entropy", A2, y)  # (changes of A2 or y above rounding are named here)
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
    got = _loss_of(student, certain, y_certain)
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
        "divided by the number of classes, Y.shape[0]; the mean divides by m, the number of examples, Y.shape[1]",
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
        section="backward",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, db=dZ.sum(axis=0, keepdims=True)),
    ),
    Mistake(
        Code.KEEPDIMS_MISSING,
        "db has shape (n_out,) instead of (n_out, 1): the summed axis is dropped, so b - lr * db would broadcast "
        "to a square matrix; db keeps one row per unit",
        section="backward",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, db=dZ.sum(axis=1)),
    ),
    Mistake(
        Code.TRANSPOSED,
        "dW is transposed: it has the shape of W.T; dW = dZ A_prev^T has the shape of W",
        wrong=lambda dZ, A_prev, W: _layer(dZ, A_prev, W, dW=A_prev @ dZ.T),
    ),
    Mistake(
        Code.A_PREV_NOT_TRANSPOSED,
        "dW uses A_prev where its transpose is needed: dW = dZ A_prev^T (every weight collects from every example)",
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
            "the 1/m is applied twice: your output_gradient already puts it in dZ2, so dW = dZ A_prev^T with no "
            "other 1/m",
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


# Part 2's checks (lab03b: the gradient check and the extension), then the labs (defined after every check they name).
from . import lab03_extension, lab03_gradients  # noqa: E402,F401
from .labs import LabSpec, Question, register  # noqa: E402

LAB = register(
    LabSpec(
        name="lab03",
        title="Backpropagation, part 1: the backward pass",
        questions=(
            Question("q1", 1, "one_hot"),
            Question("q2", 2, "cross_entropy"),
            Question("q3", 2, title="derive: the gradient at the output"),
            Question("q4", 1, "output_gradient"),
            Question("q5", 2, title="derive: dW and db of one layer"),
            Question("q6", 2, "layer_backward"),
            Question("q7", 1, "relu_grad"),
            Question("q8", 2, "backward"),
        ),
        forbidden=(
            "mnistnn.model.one_hot",
            "mnistnn.model.cross_entropy",
            "mnistnn.model.log_softmax",
            "mnistnn.model.relu_grad",
            "mnistnn.model.backward",
            "mnistnn.deep.backward",
        ),
        allowed="forward, init_params, gradient_check",
    )
)

PART_2 = register(
    LabSpec(
        name="lab03b",
        title="Backpropagation, part 2: a gradient check of your own, and another activation",
        questions=(
            Question("q1", 1, "numerical_gradient"),
            Question("q2", 2, "gradient_errors"),
            Question("q3", 2, "activation_grad", writes=("activation", "activation_grad")),
            Question("q4", 2, "backward_g"),
            Question("q5", 2, title="predict, then verify: g' at A1"),
        ),
        forbidden=(
            "mnistnn.model.backward",
            "mnistnn.deep.backward",
            "mnistnn.gradcheck.numerical_gradient",
            "mnistnn.gradcheck.gradient_check",
        ),
        allowed="forward, backward, init_params, one_hot, cross_entropy, softmax, relative_error",
        parameters=("activation",),
    )
)
