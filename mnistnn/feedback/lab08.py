"""Lab 08 · Going deeper: the L2 penalty's gradient, inverted dropout, and the backward pass of two hidden layers.

The course's variant sets dropout's keep probability p. Dropout is random, so its check judges by rules that every
correct answer meets (the mask's values, the share of units kept, a fresh draw for every unit of every example, the
generator used), not by comparing with one draw.
"""

from __future__ import annotations

import numpy as np

from .. import deep
from .calls import Seeded
from .cases import deep_params
from .compare import close, what
from .core import Code, Mistake, Stop, check
from .lab03_gradients import keepdims_missing
from .lab04 import judge_params
from .labs import LabSpec, Question, register

# ----------------------------------------------------------------------------------------------- the L2 gradient


def l2(grads, params, lam, *, mistake=None):
    """dJ/dW = dL/dW + lam W for every weight array; the biases' gradients unchanged."""
    factor = {Code.PENALTY_TWICE: 2.0, Code.PENALTY_HALVED: 0.5, Code.GRADIENT_ASCENT: -1.0}.get(mistake, 1.0)
    return {
        key: grads[key] + factor * lam * params[key]
        if key.startswith("W") or mistake == Code.BIASES_PENALISED
        else grads[key]
        for key in grads
    }


def _l2_with(mistake):
    return lambda grads, params, lam: l2(grads, params, lam, mistake=mistake)


def _l2_in_place(grads, params, lam):
    for key in grads:
        if key.startswith("W"):
            grads[key] += lam * params[key]
    return grads


L2 = (
    Mistake(
        Code.BIASES_PENALISED,
        "the biases' gradients changed too: the penalty (lambda / 2) * sum ||W_l||^2 holds the weights only",
        wrong=_l2_with(Code.BIASES_PENALISED),
    ),
    Mistake(
        Code.PENALTY_TWICE,
        "that adds 2 lambda W: the derivative of (lambda / 2) w^2 is lambda w (the 1/2 is there to cancel the 2)",
        wrong=_l2_with(Code.PENALTY_TWICE),
    ),
    Mistake(
        Code.PENALTY_HALVED,
        "that adds lambda W / 2: the derivative of (lambda / 2) w^2 is lambda w",
        wrong=_l2_with(Code.PENALTY_HALVED),
    ),
    Mistake(
        Code.GRADIENT_ASCENT,
        "that subtracts lambda W: the penalty grows with |w|, so its gradient points away from 0, + lambda W",
        wrong=_l2_with(Code.GRADIENT_ASCENT),
    ),
    Mistake(Code.CHANGED_IN_PLACE, "", wrong=_l2_in_place, by_rule=True),
)


@check(name="l2_grads", section="l2", mistakes=L2)
def check_l2_grads(student, case):
    """Gradients of three layers, a lambda that makes the penalty's term visible."""
    rng = case.rng(81)
    params = deep_params(case.pick((6, 5, 4, 3), (7, 3, 5, 4)), rng)
    grads = {key: rng.normal(0, 0.1, size=value.shape) for key, value in params.items()}
    lam = case.pick(0.1, 0.03)
    judge_params(
        student.call("l2_grads", grads, params, lam),
        l2(grads, params, lam),
        what_="l2_grads(grads, params, lam)",
        mistakes=L2,
        args=(grads, params, lam),
        equation="dJ/dW_l = dL/dW_l + lambda W_l, and the biases' gradients as they are",
    )


# ----------------------------------------------------------------------------------------------- inverted dropout


def _mask(A, keep, rng):
    return rng.random(A.shape) < keep


def _not_rescaled(A, keep, rng):
    D = _mask(A, keep, rng).astype(A.dtype)
    return A * D, D


def _times_p(A, keep, rng):
    D = _mask(A, keep, rng) * np.asarray(keep, A.dtype)
    return A * D, D


def _drops_with_p(A, keep, rng):
    D = (rng.random(A.shape) >= keep) / np.asarray(keep, A.dtype)
    return A * D, D


def _one_mask_for_all_examples(A, keep, rng):
    D = (rng.random((A.shape[0], 1)) < keep) / np.asarray(keep, A.dtype) * np.ones_like(A)
    return A * D, D


def _rng_ignored(A, keep, rng):
    return _right(A, keep, np.random.default_rng(0))


def _right(A, keep, rng):
    D = _mask(A, keep, rng) / np.asarray(keep, A.dtype)
    return A * D, D


