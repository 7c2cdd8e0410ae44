"""Lab 02 · Forward propagation: ReLU, a stable softmax, the forward pass, an untrained network, any depth."""

from __future__ import annotations

import functools

import numpy as np

from .. import model
from .cases import deep_params, problem, read_only
from .compare import expect
from .core import Code, Mistake, Stop, check
from .labs import LabSpec, Question, register

# ----------------------------------------------------------------------------------------------- relu


def _relu_in_place(Z):
    Z[Z < 0] = 0
    return Z


def _relu_of_rows(Z):
    return np.array([[max(z, 0) for z in row] for row in Z])  # a matrix only: 1-D and 3-D inputs fail


RELU = (
    Mistake(
        Code.DERIVATIVE_INSTEAD,
        "you return ReLU's derivative (0s and 1s), not ReLU itself: the larger of Z and 0",
        wrong=lambda Z: (Z > 0).astype(Z.dtype),
    ),
    Mistake(
        Code.MIN_INSTEAD_OF_MAX,
        "np.minimum keeps the negative part; ReLU keeps the positive part",
        wrong=lambda Z: np.minimum(Z, 0),
    ),
    Mistake(Code.ABS_INSTEAD, "abs(Z) flips negative values up; ReLU sets them to 0", wrong=np.abs),
    Mistake(Code.CHANGED_IN_PLACE, "", wrong=_relu_in_place, by_rule=True),
    Mistake(
        Code.ONLY_2D,
        "relu must work on an array of any shape, not only on a matrix: max(z, 0) element by element, with no "
        "loop over rows",
        wrong=_relu_of_rows,
        by_rule=True,
    ),
)


@check(name="relu", section="relu", mistakes=RELU)
def check_relu(student, case):
    rng = case.rng(21)
    for Z in (
        rng.normal(size=case.pick((4, 6), (7, 3))),
        np.array([[-2.0, 0.0, 3.0]]),
        rng.normal(size=(3, 5)).astype(np.float32),
    ):
        Z[0, 0] = 0.0
        got = student.call("relu", Z)
        expect(got, model.relu(Z), what_="relu(Z)", mistakes=RELU, args=(Z,), inputs=(Z,), equation="max(Z, 0)")
    for Z in (np.array([-1.5, 0.0, 2.0, -0.25]), rng.normal(size=case.pick((2, 3, 4), (3, 2, 2)))):  # any shape
        try:
            got = student.call("relu", Z)
            expect(got, model.relu(Z), what_=f"relu(Z) for Z of shape {Z.shape}", inputs=(Z,), equation="max(Z, 0)")
        except Stop as found:
            if found.code not in (Code.RAISED, Code.WRONG_SHAPE, Code.WRONG_TYPE, Code.TRANSPOSED):
                raise
            raise Stop.of(RELU[-1], f"{RELU[-1].message} ({found.message})") from None


# ----------------------------------------------------------------------------------------------- softmax


def columns(E):
    """Each column divided by its own sum."""
    return E / E.sum(axis=0, keepdims=True)


def shifted(Z, axis=0):
    """exp(Z - max), the max taken over this axis."""
    return np.exp(Z - Z.max(axis=axis, keepdims=True))