DROPOUT = (
    Mistake(
        Code.NOT_RESCALED,
        "the kept units are not scaled: divide them by p, so that each entry of D is 0 or 1/p and the next layer's "
        "input keeps its expected value",
        wrong=_not_rescaled,
        by_rule=True,
    ),
    Mistake(
        Code.SCALED_BY_P,
        "the kept units are multiplied by p: divide by p instead (each entry of D is 0 or 1/p), so that "
        "p * (a / p) = a on average",
        wrong=_times_p,
        by_rule=True,
    ),
    Mistake(
        Code.KEEPS_WITH_1_MINUS_P,
        "each unit is kept with probability 1 - p: p is the probability of keeping a unit (keep = 0.8 keeps 80%)",
        wrong=_drops_with_p,
        by_rule=True,
    ),
    Mistake(
        Code.ONE_MASK_FOR_ALL_EXAMPLES,
        "every example (column) gets the same mask: draw an entry of D for every unit of every example, D of A's shape",
        wrong=_one_mask_for_all_examples,
        by_rule=True,
    ),
    Mistake(
        Code.RNG_IGNORED,
        "draw the mask from the rng argument: the same seed must give the same mask, another seed another",
        wrong=_rng_ignored,
        by_rule=True,
    ),
)


def _dropped(student, A, keep, seed):
    """The learner's (A_tilde, D) for a Generator of this seed; stops unless it is two arrays of A's shape."""
    result = student.call("dropout", A, keep, Seeded(seed))
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise Stop(Code.WRONG_TYPE, f"dropout returned {what(result)}; return the pair (A_tilde, D)")
    for name, array in zip(("A_tilde", "D"), result, strict=True):
        if not isinstance(array, np.ndarray) or array.shape != A.shape:
            raise Stop(
                Code.WRONG_SHAPE,
                f"dropout's {name} is {what(array)}; an array of A's shape {A.shape} is expected",
            )
    A_tilde, D = result
    if not _mask_values(D, keep) and _mask_values(A_tilde, keep):
        raise Stop(Code.SWAPPED, "the pair is the wrong way round: return (A_tilde, D), the dropped-out A first")
    return A_tilde, D


def _mask_values(D, keep) -> bool:
    """Whether every entry is 0 or 1/p (or 0 or 1, or 0 or p: a mask scaled the wrong way is still a mask)."""
    values = np.unique(np.round(np.asarray(D, dtype=float), 9))
    return values.size <= 2 and any(np.isin(values, [0, level]).all() for level in (1 / keep, 1, keep))


def _judge_values(A, A_tilde, D, keep):
    """Stop unless every entry of D is 0 or 1/p and A_tilde = A * D; a mask scaled the wrong way is named."""
    values = np.unique(np.round(np.asarray(D, dtype=float), 9))
    if values.size == 2 and np.allclose(values, [0, 1]):
        if close(A_tilde, A * D / keep, rtol=1e-6, dtype="any"):
            raise Stop.of(
                DROPOUT[0],
                "A_tilde is right, but D holds 0 and 1: return the mask divided by p, entries 0 or 1/p, so that "
                "A_tilde = A * D (the backward pass multiplies by the same D)",
            )
        raise Stop.of(DROPOUT[0])
    if values.size == 2 and np.allclose(values, [0, keep]):
        raise Stop.of(DROPOUT[1])
    if not (values.size <= 2 and np.allclose(values, [0, 1 / keep][-values.size :])):
        raise Stop(
            Code.WRONG_VALUES,
            f"D holds the values {', '.join(f'{v:g}' for v in values[:4])}{' ...' if values.size > 4 else ''}; "
            f"each entry must be 0 (dropped) or 1/p = {1 / keep:g} (kept)",
        )
    if not close(A_tilde, A * D, rtol=1e-6, dtype="any"):
        raise Stop(Code.WRONG_VALUES, "A_tilde must be A * D, element by element (A times the mask, over p)")


def _judge_draw(D, keep):
    """Stop unless each unit of each example is kept with probability p (the share kept within 0.01 of p)."""
    if all(np.array_equal(D[:, 0], D[:, j]) for j in range(1, 5)):
        raise Stop.of(DROPOUT[3])
    kept = float(np.mean(D > 0))
    if abs(kept - (1 - keep)) < 0.01 and abs(kept - keep) > 0.01:
        raise Stop.of(DROPOUT[2])
    if abs(kept - keep) > 0.01:
        raise Stop(
            Code.WRONG_VALUES,
            f"{kept:.1%} of the units are kept, where p = {keep:g}: keep each one with probability p",
        )


@check(name="dropout", section="dropout", mistakes=DROPOUT)
def check_dropout(student, case):
    """A large A (400 units, 500 examples): the share kept is p within 0.01 (over ten standard deviations of chance);
    the same seed gives the same mask, another seed another; floats for a float32 A."""
    keep = case.variant.keep
    A = case.rng(82).random((400, 500)) + 0.5  # no zeros: a dropped unit shows
    A_tilde, D = _dropped(student, A, keep, seed=case.pick(3, 4))
    _judge_values(A, A_tilde, D, keep)
    _judge_draw(D, keep)
    again = _dropped(student, A, keep, seed=case.pick(3, 4))[1]
    other = _dropped(student, A, keep, seed=case.pick(5, 6))[1]
    if not np.array_equal(again, D) or np.array_equal(other, D):
        raise Stop.of(DROPOUT[4])
    for answer in _dropped(student, A[:8, :6].astype(np.float32), keep, seed=7):
        if answer.dtype.kind != "f":
            raise Stop(Code.WRONG_DTYPE, f"dropout of a float32 A returned {answer.dtype}: return floats")


# ----------------------------------------------------------------------------------------------- two hidden layers


def _backward(params, cache, X, y, lam, mistake=None):
    """deep.backward, or the backward of one of the mistakes below."""
    if mistake == Code.MASK_IGNORED:
        cache = {key: value for key, value in cache.items() if not key.startswith("D")}
    if mistake == Code.MASK_TWICE:  # dW_{l+1} from A_l * D_l, though the cache's A_l is dropped out already
        cache = {key: value * cache.get(f"D{key[1:]}", 1.0) if key[0] == "A" else value for key, value in cache.items()}
    grads = deep.backward(params, cache, X, y, l2=0.0 if mistake == Code.PENALTY_MISSING else lam)
    if mistake == Code.BIASES_PENALISED:
        grads = {key: grads[key] + lam * params[key] if key[0] == "b" else grads[key] for key in grads}
    if mistake == Code.KEEPDIMS_MISSING:
        grads = {key: value.ravel() if key[0] == "b" else value for key, value in grads.items()}
    return grads


def _with(mistake):
    return lambda params, cache, X, y, lam: _backward(params, cache, X, y, lam, mistake)


def _relu_grad_missing(params, cache, X, y, lam):
    """dZ_l = dA_l, as if the hidden layers had no activation."""
    N, m = deep.depth(params), X.shape[1]
    Y = np.eye(params[f"W{N}"].shape[0])[:, y]
    dZ, grads = (cache[f"A{N}"] - Y) / m, {}
    for l in range(N, 0, -1):
        A_prev = X if l == 1 else cache[f"A{l - 1}"]
        grads[f"W{l}"] = dZ @ A_prev.T + lam * params[f"W{l}"]
        grads[f"b{l}"] = dZ.sum(axis=1, keepdims=True)
        if l > 1:
            dZ = (params[f"W{l}"].T @ dZ) * cache.get(f"D{l - 1}", 1.0)
    return {key: grads[key] for key in params}


BACKWARD = (
    Mistake(
        Code.MASK_IGNORED,
        "dropout's masks are missing from the backward pass: a dropped unit passed nothing forward, so it passes "
        "nothing back: dA_l = (W_{l+1}^T dZ_{l+1}) * D_l where the cache holds D_l",
        section="dropout",
        wrong=_with(Code.MASK_IGNORED),
    ),
    Mistake(
        Code.MASK_TWICE,
        "the mask is applied twice: the cache's A_l is already A_l * D_l (dropout's output), so dW_{l+1} = "
        "dZ_{l+1} A_l^T takes it as it is; D_l multiplies only dA_l",
        section="dropout",
        wrong=_with(Code.MASK_TWICE),
    ),
    Mistake(
        Code.PENALTY_MISSING,
        "the weights' gradients lack the penalty's lambda W_l: use your l2_grads (or add it) when lam > 0",
        section="l2",
        wrong=_with(Code.PENALTY_MISSING),
    ),
    Mistake(
        Code.BIASES_PENALISED,
        "the biases' gradients have lambda b_l added: the penalty holds the weights only",
        section="l2",
        wrong=_with(Code.BIASES_PENALISED),
    ),
    Mistake(
        Code.DERIVATIVE_MISSING,
        "dZ_l = dA_l: the hidden layers' ReLU is missing, dZ_l = dA_l * ReLU'(Z_l)",
        wrong=_relu_grad_missing,
    ),
    keepdims_missing(_with(Code.KEEPDIMS_MISSING)),
)