SOFTMAX = (
    Mistake(
        Code.WRONG_AXIS,
        "softmax over the wrong axis: your rows sum to 1, but each column (one example) must",
        wrong=lambda Z: model.softmax(Z.T).T,
    ),
    Mistake(
        Code.WHOLE_MATRIX,
        "you divide by the sum of the whole matrix; divide each column by its own sum",
        wrong=lambda Z: np.exp(Z) / np.exp(Z).sum(),
    ),
    Mistake(
        Code.WHOLE_MATRIX,
        "np.sum(E) with no axis adds up the whole matrix, so the columns do not sum to 1; "
        "divide each column by its own sum",
        wrong=lambda Z: shifted(Z) / shifted(Z).sum(),
    ),
    Mistake(
        Code.NOT_NORMALISED, "the columns do not sum to 1: divide the exponentials by their column sums", wrong=np.exp
    ),
    Mistake(
        Code.SHIFT_WRONG_AXIS,
        "the max is taken over the wrong axis: subtract each column's own max, or the columns' results change",
        wrong=lambda Z: columns(shifted(Z, axis=1)),
    ),
    Mistake(Code.TRANSPOSED, "", wrong=lambda Z: model.softmax(Z).T, by_rule=True),
    Mistake(
        Code.NO_MAX_SHIFT,
        "nan at large scores: exp() overflows without the max-shift; subtract each column's max before exp()",
        wrong=lambda Z: columns(np.exp(Z)),
        by_rule=True,
    ),
    Mistake(
        Code.GLOBAL_MAX_SHIFT,
        "nan in a column far below the largest score: you subtract the max of the whole "
        "matrix; subtract each column's own max",
        wrong=lambda Z: columns(np.exp(Z - Z.max())),
        by_rule=True,
    ),
    Mistake(Code.WRONG_DTYPE, "", wrong=lambda Z: model.softmax(Z).astype(np.float16), by_rule=True),
    Mistake(
        Code.WRONG_DTYPE,
        "float32 scores must give float32 probabilities, as the question asks: yours come out in another type (a "
        "float64 constant or array in the computation promotes them); keep the scores' own type",
        wrong=lambda Z: model.softmax(Z).astype(np.float64),
        by_rule=True,
    ),
)


@check(name="softmax", section="softmax", mistakes=SOFTMAX)
def check_softmax(student, case):
    rng = case.rng(23)
    Z = rng.normal(0, 3, size=case.pick((4, 6), (5, 9)))
    got = student.call("softmax", Z)
    expect(
        got,
        model.softmax(Z),
        what_="softmax(Z)",
        mistakes=SOFTMAX,
        args=(Z,),
        inputs=(Z,),
        equation="each column: exp(z - max z) / its sum",
    )
    large = np.array([[1000.0, -1000.0, 5.0], [1001.0, -1002.0, 3.0], [999.0, -999.0, 4.0]])
    large[:, 1] -= 2000.0  # column 1 is far below the largest score: a global shift underflows it
    got = student.call("softmax", large)
    if isinstance(got, np.ndarray) and got.shape == large.shape and not np.isfinite(got).all():
        global_shift = columns(np.exp(large - large.max()))
        same = np.array_equal(np.isnan(got), np.isnan(global_shift)) and np.isfinite(got[:, 0]).all()
        raise Stop.of(SOFTMAX[7] if same else SOFTMAX[6])
    expect(got, model.softmax(large), what_="softmax(Z) for scores around +-1000", equation="the max-shift")
    Z32 = Z.astype(np.float32)
    got = student.call("softmax", Z32)
    if isinstance(got, np.ndarray) and got.shape == Z32.shape and got.dtype.kind == "f" and got.dtype != np.float32:
        raise Stop.of(SOFTMAX[-1], f"{SOFTMAX[-1].message} (here {got.dtype})")
    expect(got, model.softmax(Z32), what_="softmax(Z) for float32 Z", rtol=1e-5, dtype="exact")


# ----------------------------------------------------------------------------------------------- forward


def _network(params, X, *, g=model.relu, out=model.softmax, biases=True):
    """A forward pass as a mistaken one computes it: another hidden activation or output, biases or not."""
    Z1 = params["W1"] @ X + (params["b1"] if biases else 0)
    A1 = g(Z1)
    Z2 = params["W2"] @ A1 + (params["b2"] if biases else 0)
    A2 = out(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def _forward_changes_params(params, X):
    params["b1"] *= 0
    return model.forward(params, X)


FORWARD = (
    Mistake(
        Code.SOFTMAX_MISSING,
        "A2 are the scores Z2: apply softmax to turn them into probabilities",
        wrong=lambda params, X: _network(params, X, out=lambda Z: Z),
    ),
    Mistake(
        Code.ACTIVATION_MISSING,
        "the hidden layer has no ReLU: A1 = relu(Z1)",
        wrong=lambda params, X: _network(params, X, g=lambda Z: Z),
    ),
    Mistake(
        Code.BIAS_MISSING,
        "the biases are left out: Z1 = W1 X + b1 and Z2 = W2 A1 + b2",
        wrong=lambda params, X: _network(params, X, biases=False),
    ),
    Mistake(
        Code.WRONG_AXIS,
        "softmax over the wrong axis: each column of A2 must sum to 1",
        wrong=lambda params, X: _network(params, X, out=lambda Z: model.softmax(Z.T).T),
    ),
    Mistake(Code.PARAMS_CHANGED_IN_PLACE, "", wrong=_forward_changes_params, by_rule=True),
    Mistake(
        Code.CACHE_INCOMPLETE,
        "the cache must hold Z1, A1, Z2 and A2: backpropagation needs them",
        wrong=lambda params, X: (model.forward(params, X)[0], {"A2": model.forward(params, X)[0]}),
        by_rule=True,
    ),
    Mistake(
        Code.SWAPPED,
        "forward returns (cache, A2): the order is the other way round, A2 first, then the cache",
        wrong=lambda params, X: model.forward(params, X)[::-1],
        by_rule=True,
    ),
)


def _first(result):
    return result[0] if isinstance(result, tuple) and len(result) == 2 else result


@check(name="forward", section="forward", mistakes=FORWARD, helpers=("relu", "softmax"))
def check_forward(student, case):
    rng = case.rng(24)
    params, X, _, cache = problem(6, case.pick(5, 8), 4, case.pick(7, 3), rng)
    result = student.call("forward", params, X)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], dict):
        raise Stop.of(FORWARD[-1])
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        raise Stop(
            Code.WRONG_TYPE, f"forward returned {type(result).__name__}; return A2, cache (a dict with Z1, A1, Z2, A2)"
        )
    got, got_cache = result
    rows = tuple(
        Mistake(row.code, row.message, row.section, _compose(_first, row.wrong), row.by_rule) for row in FORWARD
    )
    expect(
        got, cache["A2"], what_="A2", mistakes=rows, args=(params, X), equation="A2 = softmax(W2 relu(W1 X + b1) + b2)"
    )
    for key in ("Z1", "A1", "Z2", "A2"):
        if key not in got_cache:
            raise Stop.of(FORWARD[5], f"{FORWARD[5].message}; yours has {sorted(got_cache)}")
        expect(got_cache[key], cache[key], what_=f"cache[{key!r}]")


def _compose(outer, inner):
    return None if inner is None else (lambda *args, **kwargs: outer(inner(*args, **kwargs)))


# ------------------------------------------------------------------------------- an untrained network guesses


@functools.lru_cache(maxsize=4)
def untrained_case(n_hidden: int, init_seed: int):
    """The question's inputs (the first 1,000 validation images of load_dataset(rng=default_rng(0)), the network
    784-h-10 drawn uniform with default_rng(init_seed)) and its answer, with what its classic mistakes give."""
    from ..data import load_dataset

    data = load_dataset(rng=np.random.default_rng(0))
    params = model.init_params(784, n_hidden, 10, rng=np.random.default_rng(init_seed), scheme="uniform")
    he = model.init_params(784, n_hidden, 10, rng=np.random.default_rng(init_seed), scheme="he")
    X = np.ascontiguousarray(data.X_val[:, :1000])
    A2 = model.forward(params, X)[0]
    case = {
        "params": params,
        "X": X,
        "expected": A2.mean(axis=1),
        "training_images": model.forward(params, data.X_train[:, :1000])[0].mean(axis=1),
        "he_init": model.forward(he, X)[0].mean(axis=1),
        "predicted_fraction": np.bincount(A2.argmax(axis=0), minlength=10) / 1000,
    }
    return read_only(case)


def _mistaken(key):
    return lambda mean, case: case[key]


UNTRAINED = (
    Mistake(
        Code.TRAINING_IMAGES,
        "those are training images: use the first 1,000 validation images",
        section="split",
        wrong=_mistaken("training_images"),
    ),
    Mistake(
        Code.HE_INIT,
        'those parameters are He-initialised: the original network draws them uniform in [-0.5, 0.5), scheme="uniform"',
        wrong=_mistaken("he_init"),
    ),
    Mistake(
        Code.PREDICTED_FRACTION,
        "that is the fraction of images predicted as each digit; the question asks for "
        "the mean probability, A2 averaged over the images (axis=1)",
        wrong=_mistaken("predicted_fraction"),
    ),
)