def _judge_form(grads, params):
    """Stop unless the gradients are a dict with params' keys; bias gradients without their second axis named."""
    if not isinstance(grads, dict) or set(grads) != set(params):
        shown = f"a dict with keys {sorted(grads)}" if isinstance(grads, dict) else what(grads)
        raise Stop(
            Code.WRONG_KEYS if isinstance(grads, dict) else Code.WRONG_TYPE,
            f"backward_deep returned {shown}; return a dict with the keys of params, {', '.join(params)}",
        )
    for key, right in params.items():
        got = grads[key]
        if key[0] == "b" and isinstance(got, np.ndarray) and got.shape == right.shape[:1]:
            row = BACKWARD[-1]
            raise Stop.of(row, f"grads[{key!r}] has shape {got.shape} where {right.shape} is expected: {row.message}")


@check(name="backward_deep", section="deep", mistakes=BACKWARD, helpers=("l2_grads",))
def check_backward_deep(student, case):
    """Two hidden layers, with and without dropout's masks and the penalty; a class absent from the batch; one
    example."""
    rng = case.rng(83)
    keep, lam = case.variant.keep, case.pick(0.05, 0.02)
    for sizes, m, with_masks, with_l2 in case.pick(
        (((6, 5, 4, 10), 9, False, False), ((6, 5, 4, 10), 9, True, False), ((5, 8, 6, 10), 7, True, True)),
        (((7, 4, 5, 10), 8, True, True), ((4, 6, 3, 10), 1, False, True)),
    ):
        params = deep_params(sizes, rng)
        X = rng.random((sizes[0], m))
        y = rng.integers(0, sizes[-1] - 1, size=m)  # digit 9 absent: a one-hot sized by y.max() + 1 shows
        _, cache = deep.forward(params, X, keep=keep if with_masks else 1.0, rng=np.random.default_rng(9))
        penalty = lam if with_l2 else 0.0
        try:
            got = student.call("backward_deep", params, cache, X, y, penalty)
        except Stop as stop:
            if stop.code == Code.RAISED and "inside your l2_grads" in stop.message:
                stop.message += (
                    "; a gradient handed to l2_grads does not have its weight's shape: dW_l = dZ_l A_{l-1}^T "
                    "takes layer l's input A_{l-1} (X for l = 1), not its output A_l"
                )
            elif stop.code == Code.RAISED and with_masks and "could not be broadcast" in stop.message:
                stop.message += (
                    " (this case: dropout's masks in the cache, of unequal layers); D_l has the shape of A_l: "
                    "dA_{l-1} = W_l^T dZ_l is masked by D_{l-1}, the mask of the layer it belongs to"
                )
            raise
        _judge_form(got, params)
        case_text = ", ".join(
            text
            for text, present in (("dropout's masks in the cache", with_masks), (f"lam = {penalty:g}", with_l2))
            if present
        )
        judge_params(
            got,
            _backward(params, cache, X, y, penalty),
            what_="grads",
            mistakes=BACKWARD,
            args=(params, cache, X, y, penalty),
            equation="the recipe"
            + (f" (this case: {case_text})" if case_text else "")
            + ": dW_l = dZ_l A_{l-1}^T (+ lambda W_l), db_l = sum of dZ_l over the examples, "
            "dA_{l-1} = W_l^T dZ_l (* D_{l-1}), dZ_{l-1} = dA_{l-1} * ReLU'(Z_{l-1})",
        )


LAB = register(
    LabSpec(
        name="lab08",
        title="Going deeper: L2, dropout and two hidden layers",
        questions=(
            Question("q1", 2, title="derive: the L2 penalty's gradient, and why it is weight decay"),
            Question("q2", 1, "l2_grads"),
            Question("q3", 2, "dropout"),
            Question("q4", 2, title="derive: why inverted dropout divides by p, and its backward"),
            Question("q5", 3, "backward_deep"),
            Question("q6", 2, title="predict, then verify: L2 and dropout on 1,000 images"),
        ),
        forbidden=(
            "mnistnn.deep.backward",
            "mnistnn.model.backward",
            "mnistnn.deep.l2_penalty",
        ),
        allowed="deep.forward, deep.loss, deep.predict, init_params, one_hot, relu, relu_grad, softmax, "
        "numerical_gradient, relative_error, load_dataset, sgd, accuracy",
        parameters=("keep",),
    )
)