@check(name="mean_probability", section="untrained", mistakes=UNTRAINED, function=None, helpers=("forward",))
def check_mean_probability(student, case):
    """Recomputed from the learner's forward on the question's network and images; the typed value must agree."""
    inputs = untrained_case(case.variant.n_hidden, case.variant.init_seed)
    result = student.call("forward", inputs["params"], inputs["X"])
    A2 = _first(result)
    if not (isinstance(A2, np.ndarray) and A2.shape == (10, 1000)):
        raise Stop(
            Code.WRONG_SHAPE,
            f"your forward gives A2 of {getattr(A2, 'shape', type(A2).__name__)} for 1,000 "
            "images; (10, 1000) is expected: make its check pass first",
            section="forward",
        )
    expect(
        A2.mean(axis=1),
        inputs["expected"],
        what_="the mean of your forward's A2 over the images",
        equation="A2.mean(axis=1)",
    )
    if student.has_values:
        typed = student.value("mean_probability")
        expect(
            typed,
            inputs["expected"],
            what_="mean_probability",
            mistakes=UNTRAINED,
            args=(typed, inputs),
            equation="forward(params, X)[0].mean(axis=1) for the question's params and images",
        )


# ----------------------------------------------------------------------------------------------- any depth


def _deep(params, X, hidden=model.relu, last=model.softmax):
    """A forward pass through every layer of params, with these activations."""
    L, A = len(params) // 2, X
    for layer in range(1, L + 1):
        Z = params[f"W{layer}"] @ A + params[f"b{layer}"]
        A = last(Z) if layer == L else hidden(Z)
    return A


DEEP = (
    Mistake(
        Code.SOFTMAX_ON_HIDDEN,
        "softmax belongs to the last layer only; the hidden layers use ReLU",
        wrong=lambda params, X: _deep(params, X, hidden=model.softmax),
    ),
    Mistake(
        Code.LAYERS_OUT_OF_ORDER,
        "only the first two layers are used: loop over every layer, 1 to L = len(params) // 2",
        wrong=lambda params, X: _deep({key: params[key] for key in ("W1", "b1", "W2", "b2")}, X),
    ),
    Mistake(
        Code.ACTIVATION_MISSING,
        "the last layer applies ReLU before softmax: its scores Z_L go to softmax as they are",
        wrong=lambda params, X: _deep(params, X, last=lambda Z: model.softmax(model.relu(Z))),
    ),
)


@check(name="forward_deep", section="forward", mistakes=DEEP, helpers=("relu", "softmax"))
def check_forward_deep(student, case):
    rng = case.rng(25)
    for sizes in case.pick(((6, 5, 4), (6, 5, 7, 4), (6, 8, 5, 3, 4)), ((9, 4, 3), (9, 6, 6, 6, 3))):
        params, X = deep_params(sizes, rng), rng.random((sizes[0], 7))
        got = _first(student.call("forward_deep", params, X))
        expect(
            got,
            _deep(params, X),
            what_=f"A_L for layer sizes {sizes}",
            mistakes=DEEP,
            args=(params, X),
            equation="A_l = relu(W_l A_(l-1) + b_l) for l < L, A_L = softmax(W_L A_(L-1) + b_L)",
        )


LAB = register(
    LabSpec(
        name="lab02",
        title="Forward propagation",
        questions=(
            Question("q1", 2, title="derive: softmax ignores a shift"),
            Question("q2", 1, "relu"),
            Question("q3", 2, "softmax"),
            Question("q4", 2, "forward"),
            Question("q5", 1, "mean_probability"),
            Question("q6", 2, "forward_deep"),
            Question("q7", 2, title="predict, then verify: the loss at the start"),
        ),
        forbidden=(
            "mnistnn.model.relu",
            "mnistnn.model.softmax",
            "mnistnn.model.log_softmax",
            "mnistnn.model.forward",
            "mnistnn.deep.forward",
            "mnistnn.deep.predict",
        ),
        allowed="load_dataset, init_params, cross_entropy (question 7), and mnistnn's plots",
        parameters=("n_hidden", "init_seed"),
    )
)
